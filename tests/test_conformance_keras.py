"""rmsprop_ref's "keras" preset against keras.optimizers.RMSprop (Keras 3), for real.

Every combination of centered × momentum × weight decay, the defaults, and a schedule with
momentum. In float32 the two agree bit for bit on this machine: the reference evaluates
(η·g)/√den and θ·wd·η in Keras's order. The check itself is rtol 1e-5 (see conftest).
"""

import itertools

import numpy as np
import pytest

from rmsprop_ref import RMSprop, schedules
from rmsprop_ref.book.frameworks import run_keras, run_reference


@pytest.fixture(scope="module")
def keras():
    import keras  # imported once for this module; a missing Keras is an error, not a skip

    return keras


@pytest.mark.parametrize(
    "centered, momentum, weight_decay", list(itertools.product([False, True], [0.0, 0.9], [None, 0.1]))
)
def test_keras_matrix(keras, conformance, conformance_problem, centered, momentum, weight_decay):
    # ε = 1e-3 rather than Keras's 1e-7, so that where ε sits matters to the result.
    settings = dict(learning_rate=0.01, epsilon=1e-3, centered=centered, momentum=momentum)
    actual = run_keras(*conformance_problem, weight_decay=weight_decay, **settings)
    conformance.matches(
        "keras",
        f"centered={centered} momentum={momentum} weight_decay={weight_decay}",
        actual,
        conformance_problem,
        weight_decay=weight_decay or 0.0,
        **settings,
    )


def test_keras_conformance_tells_conventions_apart(keras, conformance, conformance_problem):
    # The matrix would catch a wrong convention: each one-option change to the preset is
    # off by more than ten times the tolerance.
    settings = dict(learning_rate=0.01, epsilon=1e-3, momentum=0.9, weight_decay=0.1)
    actual = run_keras(*conformance_problem, **settings)
    conformance.tells_apart(
        "keras",
        actual,
        conformance_problem,
        settings,
        [dict(epsilon_in_sqrt=False), dict(weight_decay_mode="coupled"), dict(rho=0.95)],
    )


def test_keras_defaults(keras, conformance, conformance_problem):
    # No arguments on either side: the preset's defaults are Keras's defaults.
    conformance.matches("keras", "defaults", run_keras(*conformance_problem), conformance_problem)


def test_keras_schedule_with_momentum_puts_lr_inside_the_buffer(keras, conformance, conformance_problem):
    # Keras adds η_t·g/√den to the buffer, so a changing η only scales the newest term.
    schedule = schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5)
    actual = run_keras(*conformance_problem, learning_rate=schedule, momentum=0.9)
    conformance.matches(
        "keras",
        "ExponentialDecay schedule, momentum=0.9",
        actual,
        conformance_problem,
        learning_rate=schedule,
        momentum=0.9,
    )
    # The other convention (η outside the buffer, PyTorch's) really is different here.
    outside = conformance.distance(
        "keras", actual, conformance_problem, learning_rate=schedule, momentum=0.9, lr_in_momentum=False
    )
    assert outside > 1e-2


def test_keras_docstring_example_through_keras(keras):
    # Keras's RMSprop docstring: η = 0.1, θ = 10, loss θ²/2 (gradient θ) -> 9.683772.
    theta = run_keras(np.array([10.0], np.float32), lambda p: p, steps=1, learning_rate=0.1)
    np.testing.assert_allclose(theta[0], [9.683772], rtol=1e-6)


def test_keras_unit_test_example_through_keras(keras):
    # Keras's own unit test: RMSprop(0.5), θ = [1, 2, 3, 4], g = [1, 6, 7, 2], one step.
    theta0 = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    grads = [np.array([1.0, 6.0, 7.0, 2.0], np.float32)]
    actual = run_keras(theta0, grads, learning_rate=0.5)
    np.testing.assert_allclose(actual[0], [-0.5811, 0.4189, 1.4189, 2.4189], atol=1e-4)
    np.testing.assert_array_equal(actual, run_reference(RMSprop.preset("keras", learning_rate=0.5), theta0, grads))


