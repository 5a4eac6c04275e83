"""The book layer's docstrings only cross-reference what the book documents.

The book is built with ``-W -n`` and no intersphinx, so a role such as
``:class:`IPython.display.Markdown``` points at a page the book does not have and fails the
build. Names outside ``rmsprop_ref`` are written as literals (double backticks) instead.
"""

import importlib
import inspect
import pkgutil
import re

import pytest

import rmsprop_ref.book

ROLE = re.compile(r":(?:py:)?(?:class|data|func|meth|mod|attr|exc|obj):`~?([^`<]+?)`")
MODULES = [f"rmsprop_ref.book.{m.name}" for m in pkgutil.iter_modules(rmsprop_ref.book.__path__)]


def _docstrings(module):
    yield module.__doc__ or ""
    for _, member in inspect.getmembers(module):
        if getattr(member, "__module__", None) == module.__name__:
            yield inspect.getdoc(member) or ""
            if inspect.isclass(member):
                yield from (inspect.getdoc(m) or "" for _, m in inspect.getmembers(member, inspect.isfunction))


@pytest.mark.parametrize("name", MODULES)
def test_roles_point_only_into_the_book(name):
    module = importlib.import_module(name)
    outside = sorted(
        {
            target
            for doc in _docstrings(module)
            for target in ROLE.findall(doc)
            # a bare name (a builtin, or a name of the same module) or a name of the package
            if "." in target.lstrip(".") and not target.startswith(("rmsprop_ref.", "."))
        }
    )
    assert outside == [], f"{name}: write these as ``literals``, the book has no page for them"


def _documented(target: str) -> bool:
    """Whether autodoc gives the module-level name ``target`` (rmsprop_ref.x.NAME) an entry: a
    ``#:`` comment above its assignment, or an ``autodata`` directive in book/api."""
    from pathlib import Path

    module_name, _, attr = target.rpartition(".")
    source = inspect.getsource(importlib.import_module(module_name))
    api = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parents[1].glob("book/api/*.md"))
    return bool(re.search(rf"^#:.*\n{re.escape(attr)}\b", source, re.M)) or f"autodata:: {target}" in api


@pytest.mark.parametrize("name", MODULES)
def test_data_roles_point_at_documented_data(name):
    module = importlib.import_module(name)
    targets = {t for doc in _docstrings(module) for t in re.findall(r":data:`~?(rmsprop_ref\.[\w.]+)`", doc)}
    missing = sorted(t for t in targets if not _documented(t))
    assert missing == [], f"{name}: no API entry for {missing}; write them as ``literals``"
