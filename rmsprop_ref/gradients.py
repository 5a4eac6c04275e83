"""What the frameworks do to the gradients before the update: unscale, clip, negate.

Keras 3 (``keras/src/optimizers/base_optimizer.py``) divides the gradients by
``loss_scale_factor``, then clips them with exactly one of ``clipnorm`` (each variable's
own L2 norm), ``global_clipnorm`` (the norm of all of them together) or ``clipvalue``
(each element), and only then applies weight decay and the step. Earlier Kerases allowed a
norm clip and ``clipvalue`` together: multi-backend Keras 2 (``keras/optimizers.py``,
``get_gradients``) clipped the global norm (its ``clipnorm``) and then the values; legacy
tf.keras (``optimizer_v2.py``, ``_transform_gradients``) clips the values first, then each
variable's norm (``clipnorm``) or the global one. PyTorch's ``maximize``
negates the gradient before its coupled weight decay. :class:`GradientOptions` holds
these settings, checked, and :meth:`GradientOptions.apply` runs them in that order on a
tree of gradients. The formulas are written in Keras's order of operations, so float32
results round as Keras's do.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._checks import check_flag, check_positive
from .tree import Tree, leaves, tree_map

#: The options, in the order they act (``clipvalue_first`` moves clipvalue before the norm clip).
GRADIENT_OPTIONS = ("loss_scale_factor", "clipnorm", "global_clipnorm", "clipvalue", "maximize", "clipvalue_first")
CLIPPING = ("clipnorm", "global_clipnorm", "clipvalue")


class GradientOptions(NamedTuple):
    """Gradient settings; None (or False) switches one off. Make it with :meth:`checked`."""

    loss_scale_factor: float | None = None
    clipnorm: float | None = None
    global_clipnorm: float | None = None
    clipvalue: float | None = None
    maximize: bool = False
    clipvalue_first: bool = False

    @classmethod
    def checked(cls, **values: Any) -> GradientOptions:
        """Check each value (a number > 0 or None; ``maximize`` and ``clipvalue_first`` bools)
        and that ``clipnorm`` and ``global_clipnorm`` are not both set."""
        checked = {
            name: None if values.get(name) is None else check_positive(name, values[name])
            for name in GRADIENT_OPTIONS[:4]
        }
        if checked["clipnorm"] is not None and checked["global_clipnorm"] is not None:
            raise ValueError(
                f"clipnorm and global_clipnorm cannot both be set; got clipnorm={checked['clipnorm']!r}, "
                f"global_clipnorm={checked['global_clipnorm']!r}"
            )
        return cls(
            **checked,
            maximize=check_flag("maximize", values.get("maximize", False)),
            clipvalue_first=check_flag("clipvalue_first", values.get("clipvalue_first", False)),
        )

    @property
    def active(self) -> bool:
        """Whether :meth:`apply` changes anything."""
        return any(value is not None for value in self[:4]) or self.maximize

    def apply(self, grads: Tree) -> Tree:
        """The gradients after unscaling, clipping and negating, as a new tree."""
        return self.clip_and_negate(self.unscale(grads))

    def unscale(self, grads: Tree) -> Tree:
        """The gradients divided by ``loss_scale_factor`` (the first part of :meth:`apply`)."""
        if self.loss_scale_factor is None:
            return grads
        scale = self.loss_scale_factor
        return _map_given(lambda g: g / scale, grads)

    def clip_and_negate(self, grads: Tree) -> Tree:
        """The gradients clipped, then negated with ``maximize`` (the rest of :meth:`apply`).

        A norm clip and ``clipvalue`` together run norm first (Keras 2), or value first with
        ``clipvalue_first`` (legacy tf.keras); Keras 3 allows only one of them.
        """
        if self.clipvalue_first:
            grads = self._clip_by_value(grads)
        if self.clipnorm is not None:
            grads = _map_given(lambda g: clip_by_norm(g, self.clipnorm), grads)
        elif self.global_clipnorm is not None:
            given = [g for g in leaves(grads) if g is not None]
            if given:
                factor = global_clip_factor(given, self.global_clipnorm)
                grads = _map_given(lambda g: g * np.asarray(factor, np.asarray(g).dtype), grads)
        if not self.clipvalue_first:
            grads = self._clip_by_value(grads)
        if self.maximize:
            grads = _map_given(np.negative, grads)
        return grads

    def _clip_by_value(self, grads: Tree) -> Tree:
        if self.clipvalue is None:
            return grads
        if any(g is not None and np.iscomplexobj(g) for g in leaves(grads)):
            raise ValueError("clipvalue is not defined for complex gradients; use clipnorm or global_clipnorm")
        limit = self.clipvalue
        return _map_given(lambda g: np.clip(g, -limit, limit), grads)


def _map_given(fn, grads: Tree) -> Tree:
    """``fn`` on every gradient leaf that is not None (a parameter without a gradient)."""
    return tree_map(lambda g: None if g is None else fn(g), grads)


def clip_by_norm(g, clipnorm: float):
    """g·c / max(‖g‖, c): g unchanged when its L2 norm is at most c, else rescaled to norm c."""
    g = np.asarray(g)
    norm = np.sqrt(np.sum(_squared_magnitude(g)))
    c = norm.dtype.type(clipnorm)
    return (g * c) / np.maximum(norm, c)


def _squared_magnitude(g: np.ndarray) -> np.ndarray:
    """g² elementwise, |g|² = re² + im² for complex g (a real array either way)."""
    return np.square(g.real) + np.square(g.imag) if np.iscomplexobj(g) else np.square(g)


def global_clip_factor(arrays: list, clipnorm: float) -> float:
    """c · min(1/N, 1/c), N the L2 norm of all leaves together: the factor that brings a
    global norm above c down to c (1 when N ≤ c). Computed in the widest leaf dtype."""
    dtype = np.result_type(*[np.asarray(a).real.dtype for a in arrays])
    norm = np.sqrt(sum(np.sum(_squared_magnitude(np.asarray(a)).astype(dtype)) for a in arrays))
    c = dtype.type(clipnorm)
    with np.errstate(divide="ignore"):  # N = 0: 1/N = inf, and the minimum is 1/c
        return c * np.minimum(dtype.type(1) / norm, dtype.type(1) / c)


def refuse_unsupported_options(optimizer: Any, where: str) -> None:
    """Raise a ValueError naming the gradient options, training options (EMA, accumulation),
    ``leaf_options`` and hyper-parameters given as functions that ``optimizer`` sets, for a path (``where``) that does not
    implement them and would otherwise ignore them."""
    names = (
        *GRADIENT_OPTIONS[:5],
        "use_ema",
        "gradient_accumulation_steps",
        "leaf_options",
    )  # clipvalue_first: an order only
    given = [f"{name}={getattr(optimizer, name)!r}" for name in names if getattr(optimizer, name, None)]
    given += [f"{name} as a function" for name in getattr(optimizer, "_varying", ())]
    if given:
        raise ValueError(
            f"{where} does not implement {', '.join(given)}; use RMSprop.update "
            f"(or rmsprop_ref.run.minimize), which does"
        )
