"""The wheel stands alone: built from the package's own files, installed into a fresh venv with
only its declared dependencies (pip fetches them), it imports, runs the README's example with
the same numbers as here, and finds no framework."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_EXAMPLE = re.search(
    r"## The library in ten lines.*?```python\n(.*?)```", ROOT.joinpath("README.md").read_text(encoding="utf-8"), re.S
)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def run(*command, cwd=None) -> str:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, f"{' '.join(map(str, command))}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "rmsprop_ref", source / "rmsprop_ref", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, source)
    (built,) = out.glob("rmsprop_ref-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_python(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    python = venv_python(venv)
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    return python


@pytest.mark.slow
def test_the_wheel_holds_the_library_and_the_book_layer_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "rmsprop_ref/__init__.py" in names and "rmsprop_ref/book/__init__.py" in names
    assert "rmsprop_ref/_checks.py" in names
    adapters = {f"rmsprop_ref/adapters/{name}.py" for name in ("__init__", "torch", "keras", "optax")}
    assert adapters <= set(names), adapters - set(names)
    assert not [n for n in names if n.startswith(("tests/", "book/", "scripts/")) or "__pycache__" in n]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    requires = [
        line
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert sorted(r.split()[1].split(">")[0] for r in requires) == ["matplotlib", "numpy", "threadpoolctl"]


@pytest.mark.slow
def test_the_installed_wheel_runs_the_readme_example_alone(fresh_python):
    assert README_EXAMPLE, "README.md lost its section 'The library in ten lines'"
    code = README_EXAMPLE.group(1)
    here = run(sys.executable, "-c", code)
    there = run(fresh_python, "-c", code, cwd=fresh_python.parents[1])  # not the repository: no local import
    assert there == here
    where = run(fresh_python, "-c", "import rmsprop_ref; print(rmsprop_ref.__file__)", cwd=fresh_python.parents[1])
    assert str(ROOT) not in where, where


@pytest.mark.slow
def test_no_framework_is_installed_beside_the_wheel_and_the_book_layer_imports(fresh_python):
    code = (
        "import importlib.util as u; import rmsprop_ref.book.claims, rmsprop_ref.book.frameworks; "
        "import rmsprop_ref.adapters; "
        "print([m for m in ('torch', 'tensorflow', 'keras', 'jax', 'optax') if u.find_spec(m)])"
    )
    assert run(fresh_python, "-c", code, cwd=fresh_python.parents[1]).strip() == "[]"
