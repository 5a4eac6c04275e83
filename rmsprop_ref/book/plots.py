"""One plotting style for every chapter.

Call :func:`use_book_style` once at the top of a chapter. Figures are sized for the book's
text column (about 7 inches wide) with fonts that stay legible at that width, and every
optimizer keeps one colour across the whole book (:data:`OPTIMIZER_COLORS`). In a notebook,
figures come out as "retina" PNGs: twice the pixels, shown at the same size, so they stay sharp
on high-density screens. Tick labels read 0.003, 6900 and 10⁴, never 1e+04 (:func:`plain_ticks`).
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
from matplotlib.ticker import FuncFormatter, LogFormatter

#: One colour per optimizer family, used by every chapter so a reader can match curves by eye.
OPTIMIZER_COLORS = {
    "SGD": "#7f7f7f",
    "SGD + momentum": "#2ca02c",
    "SGD + clipping": "#9467bd",
    "RMSprop": "#1f77b4",
    "Adagrad": "#ff7f0e",
    "Adam": "#d62728",
    "AMSGrad": "#8c564b",
}

FULL_WIDTH = (7.0, 4.0)  # one panel across the text column, in inches
DOUBLE_WIDTH = (7.0, 3.2)  # two panels side by side


def use_book_style() -> None:
    """Set Matplotlib's defaults for the book: sizes, fonts, grid and a fixed DPI."""
    mpl.rcParams.update(
        {
            "figure.figsize": FULL_WIDTH,
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.constrained_layout.use": True,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 1.6,
        }
    )
    _retina_in_notebook()


def _retina_in_notebook() -> bool:
    """Make the inline backend emit 2× PNGs carrying their display size ("retina"), if it is there.

    MyST-NB and Jupyter show such a PNG at its 1× size with twice the pixels. Outside IPython,
    or without ``matplotlib_inline``, this does nothing (and returns False).
    """
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return False
    if get_ipython() is None:  # a script or a test: no inline backend to configure
        return False
    set_matplotlib_formats("retina")
    return True


def color_for(name: str) -> str | None:
    """The book's colour for an optimizer name (None lets Matplotlib choose)."""
    return OPTIMIZER_COLORS.get(name)


# --------------------------------------------------------------------------- tick labels

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_number(x: float, digits: int = 3) -> str:
    """``x`` as a reader writes it: 0.003, 6900, 10⁴, 2.5×10⁻⁵, never 1e+04.

    Numbers from 0.001 to below 10⁴ are written out (at most ``digits`` significant digits,
    no trailing zeros); others as a power of ten, with a mantissa when it is not 1.
    Infinities are written inf and −inf (the typographic minus), NaN as nan. ``digits`` is an
    int ≥ 1 (else ValueError).
    """
    if isinstance(digits, bool) or not isinstance(digits, int | np.integer) or digits < 1:
        raise ValueError(f"digits must be an integer ≥ 1, got {digits!r}")
    if x == 0:
        return "0"
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    exponent = math.floor(math.log10(abs(x)))
    mantissa = float(f"{x / 10.0**exponent:.{digits - 1}f}")
    if abs(mantissa) >= 10:  # 9.999 rounded up to 10.0
        mantissa, exponent = mantissa / 10, exponent + 1
    if -3 <= exponent < 4:
        text = np.format_float_positional(
            float(f"{x:.{digits}g}"), precision=digits, unique=True, fractional=False, trim="-"
        )
        return text.replace("-", "−")  # the typographic minus, as Matplotlib writes it
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    if mantissa == 1:
        return power
    if mantissa == -1:
        return "−" + power
    return f"{mantissa:g}×{power}".replace("-", "−")


class _PlainLogFormatter(LogFormatter):
    """Matplotlib's choice of which log ticks to label, written with :func:`plain_number`."""

    def __init__(self, digits: int = 3):
        super().__init__(labelOnlyBase=False)
        self.digits = digits

    def _num_to_string(self, x, vmin, vmax):
        return plain_number(x, self.digits)


