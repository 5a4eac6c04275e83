"""Tests of rmsprop_ref.amsgrad: AMSGrad as in Reddi, Kale & Kumar (2018), Algorithm 2."""

import numpy as np
import pytest

from rmsprop_ref import Adam, RMSprop
from rmsprop_ref.amsgrad import AMSGrad


def test_amsgrad_first_step_equals_rmsprop_with_epsilon_outside():
    # One step: the max of a single v is v, so AMSGrad(β₁=0) is RMSprop with ε outside the root.
    theta, g = np.array([1.0, -2.0]), np.array([0.5, -3.0])
    ams = AMSGrad(0.1, beta_2=0.95, epsilon=1e-6)
    rms = RMSprop(0.1, rho=0.95, epsilon=1e-6, epsilon_in_sqrt=False)
    a, _ = ams.update(theta, g, ams.init(theta))
    r, _ = rms.update(theta, g, rms.init(theta))
    np.testing.assert_allclose(a, r, rtol=1e-15)


def test_amsgrad_keeps_the_largest_mean_square():
    # g = 10 then g = 1 with ρ = 0.5, by hand:
    # v₁ = 0.5·100 = 50, v₂ = 0.5·50 + 0.5·1 = 25.5; v̂₂ = 50. Step 2 = η·1/√50.
    opt = AMSGrad(1.0, beta_2=0.5, epsilon=0.0)
    theta = np.array([0.0])
    theta1, state = opt.update(theta, np.array([10.0]), opt.init(theta))
    theta2, state = opt.update(theta1, np.array([1.0]), state)
    np.testing.assert_allclose(theta1, [-10 / np.sqrt(50)])
    np.testing.assert_allclose(theta2 - theta1, [-1 / np.sqrt(50)])
    np.testing.assert_allclose(state.mean_square, [25.5])
    np.testing.assert_allclose(state.max_mean_square, [50.0])


def test_amsgrad_step_size_never_grows():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((200, 3)) * rng.choice([0.01, 1.0, 100.0], size=(200, 3))
    opt = AMSGrad(1.0, beta_2=0.9, epsilon=0.0)
    theta = np.zeros(3)
    state = opt.init(theta)
    previous = np.full(3, np.inf)
    for g in grads:
        theta, state = opt.update(theta, g, state)
        step_size = 1 / np.sqrt(state.max_mean_square)
        assert np.all(step_size <= previous)
        previous = step_size


def test_amsgrad_with_momentum_matches_adam_amsgrad_up_to_bias_correction():
    # Adam(amsgrad=True) divides m by (1−β₁ᵗ) and max v by (1−β₂ᵗ); with ε = 0 its step is
    # AMSGrad's step times √(1−β₂ᵗ)/(1−β₁ᵗ), for the same gradients and the same point.
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(4)
    ams, adam = (
        AMSGrad(0.01, beta_1=0.9, beta_2=0.99, epsilon=0.0),
        Adam(0.01, beta_1=0.9, beta_2=0.99, epsilon=0.0, amsgrad=True),
    )
    s_ams, s_adam = ams.init(theta), adam.init(theta)
    for t in range(1, 30):
        g = rng.standard_normal(4)
        new_ams, s_ams = ams.update(theta, g, s_ams)
        new_adam, s_adam = adam.update(theta, g, s_adam)
        factor = np.sqrt(1 - 0.99**t) / (1 - 0.9**t)
        np.testing.assert_allclose(new_adam - theta, (new_ams - theta) * factor, rtol=1e-9)
        theta = new_ams


def test_amsgrad_rejects_bad_input():
    with pytest.raises(ValueError, match="beta_2"):
        AMSGrad(0.1, beta_2=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        AMSGrad(-0.1)
    with pytest.raises(TypeError, match="learning_rate="):
        AMSGrad(lr=0.1)
