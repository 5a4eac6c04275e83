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
    return [f"rmsprop_ref.{n}" for n in names] + [f"rmsprop_ref.book.{n}" for n in book]


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
    code = (
        "import sys, rmsprop_ref; print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
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
_SUBMODULES_NOT_EXPORTED = {"amsgrad", "conventions", "data", "inplace", "optimizers", "rmsprop", "run", "book"}


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
