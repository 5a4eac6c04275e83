"""Optimizers as pairs of pure functions, in the shape Optax made familiar::

    opt = SGD(learning_rate=0.1, momentum=0.9)
    state = opt.init(params)
    new_params, new_state = opt.update(params, grads, state)

``update`` never modifies its inputs; it returns new arrays and a new state. The state is
an immutable named tuple whose first field, ``step``, counts the updates applied so far
(0 before the first). Hyper-parameters are checked and frozen when the optimizer is made.
A learning rate is a positive float or a schedule: a callable from that step count
(0, 1, 2, ...) to a positive float, as in :mod:`rmsprop_ref.schedules`.

This module holds the shared machinery and the baselines SGD, Adagrad and Adam;
:mod:`rmsprop_ref.rmsprop` holds RMSprop in every framework's convention.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from ._checks import (
    check_epsilon_representable,
    check_flag,
    check_float_leaves,
    check_fraction,
    check_learning_rate,
    check_non_negative,
    check_step_inputs,
    reject_unknown_keywords,
)
from .sparse_gradients import SparseRows, sparse_step
from .training import training_update
from .tree import Tree, leaves, leaves_with_paths, tree_map, tree_map_multi, tree_map_multi_with_path

LearningRate = float | Callable[[int], float]


# --------------------------------------------------------------------------- base class


class Optimizer:
    """Shared machinery: checking inputs, resolving the learning rate, mapping over leaves.

    A subclass defines ``State`` (a NamedTuple whose first field is ``step``), the list of
    hyper-parameter names ``HYPERPARAMETERS``, ``slot_fills()`` (the initial value of each
    state buffer, or None where the buffer is unused) and ``leaf_update`` (the maths for
    one array, returning the new parameter and the new value of every slot).
    """

    State: type
    HYPERPARAMETERS: tuple[str, ...] = ()
    _frozen = False

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} hyper-parameters are frozen; make a new optimizer instead")
        object.__setattr__(self, name, value)

    def _freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def hyperparameters(self) -> dict[str, Any]:
        """The hyper-parameters as keyword arguments that rebuild this optimizer."""
        return {name: getattr(self, name) for name in self.HYPERPARAMETERS}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"

    # -- the two pure functions

    def init(self, params: Tree):
        """The state before the first step: ``step = 0`` and every buffer at its start value."""
        check_float_leaves(params)
        check_epsilon_representable(getattr(self, "epsilon", 0.0), params)
        slots = [
            None if fill is None else tree_map(partial(_filled_like, fill=fill), params) for fill in self.slot_fills()
        ]
        return self.State(0, *slots)

    def update(self, params: Tree, grads: Tree, state) -> tuple[Tree, Any]:
        """Return ``(new_params, new_state)``; the inputs are left untouched.

        A gradient leaf may be None: that parameter and its buffers stay as they are.
        """
        self._check_inputs(params, grads, state)
        optimizer = self.at_step(int(state.step))
        if optimizer.training is not None:
            return training_update(optimizer, params, grads, state)
        return optimizer.step_once(params, grads, state)

    def at_step(self, step: int) -> Optimizer:
        """The optimizer that makes update ``step``: itself, unless a hyper-parameter is a
        function of the step (RMSprop's rho, epsilon, momentum, weight_decay)."""
        return self

    def step_once(self, params: Tree, grads: Tree, state, *, unscaled: bool = False) -> tuple[Tree, Any]:
        """The step itself, on inputs ``update`` has checked: prepare the gradients (unscale
        them unless ``unscaled``, clip, negate), then ``leaf_update`` on every leaf."""
        grads = self.prepare_gradients(grads, unscale=not unscaled)
        step = int(state.step)
        learning_rate = self.learning_rate_at(step)
        slots = state[1 : 1 + self.leaf_slot_count()]  # the buffers leaf_update reads and writes
        # An unused buffer is None; give leaf_update a None for each of its leaves.
        nones = tree_map(_none, params) if any(s is None for s in slots) else None
        slot_trees = [nones if s is None else s for s in slots]
        if self.leaf_optimizer is None:
            leaf_update = partial(self.leaf_update, learning_rate=learning_rate, step=step)

            def leaf(theta, g, *leaf_slots):
                # A parameter without a gradient (None, as PyTorch's .grad before any backward
                # pass) is skipped, state and all, as PyTorch and Keras skip it.
                if g is None:
                    return (theta, *leaf_slots)
                if isinstance(g, SparseRows):
                    return sparse_step(leaf_update, self.sparse_updates, theta, g, leaf_slots)
                if _is_complex(theta):
                    return as_pairs_of_reals(leaf_update, theta, g, leaf_slots)
                return leaf_update(theta, g, *leaf_slots)

            new_params, *new_slots = tree_map_multi(leaf, 1 + len(slots), params, grads, *slot_trees)
        else:
            step_leaf = partial(self._step_leaf_with_its_options, step=step)
            new_params, *new_slots = tree_map_multi_with_path(step_leaf, 1 + len(slots), params, grads, *slot_trees)
        new_slots = [None if old is None else new for old, new in zip(slots, new_slots)]
        new_state = self.State(step + 1, *new_slots)
        # Overflow must not be written into the state unnoticed: a mean square of inf stops
        # its coordinate for good, and every later step would look normal.
        for prefix, tree in zip(("params", *(f"state.{n}" for n in self.State._fields[1:])), [new_params, *new_slots]):
            if tree is not None and not all(np.isfinite(leaf).all() for leaf in leaves(tree)):
                path, leaf = next((p, x) for p, x in leaves_with_paths(tree, prefix) if not np.isfinite(x).all())
                raise non_finite_step(step, path, np.asarray(leaf).dtype)
        return new_params, new_state

    # -- options that differ from leaf to leaf

    #: None, or a function from a leaf's path to the optimizer that steps that leaf (RMSprop's
    #: ``leaf_options``). It may switch a buffer off for its leaf, never on: the optimizer-wide
    #: settings decide which buffers the state holds.
    leaf_optimizer: Callable[[str], Optimizer] | None = None

    def _step_leaf_with_its_options(self, path: str, theta, g, *leaf_slots, step: int) -> tuple:
        if g is None:
            return (theta, *leaf_slots)
        optimizer = self.leaf_optimizer(path)
        if getattr(optimizer, "maximize", False) != getattr(self, "maximize", False):
            g = -g  # this leaf maximizes while the others minimize, or the other way round
        used = [fill is not None for fill in optimizer.slot_fills()]
        leaf_update = partial(optimizer.leaf_update, learning_rate=optimizer.learning_rate_at(step), step=step)
        given = [slot if use else None for slot, use in zip(leaf_slots, used)]
        if isinstance(g, SparseRows):
            new_theta, *new_slots = sparse_step(leaf_update, optimizer.sparse_updates, theta, g, given)
        elif _is_complex(theta):
            new_theta, *new_slots = as_pairs_of_reals(leaf_update, theta, g, given)
        else:
            new_theta, *new_slots = leaf_update(theta, g, *given)
        # a buffer this leaf does not use keeps its value
        return (new_theta, *[new if use else old for new, old, use in zip(new_slots, leaf_slots, used)])

    # -- helpers for subclasses and callers

    def learning_rate_at(self, step: int) -> float:
        """η at ``step`` (the number of updates applied before this one)."""
        rate = self.learning_rate
        if not callable(rate):
            return rate
        value = rate(step)
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(f"learning_rate schedule returned {value!r} at step {step}; it must return a number > 0")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"learning_rate schedule returned {value!r} at step {step}; it must return a number > 0"
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"learning_rate schedule returned {value!r} at step {step}; it must be finite and > 0")
        return value

    def _check_inputs(self, params: Tree, grads: Tree, state) -> None:
        check_step_inputs(self, params, grads, state, f"{type(self).__name__}.init or .update", gradient_leaves=True)
        for tree, name in ((params, "params"), (grads, "grads")):
            if all(leaf is None or isinstance(leaf, SparseRows) or np.isfinite(leaf).all() for leaf in leaves(tree)):
                continue
            for path, leaf in leaves_with_paths(tree, name):
                if leaf is not None and not isinstance(leaf, SparseRows) and not np.all(np.isfinite(leaf)):
                    raise FloatingPointError(f"{path} has non-finite values (nan or inf) at step {int(state.step)}")

    #: What a SparseRows gradient updates: "dense" (every row, the others with a zero
    #: gradient) or "lazy" (only its rows); see :mod:`rmsprop_ref.sparse_gradients`.
    sparse_updates: str = "dense"

    #: None, or the training-loop options (RMSprop's use_ema, gradient_accumulation_steps);
    #: see :mod:`rmsprop_ref.training`.
    training: Any = None

    def leaf_slot_count(self) -> int:
        """How many of the state's buffers (after ``step``) ``leaf_update`` takes: all of them,
        unless the state also holds buffers that the update keeps around the step (RMSprop's
        moving average and gradient accumulator, see :mod:`rmsprop_ref.training`)."""
        return len(self.State._fields) - 1

    def prepare_gradients(self, grads: Tree, *, unscale: bool = True, clip: bool = True) -> Tree:
        """The gradients the update uses, from the ones given (unchanged here; RMSprop can
        unscale them and then clip and negate them; ``unscale`` and ``clip`` choose the parts)."""
        return grads

    def slot_fills(self) -> list[float | None]:  # pragma: no cover - abstract
        """The start value of each state buffer after ``step`` (in ``State``'s field order),
        or None for a buffer this configuration does not use."""
        raise NotImplementedError

    def leaf_update(self, theta, g, *slots, learning_rate: float, step: int) -> tuple:  # pragma: no cover
        """One leaf's step: from θ, g and the leaf's buffers (``slots``) to the new θ and new
        buffers, in that order. ``learning_rate`` is η at this ``step`` (schedules resolved)."""
        raise NotImplementedError


