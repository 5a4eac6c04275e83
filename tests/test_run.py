"""minimize() and Trajectory: recording, divergence, clipping, per-layer norms, bad input."""

import numpy as np
import pytest

from rmsprop_ref import SGD, RMSprop
from rmsprop_ref.problems import LinearChain, Quadratic, SigmoidChain, ill_conditioned_quadratic
from rmsprop_ref.run import (
    NEVER,
    Trajectory,
    clip_by_norm,
    diverging,
    effective_learning_rate,
    first_below,
    last_recorded,
    minimize,
    search_each,
    search_grid,
    search_learning_rate,
    steps_in_learning_rates,
    stream_updates,
)


def test_sgd_on_a_quadratic_follows_the_closed_form():
    # On ½ xᵀ diag(c) x, SGD multiplies coordinate i by (1 − η cᵢ) every step.
    problem = Quadratic((0.5, 2.0))
    x0 = np.array([1.0, -3.0])
    eta, steps = 0.1, 25
    traj = minimize(problem, SGD(eta), x0, steps)
    k = np.arange(steps + 1)[:, None]
    expected = x0 * (1 - eta * np.array([0.5, 2.0])) ** k
    np.testing.assert_allclose(traj.params, expected, rtol=1e-12)
    np.testing.assert_allclose(traj.loss, problem.value(expected), rtol=1e-12)
    np.testing.assert_allclose(traj.grads, problem.grad(expected), rtol=1e-12)
    np.testing.assert_allclose(traj.grad_norm, np.linalg.norm(problem.grad(expected), axis=-1), rtol=1e-12)
    np.testing.assert_allclose(traj.update_norm, np.linalg.norm(np.diff(expected, axis=0), axis=-1), rtol=1e-12)
    assert traj.params.shape == (26, 2) and traj.update_norm.shape == (25,)
    assert traj.diverged_at is None and not traj.diverged and traj.steps == 25 and traj.last_step == 25
    assert traj.final_loss == pytest.approx(float(problem.value(expected[-1])))


def test_recorded_steps_match_a_hand_written_loop():
    problem = ill_conditioned_quadratic(45.0)
    opt = RMSprop(0.05, rho=0.9)
    traj = minimize(problem, opt, [2.0, 1.0], 40)
    x, state = np.array([2.0, 1.0]), opt.init(np.array([2.0, 1.0]))
    for k in range(40):
        x, state = opt.update(x, problem.grad(x), state)
        np.testing.assert_array_equal(traj.params[k + 1], x)


def test_divergence_is_recorded_not_raised():
    # SGD on curvature 4 with η = 1: each step multiplies x₂ by (1 − 4) = −3, so the loss grows
    # by 9 per step; from loss 2 it first exceeds the bound 1e6 at step k with 2·9ᵏ > 1e6.
    problem = ill_conditioned_quadratic()
    traj = minimize(problem, SGD(1.0), [0.0, 1.0], 100, divergence_bound=1e6)
    expected_step = int(np.ceil(np.log(1e6 / 2) / np.log(9)))
    assert traj.diverged and traj.diverged_at == expected_step
    assert traj.loss[expected_step] > 1e6 and np.all(np.isfinite(traj.loss[: expected_step + 1]))
    assert np.all(np.isnan(traj.loss[expected_step + 1 :])) and np.all(np.isnan(traj.params[expected_step + 1 :]))
    assert np.all(np.isnan(traj.update_norm[expected_step:]))
    assert traj.final_loss == traj.loss[expected_step] and traj.last_step == expected_step
    assert traj.params.shape == (101, 2)  # full length, NaN-padded


def test_overflow_to_infinity_is_a_divergence_without_warnings():
    problem = LinearChain(depth=20)
    with np.errstate(all="raise"):  # minimize must not leak overflow warnings or errors
        traj = minimize(problem, SGD(1.0), np.full(20, 1.5), 50, divergence_bound=1e300)
    assert traj.diverged_at is not None and traj.diverged_at < 10
    assert not np.isfinite(traj.loss[traj.diverged_at]) or not np.isfinite(traj.grad_norm[traj.diverged_at])


