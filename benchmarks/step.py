"""Benchmark one RMSprop step: NumPy (pure and in-place), PyTorch, Keras, against the copy bound.

    .venv/bin/python benchmarks/step.py                 # N = 1e5, 1e6, 1e7; all variants
    .venv/bin/python benchmarks/step.py --sizes 1e5 1e6 --repeats 20

Prints a table of milliseconds per step with the ratio to the bound (np.copyto streaming the
same bytes, best of one and two threads), the peak memory one step allocates (tracemalloc,
NumPy implementations) and the time of a 20 × 20 η × ρ sweep of 500 steps on the 2-D
quadratic; writes everything as JSON to benchmarks/results/step-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rmsprop_ref.book import stepcost  # noqa: E402
from rmsprop_ref.inplace import default_threads  # noqa: E402
from rmsprop_ref.problems import ill_conditioned_quadratic  # noqa: E402
from rmsprop_ref.sweep import sweep  # noqa: E402


def sweep_seconds(repeats: int = 5) -> float:
    """Median wall time of the 20 × 20 η × ρ grid, 500 steps, on the book's 2-D quadratic."""
    problem = ill_conditioned_quadratic()
    lrs, rhos = np.geomspace(1e-3, 1.0, 20), np.linspace(0.5, 0.999, 20)
    return stepcost.median_time(
        lambda: sweep(problem, [-4.0, 1.0], 500, learning_rate=lrs, rho=rhos), repeats, warmup=1
    )


def environment() -> dict:
    import keras
    import tensorflow as tf
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "cpus": os.cpu_count(),
        "in_place_threads": default_threads(),
        "machine": platform.machine(),
        "load_average": os.getloadavg(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--variants", nargs="+", default=list(stepcost.VARIANTS), choices=list(stepcost.VARIANTS))
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per cell (default: by size)")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes]

    started = datetime.datetime.now(datetime.UTC)
    env = environment()
    records = stepcost.measure(sizes, args.variants, repeats=args.repeats)
    print(
        f"one RMSprop step, float32, median ms (ratio to the copy bound); load average at start {env['load_average']}"
    )
    print(stepcost.format_table(records))
    print("\nthe same, fastest of the repeats (least disturbed by other programs)")
    print(stepcost.format_table(records, key="best_ms"))

    largest = max(sizes)
    memory = {
        impl: {v: stepcost.peak_step_memory(impl, v, largest) for v in args.variants}
        for impl in ("pure update", "in-place")
    }
    print(
        f"\npeak memory allocated during one step at N = {largest:.0e} (tracemalloc; one array = {4 * largest / 1e6:.1f} MB)"
    )
    for impl, per_variant in memory.items():
        print(f"  {impl:>12}: " + ", ".join(f"{v} {b / 1e6:.3f} MB" for v, b in per_variant.items()))

    sweep_time = sweep_seconds()
    print(f"\n20 × 20 η × ρ sweep, 500 steps, 2-D quadratic: {sweep_time:.3f} s (median of 5)")

    targets = []
    for r in records:
        if r["n"] == largest:
            ms = r["ms"]
            ratio = ms["in-place"] / r["bound_ms"]
            faster = all(ms["in-place"] < ms[k] for k in ms if k not in ("in-place", "pure update"))
            targets.append(
                {
                    "variant": r["variant"],
                    "in_place_ratio": ratio,
                    "within_1.5": ratio <= 1.5,
                    "faster_than_frameworks": faster,
                }
            )
            print(
                f"target at N = {largest:.0e}, {r['variant']:>8}: in-place {ratio:.2f}× bound "
                f"({'met' if ratio <= 1.5 else 'MISSED'}: ≤ 1.5×), faster than torch and keras: {faster}"
            )

    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / f"step-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "environment": env,
                "records": records,
                "peak_memory_bytes": memory,
                "sweep_20x20x500_seconds": sweep_time,
                "targets": targets,
                "load_average_end": os.getloadavg(),
            },
            indent=2,
        )
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
