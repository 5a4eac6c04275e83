"""Keras 3's training-loop options: a moving average of the weights, and gradient accumulation.

Every Keras 3 optimizer takes them (``keras/src/optimizers/base_optimizer.py``,
``_backend_apply_gradients``); :class:`rmsprop_ref.rmsprop.RMSprop` takes them with the same
names and runs them as Keras does, step by step:

1. With ``gradient_accumulation_steps = n``, a call of ``update`` whose number (counted from
   1) is not a multiple of n only adds the gradients to an accumulator; the parameters and
   the optimizer's buffers stay. The n-th call averages, (g + accumulated) / n, then clips,
   decays and steps, and empties the accumulator. The step count the learning rate (and a
   schedule) sees is the number of completed updates, ⌊calls / n⌋.
2. With ``use_ema``, every call, updating or not, moves the average towards the parameters:
   a ← μ·a + (1 − μ)·θ with μ = ``ema_momentum``, except while that update count is still 0,
   when a ← θ. With ``ema_overwrite_frequency = f`` the parameters are replaced by the average
   whenever (update count + 1) is a multiple of f.

The gradients are unscaled (``loss_scale_factor``) before they are accumulated, and clipped
after they are averaged, in Keras's order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._checks import check_count, check_flag, is_real
from .sparse_gradients import SparseRows
from .tree import Tree, leaves, tree_map

#: The options, with Keras's names.
TRAINING_OPTIONS = ("use_ema", "ema_momentum", "ema_overwrite_frequency", "gradient_accumulation_steps")


class TrainingOptions(NamedTuple):
    """The settings; make them with :meth:`checked`."""

    use_ema: bool = False
    ema_momentum: float = 0.99
    ema_overwrite_frequency: int | None = None
    gradient_accumulation_steps: int | None = None

    @classmethod
    def checked(cls, **values: Any) -> TrainingOptions:
        """Check each value as Keras does: ``ema_momentum`` in [0, 1], the frequency a whole
        number >= 1 or None, the accumulation a whole number >= 2 or None."""
        use_ema = check_flag("use_ema", values.get("use_ema", False))
        momentum = values.get("ema_momentum", 0.99)
        if not is_real(momentum) or not 0 <= momentum <= 1:
            raise ValueError(f"ema_momentum must be a number in [0, 1]; got {momentum!r}")
        frequency = values.get("ema_overwrite_frequency")
        frequency = None if frequency is None else check_count("ema_overwrite_frequency", frequency, 1)
        steps = values.get("gradient_accumulation_steps")
        steps = None if steps is None else check_count("gradient_accumulation_steps", steps, 2)
        return cls(use_ema, float(momentum), frequency, steps)

    @property
    def active(self) -> bool:
        """Whether the update differs from a plain step (the EMA or the accumulation is on)."""
        return self.use_ema or self.gradient_accumulation_steps is not None


def training_update(optimizer, params: Tree, grads: Tree, state) -> tuple[Tree, Any]:
    """One call of ``optimizer.update`` with its training options, as Keras 3 applies them.

    ``state.average`` and ``state.accumulated`` hold the EMA and the accumulator; the other
    buffers are the optimizer's own, passed to its plain step (``optimizer.step_once``) with
    the step count set to the number of completed updates.
    """
    options = optimizer.training
    if any(isinstance(g, SparseRows) for g in leaves(grads)):
        raise ValueError("use_ema and gradient_accumulation_steps are not implemented for SparseRows gradients")
    calls = int(state.step)
    n = options.gradient_accumulation_steps or 1
    updates = calls // n
    core = state._replace(step=updates, average=None, accumulated=None)
    grads = optimizer.prepare_gradients(grads, clip=False)
    accumulated = state.accumulated
    if n == 1:
        new_params, core = optimizer.step_once(params, grads, core, unscaled=True)
    elif (calls + 1) % n == 0:
        averaged = tree_map(lambda a, g: None if g is None else (g + a) / n, accumulated, grads)
        new_params, core = optimizer.step_once(params, averaged, core, unscaled=True)
        accumulated = tree_map(np.zeros_like, accumulated)
    else:
        new_params = params
        accumulated = tree_map(lambda a, g: a if g is None else g + a, accumulated, grads)
    average = state.average
    if options.use_ema:
        momentum = 0.0 if updates == 0 else options.ema_momentum
        average = tree_map(_moving_average(momentum), average, new_params)
        frequency = options.ema_overwrite_frequency
        if frequency and (updates + 1) % frequency == 0:
            new_params = tree_map(np.copy, average)
    return new_params, state._replace(
        step=calls + 1,
        **{name: value for name, value in zip(state._fields[1:], core[1:]) if name not in ("average", "accumulated")},
        average=average,
        accumulated=accumulated,
    )


def _moving_average(momentum: float):
    """a ← μ·a + (1 − μ)·θ with μ and 1 − μ in θ's dtype, as Keras casts them."""

    def step(average, theta):
        mu = np.asarray(momentum, np.asarray(theta).dtype)
        return mu * average + (np.asarray(1, mu.dtype) - mu) * theta

    return step
