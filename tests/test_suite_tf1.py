"""TensorFlow's own tests of TF1's RMSPropOptimizer, ported to rmsprop_ref's "tf1" convention.

Source: ``tensorflow/python/training/rmsprop_test.py`` of tensorflow/tensorflow, class
``RMSPropOptimizerTest``, as read from the newest v2.x revision available here (the
TensorFlow repository was too large to fetch and check out tag v2.21.0 itself; the revision
read imports ``indexed_slices`` and decorates with ``test_util.run_deprecated_v1``, the
layout of the v2.x releases). Each test runs ``rmsprop_ref.RMSprop`` built from TF1 keywords
with ``reference_settings(..., "tf1")`` (never TensorFlow itself) against the suite's
expected numbers, or against a NumPy re-expression of the suite's reference update, with
the suite's tolerances. Ported: ``testDense``, ``testSparse`` (its IndexedSlices gradients
as ``rmsprop_ref.sparse_gradients.SparseRows``: the "tf1" settings update lazily, only the
rows named, as TF1 does), ``testMinimizeSparseResourceVariable``,
``testMinimizeSparseResourceVariableCentered`` (their gradient covers the variable's only
row, so the sparse update is the dense one), ``testWithoutMomentum``, ``testWithMomentum``
and ``testCallableParams`` (in part: only η as a callable). Two checks inside ported tests
have no counterpart: the momentum slot at μ = 0 (TF1 always allocates it, rmsprop_ref
allocates no buffer when μ = 0) and the suite's ``use_resource`` flag (Variable vs
ResourceVariable), which only doubles two of ``testDense``'s configurations (``testSparse``
ignores it, so there the two rows are repeated runs).
"""

import math
from typing import NamedTuple

import numpy as np
import pytest

from rmsprop_ref import RMSprop
from rmsprop_ref.conventions import reference_settings
from rmsprop_ref.sparse_gradients import SparseRows


def tf1_rmsprop(**tf1_keywords) -> RMSprop:
    """rmsprop_ref's twin of ``tf.compat.v1.train.RMSPropOptimizer(**tf1_keywords)``."""
    return RMSprop(**reference_settings(tf1_keywords, "tf1"))


