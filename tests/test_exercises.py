"""Every exercise solution's code runs as written, and every solution that talks code gives it.

The chapters' solutions sit in sphinx-exercise ``{solution}`` directives inside markdown cells
(CONTRIBUTING, "Exercises"). This file reads them straight from ``book/*.ipynb`` (and ``book/playground.md``):

*Extraction.* A solution is a fenced ``{solution}`` directive (backticks or colons, any fence
length of three or more; it ends at the first line that is only the same fence character, at
least as many times, as MyST reads it), or the gated pair ``{solution-start}`` …
``{solution-end}``. Its id is ``<chapter>-<label>`` with the label the directive names (the
exercise's, e.g. ``improved-ex-critical``). Its *code* is every fenced block inside it whose
language is ``python`` (also ``py``, ``python3``, and ``{code-block} python``), joined in order
into one program: a later block may use what an earlier one defined, as the reader would run
them. Its *prose* is the rest, without fenced blocks and without maths (``$…$``, ``$$…$$``).

*Execution* (``test_solution_code_runs``, marked ``slow``): each program runs in a fresh
``python -c`` process (this interpreter), from the repository root, with ``MPLBACKEND=Agg``
and ``PYTHONHASHSEED=0``, within ``TIMEOUT`` seconds; a failure shows the program's stderr.

*Detector* (``test_solution_that_names_code_gives_it``): a solution without code must not name
code in its prose. Its inline code spans (single backticks; a MyST role's argument such as
``{cite}`key``` or ``{doc}`name``` is not a span) are read one by one, and a span *looks like
code* when it

1. calls something: an identifier followed by ``(`` (``critical_rho(...)``, ``SGD(eta)``);
2. assigns or passes a keyword (``=`` that is not part of ``==``, ``<=``, ``>=``, ``!=``);
3. computes: ``**``, or a binary operator with spaces around it (``1 - 0.99**68.97``);
4. reads an attribute of a name that is not a framework's module (``np.float64``,
   ``opt.init``, ``r.learning_rate``; not ``torch.optim.RMSprop`` or ``tf.keras...`` alone, which
   prose names without meaning code to run), and is not a file name (``tests/test_mlp.py``);
5. is a bare identifier that is either a public name of ``rmsprop_ref`` (a module's name, an
   ``__all__`` entry, or a top-level function or class not starting with ``_``, e.g.
   ``PeriodicLinearProblem``, ``stepcost``) or a name the chapter's own code
   cells bind (a variable, function, argument or import such as ``opt``, ``VARIANTS``,
   ``run_projected``), unless it is also a hyper-parameter keyword of some framework or of
   ``rmsprop_ref`` (``rho``, ``alpha``, ``eps``, ``momentum``), which prose names as words.

``test_extraction_finds_code`` makes the whole file fail if no solution code is found at all, and
``test_every_solution_directive_is_read`` if the reader missed a ``{solution}`` directive, so
neither test above can pass by finding nothing. The detector's own cases are at the end.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
TIMEOUT = 120  # seconds per solution (CONTRIBUTING asks for under ~20 s)

_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|:{3,})\{(?P<kind>solution|solution-start)\}[ \t]*(?P<label>\S*)")
_GATED_END = re.compile(r"^ {0,3}(`{3,}|:{3,})\{solution-end\}")
_ANY_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,}|:{3,})[ \t]*(?P<info>.*)$")
_PYTHON_INFO = re.compile(r"^(\{code-block\}|\{code\}|\{sourcecode\})?[ \t]*(python3?|py)\b", re.I)
_LABEL_OPTION = re.compile(r"^\s*:label:\s*(\S+)")
_INLINE_CODE = re.compile(r"(?<![`}])`([^`\n]+)`(?!`)")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Frameworks' modules: prose names their APIs (``torch.optim.RMSprop``) without code to run.
_FRAMEWORK_ROOTS = {"keras", "tf", "tensorflow", "tf_keras", "torch", "optax", "jax", "K", "optim"}
_FILE_SUFFIXES = (".py", ".ipynb", ".md", ".txt", ".toml", ".yml", ".yaml", ".json", ".cfg", ".bib")


@dataclass(frozen=True)
class Solution:
    chapter: str
    label: str
    code: str  # the python blocks, joined
    prose: str  # the rest, without fenced blocks

    @property
    def id(self) -> str:
        return (
            self.label
            if self.label.startswith(f"{self.chapter.replace('_', '-')}-")
            else (f"{self.chapter}-{self.label}")
        )


def _closes(line: str, fence: str) -> bool:
    """A closing fence for ``fence``: only its character, at least as many times."""
    stripped = line.strip()
    return len(stripped) >= len(fence) and set(stripped) == {fence[0]} and len(line) - len(line.lstrip()) <= 3


def _split_body(lines: list[str]) -> tuple[str, str]:
    """(python code, prose) of a solution's body lines."""
    code, prose, i = [], [], 0
    while i < len(lines):
        match = _ANY_FENCE.match(lines[i])
        if not match or match["fence"][0] == ":" and not match["info"]:
            prose.append(lines[i])
            i += 1
            continue
        fence, block = match["fence"], []
        i += 1
        while i < len(lines) and not _closes(lines[i], fence):
            block.append(lines[i])
            i += 1
        i += 1
        if _PYTHON_INFO.match(match["info"].strip()):
            body = [line for line in block if not re.match(r"^\s*:\w[\w-]*:", line)]  # directive options
            code.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return "\n\n".join(code), "\n".join(prose)


