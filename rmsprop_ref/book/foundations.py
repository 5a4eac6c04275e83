"""Tables for the Foundations chapters (vanishing and exploding gradients).

The chapters run learning-rate searches and per-layer measurements; these functions turn the
results into the tables the page shows, so that a chapter's cell says what it measures and
not how the columns are lined up. Every table is Markdown (an ``IPython.display.Markdown``
object, which a notebook renders as a table), and every number in it is written with
:func:`rmsprop_ref.book.plots.plain_number` (0.0085, 6.9×10⁻⁵, never 6.9e-05).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rmsprop_ref.book.plots import plain_number


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]):
    """:func:`rmsprop_ref.book.tables.markdown_table` (first column left-aligned, the others
    right-aligned) as an ``IPython.display.Markdown``, whose ``.data`` is the text."""
    from IPython.display import Markdown

    from rmsprop_ref.book import tables

    return Markdown(tables.markdown_table(header, rows))


def search_table(searches: Mapping, *, below: float | None = None):
    """One row per optimizer of a learning-rate search: the chosen η, its final loss, and how
    many rates of the grid diverged.

    ``searches`` maps a name to a :class:`rmsprop_ref.run.LearningRateSearch` (what
    ``search_each`` returns). With ``below``, a column gives the first step at which the chosen
    run's loss was at most ``below`` ("never" if it was not).
    """
    header = ["optimizer", "chosen η", "final loss"]
    if below is not None:
        header.append(f"loss ≤ {plain_number(below)} at step")
    header.append("diverged")
    rows = []
    for name, search in searches.items():
        best = search.best
        row = [name, plain_number(search.best_learning_rate, 2), plain_number(best.final_loss, 2)]
        if below is not None:
            step = best.first_step_below(below)
            row.append("never" if step is None else str(step))
        row.append(f"{int(search.diverged.sum())} of {len(search.learning_rates)} rates")
        rows.append(row)
    return markdown_table(header, rows)


def layer_distances(trajectory) -> np.ndarray:
    """How far each layer's parameters moved from the start to the end of the run,
    ‖θ_last[layer] − θ_0[layer]‖, shape (n_layers,)."""
    if trajectory.layer_slices is None:
        raise ValueError("this run's problem has no layers (layer_slices is None)")
    moved = trajectory.final_params - trajectory.params[0]
    return np.array([np.linalg.norm(moved[s]) for s in trajectory.layer_slices])


def per_layer_table(rows: Mapping[str, Sequence[float]], *, digits: int = 2):
    """A table with one column per layer ("layer 1" nearest the input) and one row per entry
    of ``rows`` (a label and one value per layer), numbers to ``digits`` significant digits."""
    values = {label: np.asarray(v, dtype=float) for label, v in rows.items()}
    sizes = {v.shape for v in values.values()}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        raise ValueError(f"every row needs one value per layer; got shapes {sorted(sizes)}")
    n_layers = next(iter(sizes))[0]
    header = ["", *(f"layer {k}" for k in range(1, n_layers + 1))]
    return markdown_table(header, [[label, *(plain_number(x, digits) for x in v)] for label, v in values.items()])
