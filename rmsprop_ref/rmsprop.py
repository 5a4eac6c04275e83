"""RMSprop in every framework's convention, chosen by explicit keyword options.

The frameworks agree on the core, a running mean of the squared gradient that divides the
step, and differ in the details: where ε goes, where v starts, whether η sits inside the
momentum buffer, what weight decay means. ``RMSprop`` exposes each detail as an option and
``RMSprop.preset(name)`` sets them all the way one source does (see ``PRESETS`` below,
:mod:`rmsprop_ref.conventions` and the chapter "One RMSprop, four frameworks").
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._checks import check_flag, check_fraction, check_learning_rate, check_non_negative, reject_unknown_keywords
from .optimizers import LearningRate, Optimizer
from .tree import Tree

WEIGHT_DECAY_MODES = ("decoupled", "coupled")


class RMSpropState(NamedTuple):
    step: int
    mean_square: Tree  # v, running mean of g², starts at initial_accumulator
    mean_grad: Tree | None  # m, running mean of g, only when centered
    momentum_buffer: Tree | None  # b, only when momentum > 0


class RMSprop(Optimizer):
    r"""RMSprop with every convention as an option. One step, in this order::

        1. weight decay: coupled (PyTorch)   g ← g + wd·θ
                         decoupled (Keras)   θ ← θ − η·wd·θ, on the pre-step θ
        2. v ← ρ·v + (1−ρ)·g²
           centered: m ← ρ·m + (1−ρ)·g,  s = v − m²;  otherwise s = v
        3. bias correction (Optax, optional): v and m divided by (1 − ρᵗ),
           t = step + 1
        4. u = g / √(s + ε)  (epsilon_in_sqrt=True: Keras, TF1, Optax)
           u = g / (√s + ε)  (epsilon_in_sqrt=False: PyTorch, the article)
        5. no momentum:          θ ← θ − η·u
           η inside the buffer:  b ← μ·b + η·u;  θ ← θ − b  (Keras, TF1, Optax)
           η outside the buffer: b ← μ·b + u;    θ ← θ − η·b  (PyTorch)
           Nesterov (Optax):     θ ← θ − (η·u + μ·b) with the new b (η inside),
                                 or θ ← θ − η·(u + μ·b) (η outside)

    The bare defaults are Keras 3's (η = 0.001, ρ = 0.9, ε = 1e-7 inside the root), the
    framework the article's code runs on.
    """

    State = RMSpropState
    HYPERPARAMETERS = (
        "learning_rate",
        "rho",
        "epsilon",
        "epsilon_in_sqrt",
        "initial_accumulator",
        "centered",
        "momentum",
        "nesterov",
        "lr_in_momentum",
        "weight_decay",
        "weight_decay_mode",
        "bias_correction",
    )

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        *,
        rho: float = 0.9,
        epsilon: float = 1e-7,
        epsilon_in_sqrt: bool = True,
        initial_accumulator: float = 0.0,
        centered: bool = False,
        momentum: float = 0.0,
        nesterov: bool = False,
        lr_in_momentum: bool = True,
        weight_decay: float = 0.0,
        weight_decay_mode: str = "decoupled",
        bias_correction: bool = False,
        **unknown: Any,
    ):
        reject_unknown_keywords("RMSprop", unknown, self.HYPERPARAMETERS)
        self.learning_rate = check_learning_rate(learning_rate)
        self.rho = check_fraction("rho", rho)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.epsilon_in_sqrt = check_flag("epsilon_in_sqrt", epsilon_in_sqrt)
        self.initial_accumulator = check_non_negative("initial_accumulator", initial_accumulator)
        self.centered = check_flag("centered", centered)
        self.momentum = check_fraction("momentum", momentum)
        self.nesterov = check_flag("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")
        self.lr_in_momentum = check_flag("lr_in_momentum", lr_in_momentum)
        self.weight_decay = check_non_negative("weight_decay", weight_decay)
        if weight_decay_mode not in WEIGHT_DECAY_MODES:
            raise ValueError(f"weight_decay_mode must be one of {WEIGHT_DECAY_MODES}; got {weight_decay_mode!r}")
        self.weight_decay_mode = weight_decay_mode
        self.bias_correction = check_flag("bias_correction", bias_correction)
        self._freeze()

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> RMSprop:
        """RMSprop with the defaults and conventions of one source, optionally overridden.

        ``"keras"``, ``"torch"``, ``"tf1"``, ``"optax"``, ``"graves2013"``, ``"hinton2012"``.
        TF1, Optax and Hinton's lecture fix no learning rate: pass ``learning_rate=``.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown RMSprop preset {name!r}; valid presets: {', '.join(PRESETS)}")
        settings = dict(PRESETS[name]["settings"])
        if settings.get("learning_rate") is None and "learning_rate" not in overrides:
            raise TypeError(f"RMSprop.preset({name!r}) needs learning_rate=: {PRESETS[name]['source']} has no default")
        settings.update(overrides)
        return cls(**settings)

    def slot_fills(self):
        return [
            self.initial_accumulator,
            0.0 if self.centered else None,
            0.0 if self.momentum > 0 else None,
        ]

    def leaf_update(self, theta, g, mean_square, mean_grad, buffer, *, learning_rate, step):
        lr = learning_rate
        if self.weight_decay and self.weight_decay_mode == "coupled":
            g = g + self.weight_decay * theta
        if self.weight_decay and self.weight_decay_mode == "decoupled":
            # Keras's order of operations, θ − (θ·wd)·η, so that float32 results agree bit for bit.
            theta = theta - theta * self.weight_decay * lr

        rho = self.rho
        mean_square = rho * mean_square + (1 - rho) * (g * g)
        if mean_grad is not None:
            mean_grad = rho * mean_grad + (1 - rho) * g
        v, m = mean_square, mean_grad
        if self.bias_correction:
            correction = 1 - rho ** (step + 1)
            v = v / correction
            m = None if m is None else m / correction
        second_moment = v if m is None else v - m * m

        if self.epsilon_in_sqrt:
            denominator = np.sqrt(second_moment + self.epsilon)
        else:
            denominator = np.sqrt(second_moment) + self.epsilon
        if self.epsilon == 0:
            # With ε = 0 (Hinton's lecture) a coordinate whose gradients have all been exactly
            # 0 has v = 0 and would compute 0/0. It has had no gradient, so it does not move:
            # the ε → 0 limit. A zero denominator becomes ∞, and g/∞ = 0.
            if (denominator == 0).any():  # checked first: np.where would make a scalar an array
                denominator = np.where(denominator == 0, np.inf, denominator)

        # η·g / denominator is evaluated as (η·g) / denominator, the order Keras and
        # PyTorch (addcdiv) use, so float32 results round the same way as theirs.
        if buffer is None:
            return theta - lr * g / denominator, mean_square, mean_grad, None
        mu = self.momentum
        if self.lr_in_momentum:
            increment = lr * g / denominator
            buffer = mu * buffer + increment
            step_taken = increment + mu * buffer if self.nesterov else buffer
        else:
            scaled = g / denominator
            buffer = mu * buffer + scaled
            step_taken = lr * (scaled + mu * buffer) if self.nesterov else lr * buffer
        return theta - step_taken, mean_square, mean_grad, buffer


