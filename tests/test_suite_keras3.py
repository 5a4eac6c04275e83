"""Keras 3's own RMSprop tests, ported to rmsprop_ref's "keras" convention.

Source: ``keras/src/optimizers/rmsprop_test.py`` of keras-team/keras at tag v3.15.1 (commit
250b42181ce9f37df68319d8f4753ec89a349a43), class ``RMSpropTest``. Each test below runs
``rmsprop_ref.RMSprop`` built from Keras keywords with ``reference_settings(..., "keras")``
(never Keras itself) and checks it against the suite's golden numbers with the suite's
tolerances. Ported: ``test_single_step``, ``test_weight_decay`` (its two exclusions through
``leaf_options``), ``test_correctness_with_golden``, ``test_clip_norm`` and
``test_clip_value``. Left out: ``test_config``, which checks Keras's get_config /
from_config serialization, not a number.
"""

import numpy as np

from rmsprop_ref import RMSprop
from rmsprop_ref.conventions import reference_settings


def keras_rmsprop(**keras_keywords) -> RMSprop:
    """rmsprop_ref's twin of ``keras.optimizers.RMSprop(**keras_keywords)``."""
    return RMSprop(**reference_settings(keras_keywords, "keras"))


def one_step(optimizer: RMSprop, params, grads):
    """A fresh optimizer state and one update, as a single ``apply_gradients`` call does."""
    new_params, _ = optimizer.update(params, grads, optimizer.init(params))
    return new_params


# Keras's testing.TestCase.assertAllClose(actual, desired) is np.testing.assert_allclose
# with atol = rtol = 1e-6 unless the test passes others (keras/src/testing/test_case.py, v3.15.1).
KERAS_DEFAULT_TOL = dict(rtol=1e-6, atol=1e-6)


def test_single_step():
    # keras/src/optimizers/rmsprop_test.py (v3.15.1), test_single_step
    # Variables are float32 (Keras's floatx); the gradient array is float32 too.
    theta = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    grads = np.array([1.0, 6.0, 7.0, 2.0], np.float32)
    result = one_step(keras_rmsprop(learning_rate=0.5), theta, grads)
    golden = [-0.5811, 0.4189, 1.4189, 2.4189]  # the suite's expected values
    # Tolerance from the suite: assertAllClose(..., rtol=1e-4, atol=1e-4).
    np.testing.assert_allclose(result, golden, rtol=1e-4, atol=1e-4)
    assert result.dtype == np.float32


def test_weight_decay():
    # keras/src/optimizers/rmsprop_test.py (v3.15.1), test_weight_decay. Three fresh
    # optimizers (lr 1.0, weight_decay 0.004) each take one step with a zero gradient: the
    # first on var1; the second on var1 and var2, with var2 excluded by name
    # (exclude_from_weight_decay(var_names=["exclude"])); the third on var1 and var3, with
    # var3 excluded as a variable (var_list=[var3]). Both exclusions are leaf_options here,
    # one by the leaf's name and one by its position. The zero gradient moves nothing, so
    # var1 is decayed three times and var2, var3 not at all.
    zero = np.zeros((), np.float32)
    var1, var2, var3 = (np.array(2.0, np.float32) for _ in range(3))
    var1 = one_step(keras_rmsprop(learning_rate=1.0, weight_decay=0.004), var1, zero)
    by_name = keras_rmsprop(learning_rate=1.0, weight_decay=0.004)
    by_name = RMSprop(
        **{**by_name.hyperparameters(), "leaf_options": lambda path: {"weight_decay": 0.0} if "exclude" in path else {}}
    )
    new = one_step(by_name, {"var1": var1, "exclude": var2}, {"var1": zero, "exclude": zero})
    var1, var2 = new["var1"], new["exclude"]
    by_leaf = keras_rmsprop(learning_rate=1.0, weight_decay=0.004)
    by_leaf = RMSprop(
        **{
            **by_leaf.hyperparameters(),
            "leaf_options": lambda path: {"weight_decay": 0.0} if path == "params[1]" else {},
        }
    )
    var1, var3 = one_step(by_leaf, [var1, var3], [zero, zero])
    # Tolerance from the suite: assertAlmostEqual(..., decimal=6), which Keras's TestCase
    # implements with np.testing.assert_almost_equal.
    np.testing.assert_almost_equal(var1, 1.9760959, decimal=6)
    np.testing.assert_almost_equal(var2, 2.0, decimal=6)
    np.testing.assert_almost_equal(var3, 2.0, decimal=6)


def test_correctness_with_golden():
    # keras/src/optimizers/rmsprop_test.py (v3.15.1), test_correctness_with_golden
    # RMSprop(centered=True) with every other keyword at its default; x = ones(10) as a
    # float32 variable; one first step with the gradient 0.01 everywhere, then the gradient
    # ops.arange(0.1, 1.1, 0.1) (ten values, 0.1 to 1.0) at every later step.
    optimizer = keras_rmsprop(centered=True)
    x = np.ones(10, np.float32)
    ramp = np.arange(0.1, 1.1, 0.1, dtype=np.float32)
    assert ramp.shape == (10,)
    # The suite's golden rows, one value tiled over the ten coordinates.
    golden = np.tile([[0.9967], [0.9933], [0.9908], [0.9885], [0.9864]], (1, 10))

    state = optimizer.init(x)
    x, state = optimizer.update(x, np.full(10, 0.01, np.float32), state)
    for expected in golden:
        # Tolerance from the suite: assertAllClose(x, golden[i], rtol=5e-4, atol=5e-4).
        np.testing.assert_allclose(x, expected, rtol=5e-4, atol=5e-4)
        x, state = optimizer.update(x, ramp, state)


def test_clip_norm():
    # keras/src/optimizers/rmsprop_test.py (v3.15.1), test_clip_norm
    # The suite calls the private Optimizer._clip_gradients; rmsprop_ref's counterpart is
    # RMSprop.prepare_gradients, which runs the same clipping before the update.
    clipped = keras_rmsprop(clipnorm=1).prepare_gradients([np.array([100.0, 100.0])])
    # The suite's expected value, with assertAllClose's default tolerances.
    np.testing.assert_allclose(clipped[0], [2**0.5 / 2, 2**0.5 / 2], **KERAS_DEFAULT_TOL)


def test_clip_value():
    # keras/src/optimizers/rmsprop_test.py (v3.15.1), test_clip_value
    # As test_clip_norm: Optimizer._clip_gradients there, RMSprop.prepare_gradients here.
    clipped = keras_rmsprop(clipvalue=1).prepare_gradients([np.array([100.0, 100.0])])
    np.testing.assert_allclose(clipped[0], [1.0, 1.0], **KERAS_DEFAULT_TOL)
