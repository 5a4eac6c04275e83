"""One plotting style for every chapter.

Call :func:`use_book_style` once at the top of a chapter. Figures are sized for the book's
text column (about 7 inches wide) with fonts that stay legible at that width, and every
optimizer keeps one colour across the whole book (:data:`OPTIMIZER_COLORS`).
"""

from __future__ import annotations

import matplotlib as mpl

# One colour per optimizer family, used by every chapter so a reader can match curves by eye.
OPTIMIZER_COLORS = {
    "SGD": "#7f7f7f",
    "SGD + momentum": "#2ca02c",
    "SGD + clipping": "#9467bd",
    "RMSprop": "#1f77b4",
    "Adagrad": "#ff7f0e",
    "Adam": "#d62728",
    "AMSGrad": "#8c564b",
}

FULL_WIDTH = (7.0, 4.0)   # one panel across the text column, in inches
DOUBLE_WIDTH = (7.0, 3.2)  # two panels side by side


def use_book_style() -> None:
    """Set Matplotlib's defaults for the book: sizes, fonts, grid and a fixed DPI."""
    mpl.rcParams.update({
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
    })


def color_for(name: str) -> str | None:
    """The book's colour for an optimizer name (None lets Matplotlib choose)."""
    return OPTIMIZER_COLORS.get(name)
