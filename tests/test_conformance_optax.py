"""rmsprop_ref's "optax" preset against optax.rmsprop (run eagerly on JAX's CPU), for real.

centered × momentum × Nesterov × bias correction × ε inside/outside the root, the defaults,
a non-zero ``initial_scale``, and a schedule with momentum. Agreement is a few float32 ulps,
not bit for bit: Optax multiplies g by a precomputed 1/√v (XLA's ``rsqrt`` when ε is inside
the root) and then by −η, where rmsprop_ref divides η·g by √v as Keras and PyTorch do.
"""

import itertools

import numpy as np
import pytest

from rmsprop_ref import RMSprop, schedules
from rmsprop_ref.book.frameworks import run_optax, run_reference

CASES = [
    (centered, momentum, nesterov, bias_correction, eps_in_sqrt)
    for centered, momentum, nesterov, bias_correction, eps_in_sqrt in itertools.product(
        [False, True], [None, 0.9], [False, True], [False, True], [True, False]
    )
    if not (nesterov and momentum is None)
    # Centered + bias correction + ε outside the root is left out: after the first step the
    # centered variance v̂ − m̂² is exactly 0 in exact arithmetic, rounding makes it ±1e-7·g²,
    # and √ of a negative number is NaN in Optax and NumPy alike (see the last test).
    and not (centered and bias_correction and not eps_in_sqrt)
]


@pytest.fixture(scope="module")
def optax():
    import optax  # imported once; a missing Optax/JAX is an error, not a skip

    return optax


@pytest.mark.parametrize("centered, momentum, nesterov, bias_correction, eps_in_sqrt", CASES)
def test_optax_matrix(
    optax, conformance, conformance_problem, centered, momentum, nesterov, bias_correction, eps_in_sqrt
):
    # ε = 1e-3 rather than Optax's 1e-8, so that where ε sits matters to the result.
    # Centered + bias correction: after the first step v̂ − m̂² is 0 up to rounding noise
    # (about 1e-7·g², either sign) next to ε inside the root; ε = 1e-2 keeps that first step
    # well conditioned (at ε = 1e-8 both sides would divide noise by √ε).
    eps = 1e-2 if centered and bias_correction else 1e-3
    common = dict(learning_rate=0.01, centered=centered, nesterov=nesterov, bias_correction=bias_correction)
    actual = run_optax(*conformance_problem, eps=eps, momentum=momentum, eps_in_sqrt=eps_in_sqrt, **common)
    case = (
        f"centered={centered} momentum={momentum} nesterov={nesterov} bias_correction={bias_correction} "
        f"eps_in_sqrt={eps_in_sqrt} eps={eps:g}"
    )
    conformance.matches(
        "optax",
        case,
        actual,
        conformance_problem,
        epsilon=eps,
        momentum=momentum or 0.0,
        epsilon_in_sqrt=eps_in_sqrt,
        **common,
    )


def test_optax_conformance_tells_conventions_apart(optax, conformance, conformance_problem):
    # The matrix would catch a wrong convention: each one-option change to the preset is
    # off by more than ten times the tolerance.
    common = dict(learning_rate=0.01, momentum=0.9, nesterov=True, bias_correction=True)
    actual = run_optax(*conformance_problem, eps=1e-3, **common)
    conformance.tells_apart(
        "optax",
        actual,
        conformance_problem,
        {**common, "epsilon": 1e-3},
        [dict(epsilon_in_sqrt=False), dict(bias_correction=False), dict(nesterov=False)],
    )


def test_optax_defaults(optax, conformance, conformance_problem):
    # Optax fixes no η; everything else at its defaults (decay 0.9, ε 1e-8 inside, no momentum).
    conformance.matches(
        "optax",
        "defaults (learning_rate=0.001)",
        run_optax(*conformance_problem, learning_rate=0.001),
        conformance_problem,
        learning_rate=0.001,
    )


def test_optax_initial_scale(optax, conformance, conformance_problem):
    # initial_scale is where v starts (TF1 uses 1); rmsprop_ref calls it initial_accumulator.
    actual = run_optax(*conformance_problem, learning_rate=0.01, initial_scale=1.0, momentum=0.9)
    conformance.matches(
        "optax",
        "initial_scale=1.0 momentum=0.9",
        actual,
        conformance_problem,
        learning_rate=0.01,
        initial_accumulator=1.0,
        momentum=0.9,
    )


