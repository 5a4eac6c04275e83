"""What a reader sees of a chapter's code: short cells, and the checks folded away.

A chapter shows the experiment and its result; the plumbing lives in ``rmsprop_ref`` and the
checks that hold the prose to the numbers sit in folded cells (tag ``hide-input``, behind a
"Show the checks" toggle). Those cells still run: nbmake and the book build execute every
cell, and a failing check fails both (``test_book_config.test_a_cell_that_raises_fails_the_build``
builds a book whose folded check fails).

The limits, in non-blank lines of a visible code cell:

- the median visible cell of a chapter is at most :data:`MEDIAN_LIMIT` lines;
- no visible cell is longer than :data:`CELL_LIMIT`, except a figure's plotting code
  (a cell that ends by showing a figure), which may have :data:`FIGURE_CELL_LIMIT`.

A failure names the chapter's longest cells, so it reads as the report of what to thin.
"""

from __future__ import annotations

import ast
import json
import pathlib
import statistics

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
MEDIAN_LIMIT = 10
CELL_LIMIT = 25
FIGURE_CELL_LIMIT = 40
HIDDEN_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
CHECK_PROMPTS = {"code_prompt_show": "Show the checks", "code_prompt_hide": "Hide the checks"}


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def code_cells(path: pathlib.Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code"]


def is_hidden(cell: dict) -> bool:
    return bool(HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])))


def lines(cell: dict) -> int:
    return sum(1 for line in source(cell).splitlines() if line.strip())


def is_figure(cell: dict) -> bool:
    return source(cell).rstrip().endswith("plt.show()")


def python_of(cell: dict) -> ast.Module:
    """The cell parsed as Python, with IPython's %magic and !shell lines blanked out."""
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source(cell).splitlines())
    return ast.parse(text)


def asserts_in(cell: dict) -> int:
    """The cell's checks: assert statements and calls such as np.testing.assert_allclose."""

    def is_check(node) -> bool:
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            return name.startswith("assert_")
        return False

    return sum(is_check(node) for node in ast.walk(python_of(cell)))


def report(path: pathlib.Path, cells: list[dict]) -> str:
    longest = sorted(cells, key=lines, reverse=True)[:5]
    return f"{path.name}, longest visible cells: " + ", ".join(
        f"{c.get('id')} {lines(c)} lines{' (figure)' if is_figure(c) else ''}" for c in longest
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_visible_code_cells_are_short(path):
    visible = [c for c in code_cells(path) if not is_hidden(c)]
    assert visible, f"{path.name} shows no code"
    too_long = [c for c in visible if lines(c) > (FIGURE_CELL_LIMIT if is_figure(c) else CELL_LIMIT)]
    median = statistics.median(lines(c) for c in visible)
    assert not too_long, report(path, visible)
    assert median <= MEDIAN_LIMIT, f"median {median} lines; " + report(path, visible)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_checks_are_folded_away(path):
    """A visible cell holds no assert; a folded cell with asserts is labelled as the checks."""
    for cell in code_cells(path):
        if not is_hidden(cell):
            assert asserts_in(cell) == 0, f"{path.name} {cell.get('id')}: an assert in a visible cell"
        elif asserts_in(cell):
            tags = cell["metadata"].get("tags", [])
            assert "hide-input" in tags, f"{path.name} {cell.get('id')}: a check is tagged {tags}"
            assert "raises-exception" not in tags, f"{path.name} {cell.get('id')}: a check may not fail"
            prompts = cell["metadata"].get("mystnb", {})
            assert {k: prompts.get(k) for k in CHECK_PROMPTS} == CHECK_PROMPTS, (
                f"{path.name} {cell.get('id')}: a folded check without the 'Show the checks' toggle"
            )


def test_the_rules_catch_a_long_cell_and_a_visible_assert():
    long_cell = {"cell_type": "code", "metadata": {}, "source": "x = 1\n" * (CELL_LIMIT + 1)}
    figure = {"cell_type": "code", "metadata": {}, "source": "x = 1\n" * 30 + "plt.show()"}
    check = {"cell_type": "code", "metadata": {}, "source": "%matplotlib inline\nassert x == 1"}
    numpy_check = {"cell_type": "code", "metadata": {}, "source": "np.testing.assert_allclose(x, 1)"}
    assert asserts_in(numpy_check) == 1
    assert lines(long_cell) > CELL_LIMIT and not is_figure(long_cell)
    assert is_figure(figure) and lines(figure) <= FIGURE_CELL_LIMIT
    assert asserts_in(check) == 1 and not is_hidden(check)
    check["metadata"]["tags"] = ["hide-input"]
    assert is_hidden(check)
