"""rmsprop_ref.sweep: one batched computation equals a loop of single runs, exactly."""

import numpy as np
import pytest

from rmsprop_ref import RMSprop
from rmsprop_ref.problems import Rosenbrock, ill_conditioned_quadratic
from rmsprop_ref.run import minimize
from rmsprop_ref.sweep import sweep

QUADRATIC = ill_conditioned_quadratic()
X0 = [-4.0, 1.0]


# The parameters must match bit for bit. The losses are compared to a few ulps: the problems
# evaluate f on a batch with einsum, which may round the last bit differently from one row.
LOSS_RTOL = 1e-14


def assert_rows_match_minimize(result, problem, x0, steps, *, preset=None, loss_rtol=LOSS_RTOL, **options):
    """Every grid point against run.minimize with the same RMSprop (the loop sweep replaces)."""
    for i, lr in enumerate(result.learning_rate):
        for j, rho in enumerate(result.rho):
            for k, eps in enumerate(result.epsilon):
                settings = dict(options, learning_rate=float(lr), rho=float(rho), epsilon=float(eps))
                opt = RMSprop.preset(preset, **settings) if preset else RMSprop(**settings)
                traj = minimize(problem, opt, x0, steps)
                row = result.loss[i, j, k, 0]
                if loss_rtol == 0:
                    np.testing.assert_array_equal(row, traj.loss)
                else:
                    np.testing.assert_allclose(row, traj.loss, rtol=loss_rtol)
                np.testing.assert_array_equal(result.final_params[i, j, k, 0], traj.final_params)
                assert result.diverged_at[i, j, k, 0] == (-1 if traj.diverged_at is None else traj.diverged_at)


def test_grid_equals_loop_of_minimize_runs_exactly():
    lrs, rhos, epss = [0.003, 0.03, 0.3, 1.5], [0.5, 0.9, 0.99], [1e-7, 1e-2]
    result = sweep(QUADRATIC, X0, 60, learning_rate=lrs, rho=rhos, epsilon=epss)
    assert result.shape == (4, 3, 2, 1) and result.loss.shape == (4, 3, 2, 1, 61)
    assert result.final_params.shape == (4, 3, 2, 1, 2)
    assert_rows_match_minimize(result, QUADRATIC, X0, 60)


@pytest.mark.parametrize(
    "options",
    [
        dict(centered=True, momentum=0.9),
        dict(momentum=0.5, nesterov=True, lr_in_momentum=False),
        dict(bias_correction=True, epsilon_in_sqrt=False),
        dict(bias_correction=True, centered=True, momentum=0.3),
        dict(weight_decay=0.05),
        dict(weight_decay=0.05, weight_decay_mode="coupled", initial_accumulator=1.0),
    ],
)
def test_every_option_equals_the_loop(options):
    result = sweep(QUADRATIC, X0, 40, learning_rate=[0.01, 0.2], rho=[0.8, 0.95], epsilon=1e-6, **options)
    assert_rows_match_minimize(result, QUADRATIC, X0, 40, **options)


@pytest.mark.parametrize("preset", ["torch", "tf1", "graves2013"])
def test_presets_and_their_defaults(preset):
    result = sweep(QUADRATIC, X0, 30, learning_rate=[0.01, 0.1], preset=preset)
    expected = RMSprop.preset(preset, learning_rate=0.01)
    assert result.rho.tolist() == [expected.rho] and result.epsilon.tolist() == [expected.epsilon]
    assert_rows_match_minimize(result, QUADRATIC, X0, 30, preset=preset)


def test_divergence_is_recorded_like_minimize():
    # Rosenbrock with large steps blows past the bound; einsum may round the batched loss
    # differently in the last bit, so losses are compared to 1e-12 and parameters exactly.
    problem = Rosenbrock()
    result = sweep(
        problem, [-1.5, 2.0], 80, learning_rate=[1e-3, 0.5, 3.0], rho=[0.0, 0.9], epsilon=1e-7, divergence_bound=1e4
    )
    assert result.diverged.any() and not result.diverged.all()
    for i, lr in enumerate(result.learning_rate):
        for j, rho in enumerate(result.rho):
            traj = minimize(problem, RMSprop(float(lr), rho=float(rho)), [-1.5, 2.0], 80, divergence_bound=1e4)
            np.testing.assert_allclose(result.loss[i, j, 0, 0], traj.loss, rtol=1e-12)
            np.testing.assert_array_equal(result.final_params[i, j, 0, 0], traj.final_params)
            assert result.diverged_at[i, j, 0, 0] == (-1 if traj.diverged_at is None else traj.diverged_at)
            assert result.final_loss[i, j, 0, 0] == pytest.approx(traj.final_loss, rel=1e-12)