def _none(_leaf) -> None:
    return None


def _is_complex(theta) -> bool:
    """np.iscomplexobj for a leaf, without its cost for an array (a dtype lookup)."""
    dtype = getattr(theta, "dtype", None)
    return dtype.kind == "c" if dtype is not None else np.iscomplexobj(theta)


def _filled_like(p, fill: float) -> np.ndarray:
    """A buffer shaped like ``p`` holding ``fill``; for a complex ``p``, ``fill`` in both the
    real and the imaginary part (the buffer holds a pair of reals per number)."""
    p = np.asarray(p)
    if np.iscomplexobj(p):
        real = np.full((*p.shape, 2), fill, p.real.dtype)
        return real.view(p.dtype)[..., 0]
    return np.full_like(p, fill)


def as_pairs_of_reals(leaf_update, theta, g, slots) -> tuple:
    """``leaf_update`` on complex arrays as PyTorch runs it (``torch.view_as_real``): each
    complex number is a pair of reals, with its own running mean square per part."""
    if np.isrealobj(g):
        raise ValueError(f"a complex parameter needs a complex gradient; got {np.asarray(g).dtype}")

    def real(x):
        return None if x is None else np.ascontiguousarray(x)[..., None].view(np.asarray(x).real.dtype)

    results = leaf_update(real(theta), real(g), *[real(s) for s in slots])
    dtype = np.asarray(theta).dtype
    return tuple(None if y is None else np.ascontiguousarray(y).view(dtype)[..., 0] for y in results)


