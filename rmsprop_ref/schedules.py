"""Learning-rate schedules: callables from the step count (0, 1, 2, ...) to η.

The step passed in is the number of updates applied before the current one, the same
count Keras's ``iterations`` and Optax's schedule ``count`` use, so the first update runs
at ``schedule(0)``. Each schedule is a small frozen object with a readable ``repr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ._checks import check_count, check_non_negative, check_positive, is_real


@dataclass(frozen=True)
class Constant:
    """η_t = η."""

    learning_rate: float

    def __post_init__(self):
        object.__setattr__(self, "learning_rate", check_positive("learning_rate", self.learning_rate))

    def __call__(self, step: int) -> float:
        check_count("step", step, 0)
        return self.learning_rate


@dataclass(frozen=True)
class _DecayOverSteps:
    """The arguments Keras's ExponentialDecay and InverseTimeDecay share, checked once."""

    learning_rate: float
    decay_steps: float
    decay_rate: float
    staircase: bool = False

    def __post_init__(self):
        object.__setattr__(self, "learning_rate", check_positive("learning_rate", self.learning_rate))
        object.__setattr__(self, "decay_steps", check_positive("decay_steps", self.decay_steps))
        object.__setattr__(self, "decay_rate", check_positive("decay_rate", self.decay_rate))

    def _progress(self, step: int) -> float:
        """t / decay_steps, rounded down with ``staircase``."""
        progress = check_count("step", step, 0) / self.decay_steps
        return math.floor(progress) if self.staircase else progress


@dataclass(frozen=True)
class ExponentialDecay(_DecayOverSteps):
    """η_t = η · rate^(t / decay_steps); with ``staircase`` the exponent is rounded down.

    Keras's ``ExponentialDecay`` with the same arguments gives the same values.
    """

    def __call__(self, step: int) -> float:
        progress = self._progress(step)
        try:
            value = self.learning_rate * self.decay_rate**progress
        except OverflowError:
            value = math.inf
        if value == 0 or not math.isfinite(value):
            # A long run can outlive the schedule: rate^(t/T) leaves the range of a float.
            reached = "underflows to 0" if value == 0 else "overflows to infinity"
            raise ValueError(
                f"{self!r} {reached} at step {step} (rate^(step/decay_steps) = "
                f"{self.decay_rate}^{progress:g}); shorten the run or slow the decay"
            )
        return value


@dataclass(frozen=True)
class InverseTimeDecay(_DecayOverSteps):
    """η_t = η / (1 + rate · t / decay_steps), as Keras's ``InverseTimeDecay``."""

    def __call__(self, step: int) -> float:
        return self.learning_rate / (1 + self.decay_rate * self._progress(step))


@dataclass(frozen=True)
class CosineDecay:
    """η_t = η · ((1 − α) · ½(1 + cos(π · min(t, T) / T)) + α), as Keras's ``CosineDecay``.

    It falls from η at t = 0 to α·η at t = T = ``decay_steps`` and stays there. ``alpha``
    must be in (0, 1] so that η stays positive, as the optimizers require.
    """

    learning_rate: float
    decay_steps: int
    alpha: float = 0.01

    def __post_init__(self):
        object.__setattr__(self, "learning_rate", check_positive("learning_rate", self.learning_rate))
        object.__setattr__(self, "decay_steps", check_positive("decay_steps", self.decay_steps))
        alpha = self.alpha
        if not is_real(alpha) or not 0 < alpha <= 1:
            raise ValueError(f"alpha must be a number in (0, 1]; got {alpha!r}")
        object.__setattr__(self, "alpha", float(alpha))

    def __call__(self, step: int) -> float:
        progress = min(check_count("step", step, 0), self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return self.learning_rate * ((1 - self.alpha) * cosine + self.alpha)


@dataclass(frozen=True)
class InverseSqrtDecay:
    """η_t = η / √(t + 1): the α/√t of the convergence analyses, with t counted from 1."""

    learning_rate: float

    def __post_init__(self):
        object.__setattr__(self, "learning_rate", check_positive("learning_rate", self.learning_rate))

    def __call__(self, step: int) -> float:
        return self.learning_rate / math.sqrt(check_count("step", step, 0) + 1)


@dataclass(frozen=True)
class LegacyDecay:
    """η_t = η(t) / (1 + decay · t): the ``decay=`` argument of Keras 2 and legacy tf.keras.

    Multi-backend Keras 2 (``keras/optimizers.py``, 2.0.0 to 2.3.1) multiplies η by
    1/(1 + decay·iterations); legacy tf.keras (``optimizer_v2``, up to 2.10, and the
    ``legacy`` optimizers after it) divides η, or its schedule's value, by
    1 + decay·iterations. Both count the updates applied before this one, as every schedule
    here does, so ``decay`` is an inverse-time decay with ``decay_steps = 1`` laid over
    ``learning_rate``, a number or another schedule. ``decay = 0`` leaves η unchanged.
    """

    learning_rate: float | Callable[[int], float]
    decay: float

    def __post_init__(self):
        if not callable(self.learning_rate):
            object.__setattr__(self, "learning_rate", check_positive("learning_rate", self.learning_rate))
        object.__setattr__(self, "decay", check_non_negative("decay", self.decay))

    def __call__(self, step: int) -> float:
        step = check_count("step", step, 0)
        rate = self.learning_rate(step) if callable(self.learning_rate) else self.learning_rate
        return rate / (1 + self.decay * step)


@dataclass(frozen=True)
class CalledEachStep:
    """η_t = function(): a function of nothing, called before each update.

    Legacy tf.keras accepts such a callable for the learning rate (and for ρ, momentum and ε)
    and calls it at every apply; this wraps one as a schedule, which ignores the step count.
    """

    function: Callable[[], float]

    def __post_init__(self):
        if not callable(self.function):
            raise ValueError(f"function must be callable; got {self.function!r}")

    def __call__(self, step: int) -> float:
        check_count("step", step, 0)
        return self.function()
