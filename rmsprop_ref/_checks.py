"""Checking user input, with errors that name the argument and say what it accepts.

Private: the package's modules call these; users never need to. One place for every check,
so that the same argument gets the same message everywhere.

``np.array("ab", dtype=float)`` fails with "could not convert string to float", which names
neither the argument nor what it accepts, and ``np.array(True, dtype=float)`` quietly gives
1.0. ``True`` is an ``int`` to Python, so every numeric check below refuses booleans first.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .sparse_gradients import SparseRows
from .tree import Tree, child_path, leaves_with_paths

if TYPE_CHECKING:
    from .optimizers import Optimizer

_REAL = (int, float, np.integer, np.floating)


def is_real(value: Any) -> bool:
    """A Python or NumPy integer or float, and not a boolean."""
    return isinstance(value, _REAL) and not isinstance(value, (bool, np.bool_))


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    """A whole number (Python or NumPy int, not bool) >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def check_finite(name: str, value: Any) -> float:
    """A finite real number."""
    if not is_real(value) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


def check_positive(name: str, value: Any) -> float:
    """A finite number > 0."""
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


def check_non_negative(name: str, value: Any) -> float:
    """A finite number >= 0 (epsilon, weight decay, accumulator start)."""
    if not is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def check_fraction(name: str, value: Any) -> float:
    """A number in [0, 1) (decay rates, momentum, dropout)."""
    if not is_real(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def check_flag(name: str, value: Any) -> bool:
    """True or False (NumPy's too); 0, 1, "yes" and None are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def float_array(name: str, value: Any, accepted: str = "numbers") -> np.ndarray:
    """``value`` as a float64 array, or a ValueError saying what ``name`` accepts.

    Integers and floats (Python or NumPy) are accepted; strings, booleans, None and mixed
    objects are not.
    """
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nesting
        raise ValueError(f"{name} must be {accepted}; got {value!r}") from None
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be {accepted}; got {value!r}")
    return array.astype(np.float64)


def seeded_rng(seed: Any, name: str = "seed") -> np.random.Generator:
    """``np.random.default_rng(seed)`` for a whole number >= 0, or a ValueError naming ``name``.

    ``default_rng(None)`` draws fresh entropy: a run that is silently different every time.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be a whole number >= 0 (a run must be reproducible); got {seed!r}")
    return np.random.default_rng(int(seed))


# --------------------------------------------------------------------------- trees


def check_same_structure(
    reference: Tree, other: Tree, name: str, reference_name: str = "params", *, gradient_leaves: bool = False
) -> None:
    """Raise ValueError, naming the leaf, where ``other`` differs from ``reference``.

    Differences that count: container kind, dict keys, sequence length, and for leaves
    the shape and the dtype (no silent casting between float32 and float64). With
    ``gradient_leaves``, a leaf of ``other`` may also be None (a parameter without a
    gradient) or :class:`~rmsprop_ref.sparse_gradients.SparseRows` that fit the parameter.
    """
    _check(reference, other, reference_name, name, gradient_leaves)


def _check(ref: Tree, other: Tree, ref_path: str, path: str, gradient_leaves: bool = False) -> None:
    if gradient_leaves and not isinstance(ref, (dict, list, tuple)):
        if other is None:
            return
        if isinstance(other, SparseRows):
            other.check(ref, path)
            return
    if isinstance(ref, dict):
        if not isinstance(other, dict):
            raise ValueError(f"{path} must be a dict like {ref_path}; got {type(other).__name__}")
        if set(ref) != set(other):
            missing, extra = sorted(map(str, set(ref) - set(other))), sorted(map(str, set(other) - set(ref)))
            raise ValueError(f"{path} must have the keys of {ref_path}; missing {missing}, unexpected {extra}")
        for key in ref:
            _check(ref[key], other[key], child_path(ref_path, key), child_path(path, key), gradient_leaves)
    elif isinstance(ref, (list, tuple)):
        if not isinstance(other, (list, tuple)) or len(other) != len(ref):
            got = (
                f"{type(other).__name__} of length {len(other)}"
                if isinstance(other, (list, tuple))
                else type(other).__name__
            )
            raise ValueError(f"{path} must be a sequence of {len(ref)} items like {ref_path}; got {got}")
        for index, (a, b) in enumerate(zip(ref, other)):
            _check(a, b, child_path(ref_path, index), child_path(path, index), gradient_leaves)
    else:
        if isinstance(other, (dict, list, tuple)):
            raise ValueError(f"{path} must be an array like {ref_path}; got a {type(other).__name__}")
        if other is None:
            raise ValueError(f"{path} is None; an array like {ref_path} is needed here")
        if isinstance(other, SparseRows):
            raise ValueError(f"{path} is SparseRows; this path needs a dense array like {ref_path}")
        ref_arr, arr = np.asarray(ref), np.asarray(other)
        if arr.shape != ref_arr.shape:
            raise ValueError(f"{path} has shape {arr.shape}; it must match {ref_path}, shape {ref_arr.shape}")
        if arr.dtype != ref_arr.dtype:
            raise ValueError(f"{path} has dtype {arr.dtype}; it must match {ref_path}, dtype {ref_arr.dtype}")


def is_parameter_dtype(dtype) -> bool:
    """float16, bfloat16 (ml_dtypes' type, recognised by name, so nothing is imported),
    float32, float64, or complex64 / complex128 (stepped as pairs of reals)."""
    dtype = np.dtype(dtype)
    return np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.complexfloating) or dtype.name == "bfloat16"


