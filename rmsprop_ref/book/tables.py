"""The tables of the book's pages: one text-table and one Markdown-table formatter.

Every printed or displayed table of a chapter goes through :func:`text_table` (aligned
monospace text, for ``print``) or :func:`markdown_table` (for ``IPython.display.Markdown``),
and every number in a cell through :func:`number`, so that a reader never sees 1.23e+03.
"""

from __future__ import annotations

from collections.abc import Sequence

from .plots import plain_number


def number(x: float, fmt: str | None = None) -> str:
    """``x`` for a table cell: ``format(x, fmt)``, unless that reads like 1e-05.

    Without ``fmt``, or when the format gives e-notation, the number is written by
    :func:`~rmsprop_ref.book.plots.plain_number` (0.003, 2.5×10⁻⁵, 10⁴), with as many
    significant digits as ``fmt`` asks for (3 if it does not say).
    """
    x = float(x)
    if fmt is not None:
        text = format(x, fmt)
        if "e" not in text.lower() or "inf" in text.lower() or "nan" in text.lower():
            return text
    digits = 3
    if fmt:
        precision = fmt.rstrip("eEfFgG%").rpartition(".")[2]
        if precision.isdigit():
            # ".2e" shows 3 significant digits, ".2g" two
            digits = max(1, int(precision) + (fmt[-1] in "eE"))
    return plain_number(x, digits)


def _check(header: Sequence[str] | None, rows: Sequence[Sequence[str]], left: int) -> list[list[str]]:
    table = ([list(header)] if header is not None else []) + [list(row) for row in rows]
    if not table:
        raise ValueError("a table needs a header or at least one row")
    n = len(table[0])
    for k, row in enumerate(table):
        if len(row) != n:
            what = "the header" if header is not None and k == 0 else f"row {k - (header is not None)}"
            raise ValueError(f"{what} has {len(row)} cells; every row needs {n} cells, one per column")
    if not 0 <= left <= n:
        raise ValueError(f"left must be between 0 and {n} (the number of columns), got {left}")
    return [[str(cell) for cell in row] for row in table]


def text_table(header: Sequence[str] | None, rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """An aligned monospace table, one line per row (the header first, if any).

    The first ``left`` columns (names) are left-aligned and the others (numbers) right-aligned;
    two spaces separate columns, and each column is as wide as its widest cell. Cells are
    strings (format numbers with :func:`number`). Raises ValueError if a row has the wrong
    number of cells.
    """
    table = _check(header, rows, left)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]

    def line(row):
        cells = [cell.ljust(w) if i < left else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells)

    return "\n".join(line(row) for row in table)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """A Markdown table: the first ``left`` columns left-aligned, the others right-aligned.

    Cells are strings (format numbers with :func:`number`); a ``|`` inside a cell must be
    escaped by the caller. Raises ValueError if a row has the wrong number of cells.
    """
    table = _check(header, rows, left)
    n = len(table[0])
    rule = "|" + "|".join(":--" if i < left else "--:" for i in range(n)) + "|"
    return "\n".join(["| " + " | ".join(table[0]) + " |", rule, *("| " + " | ".join(row) + " |" for row in table[1:])])