def test_rmsprop_step_is_bounded_where_sgd_explodes():
    problem = LinearChain(depth=20)
    x0 = np.full(20, 1.5)
    rms = minimize(problem, RMSprop(0.01, rho=0.9, epsilon=0.0), x0, 200)
    assert not rms.diverged
    # |Δθᵢ| ≤ η/√(1−ρ) per coordinate, so ‖Δθ‖ ≤ √20 · η/√(1−ρ).
    assert rms.update_norm.max() <= np.sqrt(20) * 0.01 / np.sqrt(0.1) * (1 + 1e-12)
    assert minimize(problem, SGD(0.01), x0, 200).diverged


def test_clipping_bounds_every_update():
    problem = LinearChain(depth=20)
    traj = minimize(problem, SGD(0.01), np.full(20, 1.5), 300, clip_norm=1.0)
    assert not traj.diverged
    assert traj.update_norm.max() <= 0.01 * 1.0 * (1 + 1e-12)
    assert traj.grad_norm[0] > 1e6  # the recorded gradient is the unclipped one
    assert traj.final_loss < traj.loss[0]


def test_clip_by_norm():
    g = np.array([3.0, 4.0])
    np.testing.assert_allclose(clip_by_norm(g, 1.0), [0.6, 0.8])
    np.testing.assert_array_equal(clip_by_norm(g, 5.0), g)
    np.testing.assert_array_equal(clip_by_norm(np.zeros(2), 1.0), np.zeros(2))
    batch = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(clip_by_norm(batch, 1.0), [[0.6, 0.8], [0.3, 0.4]])
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_norm(g, 0.0)


def test_per_layer_norms_split_by_layer_slices():
    problem = SigmoidChain(depth=4)
    traj = minimize(problem, RMSprop(0.01), np.tile([1.0, 0.0], 4), 10)
    assert traj.layer_grad_norms.shape == (11, 4) and traj.layer_update_norms.shape == (10, 4)
    np.testing.assert_allclose(traj.layer_grad_norms[3, 2], np.linalg.norm(problem.grad(traj.params[3])[4:6]))
    # The layer norms add up (in squares) to the whole norm.
    np.testing.assert_allclose(np.sum(traj.layer_update_norms**2, axis=1), traj.update_norm**2, rtol=1e-12)
    no_layers = minimize(ill_conditioned_quadratic(), SGD(0.1), [1.0, 1.0], 3)
    with pytest.raises(ValueError, match="no layers"):
        _ = no_layers.layer_grad_norms


def test_trajectory_helpers():
    problem = Quadratic((1.0,))
    traj = minimize(problem, SGD(0.5), [1.0], 6, label="SGD")
    # x_k = 0.5^k, f = ½·0.25^k.
    assert traj.first_step_below(0.5 * 0.25**3) == 3
    assert traj.first_step_below(-1.0) is None
    assert traj.best_loss == pytest.approx(0.5 * 0.25**6)
    np.testing.assert_allclose(traj.distance_to([0.0]), 0.5 ** np.arange(7))
    np.testing.assert_allclose(traj.final_params, [0.5**6])
    assert traj.label == "SGD"
    assert isinstance(traj, Trajectory)
    with pytest.raises(ValueError):
        traj.loss[0] = 1.0  # the record is frozen
    with pytest.raises(AttributeError):
        traj.diverged_at = 3


def test_zero_steps_records_the_start():
    traj = minimize(ill_conditioned_quadratic(), SGD(0.1), [1.0, 2.0], 0)
    assert traj.params.shape == (1, 2) and traj.update_norm.shape == (0,)
    assert traj.final_loss == pytest.approx(0.1 + 8.0)