def check_float_leaves(tree: Tree, name: str = "params", *, real_only: bool = False) -> None:
    """Raise ValueError unless every leaf is a floating-point (or complex) array or scalar;
    ``real_only`` for a path that takes float16, float32 and float64 only."""
    for path, leaf in leaves_with_paths(tree, name):
        dtype = np.asarray(leaf).dtype
        if real_only and not np.issubdtype(dtype, np.floating):
            raise ValueError(f"{path} has dtype {dtype}; this path takes float16, float32 or float64 arrays")
        if not is_parameter_dtype(dtype):
            raise ValueError(
                f"{path} has dtype {dtype}; parameters must be float16, bfloat16, float32, float64, "
                f"complex64 or complex128 arrays"
            )


# --------------------------------------------------------------------------- optimizers


def check_learning_rate(value: Any) -> float | Callable[[int], float]:
    """Accept a finite float > 0 or a callable schedule; anything else is a ValueError."""
    if isinstance(value, type):
        raise ValueError(
            f"learning_rate must be a number or a schedule object such as "
            f"schedules.ExponentialDecay(0.01, 100, 0.5); got the class {value.__name__} itself"
        )
    if callable(value):
        try:
            inspect.signature(value).bind(0)
        except TypeError:
            raise ValueError(
                f"a learning_rate schedule must take one argument, the step count; "
                f"{value!r} cannot be called as schedule(step)"
            ) from None
        except ValueError:  # some builtins have no signature to inspect: let the first step tell
            pass
        return value
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"learning_rate must be a finite number > 0 or a callable schedule(step); got {value!r}")
    return float(value)


def reject_unknown_keywords(owner: str, unknown: dict, accepted: tuple[str, ...]) -> None:
    """Raise TypeError for keyword arguments the optimizer does not have.

    ``lr=`` gets its own message: it is the spelling of the article's Keras 2 code, which
    Keras 3 rejects, and the fix is always the same.
    """
    if not unknown:
        return
    if "lr" in unknown:
        raise TypeError(
            f"{owner}() got an unexpected keyword argument 'lr': use learning_rate= instead "
            f"(Keras 3 rejects lr= too; tf.keras 2.11-2.15 silently ignored it)"
        )
    names = ", ".join(repr(k) for k in sorted(unknown))
    raise TypeError(f"{owner}() got unexpected keyword argument(s) {names}; accepted: {', '.join(accepted)}")


def check_optimizer(optimizer: Any, name: str = "optimizer") -> Optimizer:
    """Accept an optimizer instance; name the mistake when given its class or something else."""
    from .optimizers import Optimizer  # here: optimizers imports this module

    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        raise ValueError(
            f"{name} must be an optimizer instance such as {optimizer.__name__}(0.01); "
            f"got the class {optimizer.__name__} itself"
        )
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"{name} must be an rmsprop_ref optimizer (SGD, Adagrad, Adam, RMSprop, ...); "
            f"got {type(optimizer).__name__}"
        )
    return optimizer


def check_state_matches(optimizer: Optimizer, state) -> None:
    """Refuse a state whose buffers do not match the optimizer's configuration.

    A state made without momentum, given to an optimizer with momentum, would otherwise run
    without momentum for good (likewise centered, AMSGrad). The pure and in-place paths share
    this check.
    """
    for name, slot, fill in zip(optimizer.State._fields[1:], state[1:], optimizer.slot_fills()):
        if (slot is None) != (fill is None):
            has, uses = ("has no", "uses") if slot is None else ("has a", "does not use")
            raise ValueError(
                f"state {has} {name} buffer, but {optimizer!r} {uses} one: the state was made by an "
                f"optimizer configured differently; start from this optimizer's init(params)"
            )


def check_step_inputs(
    optimizer: Optimizer, params: Tree, grads: Tree, state, made_by: str, *, gradient_leaves: bool = False
) -> None:
    """Everything a step checks before it computes: the state's type (``made_by`` says which
    methods make it), float parameters, gradients and state buffers shaped like the parameters,
    buffers that match the optimizer's configuration, and an ε the parameters' dtype can hold.
    The pure and in-place paths share this check; ``gradient_leaves`` lets a gradient leaf be
    None (the pure path skips that parameter) or SparseRows (the pure path updates rows)."""
    if not isinstance(state, optimizer.State):
        raise ValueError(
            f"state must be the {optimizer.State.__name__} returned by {made_by}; got {type(state).__name__}"
        )
    check_float_leaves(params)
    check_same_structure(params, grads, "grads", gradient_leaves=gradient_leaves)
    check_state_matches(optimizer, state)
    for name, slot in zip(optimizer.State._fields[1:], state[1:]):
        if slot is not None:
            check_same_structure(params, slot, f"state.{name}")
    check_epsilon_representable(getattr(optimizer, "epsilon", 0.0), params)


def check_epsilon_representable(epsilon: float, params: Tree) -> None:
    """Refuse an ε > 0 that rounds to 0 in a parameter leaf's dtype.

    The arithmetic sees ε in the parameters' dtype: float16 turns the torch preset's 1e-8 into
    0, and then a coordinate whose gradient is 0 computes 0/0. So whether ε is zero is decided
    on the value the arithmetic will use, not on the Python float.
    """
    if callable(epsilon) or not epsilon:  # a function is checked by the step that calls it
        return
    for path, leaf in leaves_with_paths(params, "params"):
        dtype = np.asarray(leaf).dtype
        if dtype.type(epsilon) == 0:
            tiny = np.finfo(dtype).smallest_subnormal
            raise ValueError(
                f"epsilon={epsilon!r} rounds to 0 in {dtype} (the dtype of {path}); in {dtype} epsilon "
                f"must be 0 or at least {tiny:.3g}, or use a wider dtype"
            )
