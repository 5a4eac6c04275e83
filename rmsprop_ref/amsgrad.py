"""AMSGrad as Reddi, Kale & Kumar (2018) wrote it: Algorithm 2, with no bias correction::

    m ← β₁·m + (1−β₁)·g      (β₁ = 0: no momentum, m = g)
    v ← β₂·v + (1−β₂)·g²     (RMSprop's running mean of g²; β₂ is its ρ)
    v̂ ← max(v̂, v)            (the largest v so far, per coordinate)
    θ ← θ − η·m / (√v̂ + ε)

With β₁ = 0 this is RMSprop whose denominator may never shrink: the per-coordinate step
η/√v̂ can only fall, so one large, rare gradient keeps its weight in the step size instead
of being forgotten after about 1/(1−β₂) steps. That is the repair of the paper's
counter-example (chapter "Improved RMSprop").

It differs from ``Adam(amsgrad=True)``, which is PyTorch's form: there m and the max of v
are divided by (1 − βᵗ) before the step. Here nothing is bias-corrected, as in the paper.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import check_fraction, check_learning_rate, check_non_negative, reject_unknown_keywords
from .optimizers import LearningRate, Optimizer
from .tree import Tree


class AMSGradState(NamedTuple):
    step: int
    mean: Tree | None  # m, only when beta_1 > 0
    mean_square: Tree  # v, the running mean of g²
    max_mean_square: Tree  # v̂, the largest v so far


class AMSGrad(Optimizer):
    r"""AMSGrad (Reddi et al. 2018, Algorithm 2), defaults β₁ = 0 (RMSprop-style), β₂ = 0.9.

    ``beta_2`` plays the part of RMSprop's ``rho`` and has RMSprop's Keras default so that
    ``AMSGrad()`` and ``RMSprop(epsilon_in_sqrt=False)`` differ only by the max.
    """

    State = AMSGradState
    HYPERPARAMETERS = ("learning_rate", "beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        *,
        beta_1: float = 0.0,
        beta_2: float = 0.9,
        epsilon: float = 1e-7,
        **unknown,
    ):
        reject_unknown_keywords("AMSGrad", unknown, self.HYPERPARAMETERS)
        self.learning_rate = check_learning_rate(learning_rate)
        self.beta_1 = check_fraction("beta_1", beta_1)
        self.beta_2 = check_fraction("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self._freeze()

    def slot_fills(self):
        return [0.0 if self.beta_1 > 0 else None, 0.0, 0.0]

    def leaf_update(self, theta, g, mean, mean_square, max_mean_square, *, learning_rate, step):
        if mean is not None:
            mean = self.beta_1 * mean + (1 - self.beta_1) * g
        direction = g if mean is None else mean
        mean_square = self.beta_2 * mean_square + (1 - self.beta_2) * (g * g)
        max_mean_square = np.maximum(max_mean_square, mean_square)
        new_theta = theta - learning_rate * direction / (np.sqrt(max_mean_square) + self.epsilon)
        return new_theta, mean, mean_square, max_mean_square
