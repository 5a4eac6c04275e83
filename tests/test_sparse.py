"""Tests of rmsprop_ref.book.sparse: the rare-feature data, the logistic loss and gradient, training."""

import numpy as np
import pytest

from rmsprop_ref import SGD
from rmsprop_ref.book.sparse import logistic_loss_and_grad, rare_feature_data, train_logistic


def test_rare_feature_data_rates_and_labels():
    data = rare_feature_data(0, n=20000, n_common=3, n_rare=2, common_rate=0.3, rare_rate=0.01)
    rates = data.features.mean(axis=0)
    assert np.all(np.abs(rates[:3] - 0.3) < 0.02) and np.all(np.abs(rates[3:] - 0.01) < 0.003)
    np.testing.assert_array_equal(data.rare, [False, False, False, True, True])
    again = rare_feature_data(0, n=20000, n_common=3, n_rare=2, common_rate=0.3, rare_rate=0.01)
    np.testing.assert_array_equal(data.labels, again.labels)
    with pytest.raises(ValueError, match="rare_rate"):
        rare_feature_data(0, rare_rate=0.0)


def test_logistic_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    x, y, w = rng.random((30, 4)), (rng.random(30) < 0.5).astype(float), rng.standard_normal(4)
    _, grad = logistic_loss_and_grad(w, x, y)
    for i in range(4):
        e = np.zeros(4)
        e[i] = 1e-6
        numeric = (logistic_loss_and_grad(w + e, x, y)[0] - logistic_loss_and_grad(w - e, x, y)[0]) / 2e-6
        assert np.isclose(grad[i], numeric, rtol=1e-6, atol=1e-9)


def test_train_logistic_recovers_the_common_weights():
    data = rare_feature_data(1, n=5000, n_common=5, n_rare=5)
    run = train_logistic(data, SGD(1.0), epochs=5, batch_size=50, seed=0)
    assert run.common_error < 0.3  # well estimated from ~1500 examples each
    assert run.rare_error > run.common_error  # rare features: ~50 examples each, and slow steps
    with pytest.raises(ValueError, match="epochs"):
        train_logistic(data, SGD(1.0), epochs=0, batch_size=50, seed=0)
