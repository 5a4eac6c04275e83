"""Sparse gradients: some rows of a parameter, like TensorFlow's ``tf.IndexedSlices``.

An embedding lookup touches a few rows of a large table, and TensorFlow hands the optimizer
only those rows. What RMSprop then does with the rows that got no gradient differs:

lazy (TF1's ``RMSPropOptimizer``; legacy tf.keras with momentum)
    Only the named rows are updated: their θ, v, m and momentum buffer. Every other row keeps
    all four, as if the step had not happened for it.
dense (Keras 3; legacy tf.keras without momentum)
    The rows are a dense gradient with zeros elsewhere: every row's v decays (v ← ρ·v), and a
    row without gradient moves only through its momentum buffer, if there is one.

Both first add up the values of a row named twice, as TensorFlow's optimizers do
(``_deduplicate_indexed_slices``). :class:`rmsprop_ref.rmsprop.RMSprop` chooses with its
``sparse_updates`` option ("dense" by default, "lazy" in the TF1 preset).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SPARSE_UPDATES = ("dense", "lazy")


@dataclass(frozen=True)
class SparseRows:
    """The gradient of rows ``indices`` of a parameter: ``values[k]`` is row ``indices[k]``'s.

    A leaf of a gradient tree (not a container: it is a dataclass, not a tuple).
    """

    indices: Any  # 1-D integers
    values: Any  # shape (len(indices), *parameter.shape[1:])

    def check(self, parameter, path: str) -> None:
        """Raise a ValueError naming ``path`` unless these rows fit ``parameter``."""
        theta = np.asarray(parameter)
        indices, values = np.asarray(self.indices), np.asarray(self.values)
        if theta.ndim == 0:
            raise ValueError(f"{path} is SparseRows, but its parameter is a scalar: it has no rows")
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise ValueError(
                f"{path}.indices must be a 1-D array of integers; got {indices.dtype} of shape {indices.shape}"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= theta.shape[0]):
            raise ValueError(
                f"{path}.indices must lie in [0, {theta.shape[0]}); got {indices.min()} to {indices.max()}"
            )
        wanted = (indices.size, *theta.shape[1:])
        if values.shape != wanted:
            raise ValueError(f"{path}.values has shape {values.shape}; it must be {wanted} (one row per index)")
        if values.dtype != theta.dtype:
            raise ValueError(f"{path}.values has dtype {values.dtype}; it must match the parameter's, {theta.dtype}")
        if not np.all(np.isfinite(values)):
            raise FloatingPointError(f"{path}.values has non-finite values (nan or inf)")

    def deduplicated(self) -> SparseRows:
        """Each row once, its values summed (sorted by row)."""
        indices = np.asarray(self.indices)
        unique, position = np.unique(indices, return_inverse=True)
        if unique.size == indices.size:
            order = np.argsort(indices)
            return SparseRows(indices[order], np.asarray(self.values)[order])
        values = np.asarray(self.values)
        summed = np.zeros((unique.size, *values.shape[1:]), values.dtype)
        np.add.at(summed, position, values)
        return SparseRows(unique, summed)

    def dense(self, shape: tuple, dtype) -> np.ndarray:
        """The gradient as a full array: the rows' (summed) values, zeros elsewhere."""
        rows = self.deduplicated()
        full = np.zeros(shape, dtype)
        full[rows.indices] = rows.values
        return full


def sparse_step(leaf_update, mode: str, theta, g: SparseRows, slots: tuple) -> tuple:
    """Run ``leaf_update(θ, g, *slots)`` for a SparseRows gradient ``g``, lazily or densely
    (``mode``); return the new θ and slots, whole."""
    theta = np.asarray(theta)
    if mode == "dense":
        return leaf_update(theta, g.dense(theta.shape, theta.dtype), *slots)
    rows = g.deduplicated()
    index = rows.indices
    new_rows = leaf_update(theta[index], rows.values, *[None if s is None else s[index] for s in slots])
    results = []
    for old, new in zip((theta, *slots), new_rows):
        if old is None:
            results.append(None)
            continue
        whole = np.array(old, copy=True)
        whole[index] = new
        results.append(whole)
    return tuple(results)