def test_seeds_and_gradient_noise_match_a_hand_written_loop_in_float32():
    sigma, steps = 0.5, 25
    result = sweep(
        QUADRATIC, X0, steps, learning_rate=[0.01, 0.1], rho=0.9, seeds=[3, 7], gradient_noise=sigma, dtype=np.float32
    )
    for i, lr in enumerate(result.learning_rate):
        for s, seed in enumerate([3, 7]):
            opt, rng = RMSprop(float(lr)), np.random.default_rng(seed)
            x = np.array(X0, dtype=np.float32)
            state = opt.init(x)
            losses = [QUADRATIC.value(x)]
            for _ in range(steps):
                g = (QUADRATIC.grad(x) + sigma * rng.standard_normal(2)).astype(np.float32)
                x, state = opt.update(x, g, state)
                losses.append(QUADRATIC.value(x))
            np.testing.assert_array_equal(result.final_params[i, 0, 0, s], x)
            np.testing.assert_allclose(result.loss[i, 0, 0, s], losses, rtol=LOSS_RTOL)
    # Different seeds give different runs; the same seed gives every η the same noise draws.
    assert not np.array_equal(result.loss[0, 0, 0, 0], result.loss[0, 0, 0, 1])


def test_first_step_below_and_final_loss():
    result = sweep(QUADRATIC, X0, 200, learning_rate=[1e-4, 0.05], rho=0.9)
    hits = result.first_step_below(1e-2)
    assert hits[0, 0, 0, 0] == -1  # η = 1e-4 moves about 0.02 in 200 steps: never there
    k = hits[1, 0, 0, 0]
    assert k > 0 and result.loss[1, 0, 0, 0, k] <= 1e-2 < result.loss[1, 0, 0, 0, k - 1]
    np.testing.assert_array_equal(result.final_loss, result.loss[..., -1])


def test_twenty_by_twenty_grid_has_one_row_per_setting():
    # How long this grid takes is a benchmark figure (benchmarks/step.py prints it), not a test.
    result = sweep(QUADRATIC, X0, 500, learning_rate=np.geomspace(1e-3, 1.0, 20), rho=np.linspace(0.5, 0.999, 20))
    assert result.final_loss.shape == (20, 20, 1, 1)
    assert np.isfinite(result.final_loss).all() and not result.diverged.any()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(learning_rate=[0.1, -1.0]), "learning_rate"),
        (dict(learning_rate=0.1, rho=[0.9, 1.0]), "rho"),
        (dict(learning_rate=0.1, epsilon=-1.0), "epsilon"),
        (dict(learning_rate=0.1, seeds=[1.5]), "seeds"),
        (dict(learning_rate=0.1, gradient_noise=-1.0), "gradient_noise"),
        (dict(learning_rate=lambda step: 0.1), "schedules"),
        (dict(learning_rate=0.1, preset="keras2"), "preset"),
        (dict(learning_rate=0.1, dtype=np.float16), "dtype"),
        (dict(learning_rate=[[0.1]]), "learning_rate"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sweep(QUADRATIC, X0, 5, **kwargs)


def test_bad_x0_and_steps():
    with pytest.raises(ValueError, match="x0"):
        sweep(QUADRATIC, [1.0, 2.0, 3.0], 5, learning_rate=0.1)
    with pytest.raises(ValueError, match="steps"):
        sweep(QUADRATIC, X0, -1, learning_rate=0.1)


def test_zero_epsilon_on_the_grid_matches_the_loop():
    # x0 on an axis: the other coordinate's gradient is exactly 0 throughout.
    result = sweep(QUADRATIC, [0.0, 1.0], 30, learning_rate=[0.01, 0.1], rho=0.9, epsilon=[0.0, 1e-7])
    assert np.all(np.isfinite(result.loss))
    assert_rows_match_minimize(result, QUADRATIC, [0.0, 1.0], 30)


def test_smallest_learning_rate_that_arrives_in_time():
    # The chapter's exercise: on ρ = 0.9, which η first gets f below 1e-2 within 200 steps?
    # x₁ must travel from −4 to within √(0.01/0.1) ≈ 0.32 of 0 at about η per step, so η ≳ 3.7/200.
    result = sweep(QUADRATIC, X0, 200, learning_rate=np.geomspace(1e-3, 1, 40), rho=0.9)
    hits = result.first_step_below(1e-2)[:, 0, 0, 0]
    first = np.flatnonzero(hits >= 0)[0]
    assert 0.018 <= result.learning_rate[first] <= 0.025 and 150 < hits[first] <= 200
    assert np.all(hits[first:] >= 0)  # every larger η gets there too
