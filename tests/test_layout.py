"""The package's layout: the library never imports the book layer, ``import rmsprop_ref``
loads neither the book layer nor any framework, and every public name is documented."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import rmsprop_ref
import rmsprop_ref.book

PACKAGE = Path(rmsprop_ref.__file__).parent
LIBRARY_FILES = sorted(PACKAGE.glob("*.py"))


def public_modules() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if not m.name.startswith("_") and not m.ispkg]
    book = [m.name for m in pkgutil.iter_modules([str(PACKAGE / "book")]) if not m.name.startswith("_")]
    adapters = [m.name for m in pkgutil.iter_modules([str(PACKAGE / "adapters")]) if not m.name.startswith("_")]
    return (
        [f"rmsprop_ref.{n}" for n in names]
        + [f"rmsprop_ref.book.{n}" for n in book]
        + [f"rmsprop_ref.adapters.{n}" for n in adapters]
    )


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_the_library_never_imports_the_book_layer(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [alias.name for alias in node.names]
            assert not (
                node.level == 1
                and (module == "book" or module.startswith("book.") or (module == "" and "book" in names))
            ), f"{path.name}: {ast.unparse(node)}"
            assert not module.startswith("rmsprop_ref.book"), f"{path.name}: {ast.unparse(node)}"
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("rmsprop_ref.book") for a in node.names), path.name


def test_importing_the_library_loads_no_book_module_and_no_framework():
    # nor does importing the adapters package: each adapter imports its framework itself
    code = (
        "import sys, rmsprop_ref, rmsprop_ref.adapters; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'tensorflow', 'torch', 'jax', 'optax') or m.startswith('rmsprop_ref.book'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_the_public_api_is_what_the_package_exports():
    public = {name for name in dir(rmsprop_ref) if not name.startswith("_")}
    assert set(rmsprop_ref.__all__) == public - _SUBMODULES_NOT_EXPORTED
    for name in rmsprop_ref.__all__:
        assert getattr(rmsprop_ref, name) is not None


# Submodules that Python binds as attributes on import but that are not part of the top-level API:
# they are reached as rmsprop_ref.<module> (documented in the API reference) or are private.
_SUBMODULES_NOT_EXPORTED = {
    "adapters",
    "amsgrad",
    "analysis",
    "conventions",
    "data",
    "gradients",
    "inject",
    "inplace",
    "optimizers",
    "rmsprop",
    "run",
    "sparse_gradients",
    "training",
    "book",
}


def _public_objects(module):
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            yield name, obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not (
                        inspect.isfunction(member) or isinstance(member, (property, classmethod, staticmethod))
                    ):
                        continue
                    yield f"{name}.{attr}", getattr(obj, attr) if inspect.isfunction(member) else member


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
    missing = []
    for name, obj in _public_objects(module):
        target = (
            obj.__func__
            if isinstance(obj, (classmethod, staticmethod))
            else obj.fget
            if isinstance(obj, property)
            else obj
        )
        doc = inspect.getdoc(target) if not isinstance(obj, property) else target.__doc__
        # A method that overrides a documented base method inherits its docstring (inspect.getdoc).
        if not (doc or "").strip():
            missing.append(name)
    assert not missing, f"{module_name}: no docstring for {', '.join(missing)}"


# The API pages print a docstring's literal blocks (after "::") as they are, in a box as wide
# as the text column: 78 characters fit at every window width the site check tries.
LITERAL_WIDTH = 78


def literal_block_lines(doc: str) -> list[str]:
    """The lines of a docstring's literal blocks, with the block's own indentation removed."""
    lines, found, i = doc.splitlines(), [], 0
    while i < len(lines):
        if not lines[i].rstrip().endswith("::"):
            i += 1
            continue
        j = i + 1
        block = []
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" ")):
            block.append(lines[j])
            j += 1
        text = [line for line in block if line.strip()]
        if text:
            indent = min(len(line) - len(line.lstrip()) for line in text)
            found += [line[indent:] for line in text]
        i = j
    return found


def test_literal_block_lines_finds_the_indented_block_after_a_double_colon():
    doc = "Intro::\n\n    a = 1\n      b = 2\n\nAfter.\nNot a block:\n    c"
    assert literal_block_lines(doc) == ["a = 1", "  b = 2"]


def accidental_block_quotes(doc: str) -> list[str]:
    """Indented lines after a blank line whose paragraph does not end with "::": reST shows
    them as a quotation with the line breaks gone, where a literal block was meant."""
    lines, found = doc.splitlines(), []
    for i in range(1, len(lines) - 1):
        if not lines[i].strip() and lines[i + 1].startswith(" "):
            before = next((line for line in reversed(lines[:i]) if line.strip()), "")
            if not before.startswith(" ") and not before.rstrip().endswith("::"):
                found.append(lines[i + 1].strip())
    return found


def test_accidental_block_quotes_are_found():
    assert accidental_block_quotes("Example.\n\n    x = 1\n") == ["x = 1"]
    assert accidental_block_quotes("Example::\n\n    x = 1\n") == []


def public_docstrings(module) -> list[tuple[str, str]]:
    docs = [(module.__name__, inspect.cleandoc(module.__doc__ or ""))]
    for name, obj in _public_objects(module):
        target = obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
        docs.append((name, inspect.getdoc(target) or ""))
    return docs


@pytest.mark.parametrize("module_name", public_modules())
def test_docstrings_have_no_accidental_block_quotes(module_name):
    module = importlib.import_module(module_name)
    found = [f"{name}: {line!r}" for name, doc in public_docstrings(module) for line in accidental_block_quotes(doc)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("module_name", public_modules())
def test_docstring_literal_blocks_fit_the_api_pages(module_name):
    module = importlib.import_module(module_name)
    docs = [(module_name, module.__doc__ or "")]
    for name, obj in _public_objects(module):
        target = obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
        docs.append((name, inspect.getdoc(target) or ""))
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if callable(member) and member.__doc__:
                    docs.append((f"{name}.{attr}", inspect.getdoc(member)))
    wide = [
        f"{name}: {line!r} ({len(line)})"
        for name, doc in docs
        for line in literal_block_lines(inspect.cleandoc(doc))
        if len(line) > LITERAL_WIDTH
    ]
    assert not wide, "\n".join(wide)


def _rst_problems(text: str) -> list[str]:
    """docutils' warnings and errors for ``text`` as reStructuredText, Sphinx's roles stubbed."""
    import docutils.core
    import docutils.utils
    from docutils.parsers.rst import roles

    for role in ("func", "class", "data", "mod", "meth", "attr", "math", "obj", "exc"):
        roles.register_generic_role(role, docutils.nodes.literal)
    document = docutils.core.publish_doctree(
        text, settings_overrides={"report_level": docutils.utils.Reporter.SEVERE_LEVEL + 1, "halt_level": 5}
    )
    return [
        node.astext().splitlines()[0]
        for node in document.findall(docutils.nodes.system_message)
        if node["level"] >= docutils.utils.Reporter.WARNING_LEVEL
    ]


def test_rst_problems_finds_an_unclosed_emphasis():
    assert _rst_problems("run ``f`` (θ, g, *slots) here")
    assert not _rst_problems("run ``f(θ, g, *slots)`` here, see :func:`f`")


@pytest.mark.parametrize("module_name", public_modules())
def test_docstrings_are_valid_restructuredtext(module_name):
    # The API pages are built with -W: a docstring that docutils warns about fails the book.
    module = importlib.import_module(module_name)
    docs = [(module_name, module.__doc__ or "")]
    for name, obj in _public_objects(module):
        target = obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
        docs.append((name, inspect.getdoc(target) or ""))
    problems = [f"{name}: {problem}" for name, doc in docs for problem in _rst_problems(inspect.cleandoc(doc))]
    assert not problems, "\n".join(problems)
