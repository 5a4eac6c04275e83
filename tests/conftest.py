"""Shared fixtures: the conformance problem and a recorder that prints the agreement matrix.

Every conformance test runs a real framework and rmsprop_ref on the same 60 steps of random
float32 gradients and checks them with :func:`check` (the ``conformance`` fixture). At the
end of the run, pytest prints one line per framework and case with the relative error seen,
so CI's output shows that the conformance tests ran and how close they came.
"""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_ref import RMSprop
from rmsprop_ref.book.frameworks import relative_error, run_reference

# The contract: every preset matches its framework to rtol 1e-5 over >= 50 steps.
CONFORMANCE_RTOL = 1e-5
CONFORMANCE_STEPS = 60

_RESULTS: list[tuple[str, str, float]] = []


class Conformance:
    """Compare a framework's trajectory with rmsprop_ref's and remember the error.

    The framework's name is also the name of its RMSprop preset ("keras", "torch", ...).
    """

    rtol = CONFORMANCE_RTOL

    def matches(self, framework: str, case: str, actual, problem, **settings) -> float:
        """Check ``actual`` against ``RMSprop.preset(framework, **settings)`` on ``problem``."""
        params0, grads = problem
        expected = run_reference(RMSprop.preset(framework, **settings), params0, grads)
        return self.check(framework, case, actual, expected)

    def distance(self, framework: str, actual, problem, **settings) -> float:
        """``relative_error`` of ``actual`` from the preset with ``settings`` (no assertion)."""
        params0, grads = problem
        return relative_error(actual, run_reference(RMSprop.preset(framework, **settings), params0, grads))

    def tells_apart(self, framework: str, actual, problem, settings: dict, wrongs) -> None:
        """Assert that ``actual`` is more than ten times ``rtol`` away from the preset with
        ``settings`` changed by each one-option override in ``wrongs``: the conformance
        checks would catch that convention being wrong."""
        for wrong in wrongs:
            assert self.distance(framework, actual, problem, **{**settings, **wrong}) > 10 * self.rtol, wrong

    def check(self, framework: str, case: str, actual, expected) -> float:
        """Assert agreement to ``rtol`` relative to each leaf's scale; return the error.

        Element by element: |actual − expected| ≤ rtol · max|expected of that leaf|. A
        coordinate that crosses zero is judged against the size of its parameter array,
        not against its own vanishing value (see ``relative_error``).
        """
        actual = [actual] if isinstance(actual, np.ndarray) else list(actual)
        expected = [expected] if isinstance(expected, np.ndarray) else list(expected)
        for a, e in zip(actual, expected):
            assert a.dtype == np.float32, f"{framework} returned {a.dtype}, expected float32"
            assert np.all(np.isfinite(e)), f"rmsprop_ref produced non-finite values for {case}"
            np.testing.assert_allclose(
                a, e, rtol=self.rtol, atol=self.rtol * np.max(np.abs(e)), err_msg=f"{framework} vs rmsprop_ref, {case}"
            )
        error = relative_error(actual, expected)
        _RESULTS.append((framework, case, error))
        return error


@pytest.fixture(scope="session")
def conformance() -> Conformance:
    return Conformance()


@pytest.fixture(scope="session")
def conformance_problem():
    """Starting parameters (two float32 leaves) and 60 steps of float32 gradients.

    Each step's gradient is Gaussian noise times a per-step scale drawn log-uniformly over
    two decades, so the running mean of g² really moves and the adaptive step matters.
    """
    rng = np.random.default_rng(20240601)
    shapes = [(4, 3), (5,)]
    params0 = [rng.normal(size=shape).astype(np.float32) for shape in shapes]
    grads = []
    for _ in range(CONFORMANCE_STEPS):
        scale = 10.0 ** rng.uniform(-1, 1)
        grads.append([(scale * rng.normal(size=shape)).astype(np.float32) for shape in shapes])
    return params0, grads


@pytest.fixture(scope="session")
def sparse_problem():
    """A float32 table (8 × 3) and 40 steps of sparse gradients: 3 random rows each, so a
    row is sometimes named twice (its values are then summed) and most rows sit out a step."""
    from rmsprop_ref.sparse_gradients import SparseRows

    rng = np.random.default_rng(5)
    table = rng.normal(size=(8, 3)).astype(np.float32)
    grads = []
    for _ in range(40):
        rows = rng.integers(0, 8, size=3)
        grads.append([SparseRows(rows, rng.normal(size=(3, 3)).astype(np.float32))])
    return [table], grads


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS:
        return
    terminalreporter.section("conformance: relative error vs rmsprop_ref (max |Δθ| / max |θ| per leaf)")
    for framework in sorted({f for f, _, _ in _RESULTS}):
        rows = [(case, err) for f, case, err in _RESULTS if f == framework]
        worst = max(err for _, err in rows)
        exact = sum(err == 0 for _, err in rows)
        terminalreporter.write_line(
            f"{framework:6s} {len(rows):3d} cases, worst {worst:.2e} (rtol {CONFORMANCE_RTOL:g}), {exact} bit-identical"
        )
        for case, err in rows:
            terminalreporter.write_line(f"    {err:.2e}  {case}")


# Markers (registered in pyproject.toml): `make unit` runs what carries none of them.
#   conformance  runs a real framework (Keras, PyTorch, TF1, Optax)
#   browser      drives headless Chromium
#   slow         takes seconds on its own (a subprocess build, the MNIST files, threads)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name.startswith("test_conformance_"):
            item.add_marker(pytest.mark.conformance)
        elif item.path.name == "test_site_check.py":
            item.add_marker(pytest.mark.browser)
