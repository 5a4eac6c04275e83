"""Parameter dtypes: float16, bfloat16 (ml_dtypes), float32, float64, and complex as pairs of reals."""

import numpy as np
import pytest

from rmsprop_ref import InPlaceRMSprop, RMSprop


def bfloat16():
    import ml_dtypes  # installed with JAX and TensorFlow; rmsprop_ref itself never imports it

    return ml_dtypes.bfloat16


@pytest.mark.parametrize("dtype", [np.float16, "bfloat16", np.float32, np.float64])
def test_each_real_dtype_is_kept_through_the_step(dtype):
    dtype = bfloat16() if dtype == "bfloat16" else dtype
    optimizer = RMSprop(0.01, momentum=0.9, centered=True, epsilon=1e-3)
    theta = np.array([1.0, -2.0, 0.5], dtype)
    state = optimizer.init(theta)
    for _ in range(3):
        theta, state = optimizer.update(theta, np.array([0.5, 0.25, -1.0], dtype), state)
    assert theta.dtype == np.dtype(dtype)
    assert all(s.dtype == np.dtype(dtype) for s in (state.mean_square, state.mean_grad, state.momentum_buffer))
    wide = RMSprop(0.01, momentum=0.9, centered=True, epsilon=1e-3)
    expected, s = np.array([1.0, -2.0, 0.5]), wide.init(np.zeros(3))
    for _ in range(3):
        expected, s = wide.update(expected, np.array([0.5, 0.25, -1.0]), s)
    # within a few roundings of the dtype: 2^-8 relative for bfloat16, 2^-11 for float16
    np.testing.assert_allclose(theta.astype(np.float64), expected, rtol=4 * float(np.finfo(dtype).eps))


def test_bfloat16_refuses_an_epsilon_it_cannot_hold():
    # bfloat16 holds 1e-8 (it has float32's exponent range), unlike float16
    theta = np.ones(2, bfloat16())
    RMSprop.preset("torch").init(theta)
    with pytest.raises(ValueError, match="epsilon=1e-08 rounds to 0 in float16"):
        RMSprop.preset("torch").init(np.ones(2, np.float16))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_parameters_step_as_pairs_of_reals(dtype):
    # PyTorch's view_as_real: the real and imaginary parts are two coordinates, each with its
    # own mean square. So a complex run equals the run of its (re, im) pairs.
    real_dtype = np.finfo(dtype).dtype
    optimizer = RMSprop.preset("torch", momentum=0.5, centered=True, weight_decay=0.1, initial_accumulator=0.5)
    rng = np.random.default_rng(0)
    theta = (rng.normal(size=3) + 1j * rng.normal(size=3)).astype(dtype)
    grads = [(rng.normal(size=3) + 1j * rng.normal(size=3)).astype(dtype) for _ in range(5)]
    pairs = np.stack([theta.real, theta.imag], axis=-1).astype(real_dtype)
    state, pair_state = optimizer.init(theta), optimizer.init(pairs)
    for g in grads:
        theta, state = optimizer.update(theta, g, state)
        pairs, pair_state = optimizer.update(pairs, np.stack([g.real, g.imag], axis=-1), pair_state)
    assert theta.dtype == dtype
    np.testing.assert_array_equal(theta.real, pairs[:, 0])
    np.testing.assert_array_equal(theta.imag, pairs[:, 1])
    np.testing.assert_array_equal(state.mean_square.real, pair_state.mean_square[:, 0])
    np.testing.assert_array_equal(state.mean_square.imag, pair_state.mean_square[:, 1])


def test_complex_clipping_uses_the_modulus():
    g = np.array([3 + 4j], np.complex128)  # |g| = 5
    clipped = RMSprop(clipnorm=1.0).prepare_gradients(g)
    np.testing.assert_allclose(clipped, [0.6 + 0.8j], rtol=1e-15)
    with pytest.raises(ValueError, match="clipvalue is not defined for complex gradients"):
        RMSprop(clipvalue=1.0).prepare_gradients(g)


def test_complex_needs_a_complex_gradient_and_the_real_only_paths_say_so():
    theta = np.ones(2, np.complex128)
    optimizer = RMSprop()
    with pytest.raises(ValueError, match="grads has dtype float64; it must match params, dtype complex128"):
        optimizer.update(theta, np.ones(2), optimizer.init(theta))
    with pytest.raises(ValueError, match="params has dtype complex128; this path takes float16, float32 or float64"):
        InPlaceRMSprop(RMSprop()).init(theta)
