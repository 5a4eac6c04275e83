r"""Logistic regression with rare features: where per-coordinate step sizes should matter.

Data (:func:`rare_feature_data`): n examples with d binary features. The first
``n_common`` features are present (value 1) with probability ``common_rate``, the others
with probability ``rare_rate``. Labels are drawn from the model itself,
y ~ Bernoulli(σ(x·w*)), with every true weight of size ``weight_scale`` and a random sign,
so w* is what a perfect learner would recover.

Loss and gradient (:func:`logistic_loss_and_grad`), for a batch X (B, d), y ∈ {0, 1}::

    loss = mean_i [ log(1 + e^{s_i}) − y_i s_i ],   s = X·w
    ∇loss = Xᵀ(σ(s) − y) / B

A rare feature appears in few rows, so its coordinate of the gradient is zero in most
batches and small on average: SGD moves its weight slowly; RMSprop divides by the
running root-mean-square of that coordinate, which is small too, so the weight gets steps
about as long as the common ones. :func:`train_logistic` runs any ``rmsprop_ref``
optimizer over shuffled mini-batches and reports the error of the rare and common weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_count, check_optimizer, seeded_rng
from ..problems import sigmoid


@dataclass(frozen=True)
class RareFeatureData:
    features: np.ndarray  # (n, d) of 0.0 / 1.0
    labels: np.ndarray  # (n,) of 0.0 / 1.0
    true_weights: np.ndarray  # (d,)
    rare: np.ndarray  # (d,) bool, True for the rare features


def rare_feature_data(
    seed: int,
    *,
    n: int = 20_000,
    n_common: int = 20,
    n_rare: int = 20,
    common_rate: float = 0.3,
    rare_rate: float = 0.01,
    weight_scale: float = 1.0,
) -> RareFeatureData:
    """Draw the data set described in the module docstring (deterministic for a seed)."""
    for name, value in (("n", n), ("n_common", n_common), ("n_rare", n_rare)):
        check_count(name, value)
    for name, value in (("common_rate", common_rate), ("rare_rate", rare_rate)):
        if not 0 < value <= 1:
            raise ValueError(f"{name} must be in (0, 1]; got {value!r}")
    rng = seeded_rng(seed)
    rates = np.r_[np.full(n_common, common_rate), np.full(n_rare, rare_rate)]
    features = (rng.random((n, n_common + n_rare)) < rates).astype(float)
    true_weights = weight_scale * rng.choice([-1.0, 1.0], size=n_common + n_rare)
    labels = (rng.random(n) < sigmoid(features @ true_weights)).astype(float)
    rare = np.r_[np.zeros(n_common, bool), np.ones(n_rare, bool)]
    return RareFeatureData(features, labels, true_weights, rare)


def logistic_loss_and_grad(weights: np.ndarray, features: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean logistic loss and its gradient (module docstring), computed without overflow."""
    scores = features @ weights
    loss = np.mean(np.logaddexp(0.0, scores) - labels * scores)
    grad = features.T @ (sigmoid(scores) - labels) / len(labels)
    return float(loss), grad


@dataclass(frozen=True)
class LogisticRun:
    weights: np.ndarray
    loss: float  # mean loss on the whole data set at the end
    rare_error: float  # RMS of (w − w*) over the rare features
    common_error: float  # RMS of (w − w*) over the common features


def train_logistic(data: RareFeatureData, optimizer, *, epochs: int, batch_size: int, seed: int) -> LogisticRun:
    """Mini-batch training from w = 0, a new shuffle each epoch (``seed`` fixes it)."""
    check_count("epochs", epochs)
    check_count("batch_size", batch_size)
    check_optimizer(optimizer)
    rng = seeded_rng(seed)
    weights = np.zeros(data.features.shape[1])
    state = optimizer.init(weights)
    n = len(data.labels)
    for _ in range(int(epochs)):
        order = rng.permutation(n)
        for start in range(0, n, int(batch_size)):
            index = order[start : start + int(batch_size)]
            _, grad = logistic_loss_and_grad(weights, data.features[index], data.labels[index])
            weights, state = optimizer.update(weights, grad, state)
    loss, _ = logistic_loss_and_grad(weights, data.features, data.labels)
    error = weights - data.true_weights
    return LogisticRun(
        weights, loss, float(np.sqrt(np.mean(error[data.rare] ** 2))), float(np.sqrt(np.mean(error[~data.rare] ** 2)))
    )
