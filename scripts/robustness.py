"""Execute every chapter under other BLAS kernels, thread counts and seeds; print the matrix.

    python scripts/robustness.py                 # the matrix `make robustness` runs
    python scripts/robustness.py --full          # every kernel x threads x seed (slow)
    python scripts/robustness.py --chapters mnist claims --seeds 0 1

A chapter states only what holds on every reader's machine, so it must pass whatever
OpenBLAS kernel the reader's processor selects, however many threads the BLAS uses, and
whatever seed its `parameters` cell is given. This script checks exactly that:

* **Kernels.** `OPENBLAS_CORETYPE` forces one of OpenBLAS's kernels (Haswell, SkylakeX,
  Sandybridge, Nehalem). Each is first probed in a child process that runs a matrix product
  under it and asks threadpoolctl which kernel OpenBLAS really loaded; a kernel the processor
  cannot execute (SkylakeX without AVX-512 dies with SIGILL) is reported and left out.
* **Threads.** 1 and 2: OPENBLAS/OMP/MKL_NUM_THREADS and TensorFlow's intra-op pool.
* **Seeds.** papermill injects `SEED = s` after the chapter's `parameters` cell; nbclient, the
  engine nbmake uses, executes the notebook.

Crossing all of them takes hours on two cores, so by default each (kernel, threads) pair
runs once and the seeds rotate over those runs: every kernel meets both thread counts, every
seed is run, and every chapter runs in every configuration. `--full` crosses everything.
Jobs with one BLAS thread run side by side, one per core; jobs with more run alone, so no
job waits for a core held by another.

Executed notebooks go to `_build/robustness/` (outside the repository's tracked files). The
exit code is 0 only if every cell of the matrix passed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ("Haswell", "SkylakeX", "Sandybridge", "Nehalem")
THREADS = (1, 2)
SEEDS = (0, 1, 2, 3, 4)
TIMEOUT = 900  # seconds per cell of a notebook

PROBE = """
import json, numpy, threadpoolctl
a = numpy.arange(40000, dtype=numpy.float32).reshape(200, 200) / 40000
(a @ a).sum(), (a.astype(numpy.float64) @ a).sum()
info = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
print(json.dumps({"architecture": info[0]["architecture"], "threads": info[0]["num_threads"]} if info else {}))
"""


@dataclass(frozen=True)
class Config:
    kernel: str
    threads: int
    seed: int

    @property
    def name(self) -> str:
        return f"{self.kernel}/{self.threads}T/seed {self.seed}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel must choose its inline backend to draw figures
        env["OPENBLAS_CORETYPE"] = self.kernel
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            env[var] = str(self.threads)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        env.setdefault("PYTHONHASHSEED", "0")
        return env


def chapters_in_reading_order() -> list[Path]:
    """The notebooks listed in _toc.yml, in its order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def probe(kernel: str, threads: int) -> tuple[bool, str]:
    """Can this processor run the kernel? Returns (usable, what OpenBLAS reported or why not)."""
    env = Config(kernel, threads, 0).environment()
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        reason = f"signal {-done.returncode}" if done.returncode < 0 else f"exit code {done.returncode}"
        return False, f"the probe's matrix product died ({reason}): the processor cannot run it"
    info = json.loads(done.stdout.strip().splitlines()[-1] or "{}")
    if not info:
        return False, "NumPy is not linked against OpenBLAS here"
    if info["architecture"].lower() != kernel.lower():
        return False, f"OpenBLAS loaded {info['architecture']} instead"
    return True, f"{info['architecture']}, {info['threads']} thread(s)"


def plan(kernels, threads, seeds, full: bool) -> list[Config]:
    pairs = list(itertools.product(kernels, threads))
    if full:
        return [Config(k, t, s) for (k, t), s in itertools.product(pairs, seeds)]
    runs = max(len(pairs), len(seeds))
    return [Config(*pairs[i % len(pairs)], seeds[i % len(seeds)]) for i in range(runs)]


@dataclass
class Outcome:
    passed: bool
    seconds: float
    error: str = ""