def test_optax_schedule_with_momentum_puts_lr_inside_the_trace(optax, conformance, conformance_problem):
    # Optax scales by −η_t before `trace`, so η sits inside the momentum buffer (like Keras).
    schedule = schedules.CosineDecay(0.05, decay_steps=40, alpha=0.05)
    actual = run_optax(*conformance_problem, learning_rate=schedule, momentum=0.9, nesterov=True)
    settings = dict(learning_rate=schedule, momentum=0.9, nesterov=True)
    conformance.matches(
        "optax", "CosineDecay schedule, momentum=0.9, nesterov", actual, conformance_problem, **settings
    )
    assert conformance.distance("optax", actual, conformance_problem, lr_in_momentum=False, **settings) > 1e-2


def test_optax_float64_without_x64_is_an_error(optax):
    with pytest.raises(ValueError, match="jax_enable_x64"):
        run_optax(np.zeros(3), [np.ones(3)], learning_rate=0.1)


def test_centered_bias_corrected_first_step_is_degenerate(optax):
    # Why the matrix leaves out centered + bias correction with ε outside the root: after one
    # step v̂ = g² and m̂ = g, so v̂ − m̂² = 0 up to rounding, and the first step divides
    # g by √(rounding noise) + ε. Optax takes absurd first steps (or NaN where the noise is
    # negative), hundreds of times the η = 0.01 that a sound RMSprop step is bounded by here.
    # A property of the formula, not a disagreement. rmsprop_ref's rounding gives NaN on this
    # input, and it refuses to return a non-finite step.
    theta0 = np.zeros(16, np.float32)
    grads = [np.float32(0.3) * np.linspace(0.5, 2, 16, dtype=np.float32)]
    settings = dict(learning_rate=0.01, centered=True, bias_correction=True)
    framework = run_optax(theta0, grads, eps_in_sqrt=False, **settings)
    assert np.all(np.isnan(framework[0]) | (np.abs(framework[0]) > 100 * 0.01))
    with np.errstate(invalid="ignore"), pytest.raises(FloatingPointError, match=r"step 0 would make params"):
        run_reference(RMSprop.preset("optax", epsilon_in_sqrt=False, **settings), theta0, grads)


def test_optax_inject_hyperparams_changed_mid_run(optax, conformance, conformance_problem):
    # optax.inject_hyperparams keeps learning_rate, decay, eps and momentum in the state; the
    # loop lowers the learning rate and the decay halfway. InjectHyperparams does the same.
    import jax.numpy as jnp
    import numpy as np

    from rmsprop_ref import RMSprop
    from rmsprop_ref.inject import InjectHyperparams

    params0, grads = conformance_problem
    optimizer = optax.inject_hyperparams(optax.rmsprop)(learning_rate=0.01, decay=0.9, eps=1e-3, momentum=0.9)
    ours = InjectHyperparams(RMSprop.preset("optax", learning_rate=0.01, epsilon=1e-3, momentum=0.9))
    params, state = [jnp.asarray(p) for p in params0], optimizer.init([jnp.asarray(p) for p in params0])
    mine, my_state = [p.copy() for p in params0], ours.init([p.copy() for p in params0])
    actual, expected = [], []
    for step, g in enumerate(grads):
        if step == len(grads) // 2:
            state.hyperparams["learning_rate"] = jnp.asarray(0.003, jnp.float32)
            state.hyperparams["decay"] = jnp.asarray(0.5, jnp.float32)
            my_state = my_state._replace(hyperparams={**my_state.hyperparams, "learning_rate": 0.003, "rho": 0.5})
        updates, state = optimizer.update([jnp.asarray(x) for x in g], state, params)
        params = optax.apply_updates(params, updates)
        mine, my_state = ours.update(mine, g, my_state)
        actual.append([np.asarray(p) for p in params])
        expected.append(mine)
    stack = lambda history: [np.stack([h[i] for h in history]) for i in range(2)]  # noqa: E731
    conformance.check("optax", "inject_hyperparams, lr and decay changed halfway", stack(actual), stack(expected))