def assert_close_according_to_type(expected, actual, *, atol=None):
    """TensorFlow's assertAllCloseAccordingToType(expected, actual[, atol]) in NumPy.

    From tensorflow/python/framework/test_util.py (as installed with TF 2.21): rtol and atol
    default to 1e-6; if either side is float32 they become at least 1e-6 (float_rtol /
    float_atol), if either side is float16 at least 1e-3 (half_rtol / half_atol). The check
    is np.allclose(expected, actual, ...), |expected − actual| ≤ atol + rtol·|actual|, which
    np.testing.assert_allclose computes with the two in this order.
    """
    expected, actual = np.asarray(expected), np.asarray(actual)
    rtol = 1e-6
    atol = 1e-6 if atol is None else atol
    dtypes = (expected.dtype, actual.dtype)
    if np.dtype(np.float32) in dtypes:
        rtol, atol = max(rtol, 1e-6), max(atol, 1e-6)
    if np.dtype(np.float16) in dtypes:
        rtol, atol = max(rtol, 1e-3), max(atol, 1e-3)
    assert expected.shape == actual.shape
    np.testing.assert_allclose(expected, actual, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- testDense


class Slots(NamedTuple):
    """One variable's TF1 slots: "rms" (v), "mg" (m, centered only) and "momentum" (b)."""

    rms: np.ndarray
    mg: np.ndarray
    momentum: np.ndarray


class Config(NamedTuple):
    learning_rate: float
    decay: float
    momentum: float
    epsilon: float
    centered: bool


def suite_reference_step(theta, g, slots: Slots, c: Config):
    """One TF1 RMSProp step, in the arrays' own dtype, as the suite's reference computes it.

    Re-expresses RMSPropOptimizerTest._rmsprop_update_numpy: v, then (centered) m, then the
    radicand (v + ε) − m², then b ← μ·b + η·g/√radicand and θ ← θ − b. The operations are
    kept in the suite's order, so float16 rounds as its expected values do.
    """
    rms = slots.rms * c.decay + (1 - c.decay) * g * g
    radicand = rms + c.epsilon
    mg = slots.mg
    if c.centered:
        mg = mg * c.decay + (1 - c.decay) * g
        radicand = radicand - mg * mg
    buffer = c.momentum * slots.momentum + c.learning_rate * g / np.sqrt(radicand)
    return theta - buffer, Slots(rms, mg, buffer)


# The suite's _TEST_PARAM_VALUES (learning_rate, decay, momentum, epsilon, centered), with
# its use_resource column dropped: rows 3 and 4 of the suite repeat rows 1 and 2 with
# use_resource=True and are the same case here.
DENSE_CONFIGS = [
    Config(0.5, 0.9, 0.0, 1e-3, True),
    Config(0.5, 0.9, 0.0, 1e-3, False),
    Config(0.1, 0.9, 0.0, 1e-3, True),
    Config(0.5, 0.95, 0.0, 1e-3, False),
    Config(0.5, 0.95, 0.0, 1e-5, True),
    Config(0.5, 0.95, 0.9, 1e-5, True),
]


@pytest.mark.parametrize("config", DENSE_CONFIGS, ids=lambda c: "lr{}-decay{}-mom{}-eps{}-centered{}".format(*c))
@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["half", "float32"])  # the suite's _DATA_TYPES
def test_dense(dtype, config):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testDense
    thetas = [np.array([1.0, 2.0], dtype), np.array([3.0, 4.0], dtype)]
    grads = [np.array([0.1, 0.2], dtype), np.array([0.01, 0.2], dtype)]
    optimizer = tf1_rmsprop(**config._asdict())
    state = optimizer.init(thetas)
    # The suite asserts that the "mg" slot exists exactly when centered.
    assert (state.mean_grad is not None) == config.centered
    # The reference starts from TF1's slot values: v = 1, m = 0, b = 0.
    expected = [(theta, Slots(np.ones(2, dtype), np.zeros(2, dtype), np.zeros(2, dtype))) for theta in thetas]

    params = thetas
    for _ in range(4):  # the suite runs 4 steps and checks after each
        params, state = optimizer.update(params, grads, state)
        expected = [suite_reference_step(theta, g, slots, config) for (theta, slots), g in zip(expected, grads)]
        for i, (theta, slots) in enumerate(expected):
            if config.centered:
                assert_close_according_to_type(slots.mg, state.mean_grad[i])
            assert_close_according_to_type(slots.rms, state.mean_square[i])
            # TF1 also checks its momentum slot when μ = 0 (it then holds η·u, the step);
            # rmsprop_ref keeps no buffer at μ = 0, so that check has no counterpart.
            if config.momentum > 0:
                assert_close_according_to_type(slots.momentum, state.momentum_buffer[i])
            assert_close_according_to_type(theta, params[i])
            assert params[i].dtype == dtype


# --------------------------------------------------------------------------- testSparse


def suite_sparse_reference_step(theta, indices, values, slots: Slots, c: Config):
    """One lazy TF1 step for an IndexedSlices gradient, as the suite's reference computes it.

    Re-expresses RMSPropOptimizerTest._sparse_rmsprop_update_numpy: copies of θ and the
    slots, then for each (index, value) pair in turn only that row's v, (centered) m, the
    radicand (v + ε) − m², b ← μ·b + η·g/√radicand and θ ← θ − b; every other row keeps its
    θ, v, m and b. Each row is computed as NumPy scalars of the arrays' dtype and stored
    back, so float16 rounds as the suite's expected values do.
    """
    theta, rms, mg, momentum = (np.array(a, copy=True) for a in (theta, slots.rms, slots.mg, slots.momentum))
    for row, g in zip(indices, values):
        rms[row] = slots.rms[row] * c.decay + (1 - c.decay) * g * g
        radicand = rms[row] + c.epsilon
        if c.centered:
            mg[row] = mg[row] * c.decay + (1 - c.decay) * g
            radicand = radicand - mg[row] * mg[row]
        momentum[row] = c.momentum * slots.momentum[row] + c.learning_rate * g / np.sqrt(radicand)
        theta[row] = theta[row] - momentum[row]
    return theta, Slots(rms, mg, momentum)