def read_solutions(text: str, chapter: str) -> list[Solution]:
    """Every solution in ``text`` (one notebook's markdown), in order."""
    lines, found, i = text.splitlines(), [], 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        fence, label, body = match["fence"], match["label"], []
        i += 1
        while i < len(lines) and not _closes(lines[i], fence):
            body.append(lines[i])
            i += 1
        i += 1
        if match["kind"] == "solution-start":  # gated: the content follows, up to {solution-end}
            while i < len(lines) and not _GATED_END.match(lines[i]):
                body.append(lines[i])
                i += 1
        if not label:
            options = [m[1] for m in map(_LABEL_OPTION.match, body) if m]
            label = options[0] if options else f"solution-{len(found) + 1}"
        code, prose = _split_body([line for line in body if not _LABEL_OPTION.match(line)])
        found.append(Solution(chapter, label, code, prose))
    return found


def _cells(path: Path, kind: str) -> list[str]:
    """A notebook's cells of one kind; a MyST Markdown chapter is one markdown cell and no code."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")] if kind == "markdown" else []
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == kind]


def _markdown(path: Path) -> str:
    return "\n\n".join(_cells(path, "markdown"))


def chapter_names(path: Path) -> set[str]:
    """Every name the chapter's code cells bind: assignments, loop and ``with`` targets,
    function and lambda arguments, functions, classes and imports."""
    names: set[str] = set()
    for source in _cells(path, "code"):
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


@functools.cache
def library_names() -> frozenset[str]:
    """rmsprop_ref's public names: every module's name, ``__all__``, and top-level functions and
    classes whose names do not start with ``_``."""
    names: set[str] = set()
    for module in (ROOT / "rmsprop_ref").rglob("*.py"):
        if not module.stem.startswith("_"):
            names.add(module.stem)
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names.update(
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_")
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                if isinstance(node.value, ast.List | ast.Tuple):
                    names.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
    return frozenset(names)


def keyword_names() -> set[str]:
    """Hyper-parameter keywords of the frameworks and of rmsprop_ref's optimizers."""
    import rmsprop_ref
    from rmsprop_ref.conventions import SPELLINGS

    names = {keyword for spelling in SPELLINGS.values() for keyword in spelling}
    for optimizer in ("RMSprop", "SGD", "Adagrad", "Adam"):
        names.update(getattr(rmsprop_ref, optimizer).HYPERPARAMETERS)
    return names


def code_spans(prose: str, names: set[str], keywords: set[str]) -> list[str]:
    """The inline code spans of ``prose`` that look like code (rules 1-5 of the module docstring)."""
    found = []
    for span in _INLINE_CODE.findall(_MATH.sub(" ", prose)):
        text = span.strip()
        is_file = "/" in text and " " not in text or text.endswith(_FILE_SUFFIXES)
        attributes = re.findall(r"(?<![\w.])([A-Za-z_]\w*)\.[A-Za-z_]", text)
        if (
            re.search(r"[A-Za-z_][\w.]*\s*\(", text)  # 1. a call
            or re.search(r"(?<![=!<>])=(?!=)", text)  # 2. assignment or keyword
            or "**" in text
            or re.search(r"[\w)\]]\s+(?:[-+*/%@]|//)\s+[\w(\[.]", text)  # 3. arithmetic
            or not is_file
            and any(root not in _FRAMEWORK_ROOTS for root in attributes)  # 4. attribute
            or _IDENTIFIER.fullmatch(text)
            and text in names
            and text not in keywords  # 5. a library or chapter name
        ):
            found.append(text)
    return found


