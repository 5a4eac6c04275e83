"""Tests of rmsprop_ref.book.claims: tuning, effective step, noisy runs, dropout, MNIST runs."""

import numpy as np
import pytest

from rmsprop_ref import SGD, Adagrad, RMSprop
from rmsprop_ref.book.claims import (
    burst_gradients,
    default_decay_rates,
    effective_learning_rates,
    faster,
    layer_update_ratio,
    noisy_final_loss,
    noisy_final_losses,
    train_mnist,
)
from rmsprop_ref.problems import ill_conditioned_quadratic
from rmsprop_ref.run import LearningRateSearch, search_learning_rate


def test_faster_rule():
    def reach(steps, loss=0.0, target=1e-3):
        steps = np.inf if steps is None else steps
        return LearningRateSearch(
            np.array([0.1]), np.array([steps]), (None,), target_loss=target, tie_break=np.array([loss])
        )

    assert faster(reach(10), reach(20)) and not faster(reach(20), reach(10))
    assert faster(reach(500), reach(None, 1.0)) and not faster(reach(None, 1.0), reach(500))
    assert faster(reach(None, 0.1), reach(None, 1.0)) and not faster(reach(None, 1.0), reach(None, 0.1))
    assert faster(reach(10, 0.1), reach(10, 0.2)) and not faster(reach(10), reach(10))
    with pytest.raises(ValueError, match="different targets"):
        faster(reach(10), reach(20, target=1e-4))
    with pytest.raises(ValueError, match="target_loss"):
        faster(reach(10), reach(20, target=None))


def test_effective_learning_rates_by_hand():
    # RMSprop, ρ = 0.5, ε = 0: g = 2 -> v = 2, rate η/√2; g = 2 again -> v = 3, rate η/√3.
    rates = effective_learning_rates(RMSprop(1.0, rho=0.5, epsilon=0.0), [2.0, 2.0])
    np.testing.assert_allclose(rates, [1 / np.sqrt(2), 1 / np.sqrt(3)])
    # Adagrad: G = 0.1 + 4 = 4.1, then 8.1.
    rates = effective_learning_rates(Adagrad(1.0, epsilon=0.0), [2.0, 2.0])
    np.testing.assert_allclose(rates, [1 / np.sqrt(4.1), 1 / np.sqrt(8.1)])


def test_burst_gradients_layout():
    g = burst_gradients(steady=1.0, burst=50.0, burst_start=3, burst_length=2, total=8)
    np.testing.assert_array_equal(g, [1, 1, 1, 50, 50, 1, 1, 1])


def test_noisy_final_loss_without_noise_is_the_deterministic_run():
    from rmsprop_ref.run import minimize

    q = ill_conditioned_quadratic()
    expected = minimize(q, SGD(0.1), [-4.0, 1.0], 50).loss[41:51].mean()
    assert np.isclose(noisy_final_loss(q, SGD(0.1), [-4.0, 1.0], 50, 0.0, runs=3, seed=0, tail=10), expected)
    # Stationary loss of SGD with noise σ² on curvature h: E[½ h x²] = ½ h·η σ²/(h(2 − ηh)) per axis.
    stationary = sum(0.5 * 0.1 * 1.0 / (2 - 0.1 * h) for h in (0.2, 4.0))
    for seed in range(5):
        noisy = noisy_final_loss(q, SGD(0.1), [-4.0, 1.0], 300, 1.0, runs=50, seed=seed, tail=100)
        assert abs(noisy - stationary) < 0.25 * stationary


def test_noisy_final_loss_seed_fixes_the_noise():
    q = ill_conditioned_quadratic()
    run = lambda seed: noisy_final_loss(q, RMSprop(0.01), [-4.0, 1.0], 100, 1.0, runs=4, seed=seed)
    assert run(3) == run(3) and run(3) != run(4)


def test_noisy_final_loss_rejects_a_tail_longer_than_the_run():
    with pytest.raises(ValueError, match="tail"):
        noisy_final_loss(ill_conditioned_quadratic(), SGD(0.1), [0.0, 1.0], 10, 1.0, runs=2, seed=0, tail=11)