@pytest.mark.parametrize(
    "options",
    [
        dict(clipnorm=1.0),
        dict(global_clipnorm=2.0),
        dict(clipvalue=0.5),
        dict(loss_scale_factor=64.0),
        # clipping runs before the decoupled weight decay and the momentum step
        dict(clipnorm=1.0, weight_decay=0.1, momentum=0.9),
    ],
    ids=lambda options: " ".join(f"{k}={v}" for k, v in options.items()),
)
def test_keras_gradient_options(keras, conformance, conformance_problem, options):
    # The problem's gradients range over two decades around 1, so each clip acts on some steps.
    settings = dict(learning_rate=0.01, epsilon=1e-3, **options)
    actual = run_keras(*conformance_problem, **settings)
    case = " ".join(f"{k}={v}" for k, v in options.items())
    conformance.matches("keras", case, actual, conformance_problem, **settings)
    # and the option matters: without it the run is elsewhere
    without = {k: v for k, v in settings.items() if k not in options}
    assert conformance.distance("keras", actual, conformance_problem, **without) > 10 * conformance.rtol


def test_keras_exclude_from_weight_decay(keras, conformance, conformance_problem):
    # exclude_from_weight_decay(var_names=["bias"]): the variable named "bias" takes no decay.
    import numpy as np

    from rmsprop_ref import RMSprop
    from rmsprop_ref.book.frameworks import run_reference

    params0, grads = conformance_problem
    variables = [keras.Variable(p, name=name) for p, name in zip(params0, ("kernel", "bias"))]
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01, epsilon=1e-3, weight_decay=0.1, momentum=0.9)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    history = []
    for step_grads in grads:
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in step_grads], variables)
        history.append([np.array(v.numpy()) for v in variables])
    actual = [np.stack([h[i] for h in history]) for i in range(2)]
    reference = RMSprop.preset(
        "keras",
        learning_rate=0.01,
        epsilon=1e-3,
        weight_decay=0.1,
        momentum=0.9,
        leaf_options=lambda path: {"weight_decay": 0.0} if path == "params[1]" else {},
    )
    conformance.check(
        "keras", "exclude_from_weight_decay(var_names=['bias'])", actual, run_reference(reference, params0, grads)
    )
    # and the exclusion matters
    everything = RMSprop.preset("keras", learning_rate=0.01, epsilon=1e-3, weight_decay=0.1, momentum=0.9)
    from rmsprop_ref.book.frameworks import relative_error

    assert relative_error(actual, run_reference(everything, params0, grads)) > 10 * conformance.rtol


@pytest.mark.parametrize(
    "options",
    [
        dict(use_ema=True, ema_momentum=0.9),
        dict(use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=7),
        dict(gradient_accumulation_steps=3),
        dict(gradient_accumulation_steps=4, momentum=0.9, clipnorm=1.0, loss_scale_factor=8.0),
        dict(gradient_accumulation_steps=2, use_ema=True, ema_overwrite_frequency=5, weight_decay=0.1),
    ],
    ids=lambda options: " ".join(f"{k}={v}" for k, v in options.items()),
)
def test_keras_training_options(keras, conformance, conformance_problem, options):
    # Keras's EMA and gradient accumulation, run by Keras's own optimizer.apply loop.
    settings = dict(learning_rate=0.01, epsilon=1e-3, **options)
    actual = run_keras(*conformance_problem, **settings)
    case = " ".join(f"{k}={v}" for k, v in options.items())
    conformance.matches("keras", case, actual, conformance_problem, **settings)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_keras_half_precision_variables(keras, conformance_problem, dtype):
    # Keras keeps RMSprop's buffers in the variable's dtype and computes in it; so does
    # rmsprop_ref. On the machine that wrote this test the two runs were bit-identical over
    # these 10 steps in both dtypes; the bound allows a few units in the last place of the
    # dtype (eps = 2^-10 for float16, 2^-7 for bfloat16) for other TensorFlow kernels.
    import ml_dtypes
    import numpy as np

    from rmsprop_ref import RMSprop
    from rmsprop_ref.book.frameworks import relative_error

    np_dtype = np.dtype(np.float16) if dtype == "float16" else np.dtype(ml_dtypes.bfloat16)
    params0, grads = conformance_problem
    params0 = [p.astype(np_dtype) for p in params0]
    grads = [[g.astype(np_dtype) for g in step] for step in grads[:10]]
    settings = dict(learning_rate=0.01, epsilon=1e-3, momentum=0.9)
    actual = run_keras(params0, grads, **settings)
    expected = run_reference(RMSprop.preset("keras", **settings), params0, grads)
    assert all(a.dtype == np_dtype for a in actual)
    eps = float(ml_dtypes.finfo(np_dtype).eps)
    assert relative_error(actual, expected) < 4 * eps
