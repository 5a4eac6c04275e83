"""Toy problems: analytic gradients against finite differences, batching, minimisers, checks."""

import math

import numpy as np
import pytest

from rmsprop_ref.problems import (
    Beale,
    LinearChain,
    Quadratic,
    RecurrentCliff,
    Rosenbrock,
    SaturatedUnit,
    SigmoidChain,
    ill_conditioned_quadratic,
    sigmoid,
)

PROBLEMS = {
    "quadratic": ill_conditioned_quadratic(),
    "quadratic-45": ill_conditioned_quadratic(45.0),
    "quadratic-3d": Quadratic((1.0, 2.0, 5.0), angle_degrees=30.0),
    "rosenbrock": Rosenbrock(),
    "beale": Beale(),
    "saturated": SaturatedUnit(teacher=(1.5, -0.5)),
    "sigmoid-chain": SigmoidChain(depth=6, teacher_weight=4.0, teacher_bias=-2.0),
    "cliff": RecurrentCliff(unroll=20),
    "linear-chain": LinearChain(depth=8, input=0.5, target=2.0),
}


def central_difference(problem, x, h=1e-6):
    """∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h, coordinate by coordinate."""
    eye = np.eye(problem.dim)
    return np.array([(problem.value(x + h * e) - problem.value(x - h * e)) / (2 * h) for e in eye])


def sample_points(problem, count=4, seed=0):
    rng = np.random.default_rng(seed)
    return problem.minimizer + 0.7 * rng.standard_normal((count, problem.dim))


@pytest.mark.parametrize("name", PROBLEMS)
def test_gradient_matches_finite_differences(name):
    problem = PROBLEMS[name]
    for x in sample_points(problem):
        analytic = problem.grad(x)
        numeric = central_difference(problem, x)
        scale = max(1.0, np.abs(numeric).max())
        np.testing.assert_allclose(analytic, numeric, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("name", PROBLEMS)
def test_batched_inputs_match_one_at_a_time(name):
    problem = PROBLEMS[name]
    batch = sample_points(problem, count=6, seed=1).reshape(2, 3, problem.dim)
    values, grads = problem.value(batch), problem.grad(batch)
    assert values.shape == (2, 3) and grads.shape == (2, 3, problem.dim)
    for i in range(2):
        for j in range(3):
            assert values[i, j] == pytest.approx(float(problem.value(batch[i, j])), rel=1e-12, abs=1e-15)
            np.testing.assert_allclose(grads[i, j], problem.grad(batch[i, j]), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", PROBLEMS)
def test_minimizer_has_the_minimum_and_zero_gradient(name):
    problem = PROBLEMS[name]
    assert problem.minimizer.shape == (problem.dim,)
    assert float(problem.value(problem.minimizer)) == pytest.approx(problem.minimum, abs=1e-14)
    np.testing.assert_allclose(problem.grad(problem.minimizer), 0.0, atol=1e-12)
    # Nearby points are no better: the minimum really is a minimum.
    assert np.all(problem.value(sample_points(problem, count=20, seed=2)) >= problem.minimum - 1e-14)


@pytest.mark.parametrize("name", PROBLEMS)
def test_problem_is_frozen(name):
    problem = PROBLEMS[name]
    with pytest.raises(AttributeError):
        problem.dim = 3
    with pytest.raises(ValueError):
        problem.minimizer[0] = 1.0


def test_quadratic_is_the_book_formula():
    x = np.array([3.0, -2.0])
    assert float(ill_conditioned_quadratic().value(x)) == pytest.approx(0.1 * 9 + 2 * 4)
    rotated = ill_conditioned_quadratic(45.0)
    # Rotating the point with the bowl gives the same value; the Hessian keeps its eigenvalues.
    c = math.sqrt(0.5)
    assert float(rotated.value([c * 3 + c * 2, c * 3 - c * 2])) == pytest.approx(0.1 * 9 + 2 * 4)
    np.testing.assert_allclose(np.linalg.eigvalsh(rotated.hessian), [0.2, 4.0])
    np.testing.assert_allclose(rotated.hessian, [[2.1, -1.9], [-1.9, 2.1]])
    assert rotated.condition_number == pytest.approx(20.0)


def test_rosenbrock_and_beale_known_values():
    assert float(Rosenbrock().value([0.0, 0.0])) == 1.0
    assert float(Rosenbrock(a=2.0, b=1.0).value([0.0, 1.0])) == 5.0
    assert float(Beale().value([0.0, 0.0])) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)


def test_sigmoid_is_stable_and_correct():
    z = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0])
    with np.errstate(all="raise"):
        s = sigmoid(z)
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])), rtol=1e-14)
    assert s[0] == 0.0 and s[-1] == 1.0


