"""A fast, in-place RMSprop step for large arrays, in plain NumPy::

    fast = InPlaceRMSprop(RMSprop.preset("torch", momentum=0.9))
    state = fast.init(params)
    # params and the state's buffers change IN PLACE:
    state = fast.update_(params, grads, state)

**This path mutates its inputs by design.** ``update_`` overwrites the parameter arrays and
the state's buffers (``mean_square``, ``mean_grad``, ``momentum_buffer``) with their new
values and returns a state whose only new field is ``step``. Anyone else holding those
arrays sees them change. The gradients are only read. Use the pure ``RMSprop.update`` when
you want values, not speed; the two are tested to give bit-for-bit the same numbers.

Why it is faster. An RMSprop step is memory-bound: per float32 parameter it must read θ, g
and v and write θ and v, 20 bytes, for about nine flops. The readable expression in
``RMSprop.leaf_update`` makes NumPy run each operation over the whole array and allocate a
fresh N-sized temporary for each result, so the bytes cross the memory bus many times over.
Here the same operations, in the same order (hence the same roundings), run with ``out=`` on
blocks of ``block_size`` elements, so the block's arrays and two or three scratch blocks stay
in the core's cache across the ten or so passes; main memory sees each byte about once.
Blocks are shared between a few threads from a small persistent pool (NumPy releases the
GIL inside its ufunc loops, so the threads really run at once).

What remains between this path and the copy bound is arithmetic: NumPy cannot fuse the
operations, so each one is still a loop over the block (in cache), and the square root alone
costs several multiplications. On a two-core machine that, more than memory, is the limit;
``benchmarks/step.py`` measures how close it gets.

Non-finite results are never silent: each block is checked while it is still in the cache
(one reduction, no allocation), and a step that made any parameter or buffer inf or nan
raises ``FloatingPointError`` naming the leaf, after the step (the arrays already hold it).
What it does not do by default is scan its inputs first (the pure ``update`` does; that is
one more pass over the arrays from memory). Pass ``check_finite=True`` for that: non-finite
parameters or gradients then raise before anything is modified.
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.array_utils import byte_bounds

from ._checks import check_count, check_flag, check_float_leaves, check_step_inputs
from .gradients import refuse_unsupported_options
from .rmsprop import RMSprop, RMSpropState
from .tree import Tree, leaves_with_paths

# Elements per block: 1 MiB per float32 array, so a thread's θ, g, v and scratch blocks (about
# 5 MiB) stay in the caches (L2 and the shared L3) while the passes run. Measured on a 2-core
# machine at N = 1e7: 262 144 beat 65 536 and 131 072 (fewer calls, less time holding the GIL)
# and 524 288.
DEFAULT_BLOCK_SIZE = 262_144


class Coefficients(NamedTuple):
    """The scalars of one step, each a number or an array that broadcasts against θ.

    They are exactly the values ``RMSprop.leaf_update`` uses, so that the arithmetic below
    rounds identically: NumPy casts a Python float to θ's dtype before multiplying, and the
    batched sweep passes columns already cast the same way.
    """

    learning_rate: Any  # η
    rho: Any  # ρ
    one_minus_rho: Any  # 1 − ρ, computed in double then rounded, as in leaf_update
    epsilon: Any  # ε
    weight_decay: Any  # wd; None when wd = 0
    correction: Any  # 1 − ρ^(step+1) with bias correction; None otherwise
    momentum: Any  # μ; None without momentum
    zero_epsilon: Any = False  # ε == 0 (decided on the exact value, before any rounding)


def step_coefficients(optimizer: RMSprop, step: int) -> Coefficients:
    """The coefficients of update number ``step`` (0-based) for one RMSprop."""
    rho = optimizer.rho
    return Coefficients(
        learning_rate=optimizer.learning_rate_at(step),
        rho=rho,
        one_minus_rho=1 - rho,
        epsilon=optimizer.epsilon,
        weight_decay=optimizer.weight_decay or None,
        correction=1 - rho ** (step + 1) if optimizer.bias_correction else None,
        momentum=optimizer.momentum if optimizer.momentum > 0 else None,
        zero_epsilon=optimizer.epsilon == 0,
    )


def rmsprop_step_(optimizer: RMSprop, c: Coefficients, theta, g, v, m, b, t, u, w) -> None:
    """One RMSprop step on matching arrays, written into ``theta``, ``v``, ``m``, ``b``.

    ``g`` is only read. ``t``, ``u``, ``w`` are scratch arrays of θ's shape (contents are
    overwritten). ``m`` / ``b`` are None when the optimizer is not centered / has no
    momentum. Every line mirrors one operation of ``RMSprop.leaf_update``, in its order and
    with its operands, so both round the same way and give identical results.
    """
    decoupled = optimizer.weight_decay_mode == "decoupled"
    if c.weight_decay is not None and not decoupled:  # g ← g + wd·θ, into scratch w
        np.multiply(theta, c.weight_decay, out=w)
        np.add(g, w, out=w)
        g = w
    if c.weight_decay is not None and decoupled:  # θ ← θ − (θ·wd)·η  (Keras's order)
        np.multiply(theta, c.weight_decay, out=t)
        np.multiply(t, c.learning_rate, out=t)
        np.subtract(theta, t, out=theta)

    np.multiply(g, g, out=t)  # v ← ρ·v + (1−ρ)·g²
    np.multiply(t, c.one_minus_rho, out=t)
    np.multiply(v, c.rho, out=v)
    np.add(v, t, out=v)
    if m is not None:  # m ← ρ·m + (1−ρ)·g
        np.multiply(g, c.one_minus_rho, out=t)
        np.multiply(m, c.rho, out=m)
        np.add(m, t, out=m)

    second_moment = v  # s = v̂ − m̂² (or v̂)
    if c.correction is not None:
        np.divide(v, c.correction, out=t)
        second_moment = t
        if m is not None:
            np.divide(m, c.correction, out=u)
            np.multiply(u, u, out=u)
            np.subtract(t, u, out=t)
    elif m is not None:
        np.multiply(m, m, out=u)
        np.subtract(v, u, out=t)
        second_moment = t

    if optimizer.epsilon_in_sqrt:  # den = √(s + ε)  or  √s + ε, into t
        np.add(second_moment, c.epsilon, out=t)
        np.sqrt(t, out=t)
    else:
        np.sqrt(second_moment, out=t)
        np.add(t, c.epsilon, out=t)
    if c.zero_epsilon is True or (c.zero_epsilon is not False and np.any(c.zero_epsilon)):
        # As leaf_update: with ε = 0 a zero denominator (a coordinate that has only seen zero
        # gradients) becomes ∞, so that g/∞ = 0 instead of 0/0.
        np.copyto(t, np.inf, where=(t == 0) & c.zero_epsilon)

    if b is None or optimizer.lr_in_momentum:  # increment = (η·g) / den, into t
        np.multiply(g, c.learning_rate, out=u)
        np.divide(u, t, out=t)
        if b is None:  # θ ← θ − increment
            np.subtract(theta, t, out=theta)
            return
        np.multiply(b, c.momentum, out=b)  # b ← μ·b + increment
        np.add(b, t, out=b)
        if optimizer.nesterov:  # θ ← θ − (increment + μ·b)
            np.multiply(b, c.momentum, out=u)
            np.add(t, u, out=t)
            np.subtract(theta, t, out=theta)
        else:  # θ ← θ − b
            np.subtract(theta, b, out=theta)
        return

    np.divide(g, t, out=t)  # scaled = g / den (η outside the buffer)
    np.multiply(b, c.momentum, out=b)  # b ← μ·b + scaled
    np.add(b, t, out=b)
    if optimizer.nesterov:  # θ ← θ − η·(scaled + μ·b)
        np.multiply(b, c.momentum, out=u)
        np.add(t, u, out=t)
        np.multiply(t, c.learning_rate, out=t)
    else:  # θ ← θ − η·b
        np.multiply(b, c.learning_rate, out=t)
    np.subtract(theta, t, out=theta)


# --------------------------------------------------------------------------- thread pool

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def shared_thread_pool(workers: int) -> ThreadPoolExecutor:
    """One small pool for the whole process, grown when a caller asks for more workers."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rmsprop-inplace")
            _pool_size = workers
        return _pool


