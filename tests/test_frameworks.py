"""The framework runners' plumbing, and that importing rmsprop_ref stays light.

Agreement of each framework with rmsprop_ref is in test_conformance_*.py; here: shapes of
what the runners return, gradients given as a function, input checks, no mutation of the
caller's arrays, and relative_error.
"""

import subprocess
import sys

import numpy as np
import pytest

from rmsprop_ref import RMSprop, mlp
from rmsprop_ref.book.frameworks import relative_error, run_keras, run_optax, run_reference, run_tf1, run_torch

HEAVY = ("keras", "tensorflow", "torch", "jax", "optax")


def test_importing_rmsprop_ref_imports_no_framework():
    code = (
        "import sys, rmsprop_ref, rmsprop_ref.book.frameworks, rmsprop_ref.schedules, rmsprop_ref.tree\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


# Keras's docstring problem, loss θ²/2 (gradient θ), run for 3 steps through every runner,
# with the gradient given as a function of the current parameters.
RUNS = {
    "keras": lambda p0: run_keras(p0, lambda p: p, steps=3, learning_rate=0.1),
    "torch": lambda p0: run_torch(p0, lambda p: p, steps=3, lr=0.1),
    "optax": lambda p0: run_optax(p0, lambda p: p, steps=3, learning_rate=0.1),
    "tf1": lambda p0: run_tf1(p0, lambda p: p, steps=3, learning_rate=0.1),
}


@pytest.mark.conformance
@pytest.mark.parametrize("framework", list(RUNS))
def test_runner_with_a_gradient_function(framework):
    theta0 = np.array([10.0, -3.0], np.float32)
    trajectory = RUNS[framework](theta0)
    assert isinstance(trajectory, np.ndarray) and trajectory.shape == (3, 2) and trajectory.dtype == np.float32
    np.testing.assert_array_equal(theta0, [10.0, -3.0])  # the caller's array is untouched
    expected = run_reference(RMSprop.preset(framework, learning_rate=0.1), theta0, lambda p: p, steps=3)
    assert relative_error(trajectory, expected) < 1e-6
    if framework == "keras":
        np.testing.assert_allclose(trajectory[0, 0], 9.683772, rtol=1e-6)  # Keras's docstring number


@pytest.mark.conformance
def test_runner_returns_one_array_per_leaf_for_a_list():
    params0 = [np.ones((2, 3), np.float32), np.zeros(4, np.float32)]
    grads = [[np.full((2, 3), 0.5, np.float32), np.ones(4, np.float32)] for _ in range(5)]
    kept = [g.copy() for g in grads[0]]
    out = run_torch(params0, grads, lr=0.01)
    assert [a.shape for a in out] == [(5, 2, 3), (5, 4)]
    np.testing.assert_array_equal(params0[0], np.ones((2, 3)))
    np.testing.assert_array_equal(grads[0][0], kept[0])
    reference = run_reference(RMSprop.preset("torch"), params0, grads)
    assert [a.shape for a in reference] == [(5, 2, 3), (5, 4)]


def test_runner_input_checks():
    with pytest.raises(ValueError, match=r"grads is a function of the parameters, so pass steps="):
        run_reference(RMSprop(), np.ones(2), lambda p: p)
    with pytest.raises(ValueError, match=r"steps=3 but grads holds 2 steps"):
        run_reference(RMSprop(), np.ones(2), [np.ones(2)] * 2, steps=3)
    with pytest.raises(ValueError, match=r"params0\[0\] has dtype int64; the runners need float arrays"):
        run_reference(RMSprop(), np.arange(2), [np.ones(2)])


def test_relative_error_is_relative_to_each_leafs_scale():
    expected = [np.array([[10.0, 0.0]]), np.array([[1.0, -2.0]])]
    actual = [np.array([[10.0, 0.001]]), np.array([[1.0, -2.002]])]
    # leaf 0: 0.001 / 10 = 1e-4 (the coordinate at 0 is judged against 10); leaf 1: 0.002 / 2 = 1e-3
    assert relative_error(actual, expected) == pytest.approx(1e-3)
    assert relative_error(expected[0], expected[0]) == 0.0
    with pytest.raises(ValueError, match="actual has 1 leaves but expected has 2"):
        relative_error(actual[:1], expected)


def test_train_mlp_over_seeds_and_loss_effects(monkeypatch):
    from rmsprop_ref.book import frameworks

    calls = []

    def fake(optimizers, params0, images, labels, test, *, steps, batch_size, seed):
        calls.append(seed)
        return {label: mlp.MlpRun(None, None, None, None, seed + i, 0.9) for i, label in enumerate(optimizers)}

    monkeypatch.setattr(frameworks, "train_mlp_for_steps", fake)
    monkeypatch.setattr(frameworks.mlp, "init_params", lambda seed: {"seed": seed})
    runs = frameworks.train_mlp_over_seeds(
        {"a": None, "b": None, "c": None}, None, None, None, seeds=range(3, 6), steps=2, batch_size=1
    )
    assert calls == [3, 4, 5] and len(runs) == 3
    effects = frameworks.loss_effects(runs, "a")
    assert list(effects) == ["b", "c"]
    np.testing.assert_array_equal(effects["b"], [1, 1, 1])
    np.testing.assert_array_equal(effects["c"], [2, 2, 2])
    with pytest.raises(ValueError, match="seeds must not be empty"):
        frameworks.train_mlp_over_seeds({}, None, None, None, seeds=[], steps=1, batch_size=1)


def test_keras_eras_place_epsilon_as_their_source_does():
    from rmsprop_ref.book.frameworks import KERAS_ERAS

    placement = [era.optimizer().epsilon_in_sqrt for era in KERAS_ERAS]
    assert placement == [True, False, False, False, True, True]
    assert [era.optimizer().epsilon for era in KERAS_ERAS] == [1e-6, 1e-8, 1e-7, 1e-7, 1e-7, 1e-7]
    for era in KERAS_ERAS:
        optimizer = era.optimizer()
        assert (optimizer.learning_rate, optimizer.rho, optimizer.momentum) == (0.001, 0.9, 0.0)
        if era.preset:  # the era is that preset, with the article's η and ρ
            preset = RMSprop.preset(era.preset)
            assert (preset.epsilon, preset.epsilon_in_sqrt) == (optimizer.epsilon, optimizer.epsilon_in_sqrt)
