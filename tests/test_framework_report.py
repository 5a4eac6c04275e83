"""rmsprop_ref.book.framework_report: the frameworks chapter's runs, tables and reports."""

import numpy as np
import pytest

from rmsprop_ref import RMSprop, mlp
from rmsprop_ref.book import framework_report as report
from rmsprop_ref.book.frameworks import KERAS_ERAS
from rmsprop_ref.conventions import translate


def test_era_markdown_has_a_row_and_a_source_per_era():
    matches = [i % 2 == 0 for i in range(len(KERAS_ERAS))]
    text = report.era_markdown(KERAS_ERAS, matches)
    table, sources = text.split("\n\n")
    rows = table.splitlines()[2:]
    assert len(rows) == len(sources.splitlines()) == len(KERAS_ERAS)
    assert [row.endswith("| yes |") for row in rows] == matches
    assert "(`keras2.0`)" in rows[1] and "`" not in rows[0].split("|")[1]
    with pytest.raises(ValueError, match="matches"):
        report.era_markdown(KERAS_ERAS, matches[:-1])


def test_quadratic_is_centred_at_one_and_vectorised():
    grad, value = report.quadratic([2.0, 4.0])
    np.testing.assert_allclose(grad(np.zeros(2)), [-2.0, -4.0])
    path = np.array([[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(value(path), [3.0, 0.0])


def test_run_all_and_drift():
    grad, _ = report.quadratic([1.0, 1e-2])
    optimizers = {"a": RMSprop(0.01), "b": RMSprop(0.01, epsilon=1e-8, epsilon_in_sqrt=False)}
    runs = report.run_all(optimizers, grad, [0, 0], steps=5)
    assert set(runs) == {"a", "b"} and runs["a"].shape == (5, 2)
    # the same optimizer twice: no drift at all
    same = report.run_all({"a": RMSprop(0.01), "a again": RMSprop(0.01)}, grad, [0, 0], steps=5)
    np.testing.assert_array_equal(report.drift(same, "a")["a again"], np.zeros(5))
    distance = report.drift(runs, "a")
    assert list(distance) == ["b"]
    np.testing.assert_allclose(distance["b"], np.linalg.norm(runs["b"] - runs["a"], axis=-1))
    with pytest.raises(KeyError, match="no run"):
        report.drift(runs, "c")


def test_first_step_where_counts_from_one():
    assert report.first_step_where([False, False, True, True]) == 3
    assert report.first_step_where([True]) == 1
    assert report.first_step_where([False, False]) is None


def test_first_steps_and_cliff_report():
    runs = {"slow": np.array([[3.0], [2.0], [0.5]]), "fast one": np.array([[0.9], [0.05], [0.01]])}
    crossed = report.first_steps(runs, lambda theta: theta <= 1)
    reached = report.first_steps(runs, lambda theta: theta < 0.1)
    assert crossed == {"slow": 3, "fast one": 1} and reached == {"slow": None, "fast one": 2}
    lines = report.cliff_report(crossed, reached, steps=3).splitlines()
    assert lines[0] == "slow      foot of the cliff: step 3; θ < 0.1: not within 3 steps"
    assert lines[1] == "fast one  foot of the cliff: step 1; θ < 0.1: step 2"


def test_agreement_and_recipe_tables():
    table = report.agreement_markdown({("keras", "defaults"): 0.0, ("torch", "defaults"): 1.23e-7}, steps=50)
    assert table.splitlines()[0] == "| framework | settings | relative error, 50 float32 steps |"
    # plain numbers, never 1.2e-07
    assert table.splitlines()[1:] == ["|:--|:--|--:|", "| Keras | defaults | 0 |", "| PyTorch | defaults | 1.2×10⁻⁷ |"]
    recipes = [translate({}, "torch", "optax"), translate({"lr": 0.01}, "torch", "keras")]
    rows = report.recipe_markdown(recipes, [1e-8, 2.5e-5], steps=50).splitlines()
    assert rows[2] == "| PyTorch (defaults) → Optax | yes | 10⁻⁸ |"
    assert rows[3] == "| PyTorch {'lr': 0.01} → Keras | no | 2.5×10⁻⁵ |"
    with pytest.raises(ValueError):
        report.recipe_markdown(recipes, [1e-8], steps=50)


@pytest.mark.conformance
def test_live_gap_and_recipe_gap_with_pytorch():
    bowl_grad, _ = report.quadratic([1e-2, 1.0, 10.0])

    def grads(theta):
        return bowl_grad(theta).astype(np.float32)

    theta0 = np.array([1.0, -2.0, 0.5], np.float32)
    assert report.live_gap("torch", theta0, grads, 10) < 1e-6
    assert report.live_gap("torch", theta0, grads, 10, momentum=0.9, centered=True) < 1e-6
    # an exact recipe, source and target the same framework: the same run
    same = translate({"lr": 0.01, "alpha": 0.9}, "torch", "torch")
    assert report.recipe_gap(same, theta0, grads, 10) < 1e-6


def test_smooth_and_effect_range():
    np.testing.assert_allclose(report.smooth(np.arange(5.0), window=2), [0.5, 1.5, 2.5, 3.5])
    assert report.smooth(np.ones(12)).shape == (3,)
    np.testing.assert_allclose(report.smooth([1.0, 3.0], window=1), [1.0, 3.0])
    # np.convolve would swap its inputs for a window longer than the values
    for window in (0, 3):
        with pytest.raises(ValueError, match="window"):
            report.smooth([1.0, 2.0], window=window)
    assert report.effect_range([0.0123, -0.5, 0.25]) == "-0.500 to +0.250"


def test_effects_report():
    def run(loss):
        return mlp.MlpRun(None, None, None, None, loss, 0.9)

    runs_per_seed = [{"Keras": run(0.5), "PyTorch": run(0.4)}, {"Keras": run(0.7), "PyTorch": run(0.8)}]
    effect = {"PyTorch": np.array([-0.1, 0.1])}
    lines = report.effects_report(effect, runs_per_seed).splitlines()
    assert lines == [
        "Keras's test loss over the seeds: 0.500 to 0.700",
        "PyTorch  minus Keras: mean +0.000, range -0.100 to +0.100",
    ]
