"""Keep `make book`'s execution cache honest: drop it when anything a chapter imports changed.

Jupyter Book's cached execution (jupyter-cache, `execute_notebooks: cache` in _config.yml)
re-executes a chapter only when the chapter's code cells change. A chapter's numbers also
depend on `rmsprop_ref` and on the pinned packages, which the cache does not see: after a
change to the library, a cached page would show the old library's figures. So before each
build this script hashes the library's sources, the requirements and the book configuration,
and deletes the cache when the hash differs from the one stored beside it. It deletes Sphinx's
saved environment (`_build/.doctrees`) with it: Sphinx re-reads only the pages whose source
changed, so without this an unchanged chapter would keep its old executed outputs and never
reach the (now empty) execution cache.

    python scripts/book_cache.py [BUILD_DIR]     (default: _build)

A fresh clone has no cache, so CI always executes every chapter from scratch.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ["rmsprop_ref/**/*.py", "requirements*.txt", "pyproject.toml", "_config.yml", "_toc.yml"]


def inputs_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for pattern in INPUTS:
        for path in sorted(root.glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def refresh(build_dir: Path, root: Path = ROOT) -> bool:
    """Delete the execution cache and Sphinx's environment in ``build_dir`` if the inputs
    changed since they were made; return whether anything was deleted."""
    saved = [build_dir / ".jupyter_cache", build_dir / ".doctrees"]
    stamp = build_dir / ".jupyter_cache.inputs"
    current = inputs_hash(root)
    stale = any(path.exists() for path in saved) and (not stamp.exists() or stamp.read_text().strip() != current)
    if stale:
        for path in saved:
            shutil.rmtree(path, ignore_errors=True)
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return stale


if __name__ == "__main__":
    build = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build"
    if refresh(build):
        print(
            f"book_cache: rmsprop_ref, the requirements or the configuration changed; "
            f"every chapter will be executed again ({build / '.jupyter_cache'} and {build / '.doctrees'} removed)"
        )