# testSparse loops over the same _TESTPARAMS as testDense and discards use_resource, so its
# eight rows per dtype are the six cases of DENSE_CONFIGS.
@pytest.mark.parametrize("config", DENSE_CONFIGS, ids=lambda c: "lr{}-decay{}-mom{}-eps{}-centered{}".format(*c))
@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["half", "float32"])  # the suite's _DATA_TYPES
def test_sparse(dtype, config):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testSparse
    thetas = [np.array([1.0, 2.0], dtype), np.array([3.0, 4.0], dtype)]
    # The suite's IndexedSlices: 0.1 on row 0 of the first variable, 0.01 on row 1 of the
    # second, int32 indices (its dense_shape argument, [1], plays no part in the update).
    indices = [np.array([0], np.int32), np.array([1], np.int32)]
    values = [np.array([0.1], dtype), np.array([0.01], dtype)]
    grads = [SparseRows(i, v) for i, v in zip(indices, values)]
    optimizer = tf1_rmsprop(**config._asdict())
    state = optimizer.init(thetas)
    # The suite asserts that the "mg" slot exists exactly when centered.
    assert (state.mean_grad is not None) == config.centered
    # The reference starts from TF1's slot values: v = 1, m = 0, b = 0.
    expected = [(theta, Slots(np.ones(2, dtype), np.zeros(2, dtype), np.zeros(2, dtype))) for theta in thetas]

    params = thetas
    for _ in range(4):  # the suite runs 4 steps and checks after each
        params, state = optimizer.update(params, grads, state)
        expected = [
            suite_sparse_reference_step(theta, i, v, slots, config)
            for (theta, slots), i, v in zip(expected, indices, values)
        ]
        for k, (theta, slots) in enumerate(expected):
            if config.centered:
                assert_close_according_to_type(slots.mg, state.mean_grad[k])
            assert_close_according_to_type(slots.rms, state.mean_square[k])
            # As in test_dense: TF1's momentum slot at μ = 0 has no counterpart here.
            if config.momentum > 0:
                assert_close_according_to_type(slots.momentum, state.momentum_buffer[k])
            assert_close_according_to_type(theta, params[k])
            assert params[k].dtype == dtype


# ------------------------------------------- testMinimizeSparseResourceVariable(Centered)


def embedding_loss_gradient(var):
    """The gradient the suite's loss gives: loss = (var[0] · x)², x = [[4], [5]].

    The suite builds it from embedding_lookup([var], [0]); TensorFlow differentiates it to an
    IndexedSlices on row 0, the variable's only row, so TF1's sparse update there touches
    every row and equals the dense update tested here. d loss / d var = 2·(var·x)·xᵀ.
    """
    x = np.array([[4.0], [5.0]], var.dtype)
    return 2 * (var @ x) * x.T


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minimize_sparse_resource_variable(dtype):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testMinimizeSparseResourceVariable
    var = np.array([[1.0, 2.0]], dtype)
    optimizer = tf1_rmsprop(learning_rate=1.0, decay=0.0, momentum=0.0, epsilon=0.0, centered=False)
    var, _ = optimizer.update(var, embedding_loss_gradient(var), optimizer.init(var))
    # The suite's expected value and its atol=0.01 override (rtol stays 1e-6).
    assert_close_according_to_type([[0.0, 1.0]], var, atol=0.01)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minimize_sparse_resource_variable_centered(dtype):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testMinimizeSparseResourceVariableCentered
    var = np.array([[1.0, 2.0]], dtype)
    optimizer = tf1_rmsprop(learning_rate=1.0, decay=0.0, momentum=0.0, epsilon=1.0, centered=True)
    var, _ = optimizer.update(var, embedding_loss_gradient(var), optimizer.init(var))
    # The suite's expected value and its atol=0.01 override (rtol stays 1e-6).
    assert_close_according_to_type([[-111.0, -138.0]], var, atol=0.01)


# ----------------------------------------------- testWithoutMomentum, testCallableParams