def test_saturated_unit_gradient_is_tiny_far_from_the_teacher():
    unit = SaturatedUnit(teacher=(1.0, 0.0))
    saturated = np.array([1.0, -12.0])  # z = w·u − 12 ≤ −10: σ′(z) ≈ e^(−10) or less
    assert float(unit.value(saturated)) > 0.1
    assert np.linalg.norm(unit.grad(saturated)) < 1e-4
    assert np.linalg.norm(unit.grad([0.0, 0.5])) > 1e-2


def test_sigmoid_chain_gradients_vanish_towards_the_input():
    chain = SigmoidChain(depth=12)
    x = np.tile([1.0, 0.0], 12)  # every weight 1, bias 0
    g = chain.grad(x)
    layer_norms = np.array([np.linalg.norm(g[s]) for s in chain.layer_slices])
    assert layer_norms[0] < 1e-5 * layer_norms[-1]
    assert np.all(layer_norms[:-1] < 0.5 * layer_norms[1:])
    # With one input, ∂f/∂b_l = δ_l and each layer back multiplies δ by w·σ′(z) ≤ 1/4 (w = 1).
    single = SigmoidChain(depth=12, inputs=(1.0,))
    bias_grads = np.abs(single.grad(x)[1::2])
    assert np.all(bias_grads[:-1] <= 0.25 * bias_grads[1:] * (1 + 1e-12))
    assert chain.layer_slices[0] == slice(0, 2) and chain.layer_names[-1] == "layer 12"


def test_sigmoid_chain_teacher_carries_the_input_sign_through_depth():
    for depth in (3, 10):
        chain = SigmoidChain(depth=depth)
        np.testing.assert_array_equal(chain.teacher, np.tile([6.0, -3.0], depth))
        # Negative inputs end near the low fixed point of h ↦ σ(6h − 3), positive ones near the high one.
        assert np.all(chain.targets[chain.inputs < 0] < 0.1) and np.all(chain.targets[chain.inputs > 0] > 0.9)


def test_sigmoid_chain_depth_one_is_a_saturated_unit():
    inputs = (-1.0, 0.5, 2.0)
    chain = SigmoidChain(depth=1, teacher_weight=-1.5, teacher_bias=0.5, inputs=inputs)
    unit = SaturatedUnit(teacher=tuple(chain.teacher), inputs=inputs)
    x = np.array([0.3, -0.7])
    assert float(chain.value(x)) == pytest.approx(float(unit.value(x)), rel=1e-14)
    np.testing.assert_allclose(chain.grad(x), unit.grad(x), rtol=1e-13)


def test_recurrent_cliff_has_a_cliff():
    cliff = RecurrentCliff(unroll=50, h0=0.5)
    assert float(cliff.final_state(cliff.teacher)) == pytest.approx(cliff.target)
    # At b_c = h0 − w·σ(h0) the start h0 is the map's unstable fixed point: h_t = h0 for all t,
    # and ∂h_T/∂b = Σ_{k<T} λᵏ = (λᵀ − 1)/(λ − 1) with λ = w·σ′(h0) > 1 (here 1.175).
    w = 5.0
    b_c = 0.5 - w * sigmoid(0.5)
    lam = w * sigmoid(0.5) * (1 - sigmoid(0.5))
    assert lam > 1
    expected_db = 2 * (0.5 - cliff.target) * (lam**50 - 1) / (lam - 1)
    assert float(cliff.final_state([w, b_c])) == pytest.approx(0.5, abs=1e-9)
    assert cliff.grad([w, b_c])[1] == pytest.approx(expected_db, rel=1e-6)
    assert abs(expected_db) > 1e4
    # A hair to either side, h_T has fallen into one of the two stable fixed points: a cliff.
    low, high = cliff.final_state([[w, b_c - 1e-3], [w, b_c + 1e-3]])
    assert high - low > 3.0
    # Away from the cliff the gradient is ordinary.
    assert np.linalg.norm(cliff.grad([w, b_c + 0.5])) < 100


