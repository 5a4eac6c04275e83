"""What one RMSprop step costs: a traffic-and-flops model, and timings against the copy bound.

The model (:func:`step_model`) counts, per parameter, the bytes a step must move between
memory and the core (the arrays it reads and writes, once each) and the element-wise
operations it performs. The operations are not typed in by hand: they are counted by
running the in-place kernel (:func:`rmsprop_ref.inplace.rmsprop_step_`) on arrays that
record every ufunc call. The same count gives the traffic of the unfused NumPy expression,
where every operation reads its operands from and writes its result to main memory.

The timings (:func:`measure`) run one step of each implementation many times and keep the
median, after a warm-up. The yard-stick is the *bound*: the time ``np.copyto`` takes to
stream the same number of bytes (a copy of M float32 elements reads 4M and writes 4M
bytes), the best of one thread and two. Frameworks are imported only when asked for.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..inplace import InPlaceRMSprop, rmsprop_step_, shared_thread_pool, step_coefficients
from ..rmsprop import RMSprop

VARIANTS: dict[str, dict] = {
    "plain": {},
    "momentum": {"momentum": 0.9},
    "centered": {"centered": True},
}
"""The three variants benchmarked; options of :class:`~rmsprop_ref.rmsprop.RMSprop`."""

IMPLEMENTATIONS = ("pure update", "in-place", "torch foreach", "keras eager", "keras tf.function")
"""Every implementation :func:`measure` knows, besides the bound."""

LEARNING_RATE, RHO, EPSILON = 1e-3, 0.9, 1e-7


def optimizer_for(variant: str) -> RMSprop:
    """The RMSprop of a variant (Keras conventions, η = 1e-3, ρ = 0.9, μ = 0.9 with momentum)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}; got {variant!r}")
    return RMSprop(LEARNING_RATE, rho=RHO, epsilon=EPSILON, **VARIANTS[variant])


# --------------------------------------------------------------------------- the model


class _Counting(np.ndarray):
    """An array that appends (ufunc name, array operands) to ``log`` on every ufunc call."""

    log: list = []

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        arrays = len({id(x) for x in inputs if isinstance(x, np.ndarray) and x.ndim > 0})  # g·g streams g once
        _Counting.log.append((ufunc.__name__, arrays))
        inputs = tuple(x.view(np.ndarray) if isinstance(x, np.ndarray) else x for x in inputs)
        if out is not None:
            kwargs["out"] = tuple(o.view(np.ndarray) for o in out)
        return getattr(ufunc, method)(*inputs, **kwargs)