def plain_ticks(ax, axis: str = "both", digits: int = 3):
    """Label ``ax``'s ticks with :func:`plain_number` and drop the offset text.

    Use it where Matplotlib would write 1e+04, an offset such as "1e7" above the axis, or
    minor labels such as 3×10⁻¹ on a log axis that spans about a decade (which ticks get a
    label stays Matplotlib's choice). ``axis`` is "x", "y" or "both". Returns the axes.
    """
    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both'; got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        target = getattr(ax, f"{name}axis")
        if target.get_scale() == "log":
            target.set_major_formatter(_PlainLogFormatter(digits))
            target.set_minor_formatter(_PlainLogFormatter(digits))
        else:  # a FuncFormatter has no offset text: every label carries its whole value
            target.set_major_formatter(FuncFormatter(lambda value, _: plain_number(value, digits)))
    return ax


# --------------------------------------------------------------------------- plotting helpers
# Each helper draws on ``ax`` (a new figure when None) and returns the axes, so a chapter can
# add a title or combine panels. Curves are coloured by the trajectory's ``label``.


def _axes(ax, figsize=FULL_WIDTH):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _divergence_marker(ax, x, y, color) -> None:
    """An × where a run diverged, so that a curve that stops is not mistaken for one that ended."""
    ax.plot([x], [y], marker="x", markersize=9, markeredgewidth=2, color=color, linestyle="none")


def contour_with_trajectories(
    problem,
    trajectories,
    *,
    xlim,
    ylim,
    ax=None,
    levels: int = 20,
    resolution: int = 201,
    xlabel: str = "θ₁",
    ylabel: str = "θ₂",
    mark_minimizer: bool = True,
    spacing: str = "log",
    shade: bool = False,
):
    """Contour lines of a 2-D problem with each trajectory's path drawn on top.

    With ``spacing="log"`` the levels are spaced evenly in log(f − f_min), so a narrow valley
    and a wide plateau are both visible. With ``spacing="linear"`` they are spaced evenly in f,
    so they crowd where f changes fastest: a cliff shows as a band of lines. ``shade`` fills
    the bands between levels in light greys, darker for a higher loss, so that a jump of the
    loss shows as a jump of the shade. A path starts at a dot; a diverged path ends with an ×.
    """
    if problem.dim != 2:
        raise ValueError(f"contour_with_trajectories needs a 2-D problem; {problem.name} has dim {problem.dim}")
    if spacing not in ("log", "linear"):
        raise ValueError(f"spacing must be 'log' or 'linear'; got {spacing!r}")
    ax = _axes(ax, (7.0, 5.0))
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    gap = problem.value(np.stack([grid_x, grid_y], axis=-1)) - problem.minimum
    if spacing == "log":
        positive = gap[gap > 0]
        height = np.log10(np.maximum(gap, positive.min()))
        low, high = np.log10(positive.min()), np.log10(positive.max())
    else:
        height, low, high = gap, 0.0, float(np.nanmax(gap))
    steps = np.linspace(low, high, levels)
    if shade:
        ax.contourf(grid_x, grid_y, height, levels=steps, cmap="Greys", alpha=0.3, antialiased=True)
    ax.contour(
        grid_x,
        grid_y,
        height,
        levels=steps,
        colors="0.3",  # a dark grey: every level reads on white, the coloured paths stay on top
        linewidths=0.5,
        negative_linestyles="solid",  # log levels: negative is not special
    )
    for traj in trajectories:
        color = color_for(traj.label)
        path = traj.params[: traj.last_step + 1]
        ax.plot(path[:, 0], path[:, 1], color=color, label=traj.label, marker=".", markersize=3, linewidth=1.2)
        ax.plot(path[0, 0], path[0, 1], marker="o", color="black", markersize=6, linestyle="none")
        if traj.diverged:
            _divergence_marker(ax, path[-1, 0], path[-1, 1], color)
    if mark_minimizer:
        ax.plot(
            *problem.minimizer,
            marker="*",
            markersize=13,
            color="gold",
            markeredgecolor="black",
            linestyle="none",
            label="minimiser",
        )
    ax.set(xlim=xlim, ylim=ylim, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="best")
    return ax


def loss_curves(trajectories, *, ax=None, minimum: float = 0.0, ylabel: str = "loss (log scale)"):
    """f(θ_k) − ``minimum`` against the step k, on a log scale; a diverged run ends with an ×."""
    ax = _axes(ax)
    for traj in trajectories:
        color = color_for(traj.label)
        steps = np.arange(traj.last_step + 1)
        gap = traj.loss[: traj.last_step + 1] - minimum
        ax.plot(steps, gap, color=color, label=traj.label)
        if traj.diverged and np.isfinite(gap[-1]) and gap[-1] > 0:
            _divergence_marker(ax, steps[-1], gap[-1], color)
    ax.set_yscale("log")
    ax.set(xlabel="step", ylabel=ylabel)
    ax.legend(loc="best")
    return ax