def test_recurrent_cliff_single_step_by_hand():
    cliff = RecurrentCliff(unroll=1, h0=0.5, teacher=(2.0, 0.0))
    w, b = 3.0, 1.0
    h1 = w * sigmoid(0.5) + b
    assert float(cliff.value([w, b])) == pytest.approx((h1 - 2.0 * sigmoid(0.5)) ** 2)


def test_linear_chain_gradient_explodes_with_depth():
    norms = [np.linalg.norm(LinearChain(depth=d).grad(np.full(d, 1.5))) for d in (5, 10, 20)]
    assert norms[0] < norms[1] < norms[2]
    assert norms[2] > 1e6
    chain = LinearChain(depth=4, input=2.0, target=32.0)
    np.testing.assert_allclose(chain.minimizer, 2.0)
    # A zero weight must not break the gradient (no division by w).
    g = chain.grad([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(g, [-32.0 * 1 * 2 * 3 * 2.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Quadratic((1.0, 0.0)), "curvatures"),
        (lambda: Quadratic((1.0,), angle_degrees=10.0), "angle_degrees"),
        (lambda: Rosenbrock(b=-1.0), "b must"),
        (lambda: SaturatedUnit(inputs=(1.0, 1.0)), "inputs"),
        (lambda: SaturatedUnit(teacher=(1.0, 2.0, 3.0)), "teacher"),
        (lambda: SigmoidChain(depth=0), "depth"),
        (lambda: SigmoidChain(depth=3, teacher_bias=np.inf), "teacher_bias"),
        (lambda: RecurrentCliff(unroll=2.5), "unroll"),
        (lambda: LinearChain(depth=3, target=-1.0), "target / input"),
        (lambda: LinearChain(depth=3, input=float("nan")), "input"),
    ],
)
def test_bad_construction_is_a_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_x_is_a_value_error():
    problem = ill_conditioned_quadratic()
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        problem.value(np.zeros(3))
    with pytest.raises(ValueError, match="numbers"):
        problem.grad(np.array(["a", "b"]))
    assert float(problem.value([1, 1])) == pytest.approx(2.1)  # integers are accepted


@pytest.mark.parametrize("name", PROBLEMS)
def test_value_and_grad_agrees_with_value_and_grad_separately(name):
    problem = PROBLEMS[name]
    batch = sample_points(problem, count=5, seed=7)
    value, grad = problem.value_and_grad(batch)
    np.testing.assert_allclose(value, problem.value(batch), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(grad, problem.grad(batch), rtol=1e-14, atol=1e-300)


def test_a_centred_quadratic_is_the_bowl_moved_to_its_center():
    from rmsprop_ref.problems import Quadratic

    moved, origin = Quadratic((0.5, 3.0), 30.0, center=(1.0, -2.0)), Quadratic((0.5, 3.0), 30.0)
    x = np.array([[0.3, 0.7], [1.0, -2.0]])
    np.testing.assert_allclose(moved.value(x), origin.value(x - [1.0, -2.0]), rtol=1e-15)
    np.testing.assert_allclose(moved.grad(x), origin.grad(x - [1.0, -2.0]), rtol=1e-15)
    assert moved.value(moved.minimizer) == 0.0 and tuple(moved.minimizer) == (1.0, -2.0)
    for bad in ((1.0,), (1.0, np.nan), "ab"):
        with pytest.raises(ValueError, match="center"):
            Quadratic((0.5, 3.0), center=bad)