def non_finite_step(step: int, path: str, dtype) -> FloatingPointError:
    """The error for a step that would write inf or nan into ``path`` (a parameter or a buffer)."""
    return FloatingPointError(
        f"step {step} would make {path} non-finite (inf or nan) in {dtype}; "
        f"lower the learning rate, clip or rescale the gradients, or use a wider dtype. "
        f"Nothing was returned; the inputs are unchanged."
    )


# --------------------------------------------------------------------------- baselines


class SGDState(NamedTuple):
    step: int
    momentum_buffer: Tree | None  # b, only when momentum > 0


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay::

        g ← g + wd·θ  (when weight_decay > 0), then
        plain:     θ ← θ − η·g
        momentum:  b ← μ·b + g;  θ ← θ − η·b        (PyTorch's form; b starts at 0)
        Nesterov:  b ← μ·b + g;  θ ← θ − η·(g + μ·b)

    The defaults are PyTorch's: η = 0.01, no momentum, no weight decay.
    """

    State = SGDState
    HYPERPARAMETERS = ("learning_rate", "momentum", "nesterov", "weight_decay")

    def __init__(
        self,
        learning_rate: LearningRate = 0.01,
        *,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        **unknown,
    ):
        reject_unknown_keywords("SGD", unknown, self.HYPERPARAMETERS)
        self.learning_rate = check_learning_rate(learning_rate)
        self.momentum = check_fraction("momentum", momentum)
        self.nesterov = check_flag("nesterov", nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")
        self.weight_decay = check_non_negative("weight_decay", weight_decay)
        self._freeze()

    def slot_fills(self):
        return [0.0 if self.momentum > 0 else None]

    def leaf_update(self, theta, g, buffer, *, learning_rate, step):
        if self.weight_decay:
            g = g + self.weight_decay * theta
        if buffer is None:
            return theta - learning_rate * g, None
        buffer = self.momentum * buffer + g
        direction = g + self.momentum * buffer if self.nesterov else buffer
        return theta - learning_rate * direction, buffer


class AdagradState(NamedTuple):
    step: int
    accumulator: Tree  # running sum of g², starting at initial_accumulator


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011) in Keras 3's form.

    G ← G + g²;  θ ← θ − η·g / √(G + ε).  G only grows, so every step only shrinks.
    Defaults are Keras's: η = 0.001, G starts at 0.1, ε = 1e-7.
    """

    State = AdagradState
    HYPERPARAMETERS = ("learning_rate", "initial_accumulator", "epsilon")

    def __init__(
        self, learning_rate: LearningRate = 0.001, *, initial_accumulator: float = 0.1, epsilon: float = 1e-7, **unknown
    ):
        reject_unknown_keywords("Adagrad", unknown, self.HYPERPARAMETERS)
        self.learning_rate = check_learning_rate(learning_rate)
        self.initial_accumulator = check_non_negative("initial_accumulator", initial_accumulator)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self._freeze()

    def slot_fills(self):
        return [self.initial_accumulator]

    def leaf_update(self, theta, g, accumulator, *, learning_rate, step):
        accumulator = accumulator + g * g
        return theta - learning_rate * g / np.sqrt(accumulator + self.epsilon), accumulator


class AdamState(NamedTuple):
    step: int
    mean: Tree  # m, the running mean of g
    mean_square: Tree  # v, the running mean of g²
    max_mean_square: Tree | None  # max of v so far, only for AMSGrad


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015, Algorithm 1): RMSprop plus momentum plus bias correction.

    m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  t = step + 1
    m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  θ ← θ − η·m̂ / (√v̂ + ε)

    With ``amsgrad=True`` (Reddi, Kale & Kumar 2018) v in the denominator is replaced by the
    largest v seen so far (then bias-corrected, as PyTorch does), so the per-coordinate step
    size cannot grow back after a large gradient.
    """

    State = AdamState
    HYPERPARAMETERS = ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        *,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        amsgrad: bool = False,
        **unknown,
    ):
        reject_unknown_keywords("Adam", unknown, self.HYPERPARAMETERS)
        self.learning_rate = check_learning_rate(learning_rate)
        self.beta_1 = check_fraction("beta_1", beta_1)
        self.beta_2 = check_fraction("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.amsgrad = check_flag("amsgrad", amsgrad)
        self._freeze()

    def slot_fills(self):
        return [0.0, 0.0, 0.0 if self.amsgrad else None]

    def leaf_update(self, theta, g, mean, mean_square, max_mean_square, *, learning_rate, step):
        t = step + 1
        mean = self.beta_1 * mean + (1 - self.beta_1) * g
        mean_square = self.beta_2 * mean_square + (1 - self.beta_2) * g * g
        if max_mean_square is not None:
            max_mean_square = np.maximum(max_mean_square, mean_square)
        mean_hat = mean / (1 - self.beta_1**t)
        mean_square_hat = (mean_square if max_mean_square is None else max_mean_square) / (1 - self.beta_2**t)
        new_theta = theta - learning_rate * mean_hat / (np.sqrt(mean_square_hat) + self.epsilon)
        return new_theta, mean, mean_square, max_mean_square
