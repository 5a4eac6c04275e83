"""How long each chapter of the book takes to execute, against the book's budget.

    .venv/bin/python benchmarks/book_time.py                      # every notebook in _toc.yml
    .venv/bin/python benchmarks/book_time.py book/step_cost.ipynb # some of them

Each notebook runs in a fresh kernel from its own folder (as nbmake and Jupyter Book run
it); outputs are discarded and no file is changed. Budget (issue 7): at most 120 s per
notebook and 300 s for all together, on the 2-core machine. Writes
benchmarks/results/book-time-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
PER_NOTEBOOK_BUDGET, TOTAL_BUDGET = 120.0, 300.0


def notebooks_in_toc() -> list[Path]:
    """The .ipynb chapters listed in _toc.yml, in reading order."""
    found = []
    for line in (ROOT / "_toc.yml").read_text().splitlines():
        line = line.strip()
        if line.startswith("- file:") or line.startswith("root:"):
            name = line.split(":", 1)[1].strip()
            path = ROOT / (name if name.endswith(".ipynb") else name + ".ipynb")
            if path.exists():
                found.append(path)
    return found


def execute_seconds(path: Path, timeout: int = 600) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MPLBACKEND", "Agg")
    paths = [p.resolve() for p in args.notebooks] or notebooks_in_toc()
    started = datetime.datetime.now(datetime.UTC)
    times = {}
    for path in paths:
        seconds = execute_seconds(path)
        times[str(path.relative_to(ROOT))] = seconds
        flag = "" if seconds <= PER_NOTEBOOK_BUDGET else f"  OVER the {PER_NOTEBOOK_BUDGET:.0f} s budget"
        print(f"{seconds:8.1f} s  {path.relative_to(ROOT)}{flag}", flush=True)
    total = sum(times.values())
    print(
        f"{total:8.1f} s  total ({'within' if total <= TOTAL_BUDGET else 'OVER'} the {TOTAL_BUDGET:.0f} s budget); "
        f"load average {os.getloadavg()}"
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"book-time-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {"started": started.isoformat(), "seconds": times, "total": total, "load_average_end": os.getloadavg()},
            indent=2,
        )
    )
    print(f"wrote {path}")
    return 0 if total <= TOTAL_BUDGET and all(s <= PER_NOTEBOOK_BUDGET for s in times.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