# The suite's numbers for two variables, [1, 2] with gradient 0.1 and [3, 4] with gradient
# 0.01 everywhere, under η = 2, decay 0.9, μ = 0, ε = 1; v starts at 1, so after the first
# step v = 0.9 + 0.1·g².
START = ([1.0, 2.0], [3.0, 4.0])
GRADS = (0.1, 0.01)
RMS_AFTER = (  # [after step 1, after step 2], per variable
    (0.901, 0.901 * 0.9 + 0.001),
    (0.90001, 0.90001 * 0.9 + 1e-5),
)
STEPS_WITHOUT_MOMENTUM = (  # the step η·g/√(v + ε) taken at steps 1 and 2, per variable
    (0.1 * 2.0 / math.sqrt(0.901 + 1.0), 0.1 * 2.0 / math.sqrt(0.901 * 0.9 + 0.001 + 1.0)),
    (0.01 * 2.0 / math.sqrt(0.90001 + 1.0), 0.01 * 2.0 / math.sqrt(0.90001 * 0.9 + 1e-5 + 1.0)),
)


def two_variables(dtype):
    params = [np.array(start, dtype) for start in START]
    grads = [np.full(2, g, dtype) for g in GRADS]
    return params, grads


def check_without_momentum(optimizer: RMSprop, dtype, *, check_rms: bool):
    params, grads = two_variables(dtype)
    state = optimizer.init(params)
    for step in range(2):
        params, state = optimizer.update(params, grads, state)
        for i in range(2):
            if check_rms:
                assert_close_according_to_type(np.full(2, RMS_AFTER[i][step]), state.mean_square[i])
            moved = sum(STEPS_WITHOUT_MOMENTUM[i][: step + 1])
            assert_close_according_to_type(np.array(START[i]) - moved, params[i])


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["half", "float32"])
def test_without_momentum(dtype):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testWithoutMomentum
    optimizer = tf1_rmsprop(learning_rate=2.0, decay=0.9, momentum=0.0, epsilon=1.0)
    check_without_momentum(optimizer, dtype, check_rms=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["half", "float32"])
def test_callable_learning_rate(dtype):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testCallableParams, in part.
    # The suite passes learning_rate, decay, momentum and epsilon as zero-argument callables
    # (2.0, 0.9, 0.0, 1.0) and checks the parameters against testWithoutMomentum's numbers.
    # rmsprop_ref takes a callable only for η, and calls it with the step count, so η is
    # `lambda step: 2.0` here and the other three are plain numbers.
    optimizer = tf1_rmsprop(learning_rate=lambda step: 2.0, decay=0.9, momentum=0.0, epsilon=1.0)
    assert callable(optimizer.learning_rate)
    # The suite checks only the parameters in this test.
    check_without_momentum(optimizer, dtype, check_rms=False)


# --------------------------------------------------------------------------- testWithMomentum


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["half", "float32"])
def test_with_momentum(dtype):
    # tensorflow/python/training/rmsprop_test.py (v2.x), testWithMomentum
    # η = 2, decay 0.9, μ = 0.5, ε = 1e-5. The suite's expected buffers: the first step's
    # increment, then 0.5 times it plus the second increment.
    optimizer = tf1_rmsprop(learning_rate=2.0, decay=0.9, momentum=0.5, epsilon=1e-5)
    increments = (
        (0.1 * 2.0 / math.sqrt(0.901 + 1e-5), 0.1 * 2.0 / math.sqrt(0.901 * 0.9 + 0.001 + 1e-5)),
        (0.01 * 2.0 / math.sqrt(0.90001 + 1e-5), 0.01 * 2.0 / math.sqrt(0.90001 * 0.9 + 2e-5)),
    )
    buffers = [(first, 0.5 * first + second) for first, second in increments]

    params, grads = two_variables(dtype)
    state = optimizer.init(params)
    for step in range(2):
        params, state = optimizer.update(params, grads, state)
        for i in range(2):
            assert_close_according_to_type(np.full(2, RMS_AFTER[i][step]), state.mean_square[i])
            assert_close_according_to_type(np.full(2, buffers[i][step]), state.momentum_buffer[i])
            # θ has moved by the sum of the buffers so far.
            assert_close_according_to_type(np.array(START[i]) - sum(buffers[i][: step + 1]), params[i])
