"""scripts/check_platforms.py, offline: its marker environments, the platform policy the
requirement files encode, and the trick that makes pip's resolver evaluate markers for the
target instead of for this machine. (Asking PyPI for wheels is `make platforms`, not a test.)"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_platforms", ROOT / "scripts" / "check_platforms.py")
check_platforms = importlib.util.module_from_spec(spec)
sys.modules["check_platforms"] = check_platforms  # its dataclasses look their module up
spec.loader.exec_module(check_platforms)

TARGETS = {t.name: t for t in check_platforms.TARGETS}
# Nothing after TensorFlow 2.16, PyTorch 2.2 or jaxlib 0.4.38 is built for Intel Macs (README).
LEFT_OUT_ON_INTEL_MAC = {"tensorflow", "tensorflow-cpu", "torch", "jax", "jaxlib", "optax"}


def applies(requirement, target, python):
    env = check_platforms.marker_environment(target, python)
    return requirement.marker is None or requirement.marker.evaluate(env)


def test_the_five_targets_and_three_pythons():
    assert set(TARGETS) == {"Linux x86-64", "Linux aarch64", "macOS arm64", "macOS x86-64", "Windows x86-64"}
    assert check_platforms.PYTHONS == ("3.11", "3.12", "3.13")


def test_manylinux_lists_every_glibc_from_2_17():
    tags = check_platforms.manylinux("x86_64", 28)
    assert tags[0] == "manylinux_2_28_x86_64" and "manylinux_2_27_x86_64" in tags
    assert "manylinux_2_17_x86_64" in tags and "manylinux_2_16_x86_64" not in tags
    assert tags[-1] == "manylinux2014_x86_64"


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("python", check_platforms.PYTHONS)
def test_each_package_has_exactly_one_pin_on_each_target(target, python):
    pins = {}
    for _, requirement in check_platforms.requirements():
        if applies(requirement, TARGETS[target], python):
            pins.setdefault(requirement.name, []).append(str(requirement.specifier))
    assert all(len(versions) == 1 for versions in pins.values()), pins
    # TensorFlow (one of its two builds) and PyTorch wherever they are built.
    names = set(pins)
    if target == "macOS x86-64":
        assert not names & LEFT_OUT_ON_INTEL_MAC
    else:
        assert names >= {"torch", "jax", "jaxlib", "optax"}
        assert len(names & {"tensorflow", "tensorflow-cpu"}) == 1


def test_tensorflow_builds_per_platform():
    def tensorflow(target):
        found = [
            r
            for _, r in check_platforms.requirements()
            if r.name.startswith("tensorflow") and applies(r, TARGETS[target], "3.12")
        ]
        return [f"{r.name}{r.specifier}" for r in found]

    assert tensorflow("Linux x86-64") == ["tensorflow-cpu==2.21.0"]
    assert tensorflow("Windows x86-64") == ["tensorflow-cpu==2.21.0"]
    assert tensorflow("macOS arm64") == ["tensorflow==2.21.0"]
    assert tensorflow("Linux aarch64") == ["tensorflow==2.20.0"]


def test_linux_torch_is_the_cpu_build():
    linux = [
        r
        for file, r in check_platforms.requirements()
        if r.name == "torch" and applies(r, TARGETS["Linux x86-64"], "3.12")
    ]
    assert [str(r.specifier) for r in linux] == ["==2.13.0+cpu"]
    assert check_platforms.INDEX["requirements-torch-cpu.txt"] == "https://download.pytorch.org/whl/cpu"


def run_pip_as(target, requirement):
    """pip, through the script's wrapper, asked offline to install one requirement."""
    env = check_platforms.marker_environment(TARGETS[target], "3.12")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            check_platforms.PIP_AS_TARGET,
            json.dumps(env),
            "install",
            "--dry-run",
            "--no-index",
            "--no-deps",
            "--quiet",
            "--target",
            "unused",
            requirement,
        ],
        capture_output=True,
        text=True,
        env=check_platforms.isolated_environment(),
    )


@pytest.mark.slow
def test_the_resolver_evaluates_markers_for_the_target_not_this_machine():
    # A package that exists nowhere, wanted only on Linux: pip on a Windows target skips it
    # (exit 0, no index needed); on a Linux target it looks for it and fails.
    requirement = 'no-such-package-rmsprop-ref==1.0 ; sys_platform == "linux"'
    assert run_pip_as("Windows x86-64", requirement).returncode == 0
    linux = run_pip_as("Linux x86-64", requirement)
    assert linux.returncode != 0 and "no-such-package-rmsprop-ref" in linux.stderr