def test_noisy_final_losses_are_per_run_and_average_to_noisy_final_loss():
    q = ill_conditioned_quadratic()
    each = noisy_final_losses(q, RMSprop(0.01), [-4.0, 1.0], 200, 0.5, runs=6, seed=3, tail=50)
    assert each.shape == (6,) and np.unique(each).size == 6  # each run its own noise
    mean = noisy_final_loss(q, RMSprop(0.01), [-4.0, 1.0], 200, 0.5, runs=6, seed=3, tail=50)
    np.testing.assert_allclose(each.mean(), mean, rtol=1e-15)
    # run i is the same run whatever the other runs are: the first run alone, by hand
    rng = np.random.default_rng(3)
    x, opt = np.array([[-4.0, 1.0]] * 6), RMSprop(0.01)
    state, tail = opt.init(x), []
    for k in range(200):
        x, state = opt.update(x, q.grad(x) + 0.5 * rng.standard_normal(x.shape), state)
        if k >= 150:
            tail.append(q.value(x[0]))
    np.testing.assert_allclose(each[0], np.mean(tail), rtol=1e-12)


def test_faster_refuses_searches_with_different_criteria():
    q = ill_conditioned_quadratic()
    reach = search_learning_rate(q, SGD, [0.1, 0.3], [-4.0, 1.0], 50, target_loss=1e-2)
    settle = search_learning_rate(q, SGD, [0.1, 0.3], [-4.0, 1.0], 50, target_loss=1e-2, criterion="settle")
    with pytest.raises(ValueError, match="different targets"):
        faster(reach, settle)


def test_train_mnist_on_a_tiny_separable_set():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 5)
    images = (rng.random((50, 784)) * 0.05).astype(np.float32)
    for c in range(10):
        images[labels == c, 70 * c : 70 * c + 70] = 1.0  # a bright block of 70 pixels per class
    run = train_mnist(
        RMSprop(0.01), (images, labels), (images, labels), epochs=20, batch_size=10, seed=0, hidden_units=16
    )
    assert run.train_accuracy == 1.0 and run.gap == 0.0
    with pytest.raises(ValueError, match="dropout"):
        train_mnist(RMSprop(0.01), (images, labels), (images, labels), epochs=1, batch_size=10, seed=0, dropout=1.0)
    # until_train_accuracy stops at the first epoch that reaches it, with the same run up to there
    data = (images, labels)
    early = train_mnist(
        RMSprop(0.01), data, data, epochs=20, batch_size=10, seed=0, hidden_units=16, until_train_accuracy=0.5
    )
    epochs_run = early.batch_loss.size // 5
    assert 1 <= epochs_run < 20 and early.train_accuracy >= 0.5
    np.testing.assert_array_equal(early.batch_loss, run.batch_loss[: early.batch_loss.size])
    for bad in (0.0, 1.5, "0.9"):
        with pytest.raises(ValueError, match="until_train_accuracy"):
            train_mnist(RMSprop(0.01), data, data, epochs=1, batch_size=10, seed=0, until_train_accuracy=bad)


def test_default_decay_rates_come_from_the_presets():
    rates = default_decay_rates()
    assert rates["keras"] == 0.9 and rates["torch"] == 0.99 and rates["graves2013"] == 0.95
    # one entry per current framework and paper; the earlier releases repeat their lineage
    assert set(rates) == {"keras", "torch", "tf1", "optax", "graves2013", "hinton2012"}


def test_layer_update_ratio_on_a_chain():
    from rmsprop_ref.problems import SigmoidChain

    chain, start = SigmoidChain(depth=4), np.tile([0.5, 0.0], 4)
    # Plain gradient descent: the first layer's gradient is far smaller, so are its steps.
    assert layer_update_ratio(chain, SGD(0.1), start, 5) < 0.1
    # RMSprop with ε = 0 and a first step: every coordinate moves by η/√(1−ρ), so the ratio is 1.
    assert np.isclose(layer_update_ratio(chain, RMSprop(0.01, epsilon=0.0), start, 1), 1.0)


def test_layer_gradient_ratio_by_hand():
    from rmsprop_ref.book.claims import layer_gradient_ratio
    from rmsprop_ref.problems import SigmoidChain

    chain, start = SigmoidChain(depth=4), np.tile([0.5, 0.0], 4)
    g = chain.grad(start)
    first, last = (np.linalg.norm(g[s]) for s in (chain.layer_slices[0], chain.layer_slices[-1]))
    assert layer_gradient_ratio(chain, start) == first / last < 1  # the gradient shrinks towards the input


def test_steps_until_above():
    from rmsprop_ref.book.claims import steps_until_above

    rates = np.array([1.0, 0.01, 0.1, 0.4, 0.6, 0.9])
    assert steps_until_above(rates, 1, 0.5) == 3  # index 4, three steps after index 1
    assert steps_until_above(rates, 4, 0.5) == 0
    assert steps_until_above(rates, 1, 2.0) is None
