"""The book's configuration and conventions, checked without building it.

What is checked here is what a reader meets first: the configuration (_config.yml, _toc.yml,
the pinned Jupyter Book), the one bibliography, the repository URL written once and the
set-up cell that uses it in every notebook, the chapter conventions of
CONTRIBUTING.md, and the CI and publishing workflows. One test builds a tiny book with the
real configuration to show that a cell that raises fails the build.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTER_ORDER = [
    "intro",
    "deriving",
    "playground",
    "vanishing",
    "exploding",
    "mnist",
    "improved",
    "claims",
    "frameworks",
    "porting",
    "step_cost",
    "glossary",
    "references",
]
REQUIRED_BIB_KEYS = {
    "tieleman2012rmsprop",
    "graves2013generating",
    "kingma2015adam",
    "reddi2018convergence",
    "shi2021rmsprop",
    "pascanu2013difficulty",
    "ruder2016overview",
    "chollet2017deep",
    "keras_rmsprop_docs",
    "pytorch_rmsprop_docs",
    "tf1_rmsprop_docs",
    "optax_rmsprop_docs",
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def load_yaml(relative: str):
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config():
    return load_yaml("_config.yml")


@pytest.fixture(scope="module")
def repository_url(config):
    return config["repository"]["url"]


def notebooks() -> list[pathlib.Path]:
    return sorted(BOOK.glob("*.ipynb"))


def read_notebook(path: pathlib.Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def cell_source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def toc_files() -> list[str]:
    """The files of _toc.yml in reading order (root first), with or without parts."""
    toc = load_yaml("_toc.yml")
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


# --- configuration -----------------------------------------------------------------------


def test_jupyter_book_is_pinned_to_version_1():
    from packaging.requirements import Requirement

    requirements = [
        Requirement(line.split("#")[0])
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert all(len(r.specifier) == 1 and next(iter(r.specifier)).operator == "==" for r in requirements)
    pins = {r.name: next(iter(r.specifier)).version for r in requirements}
    major = int(pins["jupyter-book"].split(".")[0])
    assert major == 1, "Jupyter Book 2 needs the network at build time; the book is built with 1.x"
    assert "sphinx-mathjax-offline" in pins and "sphinxcontrib-bibtex" in pins
    assert "selenium" in pins and "jupyterlab" in pins


def test_notebooks_are_executed_and_an_error_stops_the_build(config):
    execute = config["execute"]
    assert execute["execute_notebooks"] == "cache"  # scripts/book_cache.py keeps the cache honest
    assert isinstance(execute["timeout"], int) and 0 < execute["timeout"] <= 900
    assert execute["allow_errors"] is False
    assert config["sphinx"]["config"]["nb_execution_raise_on_error"] is True


def test_no_intersphinx_and_maths_served_locally(config):
    sphinx = config["sphinx"]
    extensions = sphinx.get("extra_extensions", [])
    assert not any("intersphinx" in e for e in extensions)
    assert "intersphinx_mapping" not in sphinx.get("config", {})
    assert "sphinx-mathjax-offline" in extensions
    assert "mathjax_path" not in sphinx.get("config", {}), "MathJax must come from _static"
    assert "sphinx_exercise" in extensions


def test_makefile_builds_with_warnings_as_errors():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"jupyter-book build \. -W -n --keep-going", makefile)


def test_launch_and_download_buttons(config):
    launch = config["launch_buttons"]
    assert launch["colab_url"] == "https://colab.research.google.com"
    assert launch["binderhub_url"] == "https://mybinder.org"
    # sphinx-book-theme shows the download button unless told not to.
    theme_options = config["sphinx"]["config"].get("html_theme_options", {})
    assert theme_options.get("use_download_button", True) is True


# --- the repository URL, written once -----------------------------------------------------


def test_repository_url_is_a_github_repository(repository_url):
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository_url), repository_url


def test_repository_url_appears_only_where_it_is_derived_or_checked(repository_url):
    """_config.yml defines it; the set-up cells and CONTRIBUTING.md's copy are checked below."""
    allowed = {"_config.yml", "CONTRIBUTING.md"}
    skip_dirs = {".git", ".venv", "_build", ".pytest_cache", ".hypothesis", "__pycache__", ".jupyter_cache"}
    offenders = []
    for path in walk_files(ROOT, skip_dirs):
        relative = path.relative_to(ROOT)
        if path.stat().st_size > 5_000_000:
            continue
        if relative.as_posix() in allowed or (relative.parent == pathlib.Path("book") and path.suffix == ".ipynb"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if repository_url.split("://", 1)[1] in text:
            offenders.append(relative.as_posix())
    assert offenders == [], f"the repository URL is written in {offenders}; derive it from _config.yml"


def walk_files(root: pathlib.Path, skip_dirs: set[str]):
    """Every file under root, not descending into skip_dirs (e.g. .venv)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip_dirs]
        for name in files:
            yield pathlib.Path(folder) / name


def contributing_setup_cell() -> str:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Set-up cell", 1)[1]
    return re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)


def test_contributing_setup_cell_installs_from_the_configured_repository(repository_url):
    cell = contributing_setup_cell()
    assert f'"rmsprop_ref @ git+{repository_url}"' in cell
    assert "import rmsprop_ref" in cell.split("except ImportError")[0], "does nothing when importable"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path, repository_url):
    cells = [c for c in read_notebook(path)["cells"] if c["cell_type"] == "code"]
    assert cells, f"{path.name} has no code cell"
    first = cells[0]
    assert cell_source(first).strip() == contributing_setup_cell().strip(), (
        f"{path.name}: the first code cell must be CONTRIBUTING.md's set-up cell, installing from {repository_url}"
    )
    assert "hide-input" in first.get("metadata", {}).get("tags", [])
    prompts = first["metadata"].get("mystnb", {})
    assert prompts.get("code_prompt_show") == "Show the set-up", f"{path.name}: the set-up cell's bar"
    assert prompts.get("code_prompt_hide") == "Hide the set-up", f"{path.name}: the set-up cell's bar"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_chapter_opens_with_its_title(path):
    # The page must open with the chapter's title, not with the hidden set-up cell's bar.
    first = read_notebook(path)["cells"][0]
    assert first["cell_type"] == "markdown" and cell_source(first).startswith("# "), (
        f"{path.name}: the first cell must be a markdown cell with the chapter's '# Title'"
    )


# --- chapters -----------------------------------------------------------------------------


def test_toc_lists_existing_files_in_reading_order():
    files = toc_files()
    assert files[0] == "book/intro"
    names = []
    for entry in files:
        path = ROOT / entry
        assert path.with_suffix(".md").is_file() or path.with_suffix(".ipynb").is_file(), f"{entry} is missing"
        assert entry.startswith("book/")
        names.append(entry.removeprefix("book/"))
    assert len(names) == len(set(names)), "a chapter is listed twice"
    known = [n for n in names if n in CHAPTER_ORDER]
    assert known == sorted(known, key=CHAPTER_ORDER.index), f"reading order is {CHAPTER_ORDER}"
    # Back matter: the glossary, the references, then the API reference (its index, then
    # one page per module).
    api = [n for n in names if n.startswith("api/")]
    assert api and api[0] == "api/index" and names[-len(api) :] == api
    assert names[-len(api) - 2 : -len(api)] == ["glossary", "references"]


def test_every_chapter_file_is_in_the_toc():
    listed = {entry.removeprefix("book/") for entry in toc_files()}
    present = {p.relative_to(BOOK).with_suffix("").as_posix() for p in BOOK.rglob("*") if p.suffix in {".md", ".ipynb"}}
    assert present - listed == set(), "chapters missing from _toc.yml"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    notebook = read_notebook(path)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{path.name}: clear the outputs before committing"
            )


CODE_WIDTH = 78  # wider code cells scroll sideways in the rendered book


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_code_cells_fit_the_page_width(path):
    # The set-up cell is exempt: it must stay exactly as CONTRIBUTING.md gives it, and its
    # %pip line (the repository URL) is longer than the page.
    code_cells = [c for c in read_notebook(path)["cells"] if c["cell_type"] == "code"]
    too_wide = [
        (number, line)
        for number, cell in enumerate(code_cells[1:], start=2)
        for line in cell_source(cell).splitlines()
        if len(line) > CODE_WIDTH
    ]
    assert too_wide == [], (
        f"{path.name}: code lines longer than {CODE_WIDTH} characters (code cell number, line): {too_wide}"
    )


def markdown_of(path: pathlib.Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    return "\n\n".join(cell_source(c) for c in read_notebook(path)["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_chapter_ends_with_summary_yoyak_and_exercises(path):
    text = markdown_of(path)
    summary = re.search(r"^## Summary\s*$", text, flags=re.MULTILINE)
    yoyak = re.search(r"^### 요약\s*$", text, flags=re.MULTILINE)
    assert summary and yoyak and summary.start() < yoyak.start(), "## Summary followed by ### 요약"
    assert len(HANGUL.findall(text[yoyak.end() :])) >= 20, "the 요약 is written in Korean"
    assert re.search(r"```\{exercise\}", text), "at least one exercise"
    solutions = re.findall(r"```\{solution\}[^\n]*\n(?::[^\n]*\n)*", text)
    assert solutions and all(":class: dropdown" in s for s in solutions), "solutions hidden in a dropdown"


@pytest.mark.parametrize("path", sorted(BOOK.glob("*.md")) + notebooks(), ids=lambda p: p.name)
def test_text_has_no_control_characters(path):
    """A TeX command written in a non-raw Python string ("\\rho", "\\approx") turns into a
    control character (CR + "ho", BEL + "pprox") that MathJax cannot typeset."""
    for number, line in enumerate(markdown_of(path).splitlines(), start=1):
        bad = re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line)
        assert bad is None, f"{path.name}, markdown line {number}: control character {bad.group()!r} in {line!r}"


# --- bibliography -------------------------------------------------------------------------


def bib_keys() -> list[str]:
    return re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_one_bibliography_with_the_required_entries(config):
    assert config["bibtex_bibfiles"] == ["references.bib"]
    keys = bib_keys()
    assert len(keys) == len(set(keys)), "a key is defined twice"
    assert REQUIRED_BIB_KEYS <= set(keys), REQUIRED_BIB_KEYS - set(keys)
    assert "```{bibliography}" in (BOOK / "references.md").read_text()


def cited_keys() -> set[str]:
    cited = set()
    for path in [*BOOK.glob("*.md"), *notebooks()]:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", markdown_of(path)):
            cited.update(k.strip() for k in group.split(","))
    return cited


def test_every_citation_names_an_entry():
    cited = cited_keys()
    assert cited, "the book cites nothing"
    assert cited - set(bib_keys()) == set()


def test_the_required_sources_are_cited():
    assert REQUIRED_BIB_KEYS - cited_keys() == set()


# The Korean glossary and the 요약 sections are checked in tests/test_korean.py.


# --- CI and publishing --------------------------------------------------------------------


def workflow(name: str) -> dict:
    data = load_yaml(f".github/workflows/{name}")
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def run_steps(job: dict) -> list[str]:
    return [step["run"].strip() for step in job["steps"] if "run" in step]


def test_test_workflow_runs_make_test_on_push_and_pull_request():
    data = workflow("test.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    (job,) = data["jobs"].values()
    runs = run_steps(job)
    assert "make test" in runs and "make site-check" in runs and "make robustness" in runs
    assert runs.index("make test") < runs.index("make site-check") < runs.index("make robustness")
    assert job["steps"][0]["uses"].startswith("actions/checkout@")
    for command in runs:  # nothing but the developer's commands, and the browser packages
        assert command.startswith("make ") or command.startswith("apt-get"), command


def test_deploy_workflow_publishes_the_built_book_from_main():
    data = workflow("deploy.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["permissions"]["pages"] == "write" and data["permissions"]["id-token"] == "write"
    build, deploy = data["jobs"]["build"], data["jobs"]["deploy"]
    runs = run_steps(build)
    assert "make book" in runs and "make site-check" in runs
    assert runs.index("make book") < runs.index("make site-check")
    upload = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    assert deploy["environment"]["name"] == "github-pages"


def test_ci_runs_the_site_check_and_the_robustness_matrix_after_the_tests():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make test", "make site-check", "make robustness"]
    for package in ["chromium", "chromium-driver", "fonts-noto-cjk"]:
        assert package in script
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^site-check:", makefile, flags=re.MULTILINE)
    assert "scripts/site_check.py _build/html" in makefile
    assert re.search(r"^robustness:.*\n\t.*scripts/robustness\.py", makefile, flags=re.MULTILINE)


def test_the_torch_cpu_index_is_set_up_by_make_not_by_the_workflows():
    # Readers run `make test` without a workflow's environment, so the Makefile must find
    # PyTorch's CPU-only wheels itself; a workflow setting it too would hide a broken Makefile.
    for name in ("test.yml", "deploy.yml"):
        assert "PIP_EXTRA_INDEX_URL" not in (ROOT / ".github" / "workflows" / name).read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "requirements-torch-cpu.txt" in makefile and "download.pytorch.org/whl/cpu" in makefile


# --- an execution error fails the build ---------------------------------------------------


@pytest.mark.slow
def test_a_cell_that_raises_fails_the_build(tmp_path):
    """Build a two-page book with the real configuration; its notebook's folded check fails."""
    for name in ["_config.yml", "references.bib"]:
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ["_ext", "_static"]:
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Scratch\n\nA scratch book.\n")
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Fails\n"},
            {
                # a check folded away behind "Show the checks" still runs, and still fails
                "cell_type": "code",
                "metadata": {
                    "tags": ["hide-input"],
                    "mystnb": {"code_prompt_show": "Show the checks", "code_prompt_hide": "Hide the checks"},
                },
                "execution_count": None,
                "outputs": [],
                "source": "assert 1 + 1 == 3, 'a deliberate failure'",
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "book" / "fails.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/fails\n")
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(tmp_path), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "a deliberate failure" in output, "the failing cell's error is shown in the build log"


def directives_with_nested_fences(markdown: str) -> list[str]:
    """Directives opened with three backticks that contain a fenced block: the block's closing
    ``` would close the directive early, and the rest of the directive would spill out."""
    found, lines = [], markdown.split("\n")
    for i, line in enumerate(lines):
        opened = re.match(r"^```\{(\w[\w-]*)\}(.*)$", line)
        if not opened:
            continue
        for inner in lines[i + 1 :]:
            if inner.strip() == "```":
                break
            if re.match(r"^```\S", inner):
                found.append(f"{opened.group(1)}{opened.group(2)}")
                break
    return found


def test_nested_fence_detector():
    assert directives_with_nested_fences("```{solution} a\n:class: dropdown\n\n```python\nx\n```\n```") == [
        "solution a"
    ]
    assert directives_with_nested_fences("````{solution} a\n```python\nx\n```\n````") == []
    assert directives_with_nested_fences("```{exercise}\n:label: b\ntext\n```\n```python\nx\n```") == []


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_a_directive_with_a_code_block_uses_a_longer_fence(path):
    markdown = "\n\n".join(cell_source(c) for c in read_notebook(path)["cells"] if c["cell_type"] == "markdown")
    assert directives_with_nested_fences(markdown) == [], "open these with four backticks (````{solution} …)"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_code_blocks_in_the_text_fit_the_page_width(path):
    """The python blocks of the text (exercise solutions) fit the code box as the cells do."""
    blocks = re.findall(r"^```python\n(.*?)^```", markdown_of(path), flags=re.S | re.M)
    too_wide = [line for block in blocks for line in block.splitlines() if len(line) > CODE_WIDTH]
    assert too_wide == [], f"{path.name}: lines of python blocks longer than {CODE_WIDTH} characters: {too_wide}"