# The chapters: the notebooks, and the one chapter written in MyST Markdown (it has no code cells).
NOTEBOOKS = sorted([*BOOK.glob("*.ipynb"), BOOK / "playground.md"])
SOLUTIONS = [s for path in NOTEBOOKS for s in read_solutions(_markdown(path), path.stem)]
WITH_CODE = [s for s in SOLUTIONS if s.code]


def test_extraction_finds_code():
    """At least one solution gives code, so the execution test below is never vacuous."""
    assert WITH_CODE, "no ```python block found in any {solution} of book/*.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_solution_directive_is_read(path):
    """The reader finds as many solutions as the markdown has solution directives."""
    text = _markdown(path)
    directives = [line for line in text.splitlines() if _OPEN.match(line)]
    assert len(read_solutions(text, path.stem)) == len(directives)


@pytest.mark.slow
@pytest.mark.parametrize("solution", WITH_CODE, ids=[s.id for s in WITH_CODE])
def test_solution_code_runs(solution):
    """The solution's python blocks run as written in a fresh process."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", solution.code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{solution.id}: the solution's code did not finish within {TIMEOUT} s")
    assert done.returncode == 0, (
        f"{solution.id}: the solution's code failed (exit {done.returncode}).\n"
        f"--- code ---\n{solution.code}\n--- stderr ---\n{done.stderr[-4000:]}"
    )


_NAMES = {path.stem: chapter_names(path) | library_names() for path in NOTEBOOKS}
_KEYWORDS = keyword_names()


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[s.id for s in SOLUTIONS])
def test_solution_that_names_code_gives_it(solution):
    """A solution whose prose names code (see the detector in the module docstring) gives
    that code as a ```python block."""
    if solution.code:
        return
    spans = code_spans(solution.prose, _NAMES[solution.chapter], _KEYWORDS)
    assert not spans, (
        f"{solution.id} names code but gives no ```python block (use a ```` fence around the "
        f"solution so that it can hold one): {spans}"
    )


# --------------------------------------------------------------------------- the reader's own cases

_SAMPLE = """
```{exercise}
:label: demo-ex-one

Question.
```

````{solution} demo-ex-one
:class: dropdown

Run `f(1)`:

```python
x = 1
```

and then

```py
print(x)
```
````

:::{solution} demo-ex-two
:class: dropdown
No code here, see {cite}`key` and `tests/test_mlp.py`.
:::

```{solution-start} demo-ex-three
:class: dropdown
```
`critical_rho(PeriodicLinearProblem(period=11, large=110.0, small=10.0))` gives it.
```{solution-end}
```
"""


def test_reader_on_a_sample():
    first, second, third = read_solutions(_SAMPLE, "demo")
    assert (first.label, first.code) == ("demo-ex-one", "x = 1\n\nprint(x)")
    assert (second.label, second.code, third.label, third.code) == ("demo-ex-two", "", "demo-ex-three", "")
    assert "critical_rho" in third.prose and first.id == "demo-ex-one"


@pytest.mark.parametrize(
    "span",
    [
        "critical_rho(PeriodicLinearProblem(period=11, large=110.0, small=10.0))",
        "state = opt.init(np.zeros(2))",
        "1 - 0.99**68.97",
        "np.float64",
        "hidden_units=512, epochs=100",
        "PeriodicLinearProblem",
        "opt",
        "x + y",
    ],
)
def test_detector_flags(span):
    assert code_spans(f"see `{span}` here", library_names() | {"opt"}, _KEYWORDS) == [span]


@pytest.mark.parametrize(
    "text",
    [
        "see {cite}`kingma2015adam` and {doc}`frameworks`",
        "the file `tests/test_mlp.py`",
        "PyTorch's `alpha` and Keras's `rho`",
        "`torch.optim.RMSprop` and `tf.keras.optimizers.legacy.RMSprop`",
        "the value $`x`$ in maths",
        "`fig-frameworks-accumulator`",
        "a word such as `decay` or `opt` when the chapter binds neither",
    ],
)
def test_detector_passes(text):
    assert code_spans(text, library_names(), _KEYWORDS) == []


def test_detector_catches_improved_ex_critical_without_code():
    """The case that motivated the detector (issue 15): improved ex. 5.3 named
    ``PeriodicLinearProblem`` without giving the code."""
    (solution,) = read_solutions(_SAMPLE, "demo")[2:]
    assert code_spans(solution.prose, library_names(), _KEYWORDS)
