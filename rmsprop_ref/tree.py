"""Nested containers of arrays ("pytrees") and the few operations the optimizers need.

A tree is a NumPy array (a *leaf*) or a dict, list or tuple whose items are trees.
Optimizers map their arithmetic over the leaves of the parameters, the gradients and
their own state, which always share one structure. Leaves keep their dtype: nothing
here converts float32 to float64.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

Tree = Any  # np.ndarray | dict[str, Tree] | list[Tree] | tuple[Tree, ...]


def _child_path(path: str, key: Any) -> str:
    return f"{path}[{key!r}]"


def leaves_with_paths(tree: Tree, path: str = "params") -> Iterator[tuple[str, Any]]:
    """Yield ``(path, leaf)`` for every leaf, in a fixed order (dict keys sorted)."""
    if isinstance(tree, dict):
        for key in _sorted_keys(tree):
            yield from leaves_with_paths(tree[key], _child_path(path, key))
    elif isinstance(tree, (list, tuple)):
        for index, item in enumerate(tree):
            yield from leaves_with_paths(item, _child_path(path, index))
    else:
        yield path, tree


def _sorted_keys(tree: dict) -> list:
    """The keys in sorted order; keys of mixed types (1 and "a") by type name, then repr."""
    try:
        return sorted(tree)
    except TypeError:
        return sorted(tree, key=lambda key: (type(key).__name__, repr(key)))


def leaves(tree: Tree) -> list[Any]:
    """The leaves of ``tree`` in the order of :func:`leaves_with_paths`."""
    return [leaf for _, leaf in leaves_with_paths(tree)]


def tree_map(fn: Callable[..., Any], tree: Tree, *rest: Tree) -> Tree:
    """Apply ``fn(leaf, *matching_leaves)`` leaf by leaf; the trees must share a structure.

    The result has the structure of ``tree`` (dicts stay dicts, tuples stay tuples).
    Use :func:`check_same_structure` first when a mismatch must be reported nicely.
    """
    if isinstance(tree, dict):
        return {key: tree_map(fn, tree[key], *(other[key] for other in rest)) for key in tree}
    if isinstance(tree, (list, tuple)):
        mapped = [tree_map(fn, item, *(other[i] for other in rest)) for i, item in enumerate(tree)]
        return type(tree)(mapped) if isinstance(tree, tuple) else mapped
    return fn(tree, *rest)


def tree_map_multi(fn: Callable[..., tuple], count: int, tree: Tree, *rest: Tree) -> tuple[Tree, ...]:
    """Like :func:`tree_map` for an ``fn`` that returns ``count`` values per leaf.

    Returns ``count`` trees, each with the structure of ``tree``. The optimizers use it to
    compute new parameters and every state buffer in one pass over the leaves.
    """
    mapped = tree_map(lambda *xs: tuple(fn(*xs)), tree, *rest)
    return tuple(_select(mapped, tree, i) for i in range(count))


def _select(mapped: Tree, structure: Tree, index: int) -> Tree:
    if isinstance(structure, dict):
        return {key: _select(mapped[key], structure[key], index) for key in structure}
    if isinstance(structure, (list, tuple)):
        items = [_select(mapped[i], item, index) for i, item in enumerate(structure)]
        return type(structure)(items) if isinstance(structure, tuple) else items
    return mapped[index]


def check_same_structure(reference: Tree, other: Tree, name: str, reference_name: str = "params") -> None:
    """Raise ValueError, naming the leaf, where ``other`` differs from ``reference``.

    Differences that count: container kind, dict keys, sequence length, and for leaves
    the shape and the dtype (no silent casting between float32 and float64).
    """
    _check(reference, other, reference_name, name)


def _check(ref: Tree, other: Tree, ref_path: str, path: str) -> None:
    if isinstance(ref, dict):
        if not isinstance(other, dict):
            raise ValueError(f"{path} must be a dict like {ref_path}; got {type(other).__name__}")
        if set(ref) != set(other):
            missing, extra = sorted(map(str, set(ref) - set(other))), sorted(map(str, set(other) - set(ref)))
            raise ValueError(f"{path} must have the keys of {ref_path}; missing {missing}, unexpected {extra}")
        for key in ref:
            _check(ref[key], other[key], _child_path(ref_path, key), _child_path(path, key))
    elif isinstance(ref, (list, tuple)):
        if not isinstance(other, (list, tuple)) or len(other) != len(ref):
            got = f"{type(other).__name__} of length {len(other)}" if isinstance(other, (list, tuple)) else type(other).__name__
            raise ValueError(f"{path} must be a sequence of {len(ref)} items like {ref_path}; got {got}")
        for index, (a, b) in enumerate(zip(ref, other)):
            _check(a, b, _child_path(ref_path, index), _child_path(path, index))
    else:
        if isinstance(other, (dict, list, tuple)):
            raise ValueError(f"{path} must be an array like {ref_path}; got a {type(other).__name__}")
        ref_arr, arr = np.asarray(ref), np.asarray(other)
        if arr.shape != ref_arr.shape:
            raise ValueError(f"{path} has shape {arr.shape}; it must match {ref_path}, shape {ref_arr.shape}")
        if arr.dtype != ref_arr.dtype:
            raise ValueError(f"{path} has dtype {arr.dtype}; it must match {ref_path}, dtype {ref_arr.dtype}")


def check_float_leaves(tree: Tree, name: str = "params") -> None:
    """Raise ValueError unless every leaf is a floating-point array (or scalar)."""
    for path, leaf in leaves_with_paths(tree, name):
        dtype = np.asarray(leaf).dtype
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(f"{path} has dtype {dtype}; parameters must be float16, float32 or float64 arrays")
