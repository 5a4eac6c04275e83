"""One seed per chapter: a `parameters` cell with `SEED = <int>`, and no other literal seed.

`make robustness` injects other seeds into that cell with papermill; a draw seeded by a literal
elsewhere in the chapter would not change with it, and a result that only one seed produces
could pass for a fact. So every notebook must have exactly one code cell tagged `parameters`,
holding exactly `SEED = <int>`, and no code cell may seed a generator with a literal, reassign
`SEED`, or draw from NumPy's global generator.
"""

from __future__ import annotations

import ast
import json
import pathlib

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"

# Calls whose first positional argument is a seed.
SEEDED_BY_FIRST_ARGUMENT = {
    "default_rng",
    "RandomState",
    "SeedSequence",
    "set_random_seed",
    "manual_seed",
    "PRNGKey",
    "key",
    "seed",
    "init_params",
    "build_model",
}
SEED_KEYWORDS = {"seed", "seeds", "random_state", "random_seed"}
# np.random.<name> that do not draw from the global generator.
NOT_GLOBAL_DRAWS = {
    "default_rng",
    "Generator",
    "SeedSequence",
    "PCG64",
    "PCG64DXSM",
    "Philox",
    "SFC64",
    "MT19937",
    "BitGenerator",
    "RandomState",
}


def code_of(cell: dict) -> str:
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    # IPython magics and shell escapes are not Python.
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _mentions_seed(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "SEED" for n in ast.walk(node))


def _has_int_literal(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and type(n.value) is int for n in ast.walk(node))


def _literal_seed(node: ast.AST) -> bool:
    """An expression that fixes a seed without deriving it from SEED."""
    return _has_int_literal(node) and not _mentions_seed(node)


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def problems_in_code(code: str, where: str) -> list[str]:
    """What a code cell (not the parameters cell) does wrong with seeds."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in SEEDED_BY_FIRST_ARGUMENT and node.args and _literal_seed(node.args[0]):
                found.append(f"{where}: {name}() is seeded with a literal, not with SEED")
            if name == "default_rng" and not node.args and not node.keywords:
                found.append(f"{where}: default_rng() without a seed draws differently on every run")
            for keyword in node.keywords:
                if keyword.arg in SEED_KEYWORDS and _literal_seed(keyword.value):
                    found.append(f"{where}: {name}({keyword.arg}=...) is a literal, not derived from SEED")
            dotted = _dotted(node.func)
            if dotted.startswith(("np.random.", "numpy.random.")) and dotted.split(".")[-1] not in NOT_GLOBAL_DRAWS:
                found.append(f"{where}: {dotted}() draws from NumPy's global generator")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                    if name == "SEED":
                        found.append(f"{where}: SEED is assigned outside the parameters cell")
                    elif "seed" in name.lower() and node.value is not None and _literal_seed(node.value):
                        found.append(f"{where}: {name} holds literal seeds, not seeds derived from SEED")
    return found


def seed_problems(notebook: dict) -> list[str]:
    """Every way the notebook breaks the one-seed rule; empty when it keeps it."""
    code_cells = [(i, c) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
    parameters = [(i, c) for i, c in code_cells if "parameters" in tags(c)]
    found = []
    if len(parameters) != 1:
        found.append(f"{len(parameters)} code cells are tagged 'parameters'; exactly one must be")
    for i, cell in parameters:
        statements = ast.parse(code_of(cell)).body
        well_formed = (
            len(statements) == 1
            and isinstance(statements[0], ast.Assign)
            and [_dotted(t) for t in statements[0].targets] == ["SEED"]
            and isinstance(statements[0].value, ast.Constant)
            and type(statements[0].value.value) is int
        )
        if not well_formed:
            found.append(f"cell {i}: the parameters cell must hold exactly one statement, SEED = <int>")
    for i, cell in code_cells:
        if "parameters" not in tags(cell):
            found += problems_in_code(code_of(cell), f"cell {i}")
    return found


def chapters() -> list[pathlib.Path]:
    return sorted(BOOK.glob("*.ipynb"))


def test_there_are_chapters_to_check():
    assert len(chapters()) >= 8


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)
def test_chapter_has_one_seed_and_no_other(path):
    assert seed_problems(json.loads(path.read_text(encoding="utf-8"))) == []


def notebook(*cells: tuple[str, list[str]]) -> dict:
    return {"cells": [{"cell_type": "code", "metadata": {"tags": t}, "source": s} for s, t in cells]}


GOOD = ("# the seed\nSEED = 3", ["parameters"])


def test_a_chapter_that_keeps_the_rule_passes():
    nb = notebook(
        GOOD,
        (
            "%matplotlib inline\nrng = np.random.default_rng(SEED)\n"
            "SEEDS = tuple(range(SEED, SEED + 5))\nfit(x, seed=SEED + 1)",
            [],
        ),
    )
    assert seed_problems(nb) == []


@pytest.mark.parametrize(
    "code, problem",
    [
        ("rng = np.random.default_rng(2012)", "default_rng() is seeded with a literal"),
        ("rng = np.random.default_rng(seed=0)", "default_rng(seed=...) is a literal"),
        ("keras.utils.set_random_seed(1)", "set_random_seed() is seeded with a literal"),
        ("SEEDS = (0, 1, 2)", "SEEDS holds literal seeds"),
        ("data = make(n=5, seed=0)", "make(seed=...) is a literal"),
        ("SEED = 1", "SEED is assigned outside the parameters cell"),
        ("x = np.random.rand(3)", "np.random.rand() draws from NumPy's global generator"),
        ("rng = np.random.default_rng()", "default_rng() without a seed"),
        ("params = mlp.init_params(0)", "init_params() is seeded with a literal"),
    ],
)
def test_each_kind_of_stray_seed_is_caught(code, problem):
    found = seed_problems(notebook(GOOD, (code, [])))
    assert len(found) == 1 and problem in found[0], found


@pytest.mark.parametrize(
    "cells, problem",
    [
        ([("SEED = 0", [])], "0 code cells are tagged 'parameters'"),
        ([GOOD, ("SEED = 4", ["parameters"])], "2 code cells are tagged 'parameters'"),
        ([("SEED = 0\nN = 10", ["parameters"])], "exactly one statement, SEED = <int>"),
        ([("SEED = 0.5", ["parameters"])], "exactly one statement, SEED = <int>"),
        ([("seed = 0", ["parameters"])], "exactly one statement, SEED = <int>"),
    ],
)
def test_a_missing_or_malformed_parameters_cell_is_caught(cells, problem):
    found = seed_problems(notebook(*cells))
    assert any(problem in f for f in found), found