#: Each source's defaults and conventions (its name: its settings, citation and notes).
#: ``learning_rate: None`` means the source fixes none.
PRESETS: dict[str, dict[str, Any]] = {
    "keras": {
        "source": "Keras 3 keras.optimizers.RMSprop (and tf.keras >= 2.11)",
        "settings": dict(
            learning_rate=0.001,
            rho=0.9,
            epsilon=1e-7,
            epsilon_in_sqrt=True,
            initial_accumulator=0.0,
            lr_in_momentum=True,
            weight_decay_mode="decoupled",
        ),
    },
    "torch": {
        "source": "PyTorch torch.optim.RMSprop",
        "settings": dict(
            learning_rate=0.01,
            rho=0.99,
            epsilon=1e-8,
            epsilon_in_sqrt=False,
            initial_accumulator=0.0,
            lr_in_momentum=False,
            weight_decay_mode="coupled",
        ),
    },
    "tf1": {
        "source": "TensorFlow 1 tf.compat.v1.train.RMSPropOptimizer",
        "settings": dict(
            learning_rate=None,
            rho=0.9,
            epsilon=1e-10,
            epsilon_in_sqrt=True,
            initial_accumulator=1.0,
            lr_in_momentum=True,
        ),
    },
    "optax": {
        "source": "Optax optax.rmsprop",
        "settings": dict(
            learning_rate=None,
            rho=0.9,
            epsilon=1e-8,
            epsilon_in_sqrt=True,
            initial_accumulator=0.0,
            lr_in_momentum=True,
        ),
    },
    "graves2013": {
        "source": "Graves (2013), Generating sequences with recurrent neural networks, eqs. 38-45",
        "settings": dict(
            learning_rate=1e-4,
            rho=0.95,
            epsilon=1e-4,
            epsilon_in_sqrt=True,
            centered=True,
            momentum=0.9,
            lr_in_momentum=True,
        ),
    },
    "hinton2012": {
        "source": "Tieleman & Hinton (2012), Neural Networks for Machine Learning, lecture 6e",
        "settings": dict(learning_rate=None, rho=0.9, epsilon=0.0, epsilon_in_sqrt=True, initial_accumulator=0.0),
    },
}
