"""scripts/book_cache.py: the execution cache goes when the library or the pins change, and stays otherwise."""

import importlib.util
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("book_cache", ROOT / "scripts" / "book_cache.py")
book_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book_cache)


def make_tree(root: Path) -> None:
    (root / "rmsprop_ref" / "book").mkdir(parents=True)
    (root / "rmsprop_ref" / "rmsprop.py").write_text("x = 1\n")
    (root / "rmsprop_ref" / "book" / "claims.py").write_text("y = 2\n")
    (root / "requirements.txt").write_text("numpy==2\n")
    (root / "_config.yml").write_text("title: t\n")


def test_the_cache_survives_no_change_and_goes_when_an_input_changes(tmp_path):
    make_tree(tmp_path)
    build = tmp_path / "_build"
    assert not book_cache.refresh(build, tmp_path)  # nothing cached yet
    (build / ".jupyter_cache").mkdir()
    assert not book_cache.refresh(build, tmp_path) and (build / ".jupyter_cache").exists()
    for changed in ("rmsprop_ref/book/claims.py", "requirements.txt", "_config.yml"):
        (build / ".jupyter_cache").mkdir(exist_ok=True)
        (tmp_path / changed).write_text((tmp_path / changed).read_text() + "# edited\n")
        assert book_cache.refresh(build, tmp_path), changed
        assert not (build / ".jupyter_cache").exists()
        (build / ".jupyter_cache").mkdir()
        assert not book_cache.refresh(build, tmp_path)


def test_a_cache_without_a_stamp_is_not_trusted(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "_build" / ".jupyter_cache").mkdir(parents=True)
    assert book_cache.refresh(tmp_path / "_build", tmp_path)
    shutil.rmtree(tmp_path / "_build")


def test_the_hash_covers_the_library_and_the_pins():
    assert any(p.startswith("rmsprop_ref/") for p in book_cache.INPUTS)
    assert "requirements*.txt" in book_cache.INPUTS


def test_sphinx_environment_goes_with_the_cache(tmp_path):
    # Sphinx re-reads only changed sources: a kept .doctrees would keep every unchanged
    # chapter's old outputs even though the execution cache is gone.
    make_tree(tmp_path)
    build = tmp_path / "_build"
    book_cache.refresh(build, tmp_path)
    (build / ".jupyter_cache").mkdir()
    (build / ".doctrees").mkdir()
    assert not book_cache.refresh(build, tmp_path) and (build / ".doctrees").exists()
    (tmp_path / "rmsprop_ref" / "rmsprop.py").write_text("x = 2\n")
    assert book_cache.refresh(build, tmp_path)
    assert not (build / ".doctrees").exists() and not (build / ".jupyter_cache").exists()
    # An environment left by a build whose cache is already gone is not trusted either.
    (build / ".doctrees").mkdir()
    (tmp_path / "rmsprop_ref" / "rmsprop.py").write_text("x = 3\n")
    assert book_cache.refresh(build, tmp_path) and not (build / ".doctrees").exists()