def default_threads() -> int:
    """The cores this process may use (at most 4: beyond that memory, not cores, limits)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


# --------------------------------------------------------------------------- the fast path


class InPlaceRMSprop:
    """RMSprop's step for large arrays: in place, blocked for the cache, over a few threads.

    ``optimizer`` is an :class:`~rmsprop_ref.rmsprop.RMSprop` (any options, any preset, any
    schedule); this object only changes *how* its step is computed, never *what*.

    - ``block_size``: elements per block (default 262 144; the blocks in flight stay in the
      processor's caches).
    - ``threads``: threads sharing the blocks (default: the usable cores, at most 4).
      Arrays with fewer than ``min_parallel_size`` elements in total run in the calling
      thread, where starting threads would cost more than it saves.
    - ``check_finite``: scan the parameters and gradients for nan/inf first, as the pure update does.

    Every parameter leaf and state buffer must be a writable, C-contiguous NumPy array (so
    that it can be changed in place), not sharing memory with the gradients. Scratch blocks
    are allocated once per thread and dtype and reused: a step allocates no array of the
    parameters' size.
    """

    def __init__(
        self,
        optimizer: RMSprop,
        *,
        block_size: int = DEFAULT_BLOCK_SIZE,
        threads: int | None = None,
        min_parallel_size: int | None = None,
        check_finite: bool = False,
    ):
        if not isinstance(optimizer, RMSprop):
            raise ValueError(f"optimizer must be an rmsprop_ref.RMSprop; got {type(optimizer).__name__}")
        refuse_unsupported_options(optimizer, "InPlaceRMSprop")
        check_count("block_size", block_size)
        if threads is None:
            threads = default_threads()
        check_count("threads", threads)
        if min_parallel_size is None:
            min_parallel_size = 2 * int(block_size)
        check_count("min_parallel_size", min_parallel_size, 0)
        check_flag("check_finite", check_finite)
        self.optimizer = optimizer
        self.block_size = int(block_size)
        self.threads = int(threads)
        self.min_parallel_size = int(min_parallel_size)
        self.check_finite = bool(check_finite)
        self._scratch: dict[tuple[int, np.dtype], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # The scratch blocks belong to this object, not to a call: two threads stepping through
        # one InPlaceRMSprop at once would write each other's scratch. Their steps take turns.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"InPlaceRMSprop({self.optimizer!r}, block_size={self.block_size}, threads={self.threads}, "
            f"check_finite={self.check_finite})"
        )

    def init(self, params: Tree) -> RMSpropState:
        """The optimizer's initial state (fresh, writable buffers)."""
        check_float_leaves(params, real_only=True)
        return self.optimizer.init(params)

    def update_(self, params: Tree, grads: Tree, state: RMSpropState) -> RMSpropState:
        """Apply one step IN PLACE to ``params`` and the buffers of ``state``.

        Returns the state with ``step`` advanced; its buffers are the very arrays passed in,
        now holding their new values. ``grads`` is left untouched.
        """
        with self._lock:
            return self._update_(params, grads, state)

    def _update_(self, params: Tree, grads: Tree, state: RMSpropState) -> RMSpropState:
        leaves = self._flat_leaves(params, grads, state)
        step = int(state.step)
        coefficients = step_coefficients(self.optimizer, step)
        if self.check_finite:
            self._check_finite(params, "params", step)
            self._check_finite(grads, "grads", step)
        blocks = self._blocks(leaves)
        total = sum(leaf[0].size for leaf in leaves)
        workers = min(self.threads if total >= self.min_parallel_size else 1, len(blocks))
        # Blocks are handed out one at a time from a shared counter (itertools.count's next
        # is atomic under the GIL), so a thread that the OS parks for a while on a busy
        # machine simply takes fewer blocks instead of holding the others up.
        counter = itertools.count()
        # Every worker's scratch blocks exist before any block runs. Otherwise a worker that
        # happened to take no block in the first steps would allocate its scratch in a later
        # one, and "a step allocates nothing after the first" would hold only by luck.
        # A block never needs more scratch than its leaf has elements, so an absurd
        # block_size costs nothing beyond the largest leaf.
        for dtype in {arrays[0].dtype for arrays in leaves}:
            largest = max(arrays[0].size for arrays in leaves if arrays[0].dtype == dtype)
            for worker in range(workers):
                self._scratch_for(worker, dtype, min(self.block_size, largest))
        broken: list[tuple[int, int]] = []  # list.append is atomic under the GIL
        if workers <= 1:
            self._run(0, counter, blocks, leaves, coefficients, broken)
        else:
            pool = shared_thread_pool(workers - 1)
            futures = [
                pool.submit(self._run, i, counter, blocks, leaves, coefficients, broken) for i in range(1, workers)
            ]
            self._run(0, counter, blocks, leaves, coefficients, broken)
            for future in futures:
                future.result()
        if broken:
            # The pure update refuses a step whose result is not finite; here the arrays
            # already hold it, so the error says so instead of letting the next step run on inf.
            index, k = min(broken)
            names = ["params"] + [f"state.{n}" for n in RMSpropState._fields[1:]]
            tree = params if k == 0 else state[k]
            path = [p for p, _ in leaves_with_paths(tree, names[k])][index]
            raise FloatingPointError(
                f"step {step} made {path} non-finite (inf or nan) in {leaves[index][0].dtype}; the in-place "
                f"step has already written it, so restore the arrays from a copy before going on"
            )
        return state._replace(step=step + 1)

    # -- helpers

    def _flat_leaves(self, params, grads, state) -> list[tuple]:
        """Check the inputs; return per leaf the 1-D views (θ, g, v, m, b) of matching arrays."""
        check_step_inputs(self.optimizer, params, grads, state, "init or update_")
        check_float_leaves(params, real_only=True)  # the kernels are written for real IEEE floats
        slots = state[1:4]  # v, m, b: the EMA and the accumulator are refused when the step is made
        columns = [list(leaves_with_paths(params, "params")), list(leaves_with_paths(grads, "grads"))]
        columns += [
            list(leaves_with_paths(s, f"state.{n}")) if s is not None else None
            for n, s in zip(RMSpropState._fields[1:4], slots)
        ]
        flat = []
        for i in range(len(columns[0])):
            arrays = []
            for k, column in enumerate(columns):
                if column is None:
                    arrays.append(None)
                    continue
                leaf_path, leaf = column[i]
                writable = k != 1
                if (
                    not isinstance(leaf, np.ndarray)
                    or not leaf.flags.c_contiguous
                    or (writable and not leaf.flags.writeable)
                ):
                    need = "a writable, C-contiguous NumPy array" if writable else "a C-contiguous NumPy array"
                    raise ValueError(
                        f"{leaf_path} must be {need} for the in-place step; got "
                        f"{type(leaf).__name__}"
                        + (f" with flags {_flags(leaf)}" if isinstance(leaf, np.ndarray) else "")
                    )
                arrays.append(leaf.reshape(-1))
            g = arrays[1]
            for k, array in enumerate(arrays):
                if k != 1 and array is not None and np.may_share_memory(array, g):
                    raise ValueError(
                        f"{columns[k][i][0]} shares memory with {columns[1][i][0]}; the in-place step "
                        f"would overwrite the gradient it is reading"
                    )
            flat.append(tuple(arrays[:1] + arrays[1:2] + arrays[2:]))
        _refuse_overlapping_writes(
            [
                (column[i][0], arrays[k])
                for k, column in enumerate(columns)
                if column is not None and k != 1
                for i, arrays in enumerate(flat)
                if arrays[k].size
            ]
        )
        return flat

    def _check_finite(self, tree, name: str, step: int) -> None:
        for path, g in leaves_with_paths(tree, name):
            flat = g.reshape(-1)
            for start in range(0, flat.size, self.block_size):
                block = flat[start : start + self.block_size]
                if not _all_finite(block):
                    raise FloatingPointError(f"{path} has non-finite values (nan or inf) at step {step}")

    def _blocks(self, leaves) -> list[tuple[int, int, int]]:
        """(leaf index, start, stop) for every block of every leaf, in order."""
        return [
            (index, start, min(start + self.block_size, arrays[0].size))
            for index, arrays in enumerate(leaves)
            for start in range(0, arrays[0].size, self.block_size)
        ]

    def _scratch_for(self, worker: int, dtype: np.dtype, size: int):
        key = (worker, dtype)
        if key not in self._scratch or self._scratch[key][0].size < size:
            self._scratch[key] = tuple(np.empty(size, dtype=dtype) for _ in range(3))
        return self._scratch[key]

    def _run(self, worker: int, counter, blocks, leaves, coefficients: Coefficients, broken: list) -> None:
        """Take blocks from the shared counter until none is left; step each one.

        A block whose result is not finite is noted in ``broken`` as (leaf index, array
        index); the check runs on the block while it is still in the cache.
        """
        typed = {}
        for position in counter:
            if position >= len(blocks):
                return
            index, start, stop = blocks[position]
            theta, g, v, m, b = leaves[index]
            if theta.dtype not in typed:
                # A NumPy scalar of θ's dtype holds exactly the value NumPy would round a Python
                # float to, and spares every ufunc call the promotion of a Python scalar.
                typed[theta.dtype] = coefficients._replace(
                    **{
                        name: theta.dtype.type(value)
                        for name, value in coefficients._asdict().items()
                        if value is not None and name != "zero_epsilon"
                    }
                )
            # made in update_ before any block runs, so a step never allocates here
            t, u, w = (s[: stop - start] for s in self._scratch[worker, theta.dtype])
            written = (
                theta[start:stop],
                v[start:stop],
                None if m is None else m[start:stop],
                None if b is None else b[start:stop],
            )
            rmsprop_step_(self.optimizer, typed[theta.dtype], written[0], g[start:stop], *written[1:], t, u, w)
            for k, block in enumerate(written):
                if block is not None and not _all_finite(block):
                    broken.append((index, k))


def _all_finite(block: np.ndarray) -> bool:
    """Whether every element is finite, without allocating anything of the block's size.

    The largest and the smallest element are both finite exactly when every element is
    (NaN propagates through both reductions). A sum would be one pass instead of two but can
    overflow, and summing float32 in float64 allocates a conversion buffer.
    """
    if block.size == 0:
        return True
    return bool(np.isfinite(np.maximum.reduce(block)) and np.isfinite(np.minimum.reduce(block)))


def _refuse_overlapping_writes(written: list[tuple[str, np.ndarray]]) -> None:
    """Refuse two written arrays that share memory: tied weights (one array twice in the tree)
    would take two steps, and a state buffer that is a parameter array would hold garbage.

    Sorting the arrays' byte ranges finds every overlap in O(n log n), where comparing every
    pair with np.may_share_memory would take O(n²) for a model with many leaves.
    """
    spans = sorted((*byte_bounds(array), path) for path, array in written)
    reach, reach_path = None, None
    for low, high, path in spans:
        if reach is not None and low < reach:
            raise ValueError(
                f"{path} shares memory with {reach_path}; the in-place step writes both, so "
                f"each would be stepped twice or overwritten (tied weights must be one leaf)"
            )
        if reach is None or high > reach:
            reach, reach_path = high, path


def _flags(array: np.ndarray) -> str:
    return f"C_CONTIGUOUS={array.flags.c_contiguous}, WRITEABLE={array.flags.writeable}"
