"""Nested containers of arrays ("pytrees") and the few operations the optimizers need.

A tree is a NumPy array (a *leaf*) or a dict, list or tuple whose items are trees.
Optimizers map their arithmetic over the leaves of the parameters, the gradients and
their own state, which always share one structure. Leaves keep their dtype: nothing
here converts float32 to float64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Tree = Any  # np.ndarray | dict[str, Tree] | list[Tree] | tuple[Tree, ...]


def child_path(path: str, key: Any) -> str:
    """The path of ``key`` below ``path``, as :func:`leaves_with_paths` writes it."""
    return f"{path}[{key!r}]"


def leaves_with_paths(tree: Tree, path: str = "params") -> Iterator[tuple[str, Any]]:
    """Yield ``(path, leaf)`` for every leaf, in a fixed order (dict keys sorted)."""
    if isinstance(tree, dict):
        for key in _sorted_keys(tree):
            yield from leaves_with_paths(tree[key], child_path(path, key))
    elif isinstance(tree, (list, tuple)):
        for index, item in enumerate(tree):
            yield from leaves_with_paths(item, child_path(path, index))
    else:
        yield path, tree


def _sorted_keys(tree: dict) -> list:
    """The keys in sorted order; keys of mixed types (1 and "a") by type name, then repr."""
    try:
        return sorted(tree)
    except TypeError:
        return sorted(tree, key=lambda key: (type(key).__name__, repr(key)))


def leaves(tree: Tree) -> list[Any]:
    """The leaves of ``tree`` in the order of :func:`leaves_with_paths` (without building the
    paths, which the optimizers' checks ask for only when a leaf fails them)."""
    found: list[Any] = []
    _collect(tree, found)
    return found


def _collect(tree: Tree, found: list) -> None:
    if isinstance(tree, dict):
        for key in _sorted_keys(tree):
            _collect(tree[key], found)
    elif isinstance(tree, (list, tuple)):
        for item in tree:
            _collect(item, found)
    else:
        found.append(tree)


def tree_map(fn: Callable[..., Any], tree: Tree, *rest: Tree) -> Tree:
    """Apply ``fn(leaf, *matching_leaves)`` leaf by leaf; the trees must share a structure.

    The result has the structure of ``tree`` (dicts stay dicts, tuples stay tuples).
    The optimizers check the structures first, so that a mismatch is reported with the leaf's path.
    """
    if isinstance(tree, dict):
        return {key: tree_map(fn, tree[key], *(other[key] for other in rest)) for key in tree}
    if isinstance(tree, (list, tuple)):
        mapped = [tree_map(fn, item, *(other[i] for other in rest)) for i, item in enumerate(tree)]
        return type(tree)(mapped) if isinstance(tree, tuple) else mapped
    return fn(tree, *rest)


def tree_map_with_path(fn: Callable[..., Any], tree: Tree, *rest: Tree, path: str = "params") -> Tree:
    """Like :func:`tree_map`, with the leaf's path (as :func:`leaves_with_paths` writes it) as
    ``fn``'s first argument: ``fn(path, leaf, *matching_leaves)``."""
    if isinstance(tree, dict):
        return {
            key: tree_map_with_path(fn, tree[key], *(other[key] for other in rest), path=child_path(path, key))
            for key in tree
        }
    if isinstance(tree, (list, tuple)):
        mapped = [
            tree_map_with_path(fn, item, *(other[i] for other in rest), path=child_path(path, i))
            for i, item in enumerate(tree)
        ]
        return type(tree)(mapped) if isinstance(tree, tuple) else mapped
    return fn(path, tree, *rest)


def tree_map_multi(fn: Callable[..., tuple], count: int, tree: Tree, *rest: Tree) -> tuple[Tree, ...]:
    """Like :func:`tree_map` for an ``fn`` that returns ``count`` values per leaf.

    Returns ``count`` trees, each with the structure of ``tree``. The optimizers use it to
    compute new parameters and every state buffer in one pass over the leaves.
    """
    mapped = tree_map(lambda *xs: tuple(fn(*xs)), tree, *rest)
    return tuple(_select(mapped, tree, i) for i in range(count))


def tree_map_multi_with_path(fn: Callable[..., tuple], count: int, tree: Tree, *rest: Tree) -> tuple[Tree, ...]:
    """:func:`tree_map_multi` with the leaf's path as ``fn``'s first argument."""
    mapped = tree_map_with_path(lambda *xs: tuple(fn(*xs)), tree, *rest)
    return tuple(_select(mapped, tree, i) for i in range(count))


def _select(mapped: Tree, structure: Tree, index: int) -> Tree:
    if isinstance(structure, dict):
        return {key: _select(mapped[key], structure[key], index) for key in structure}
    if isinstance(structure, (list, tuple)):
        items = [_select(mapped[i], item, index) for i, item in enumerate(structure)]
        return type(structure)(items) if isinstance(structure, tuple) else items
    return mapped[index]
