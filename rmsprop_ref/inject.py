"""Hyper-parameters held in the state, where a training loop can read and change them.

``optax.inject_hyperparams(optax.rmsprop)(learning_rate=0.01)`` keeps the learning rate (and
every other numeric hyper-parameter) in the optimizer's state rather than in the optimizer,
so that a loop can lower it between two updates, or read what a schedule set it to.
:class:`InjectHyperparams` does the same for any :class:`~rmsprop_ref.rmsprop.RMSprop`::

    opt = InjectHyperparams(RMSprop.preset("optax", learning_rate=0.01))
    state = opt.init(params)
    params, state = opt.update(params, grads, state)
    lower = {**state.hyperparams, "learning_rate": 0.001}
    state = state._replace(hyperparams=lower)

Before each update, a hyper-parameter that was given as a function (a schedule) is called
with the update count and its value written into ``state.hyperparams``, as Optax does; the
others are read from the state as they are, so a changed value takes effect at the next
update. The step then runs with exactly the values the state holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from .optimizers import Optimizer
from .rmsprop import VARYING, RMSprop
from .tree import Tree

#: The hyper-parameters that can live in the state.
INJECTABLE = ("learning_rate", *VARYING)


class InjectedState(NamedTuple):
    step: int
    hyperparams: dict[str, Any]  # the values of the injected hyper-parameters for the next update
    inner: Any  # the state of the RMSprop that takes the steps


class InjectHyperparams:
    """``optimizer`` with the hyper-parameters ``names`` (default: all of ``INJECTABLE``) in the state."""

    def __init__(self, optimizer: RMSprop, names: Sequence[str] | None = None):
        if not isinstance(optimizer, RMSprop):
            raise ValueError(f"optimizer must be an rmsprop_ref.RMSprop; got {type(optimizer).__name__}")
        names = INJECTABLE if names is None else tuple(names)
        unknown = [name for name in names if name not in INJECTABLE]
        if unknown:
            raise ValueError(
                f"names: {', '.join(map(repr, unknown))} cannot be injected; choose from {', '.join(INJECTABLE)}"
            )
        self.optimizer = optimizer
        self.names = names

    def __repr__(self) -> str:
        return f"InjectHyperparams({self.optimizer!r}, names={self.names!r})"

    def _values_at(self, step: int, held: dict[str, Any]) -> dict[str, Any]:
        """The held values, with every hyper-parameter given as a function evaluated at ``step``."""
        values = dict(held)
        resolved = self.optimizer.at_step(step)  # every function of the step, called once
        for name in self.names:
            if callable(getattr(self.optimizer, name)):
                values[name] = resolved.learning_rate_at(step) if name == "learning_rate" else getattr(resolved, name)
        return values

    def _stepping(self, values: dict[str, Any]) -> Optimizer:
        try:
            return RMSprop(**{**self.optimizer.hyperparameters(), **values})
        except ValueError as error:
            raise ValueError(f"state.hyperparams: {error}") from None

    def init(self, params: Tree) -> InjectedState:
        """The state before the first update: the hyper-parameters' values (schedules at step 0)
        and the inner RMSprop's state."""
        values = self._values_at(0, {name: getattr(self.optimizer, name) for name in self.names})
        return InjectedState(0, values, self._stepping(values).init(params))

    def update(self, params: Tree, grads: Tree, state: InjectedState) -> tuple[Tree, InjectedState]:
        """Return ``(new_params, new_state)``; the step uses the values in ``state.hyperparams``."""
        if not isinstance(state, InjectedState):
            raise ValueError(
                f"state must be the InjectedState returned by InjectHyperparams.init; got {type(state).__name__}"
            )
        if set(state.hyperparams) != set(self.names):
            raise ValueError(
                f"state.hyperparams must hold exactly {', '.join(self.names)}; got {', '.join(map(str, state.hyperparams))}"
            )
        values = self._values_at(int(state.step), state.hyperparams)
        new_params, inner = self._stepping(values).update(params, grads, state.inner)
        return new_params, InjectedState(int(state.step) + 1, values, inner)
