"""rmsprop_ref's "optax" preset against optax.rmsprop (run eagerly on JAX's CPU), for real.

centered × momentum × Nesterov × bias correction × ε inside/outside the root, a non-zero
``initial_scale``, and a schedule with momentum. With ε outside the root the two agree bit
for bit; with ε inside, XLA's ``rsqrt`` rounds differently from NumPy's 1/√x by an ulp.
"""

import itertools

import numpy as np
import pytest

from rmsprop_ref import RMSprop, schedules
from rmsprop_ref.frameworks import relative_error, run_optax, run_reference

CASES = [
    (centered, momentum, nesterov, bias_correction, eps_in_sqrt)
    for centered, momentum, nesterov, bias_correction, eps_in_sqrt in itertools.product(
        [False, True], [None, 0.9], [False, True], [False, True], [True, False])
    if not (nesterov and momentum is None)
    # Centered + bias correction + ε outside the root is left out: after the first step the
    # centered variance v̂ − m̂² is exactly 0 in exact arithmetic, rounding makes it ±1e-7·g²,
    # and √ of a negative number is NaN in Optax and NumPy alike (see the test below).
    and not (centered and bias_correction and not eps_in_sqrt)
]


@pytest.fixture(scope="module")
def optax():
    import optax  # imported once; a missing Optax/JAX is an error, not a skip

    return optax


@pytest.mark.parametrize("centered, momentum, nesterov, bias_correction, eps_in_sqrt", CASES)
def test_optax_matrix(optax, conformance, conformance_problem, centered, momentum, nesterov, bias_correction,
                      eps_in_sqrt):
    params0, grads = conformance_problem
    # Centered + bias correction: after the first step v̂ = g² and m̂ = g exactly, so the
    # centered variance v̂ − m̂² is 0 and only rounding noise (about 1e-7·g², of either sign)
    # sits next to ε inside the root. At ε = 1e-8 both sides divide noise by √ε:
    # ill-conditioned, not a disagreement. ε = 1e-2 makes that first step well defined.
    eps = 1e-2 if centered and bias_correction else 1e-3  # not 1e-8: ε's placement must matter
    actual = run_optax(params0, grads, learning_rate=0.01, decay=0.9, eps=eps, centered=centered, momentum=momentum,
                       nesterov=nesterov, bias_correction=bias_correction, eps_in_sqrt=eps_in_sqrt)
    reference = RMSprop.preset("optax", learning_rate=0.01, epsilon=eps, centered=centered, momentum=momentum or 0.0,
                               nesterov=nesterov, bias_correction=bias_correction, epsilon_in_sqrt=eps_in_sqrt)
    case = (f"centered={centered} momentum={momentum} nesterov={nesterov} bias_correction={bias_correction} "
            f"eps_in_sqrt={eps_in_sqrt} eps={eps:g}")
    conformance.check("optax", case, actual, run_reference(reference, params0, grads))


def test_optax_conformance_tells_conventions_apart(optax, conformance, conformance_problem):
    # The matrix would catch a wrong convention: each one-option change to the preset is
    # off by more than ten times the tolerance.
    params0, grads = conformance_problem
    actual = run_optax(params0, grads, learning_rate=0.01, eps=1e-3, momentum=0.9, nesterov=True, bias_correction=True)
    settings = dict(learning_rate=0.01, epsilon=1e-3, momentum=0.9, nesterov=True, bias_correction=True)
    for wrong in (dict(epsilon_in_sqrt=False), dict(bias_correction=False), dict(nesterov=False)):
        expected = run_reference(RMSprop.preset("optax", **{**settings, **wrong}), params0, grads)
        assert relative_error(actual, expected) > 10 * conformance.rtol, wrong


def test_optax_defaults(optax, conformance, conformance_problem):
    # Optax fixes no η; everything else at its defaults (decay 0.9, ε 1e-8 inside, no momentum).
    params0, grads = conformance_problem
    conformance.check("optax", "defaults (learning_rate=0.001)", run_optax(params0, grads, learning_rate=0.001),
                      run_reference(RMSprop.preset("optax", learning_rate=0.001), params0, grads))


def test_optax_initial_scale(optax, conformance, conformance_problem):
    # initial_scale is where v starts (TF1 uses 1); rmsprop_ref calls it initial_accumulator.
    params0, grads = conformance_problem
    actual = run_optax(params0, grads, learning_rate=0.01, initial_scale=1.0, momentum=0.9)
    reference = RMSprop.preset("optax", learning_rate=0.01, initial_accumulator=1.0, momentum=0.9)
    conformance.check("optax", "initial_scale=1.0 momentum=0.9", actual, run_reference(reference, params0, grads))


def test_optax_schedule_with_momentum_puts_lr_inside_the_trace(optax, conformance, conformance_problem):
    # Optax scales by −η_t before `trace`, so η sits inside the momentum buffer (like Keras).
    params0, grads = conformance_problem
    schedule = schedules.CosineDecay(0.05, decay_steps=40, alpha=0.05)
    actual = run_optax(params0, grads, learning_rate=schedule, momentum=0.9, nesterov=True)
    inside = run_reference(RMSprop.preset("optax", learning_rate=schedule, momentum=0.9, nesterov=True), params0, grads)
    conformance.check("optax", "CosineDecay schedule, momentum=0.9, nesterov", actual, inside)
    outside = run_reference(RMSprop.preset("optax", learning_rate=schedule, momentum=0.9, nesterov=True,
                                           lr_in_momentum=False), params0, grads)
    assert relative_error(actual, outside) > 1e-2


def test_optax_float64_without_x64_is_an_error(optax):
    with pytest.raises(ValueError, match="jax_enable_x64"):
        run_optax(np.zeros(3), [np.ones(3)], learning_rate=0.1)


def test_centered_bias_corrected_first_step_is_degenerate(optax):
    # Why the matrix leaves out centered + bias correction with ε outside the root: after one
    # step v̂ = g² and m̂ = g, so v̂ − m̂² = 0 up to rounding, and the first step divides
    # g by √(rounding noise) + ε. Optax and rmsprop_ref both take absurd first steps (or NaN
    # where the noise is negative), hundreds of times the η = 0.01 that a sound RMSprop
    # step is bounded by here. A property of the formula, not a disagreement.
    theta0 = np.zeros(16, np.float32)
    grads = [np.float32(0.3) * np.linspace(0.5, 2, 16, dtype=np.float32)]
    settings = dict(learning_rate=0.01, centered=True, bias_correction=True)
    framework = run_optax(theta0, grads, eps_in_sqrt=False, **settings)
    with np.errstate(invalid="ignore"):
        reference = run_reference(RMSprop.preset("optax", epsilon_in_sqrt=False, **settings), theta0, grads)
    for first_step in (framework[0], reference[0]):
        assert np.all(np.isnan(first_step) | (np.abs(first_step) > 100 * 0.01))