def test_minimize_does_not_change_x0():
    x0 = np.array([1.0, 2.0])
    minimize(ill_conditioned_quadratic(), SGD(0.1), x0, 5)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(x0=[1.0]), "x0"),
        (dict(x0=[1.0, np.nan]), "x0"),
        (dict(steps=-1), "steps"),
        (dict(steps=2.0), "steps"),
        (dict(divergence_bound=0.0), "divergence_bound"),
        (dict(clip_norm=-1.0), "clip_norm"),
        (dict(optimizer="sgd"), "optimizer"),
        (dict(problem=lambda x: x), "problem"),
    ],
)
def test_bad_input_is_a_value_error(kwargs, message):
    args = dict(problem=ill_conditioned_quadratic(), optimizer=SGD(0.1), x0=[1.0, 1.0], steps=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        minimize(args.pop("problem"), args.pop("optimizer"), args.pop("x0"), args.pop("steps"), **args)


def test_effective_step_size_of_sgd_is_eta_and_of_rmsprop_is_eta_over_root_v():
    problem = ill_conditioned_quadratic()
    sgd = minimize(problem, SGD(0.05), [1.0, -2.0], 10)
    np.testing.assert_allclose(sgd.effective_step_size, 0.05, rtol=1e-10)
    opt = RMSprop(0.05, rho=0.9, epsilon=0.0)
    rms = minimize(problem, opt, [1.0, -2.0], 10)
    # First update: v = (1 − ρ)·g², so the effective step is η/(√(1 − ρ)·|g|).
    np.testing.assert_allclose(rms.effective_step_size[0], 0.05 / (np.sqrt(0.1) * np.abs(rms.grads[0])), rtol=1e-12)
    x, state = np.array([1.0, -2.0]), opt.init(np.array([1.0, -2.0]))
    for k in range(10):
        x, state = opt.update(x, problem.grad(x), state)
        np.testing.assert_allclose(rms.effective_step_size[k], 0.05 / np.sqrt(state.mean_square), rtol=1e-10)


def test_learning_rate_search_picks_the_best_by_final_loss():
    # SGD on ½x² multiplies x by (1 − η): |1 − η| is smallest at η = 1 among these, and η = 3 diverges.
    problem = Quadratic((1.0,))
    search = search_learning_rate(
        problem, lambda lr: SGD(lr), [3.0, 0.1, 0.5, 1.0], [1.0], 30, label="SGD", divergence_bound=1e6
    )
    np.testing.assert_array_equal(search.learning_rates, [0.1, 0.5, 1.0, 3.0])  # sorted
    assert search.best_learning_rate == 1.0 and search.best.final_loss == 0.0
    np.testing.assert_array_equal(search.diverged, [False, False, False, True])
    assert search.scores[3] == np.inf and search.scores[0] == pytest.approx(0.5 * 0.9**60)
    assert search.best.label == "SGD"


def test_learning_rate_search_by_steps_to_a_target():
    problem = Quadratic((1.0,))
    search = search_learning_rate(problem, lambda lr: SGD(lr), [0.1, 0.5, 0.9], [1.0], 50, target_loss=1e-4)
    # ½(1 − η)^(2k) ≤ 1e-4 first at k = ceil(ln(2e-4) / (2 ln(1 − η))).
    expected = [np.ceil(np.log(2e-4) / (2 * np.log(1 - lr))) for lr in (0.1, 0.5, 0.9)]
    np.testing.assert_array_equal(search.scores, expected)
    assert search.best_learning_rate == 0.9
    too_short = search_learning_rate(problem, lambda lr: SGD(lr), [0.1], [1.0], 5, target_loss=1e-4)
    assert too_short.scores[0] == np.inf


@pytest.mark.parametrize("rates", [[], [0.1, -1.0], [[0.1]], [np.inf]])
def test_learning_rate_search_rejects_bad_grids(rates):
    with pytest.raises(ValueError, match="learning_rates"):
        search_learning_rate(Quadratic((1.0,)), lambda lr: SGD(lr), rates, [1.0], 3)


def test_stream_updates_matches_a_hand_loop():
    grads = np.random.default_rng(5).standard_normal((12, 3))
    opt = RMSprop(0.1, rho=0.8)
    updates, states = stream_updates(opt, grads, x0=[1.0, 2.0, 3.0])
    theta, state = np.array([1.0, 2.0, 3.0]), opt.init(np.array([1.0, 2.0, 3.0]))
    for k, g in enumerate(grads):
        new_theta, state = opt.update(theta, g, state)
        np.testing.assert_array_equal(updates[k], new_theta - theta)
        np.testing.assert_array_equal(states[k].mean_square, state.mean_square)
        theta = new_theta
    assert updates.shape == (12, 3) and len(states) == 12 and states[-1].step == 12
    np.testing.assert_allclose(stream_updates(SGD(0.5), grads)[0], -0.5 * grads, rtol=1e-12, atol=1e-15)
    assert stream_updates(SGD(0.5), np.zeros((0, 2)))[0].shape == (0, 2)
    with pytest.raises(ValueError, match="grads"):
        stream_updates(SGD(0.5), np.zeros(3))
    with pytest.raises(ValueError, match="x0"):
        stream_updates(SGD(0.5), grads, x0=[1.0])


def test_search_each_is_one_search_per_optimizer_with_its_own_options():
    problem, x0, grid = ill_conditioned_quadratic(), [-4.0, 1.0], [0.01, 0.1, 0.3]
    searches = search_each(
        problem, {"SGD": lambda lr: SGD(lr), "clipped": (lambda lr: SGD(lr), {"clip_norm": 0.5})}, grid, x0, 50
    )
    assert list(searches) == ["SGD", "clipped"]
    alone = search_learning_rate(problem, lambda lr: SGD(lr), grid, x0, 50, label="SGD")
    np.testing.assert_array_equal(searches["SGD"].scores, alone.scores)
    clipped = search_learning_rate(problem, lambda lr: SGD(lr), grid, x0, 50, label="clipped", clip_norm=0.5)
    np.testing.assert_array_equal(searches["clipped"].scores, clipped.scores)
    assert searches["clipped"].best.label == "clipped"
    with pytest.raises(ValueError, match="optimizers"):
        search_each(problem, {}, grid, x0, 50)


def test_effective_learning_rate_is_the_step_over_the_gradient_with_nan_where_g_is_zero():
    rates = effective_learning_rate([[0.5, -0.2, 0.0]], [[-1.0, 0.4, 0.0]])
    np.testing.assert_array_equal(rates[0, :2], [0.5, 0.5])
    assert np.isnan(rates[0, 2])
    # RMSprop from v = 0, rho = 0.9, eps = 0, g = 3: v = 0.1 g^2 then 0.19 g^2, so |step| / |g| = eta / (3 sqrt(v / g^2)).
    grads = np.array([[3.0], [3.0]])
    updates, _ = stream_updates(RMSprop(0.01, rho=0.9, epsilon=0.0), grads)
    np.testing.assert_allclose(effective_learning_rate(updates, grads)[:, 0], 0.01 / (3 * np.sqrt([0.1, 0.19])))
    with pytest.raises(ValueError, match="one shape"):
        effective_learning_rate([[1.0, 2.0]], [[1.0]])


def test_steps_in_learning_rates_measures_each_step_in_units_of_eta():
    path = [[0.0, 1.0], [0.02, 0.99], [0.02, 1.02]]
    np.testing.assert_allclose(steps_in_learning_rates(path, 0.01), [[2.0, 1.0], [0.0, 3.0]])
    # RMSprop's first step from v = 0 is 1/sqrt(1 - rho) learning rates, whatever the gradient's scale.
    for scale in (1e-6, 1.0, 1e6):
        run = minimize(Quadratic([scale]), RMSprop(0.01, rho=0.99, epsilon=0.0), [1.0], 1)
        np.testing.assert_allclose(steps_in_learning_rates(run.params, 0.01)[0], [10.0], rtol=1e-12)
    with pytest.raises(ValueError, match="learning_rate"):
        steps_in_learning_rates(path, 0.0)
    with pytest.raises(ValueError, match="path"):
        steps_in_learning_rates("abc", 0.01)


def test_search_by_steps_breaks_ties_by_final_loss_and_falls_back_to_it():
    # SGD on f = 0.1 x1² + 2 x2² is stable only for η < 2/4 = 0.5; among {0.01, 0.1, 0.4, 0.6}
    # the largest stable rate converges fastest along the flat axis.
    problem, x0 = ill_conditioned_quadratic(), [-4.0, 1.0]
    search = search_learning_rate(problem, SGD, [0.6, 0.01, 0.1, 0.4], x0, 2000, target_loss=1e-6)
    assert search.best_learning_rate == 0.4 and np.isfinite(search.scores[search.best_index])
    # No run reaches 1e-300 in 20 steps: the one that came closest (lowest final loss) wins,
    # not the smallest η.
    short = search_learning_rate(problem, SGD, [0.01, 0.1, 0.4, 0.6], x0, 20, target_loss=1e-300)
    assert np.all(np.isinf(short.scores)) and short.best_learning_rate == 0.4
    assert short.best_score == (np.inf, short.best.final_loss)


def test_largest_stable_learning_rate_of_a_search():
    # Curvature 4: gradient descent diverges for η > 0.5.
    search = search_learning_rate(ill_conditioned_quadratic(), SGD, [0.1, 0.3, 0.45, 0.55, 1.0], [-4.0, 1.0], 500)
    assert search.largest_stable_learning_rate == 0.45
    with pytest.warns(RuntimeWarning, match="every learning rate"):
        diverged = search_learning_rate(LinearChain(depth=5), SGD, [10.0], np.full(5, 3.0), 50)
    assert diverged.largest_stable_learning_rate == 0.0


def test_search_grid_runs_anything_and_keeps_the_lowest_score():
    seen = []

    def run(eta):
        seen.append(eta)
        return {"eta": eta, "loss": (np.log10(eta) + 2) ** 2}

    search = search_grid([1.0, 1e-3, 1e-2, 0.1], run, lambda r: r["loss"], label="toy")
    assert seen == [1e-3, 1e-2, 0.1, 1.0]  # in increasing order
    assert search.best_learning_rate == 1e-2 and search.best == {"eta": 1e-2, "loss": 0.0}
    np.testing.assert_allclose(search.scores, [1.0, 0.0, 1.0, 4.0])
    # ties go to the smaller η
    assert search_grid([0.3, 0.2], lambda eta: eta, lambda r: 1.0).best_learning_rate == 0.2
    with pytest.raises(ValueError, match="score must be a callable"):
        search_grid([0.1], run, "loss")
    with pytest.raises(ValueError, match="learning_rates"):
        search_grid([], run, lambda r: 0.0)
    with pytest.raises(ValueError, match="nan"):
        search_grid([0.1, 0.2], run, lambda r: np.nan)


def test_the_rules_of_a_run_are_shared_by_one_run_and_a_batch():
    nan, inf = np.nan, np.inf
    # the divergence rule, vectorised: loss above the bound or not finite, gradient or θ not finite
    loss = np.array([1.0, 2e12, inf, 1.0, 1.0])
    grad = np.array([[0.0], [0.0], [0.0], [nan], [0.0]])
    theta = np.array([[0.0], [0.0], [0.0], [0.0], [-inf]])
    np.testing.assert_array_equal(diverging(loss, grad, theta, 1e12), [False, True, True, True, True])
    assert not diverging(1.0, np.zeros(2), np.zeros(2), 1e12)
    # records: run 0 reached 0.5 at step 2; run 1 diverged at step 1 (NaN after)
    records = np.array([[3.0, 1.0, 0.5, 0.25], [3.0, 9e12, nan, nan]])
    np.testing.assert_array_equal(last_recorded(records, [NEVER, 1]), [0.25, 9e12])
    np.testing.assert_array_equal(first_below(records, 0.6), [2, NEVER])
    # a Trajectory reads its record with the same functions; None says "never" for one run
    sgd = minimize(Quadratic((1.0,)), SGD(0.5), [1.0], 3)
    assert sgd.first_step_below(0.1) == int(first_below(sgd.loss, 0.1)) and sgd.first_step_below(-1.0) is None
    assert sgd.final_loss == last_recorded(sgd.loss, NEVER)


def test_settled_below_counts_from_the_last_crossing():
    from rmsprop_ref.run import NEVER, settled_below

    loss = np.array(
        [
            [5.0, 0.5, 2.0, 0.5, 0.4, 0.3],  # crosses at 1, back above at 2, settles at 3
            [5.0, 0.5, 0.4, 0.3, 0.2, 2.0],  # ends above: never settles
            [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],  # below from the start
            [5.0, 0.5, np.nan, np.nan, np.nan, np.nan],  # diverged
        ]
    )
    np.testing.assert_array_equal(settled_below(loss, 1.0), [3, NEVER, 0, NEVER])


def test_search_by_settling_ignores_a_lucky_crossing():
    from rmsprop_ref import RMSprop
    from rmsprop_ref.problems import ill_conditioned_quadratic

    q, start = ill_conditioned_quadratic(), [-4.0, 1.0]
    grid = np.geomspace(1e-3, 0.3, 6)
    reach = search_learning_rate(q, RMSprop, grid, start, 1000, target_loss=1e-4)
    settle = search_learning_rate(q, RMSprop, grid, start, 1000, target_loss=1e-4, criterion="settle")
    # the fastest to cross 1e-4 is a rate at which RMSprop oscillates above it at the end
    assert reach.best.final_loss > 1e-4 and reach.criterion == "reach"
    assert settle.best.final_loss <= 1e-4 and settle.criterion == "settle"
    k = settle.best.first_step_settled_below(1e-4)
    assert np.all(settle.best.loss[k:] <= 1e-4) and settle.best.loss[k - 1] > 1e-4
    with pytest.raises(ValueError, match="criterion"):
        search_learning_rate(q, RMSprop, grid, start, 10, target_loss=1e-4, criterion="first")