def layer_norm_curves(trajectory, *, which: str = "grad", ax=None, cmap: str = "viridis", legend: bool = True):
    """One curve per layer over the steps: ‖∇_layer f‖ (``which="grad"``) or ‖Δθ_layer‖ ("update").

    Layers are coloured from the first (dark) to the last (light); log scale. With
    ``legend=False`` the caller places one legend for several panels (``fig.legend``).
    """
    if which not in ("grad", "update"):
        raise ValueError(f"which must be 'grad' or 'update'; got {which!r}")
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    norms = trajectory.layer_grad_norms if which == "grad" else trajectory.layer_update_norms
    colours = plt.get_cmap(cmap)(np.linspace(0.0, 0.9, norms.shape[1]))
    for layer in range(norms.shape[1]):
        ax.plot(np.arange(norms.shape[0]), norms[:, layer], color=colours[layer], label=f"layer {layer + 1}")
    ax.set_yscale("log")
    quantity = "gradient norm" if which == "grad" else "update norm"
    ax.set(xlabel="step", ylabel=f"{quantity} per layer (log scale)")
    if legend:
        ax.legend(loc="best", ncols=2 if norms.shape[1] > 5 else 1)
    if trajectory.label:
        ax.set_title(trajectory.label)
    return ax


def norms_by_layer(values: dict, *, ax=None, ylabel: str = "norm (log scale)"):
    """A value per layer (e.g. gradient norm at the start) against the layer index, per optimizer.

    ``values`` maps a label to an array with one entry per layer (first layer first).
    """
    ax = _axes(ax)
    for label, per_layer in values.items():
        per_layer = np.asarray(per_layer, dtype=float)
        ax.plot(np.arange(1, per_layer.size + 1), per_layer, marker="o", color=color_for(label), label=label)
    ax.set_yscale("log")
    ax.set(xlabel="layer (1 = nearest the input)", ylabel=ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="best")
    return ax


def learning_rate_sweep(searches, *, ax=None):
    """Each search's score against η (log–log); a diverged η is an × on the top edge, the best a ring.

    ``searches`` are :class:`rmsprop_ref.run.LearningRateSearch` results. The y axis is the final
    loss, or the steps to reach the target loss when the searches were run with one. A score of
    exactly 0 cannot sit on a log axis: it is drawn as a ▼ on the bottom edge.
    """
    ax = _axes(ax)
    scores = np.concatenate([s.scores for s in searches]) if searches else np.array([1.0])
    positive = scores[np.isfinite(scores) & (scores > 0)]
    top = positive.max() * 3 if positive.size else 1.0
    bottom = positive.min() / 3 if positive.size else 0.1
    for search in searches:
        color = color_for(search.label)
        rates, values = search.learning_rates, search.scores
        drawn = np.isfinite(values) & (values > 0)
        ax.plot(rates[drawn], values[drawn], marker="o", markersize=4, color=color, label=search.label)
        for mask, level, marker in ((~np.isfinite(values), top, "x"), (values == 0, bottom, "v")):
            if np.any(mask):
                ax.plot(
                    rates[mask],
                    np.full(mask.sum(), level),
                    marker=marker,
                    linestyle="none",
                    markersize=8,
                    markeredgewidth=2,
                    color=color,
                )
        best = search.scores[search.best_index]
        if np.isfinite(best):
            ax.plot(
                search.best_learning_rate,
                best if best > 0 else bottom,
                marker="o",
                markersize=12,
                markerfacecolor="none",
                markeredgewidth=2,
                color=color,
                linestyle="none",
            )
    target = searches[0].target_loss if searches else None
    ylabel = "final loss (log scale)" if target is None else f"steps to reach loss {plain_number(target)} (log scale)"
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="learning rate η (log scale)", ylabel=ylabel)
    ax.legend(loc="best", title="× diverged or never reached, ▼ exactly 0, ○ chosen", title_fontsize=9)
    return ax