def execute(chapter: Path, config: Config, out_dir: Path) -> Outcome:
    """Run one chapter in a child process that carries the configuration's environment."""
    out = out_dir / config.name.replace("/", "_").replace(" ", "") / chapter.name
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--execute-one", str(chapter), str(out), str(config.seed)]
    start = time.perf_counter()
    done = subprocess.run(command, env=config.environment(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode == 0:
        return Outcome(True, seconds)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return Outcome(False, seconds, "\n".join(lines[-15:]))


def execute_one(chapter: Path, out: Path, seed: int) -> int:
    """In the child: papermill injects SEED; nbclient (nbmake's engine) executes the notebook.

    papermill's own executor fails a notebook for any error output, even in a cell tagged
    `raises-exception` (the chapters show Keras's errors that way), so it only prepares the
    notebook here, and nbclient, which honours the tag, runs it.
    """
    import nbclient
    import nbformat
    import papermill

    notebook = papermill.execute_notebook(
        str(chapter), None, parameters={"SEED": seed}, prepare_only=True, kernel_name="python3", progress_bar=False
    )
    client = nbclient.NotebookClient(
        notebook, timeout=TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(chapter.parent)}}
    )
    try:
        client.execute()
        return 0
    except nbclient.exceptions.CellExecutionError as error:
        failed = [
            c
            for c in notebook.cells
            if "raises-exception" not in c.metadata.get("tags", [])
            and any(o.get("output_type") == "error" for o in c.get("outputs", []))
        ]
        cell = failed[-1] if failed else None
        if cell is not None:
            print("failing cell:\n" + "\n".join("    " + line for line in cell.source.splitlines()[-8:]))
        print(f"{error.ename}: {error.evalue}".strip())
        return 1
    finally:
        nbformat.write(notebook, str(out))


def run_all(chapters, configs, out_dir: Path, cores: int) -> dict[tuple[str, str], Outcome]:
    """One BLAS thread: as many jobs at once as there are cores; more threads: one job at a time."""
    results: dict[tuple[str, str], Outcome] = {}
    lock = threading.Lock()

    def job(chapter, config):
        outcome = execute(chapter, config, out_dir)
        with lock:
            results[chapter.stem, config.name] = outcome
            mark = "pass" if outcome.passed else "FAIL"
            print(f"  {mark} {outcome.seconds:6.1f} s  {chapter.stem:12s} {config.name}", flush=True)

    single = [(ch, c) for c in configs if c.threads == 1 for ch in chapters]
    multi = [(ch, c) for c in configs if c.threads > 1 for ch in chapters]
    queue = list(single)
    workers = [threading.Thread(target=lambda: _drain(queue, lock, job)) for _ in range(max(1, cores))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for chapter, config in multi:
        job(chapter, config)
    return results


def _drain(queue, lock, job):
    while True:
        with lock:
            if not queue:
                return
            chapter, config = queue.pop(0)
        job(chapter, config)


def matrix(chapters, configs, results) -> str:
    head = ["chapter"] + [c.name for c in configs] + ["total s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for chapter in chapters:
        cells, total = [], 0.0
        for config in configs:
            outcome = results[chapter.stem, config.name]
            total += outcome.seconds
            cells.append(f"{'pass' if outcome.passed else '**FAIL**'} {outcome.seconds:.0f} s")
        lines.append(f"| {chapter.stem} | " + " | ".join(cells) + f" | {total:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--execute-one"]:
        chapter, out, seed = argv[1:4]
        return execute_one(Path(chapter), Path(out), int(seed))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="*", help="chapter names (default: every notebook in _toc.yml)")
    parser.add_argument("--kernels", nargs="*", default=list(KERNELS))
    parser.add_argument("--threads", nargs="*", type=int, default=list(THREADS))
    parser.add_argument("--seeds", nargs="*", type=int, default=list(SEEDS))
    parser.add_argument("--full", action="store_true", help="cross every kernel, thread count and seed")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "robustness")
    args = parser.parse_args(argv)

    chapters = chapters_in_reading_order()
    if args.chapters:
        unknown = set(args.chapters) - {c.stem for c in chapters}
        if unknown:
            parser.error(f"--chapters: no such chapter {sorted(unknown)}; choose from {[c.stem for c in chapters]}")
        chapters = [c for c in chapters if c.stem in args.chapters]

    cores = os.cpu_count() or 1
    print(f"Probing OpenBLAS kernels ({cores} cores):")
    usable = []
    for kernel in args.kernels:
        ok, report = probe(kernel, 1)
        print(f"  {kernel:12s} {'runs: ' if ok else 'left out: '}{report}")
        if ok:
            usable.append(kernel)
    if not usable:
        print("No requested kernel can run here.")
        return 1
    configs = plan(usable, args.threads, args.seeds, args.full)
    print(
        f"\n{len(chapters)} chapters x {len(configs)} configurations "
        f"(kernel/BLAS threads/seed): {', '.join(c.name for c in configs)}\n"
    )
    start = time.perf_counter()
    results = run_all(chapters, configs, args.out, cores)
    table = matrix(chapters, configs, results)
    print(f"\n{table}\n\nwall time {time.perf_counter() - start:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "matrix.md").write_text(table + "\n", encoding="utf-8")
    failures = [(k, o) for k, o in results.items() if not o.passed]
    for (chapter, config), outcome in failures:
        print(f"\n--- {chapter} under {config} failed:\n{outcome.error}")
    print(f"\n{len(results) - len(failures)} of {len(results)} passed.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
