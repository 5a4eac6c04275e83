"""The improved-RMSprop chapter's plumbing: runs over grids of variants, tables, the phase diagram.

The chapter (``book/improved.ipynb``) compares variants of RMSprop (options of
:class:`~rmsprop_ref.rmsprop.RMSprop`) on a few toy problems with one budget. What it repeats lives
here: running every variant on every problem (:func:`run_variants`), the mean loss over the
last steps (:func:`tail_means`), an aligned table of numbers (:func:`format_table`), the gap
between the two placements of η in the momentum buffer (:func:`momentum_placement_gap`), the
size of each step (:func:`largest_steps`), and for Reddi et al.'s problem the displacement per
period once ``v`` has settled (:func:`settled_displacement`) and the figure of the phase diagram
(:func:`plot_phase_diagram`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..rmsprop import RMSprop
from ..run import minimize, steps_in_learning_rates, stream_path
from .online import CONVERGES, DIVERGES, UNDECIDED, PeriodicLinearProblem, PhaseDiagram
from .tables import number, text_table


def run_variants(variants: Mapping[str, object], problems: Mapping[str, tuple], steps: int) -> dict:
    """Run every optimizer of ``variants`` on every ``(problem, start)`` of ``problems``.

    Returns a dict keyed by ``(variant name, problem name)`` holding each
    :class:`rmsprop_ref.run.Trajectory`, so that a table and a figure can read the same runs.
    """
    return {
        (name, label): minimize(problem, optimizer, start, steps)
        for name, optimizer in variants.items()
        for label, (problem, start) in problems.items()
    }


def tail_means(runs: Mapping, last: int = 100) -> dict:
    """The mean loss over the last ``last`` steps of each run, with the keys of ``runs``.

    A run that ends in an oscillation has no meaningful final value: its last loss depends on
    the phase at which the budget ran out, while the mean over many steps does not.
    """
    if last < 1:
        raise ValueError(f"last must be at least 1, got {last}")
    return {key: float(np.mean(run.loss[-last:])) for key, run in runs.items()}


def format_table(
    corner: str, rows: Mapping[str, Iterable[float]], columns: Iterable[str], fmt: str | None = None
) -> str:
    """An aligned text table (:func:`~rmsprop_ref.book.tables.text_table`): a header of
    ``columns`` after ``corner``, one line per row.

    ``rows`` maps a row's label to its numbers, one per column, each written by
    :func:`~rmsprop_ref.book.tables.number` with ``fmt`` (by default as
    :func:`~rmsprop_ref.book.plots.plain_number` writes it: 0.0012, 3.4×10⁻⁵). Raises
    ValueError if ``rows`` is empty or a row has the wrong number of values.
    """
    columns = list(columns)
    if not rows:
        raise ValueError("format_table needs at least one row")
    cells = {label: [number(value, fmt) for value in values] for label, values in rows.items()}
    for label, values in cells.items():
        if len(values) != len(columns):
            raise ValueError(f"row {label!r} has {len(values)} numbers for {len(columns)} columns")
    return text_table([corner, *columns], [[label, *values] for label, values in cells.items()])


def momentum_placement_gap(problem, learning_rate, start, steps: int, momentum: float = 0.9) -> np.ndarray:
    """Distance, at every step, between RMSprop with η inside the momentum buffer and with η outside.

    Both runs use ``learning_rate`` (a number or a schedule) and ``momentum`` from ``start``;
    Keras, TF1 and Optax put η inside the buffer, PyTorch outside (``lr_in_momentum=False``).
    Returns the Euclidean distance between the two paths, one entry per point (θ_0 … θ_steps).
    """
    inside = minimize(problem, RMSprop(learning_rate, momentum=momentum), start, steps)
    outside = minimize(problem, RMSprop(learning_rate, momentum=momentum, lr_in_momentum=False), start, steps)
    return np.linalg.norm(inside.params - outside.params, axis=1)


def largest_steps(problem, optimizer, start, steps: int) -> np.ndarray:
    """The largest coordinate step of each of ``steps`` steps, in units of the optimizer's η.

    ``optimizer`` must have a constant learning rate (the unit of the result).
    """
    learning_rate = optimizer.learning_rate
    if not isinstance(learning_rate, int | float):
        raise TypeError(f"optimizer must have a constant learning rate, got {learning_rate!r}")
    path = minimize(problem, optimizer, start, steps).params
    return steps_in_learning_rates(path, learning_rate).max(axis=1)


def settled_displacement(
    problem: PeriodicLinearProblem, rho: float, *, periods: int = 50, learning_rate: float = 1e-4
) -> float:
    """How far RMSprop moves x in ``periods`` periods of ``problem``'s gradients once v has settled.

    RMSprop runs with a constant step ``learning_rate``, ε = 0 and no projection, from x = 0.
    The gradients do not depend on x, so neither does v; after the first t steps with
    ρ^t < e^-40 (a whole number of periods) v repeats its periodic pattern to rounding, and the
    displacement over the next ``periods`` periods is ``-periods · learning_rate · D(ρ)``, with D
    from :func:`rmsprop_ref.book.online.periodic_drift`. Returns that measured displacement.
    """
    settle = int(np.ceil(40 / (1 - rho) / problem.period)) * problem.period
    steps = settle + periods * problem.period
    gradients = problem.gradient(np.arange(1, steps + 1)).astype(float)[:, None]
    optimizer = RMSprop(learning_rate, rho=rho, epsilon=0.0, epsilon_in_sqrt=False)
    x = stream_path(optimizer, gradients, [0.0], keep_states=False)[0][:, 0]
    return float(x[steps] - x[settle])


#: The phase diagram's colours: converged (green), undecided (grey), at the worst point (red).
OUTCOME_STYLE = {
    CONVERGES: ("#2ca02c", "converges (x → −1)"),
    UNDECIDED: ("#bbbbbb", "undecided in the budget"),
    DIVERGES: ("#d62728", "ends at the worst point x = +1"),
}


def plot_phase_diagram(diagram: PhaseDiagram, boundary=None, *, ax=None):
    """The outcome of every run of ``diagram`` as one square cell, over period and 1 − ρ.

    The runs of :func:`rmsprop_ref.book.online.phase_diagram` form a grid: consecutive
    periods, and values of 1 − ρ evenly spaced on a log scale. Each run is drawn as a square
    (equal aspect: one period across is as long as one grid step of 1 − ρ up), so the grid
    tiles the plane without gaps or overlaps. ``boundary`` (1 − ρ*, one value per period) is
    drawn as a black line. The y ticks are the powers of ten inside the grid, as 10ⁿ.
    Returns the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    periods = np.asarray(diagram.periods)
    logs = np.log10(1 - np.asarray(diagram.rhos))
    step = np.diff(logs)
    if np.any(np.diff(periods) != 1) or not np.allclose(step, step[0], rtol=1e-9, atol=0):
        raise ValueError("the diagram must have consecutive periods and 1 − ρ evenly spaced on a log scale")
    step = abs(step[0])
    rows = logs / step  # one grid step of 1 − ρ is one unit, as one period is
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 6.2))
    codes = np.zeros(diagram.outcome.shape)
    colors = []
    for code, (outcome, (color, _)) in enumerate(OUTCOME_STYLE.items()):
        codes[diagram.outcome == outcome] = code
        colors.append(color)
    order = np.argsort(rows)
    x_edges = np.append(periods - 0.5, periods[-1] + 0.5)
    sorted_rows = rows[order]
    y_edges = np.append(sorted_rows - 0.5, sorted_rows[-1] + 0.5)
    ax.pcolormesh(
        x_edges,
        y_edges,
        codes[order],
        cmap=plt.matplotlib.colors.ListedColormap(colors),
        vmin=-0.5,
        vmax=len(colors) - 0.5,
        edgecolors="white",
        linewidth=0.3,
    )
    handles = [Patch(color=color, label=label) for color, label in OUTCOME_STYLE.values()]
    if boundary is not None:
        (line,) = ax.plot(
            periods, np.log10(np.asarray(boundary)) / step, color="black", label="predicted boundary 1 − ρ*(C)"
        )
        handles.append(line)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set(xlim=(x_edges[0], x_edges[-1]), ylim=(y_edges[0], y_edges[-1]))
    powers = np.arange(np.ceil(logs.min() - 1e-9), np.floor(logs.max() + 1e-9) + 1).astype(int)
    ax.set_yticks(powers / step, [f"$10^{{{p}}}$" for p in powers])
    ax.set(xlabel="period C", ylabel="1 − ρ (log scale)")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return ax