@dataclass(frozen=True)
class StepModel:
    """Per parameter, for one variant and dtype.

    ``arrays_read``, ``arrays_written``
        state arrays a step must read / write (θ, g, v, m, b)
    ``bytes``
        (read + written) × itemsize: the minimum traffic
    ``operations``
        element-wise operations (ufunc calls) of the kernel
    ``sqrt_and_divide``
        how many of them are square roots or divisions (slower)
    ``unfused_bytes``
        traffic when every operation streams its operands from and its result to memory:
        Σ (array operands + 1) × itemsize

    :func:`step_model` makes one from a variant's name or an ``RMSprop``.
    """

    variant: str
    arrays_read: int
    arrays_written: int
    bytes: int
    operations: int
    sqrt_and_divide: int
    unfused_bytes: int

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: operations per byte of minimum traffic."""
        return self.operations / self.bytes


def step_model(variant: str | RMSprop, itemsize: int = 4) -> StepModel:
    """Count the traffic and the operations of one step of ``variant`` (a name or an RMSprop)."""
    optimizer = variant if isinstance(variant, RMSprop) else optimizer_for(variant)
    variant = variant if isinstance(variant, str) else repr(optimizer)
    arrays = [np.ones(4).view(_Counting) for _ in range(8)]
    theta, g, v, m, b, t, u, w = arrays
    m = m if optimizer.centered else None
    b = b if optimizer.momentum > 0 else None
    _Counting.log = []
    rmsprop_step_(optimizer, step_coefficients(optimizer, 0), theta, g, v, m, b, t, u, w)
    log = _Counting.log
    state_arrays = 3 + (m is not None) + (b is not None)  # θ, g, v (+ m) (+ b)
    read, written = state_arrays, state_arrays - 1  # everything but g is written back
    return StepModel(
        variant=variant,
        arrays_read=read,
        arrays_written=written,
        bytes=(read + written) * itemsize,
        operations=len(log),
        sqrt_and_divide=sum(name in ("sqrt", "divide") for name, _ in log),
        unfused_bytes=sum(operands + 1 for _, operands in log) * itemsize,
    )


# --------------------------------------------------------------------------- timing


def median_time(step: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """The median wall time of ``step()`` in seconds, after ``warmup`` untimed calls."""
    return statistics.median(_timings(step, repeats, warmup))


def bound_time(n_bytes: int, repeats: int, warmup: int = 3) -> tuple[float, int]:
    """(seconds, threads): the faster of np.copyto on one thread and split over two threads."""
    times, threads = bound_timings(n_bytes, repeats, warmup)
    return statistics.median(times), threads


def bound_timings(n_bytes: int, repeats: int, warmup: int = 3) -> tuple[list[float], int]:
    """(every timing in seconds, threads) of the faster, by median, of np.copyto on one
    thread and split over two threads; :func:`bound_time` keeps only the median."""
    count = max(1, n_bytes // 8)  # copying M float32 moves 8M bytes
    source = np.ones(count, dtype=np.float32)
    target = np.zeros_like(source)
    half = count // 2

    def two_threads():
        future = shared_thread_pool(1).submit(np.copyto, target[:half], source[:half])
        np.copyto(target[half:], source[half:])
        future.result()

    one = _timings(lambda: np.copyto(target, source), repeats, warmup)
    two = _timings(two_threads, repeats, warmup)
    return (one, 1) if statistics.median(one) <= statistics.median(two) else (two, 2)


def relative_spread(times: list[float]) -> float:
    """The interquartile range of ``times`` over their median: how much one measurement varies."""
    if len(times) < 2:
        raise ValueError("relative_spread needs at least two timings")
    low, _, high = statistics.quantiles(times, n=4)
    return (high - low) / statistics.median(times)


def significant(value: float, spread: float) -> str:
    """``value`` with the significant digits that a relative ``spread`` supports: one digit
    when it varies by 10 % or more, two down to 1 %, three below (no exponent notation)."""
    if not (value > 0 and np.isfinite(value)) or spread < 0:
        raise ValueError(f"need a positive finite value and a spread >= 0; got {value!r}, {spread!r}")
    digits = 1 if spread >= 0.1 else 2 if spread >= 0.01 else 3
    decimals = digits - 1 - int(np.floor(np.log10(value)))
    if round(value, decimals) >= 10 ** (digits - decimals):  # 0.96 to one digit is 1, not 1.0
        decimals -= 1
    return f"{round(value, decimals):.{max(decimals, 0)}f}"


def times_as_long(records: list[dict], slow: str, fast: str, n: int, key: str = "best_ms") -> str:
    """How many times as long ``slow``'s step takes as ``fast``'s at size ``n``: the lowest and
    highest ratio over the variants ("3–5", or "4" when they agree), each with the digits that
    the larger of the two implementations' spreads at ``n`` supports (:func:`significant`).

    ``key``: ``"best_ms"`` for the fastest repeats (the default), ``"ms"`` for the medians.
    """
    at_n = [r for r in records if r["n"] == n]
    if not at_n:
        raise ValueError(f"no record with n = {n}")
    ratios = sorted(r[key][slow] / r[key][fast] for r in at_n)
    noise = max(max(r["spread"][slow], r["spread"][fast]) for r in at_n)
    # significant() rejects a ratio that is not positive and finite: a timing went wrong
    low, high = (significant(ratio, noise) for ratio in (ratios[0], ratios[-1]))
    return low if low == high else f"{low}–{high}"


def _problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32)


def make_step(implementation: str, variant: str, n: int) -> Callable[[], object]:
    """A zero-argument callable doing one step of ``implementation`` on ``n`` float32 parameters."""
    optimizer = optimizer_for(variant)
    theta, grad = _problem(n)
    options = VARIANTS[variant]
    if implementation == "pure update":
        box = [theta, optimizer.init(theta)]

        def step():
            box[0], box[1] = optimizer.update(box[0], grad, box[1])

        return step
    if implementation == "in-place":
        fast = InPlaceRMSprop(optimizer)
        box = [fast.init(theta)]

        def step():
            box[0] = fast.update_(theta, grad, box[0])

        return step
    if implementation == "torch foreach":
        import torch

        parameter = torch.nn.Parameter(torch.from_numpy(theta))
        parameter.grad = torch.from_numpy(grad)
        torch_opt = torch.optim.RMSprop(
            [parameter],
            lr=LEARNING_RATE,
            alpha=RHO,
            eps=EPSILON,
            foreach=True,
            momentum=options.get("momentum", 0.0),
            centered=options.get("centered", False),
        )
        return torch_opt.step
    if implementation in ("keras eager", "keras tf.function"):
        import keras
        import tensorflow as tf

        variable = keras.Variable(theta)
        gradient = tf.constant(grad)
        keras_opt = keras.optimizers.RMSprop(
            LEARNING_RATE,
            rho=RHO,
            epsilon=EPSILON,
            momentum=options.get("momentum", 0.0),
            centered=options.get("centered", False),
        )
        keras_opt.build([variable])

        def step():
            keras_opt.apply([gradient], [variable])

        return step if implementation == "keras eager" else tf.function(step)
    raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}")


def repeats_for(n: int, budget_seconds: float = 0.3, minimum: int = 5, maximum: int = 50) -> int:
    """Enough repeats for a stable median at size n, within a rough time budget per cell."""
    guess = budget_seconds / max(n * 2e-9, 1e-5)  # assume ~2 ns per parameter per step
    return int(min(maximum, max(minimum, guess)))


def _timings(step: Callable[[], object], repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def measure(
    sizes, variants=tuple(VARIANTS), implementations=IMPLEMENTATIONS, *, repeats: int | None = None, warmup: int = 3
) -> list[dict]:
    """Time every implementation, variant and size; one record per (size, variant).

    Each implementation runs its repeats back to back (after ``warmup`` untimed steps):
    PyTorch and TensorFlow keep their worker threads spinning for a while after a kernel,
    so interleaving the implementations would make each one pay for the previous one's
    threads. A record: ``{"n", "variant", "bytes", "repeats", "bound_ms", "bound_threads",
    "bound_spread", "ms": {impl: median ms}, "best_ms": {impl: fastest ms}, "spread": {impl:
    relative spread}}``, where ``bound_spread`` and ``spread`` are the :func:`relative_spread`
    of the bound's and of each implementation's repeats.
    """
    records = []
    for n in sizes:
        for variant in variants:
            reps = repeats or repeats_for(n)
            n_bytes = step_model(variant).bytes * n
            bound_times, threads = bound_timings(n_bytes, reps, warmup)
            bound = statistics.median(bound_times)
            medians, fastest, spreads = {}, {}, {}
            for implementation in implementations:
                times = _timings(make_step(implementation, variant, n), reps, warmup)
                medians[implementation] = 1e3 * statistics.median(times)
                fastest[implementation] = 1e3 * min(times)
                spreads[implementation] = relative_spread(times)
            records.append(
                {
                    "n": int(n),
                    "variant": variant,
                    "bytes": int(n_bytes),
                    "repeats": reps,
                    "bound_ms": 1e3 * bound,
                    "bound_threads": threads,
                    "bound_spread": relative_spread(bound_times),
                    "ms": medians,
                    "best_ms": fastest,
                    "spread": spreads,
                }
            )
    return records


def peak_step_memory(implementation: str, variant: str, n: int) -> int:
    """Peak bytes allocated (tracemalloc: NumPy and Python) during one step, after warm-up.

    Only meaningful for the NumPy implementations; the frameworks allocate outside
    tracemalloc's view.
    """
    if implementation not in ("pure update", "in-place"):
        raise ValueError(f"peak memory is measured for 'pure update' and 'in-place' only; got {implementation!r}")
    step = make_step(implementation, variant, n)
    step()
    step()
    return peak_bytes(step)


def peak_bytes(step) -> int:
    """Peak bytes that tracemalloc sees allocated while ``step()`` runs once."""
    tracemalloc.start()
    try:
        step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def format_table(records: list[dict], implementations=IMPLEMENTATIONS, key: str = "ms") -> str:
    """A plain-text table (:func:`~rmsprop_ref.book.tables.text_table`): milliseconds per
    step, and in brackets the ratio to the bound; N written plainly (10⁴, never 1e+04).

    ``key``: ``"ms"`` for the medians, ``"best_ms"`` for the fastest repeats. An
    implementation missing from a record leaves its cell empty.
    """
    from .plots import plain_number
    from .tables import text_table

    rows = [
        [plain_number(r["n"]), r["variant"], f"{r['bound_ms']:.3f}"]
        + [
            f"{r[key][name]:.3f} ({r[key][name] / r['bound_ms']:.2f}×)" if name in r[key] else ""
            for name in implementations
        ]
        for r in records
    ]
    return text_table(["N", "variant", "bound ms", *implementations], rows)


def _html(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_table(records: list[dict], implementations=IMPLEMENTATIONS, key: str = "ms") -> str:
    """The measurements as an HTML table: ms per step and, in brackets, the ratio to the bound.

    ``key``: ``"ms"`` for the medians, ``"best_ms"`` for the fastest repeats. Each ratio has
    the significant digits that the bound's spread in its record supports (:func:`significant`):
    a bound that varies by 20 % from repeat to repeat cannot give a ratio to 0.1.
    """
    rows = [
        [
            f"{r['n']:,}".replace(",", "\u2009"),
            r["variant"],
            f"{r['bound_ms']:.2g} (IQR {100 * r['bound_spread']:.0f} %)",
        ]
        + [
            f"{r[key][name]:.3g} ({significant(r[key][name] / r['bound_ms'], r['bound_spread'])}×)"
            for name in implementations
        ]
        for r in records
    ]
    return _html(["N", "variant", "bound (ms; interquartile range / median)", *implementations], rows)


def model_table(models: list[StepModel]) -> str:
    """The per-parameter model of each variant as an HTML table."""
    header = [
        "variant",
        "arrays read",
        "arrays written",
        "bytes",
        "operations (of them √ and ÷)",
        "operations per byte",
        "bytes if every operation streams from memory",
    ]
    rows = [
        [
            m.variant,
            m.arrays_read,
            m.arrays_written,
            m.bytes,
            f"{m.operations} ({m.sqrt_and_divide})",
            f"{m.intensity:.2f}",
            m.unfused_bytes,
        ]
        for m in models
    ]
    return _html(header, rows)


IMPLEMENTATION_STYLES = {
    "pure update": dict(color="#7f7f7f", marker="o"),
    "in-place": dict(color="#1f77b4", marker="s"),
    "torch foreach": dict(color="#d62728", marker="^"),
    "keras eager": dict(color="#ff7f0e", marker="v", linestyle=":"),
    "keras tf.function": dict(color="#ff7f0e", marker="D"),
}


def plot_times(records: list[dict], axes, implementations=IMPLEMENTATIONS, key: str = "ms") -> None:
    """One panel per variant: ms per step against N (log-log), the bound as a dashed line.

    ``key``: ``"ms"`` to plot the medians, ``"best_ms"`` the fastest repeats.
    """
    variants = list(dict.fromkeys(r["variant"] for r in records))
    for ax, variant in zip(axes, variants):
        rows = sorted((r for r in records if r["variant"] == variant), key=lambda r: r["n"])
        sizes = [r["n"] for r in rows]
        for name in implementations:
            ax.loglog(sizes, [r[key][name] for r in rows], label=name, **IMPLEMENTATION_STYLES[name])
        ax.loglog(sizes, [r["bound_ms"] for r in rows], "k--", label="bound (copy the bytes)")
        ax.set_title(variant)
        ax.set_xlabel("parameters N (float32)")
    axes[0].set_ylabel("time per step (ms, log scale)")


__all__ = [
    "html_table",
    "model_table",
    "plot_times",
    "VARIANTS",
    "IMPLEMENTATIONS",
    "StepModel",
    "step_model",
    "optimizer_for",
    "median_time",
    "bound_time",
    "make_step",
    "measure",
    "peak_step_memory",
    "format_table",
    "repeats_for",
    "bound_timings",
    "relative_spread",
    "significant",
    "times_as_long",
]
