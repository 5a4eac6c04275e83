"""The MNIST chapter's plumbing (rmsprop_ref.book.keras_mnist) on a small twin of the network."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmsprop_ref import SGD, RMSprop, mlp, schedules  # noqa: E402
from rmsprop_ref.book import keras_mnist  # noqa: E402
from rmsprop_ref.book.plots import use_book_style  # noqa: E402

SIZES = (12, 6, 3)


def data(seed: int, count: int):
    rng = np.random.default_rng(seed)
    return rng.random((count, SIZES[0]), dtype=np.float32), rng.integers(0, SIZES[2], size=count)


def test_search_scores_each_rate_with_the_same_start_and_shuffling():
    params, train, valid = mlp.init_params(0, SIZES), data(1, 64), data(2, 32)
    scores = keras_mnist.sgd_learning_rate_search(params, [0.01, 0.3], train, valid, seed=5, batch_size=16)
    assert list(scores) == [0.01, 0.3]
    direct = mlp.fit(params, SGD(0.3), *train, epochs=1, batch_size=16, seed=5, validation_data=valid)[2]
    assert scores[0.3] == direct["val_accuracy"][0]
    assert all(0 <= s <= 1 for s in scores.values())


def test_gradient_rms_of_one_batch_is_the_rms_of_its_gradient():
    params, (images, labels) = mlp.init_params(0, SIZES), data(3, 16)
    overall, median = keras_mnist.gradient_rms(params, images, labels, steps=1, batch_size=16)
    flat = np.concatenate(
        [g.ravel() for g in mlp.params_to_keras_weights(mlp.loss_and_grads(params, images, labels)[1])]
    )
    flat = flat.astype(np.float64)
    np.testing.assert_allclose(overall, np.sqrt(np.mean(flat**2)), rtol=1e-12)
    np.testing.assert_allclose(median, np.median(np.abs(flat[flat != 0])), rtol=1e-12)


def test_step_sizes_are_gradient_magnitudes_for_sgd_and_bounded_for_rmsprop():
    params, (images, labels) = mlp.init_params(0, SIZES), data(4, 16)
    sgd = SGD(0.5)
    sizes, magnitudes = keras_mnist.step_sizes(sgd, params, sgd.init(params), images, labels)
    assert list(sizes) == list(magnitudes) == list(mlp.PARAMETER_NAMES.values())
    for name in sizes:
        # θ is float32: Δθ is known to one ulp of θ (|θ| < 1), below 1e-7 / η
        np.testing.assert_allclose(sizes[name], magnitudes[name], rtol=0, atol=1e-6)
    rms = RMSprop.preset("keras")
    sizes, _ = keras_mnist.step_sizes(rms, params, rms.init(params), images, labels)
    assert max(v.max() for v in sizes.values()) <= (1 / np.sqrt(1 - 0.9)) * (1 + 1e-4)
    with pytest.raises(TypeError, match="constant learning rate"):
        decaying = RMSprop(schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.5))
        keras_mnist.step_sizes(decaying, params, decaying.init(params), images, labels)


def test_medians_leave_out_zero_steps_and_the_table_aligns_them():
    panels = {
        "RMSprop, step 1": {"a": np.array([0.0, 1.0, 3.0]), "b": np.array([2.0])},
        "SGD": {"a": np.ones(2), "b": np.zeros(1) + 4},
    }
    medians = keras_mnist.layer_medians(panels)
    assert medians == {"RMSprop, step 1": {"a": 2.0, "b": 2.0}, "SGD": {"a": 1.0, "b": 4.0}}
    lines = keras_mnist.median_table(medians).splitlines()
    assert len(lines) == 4 and len({len(line) for line in lines}) == 1
    assert "RMSprop," in lines[0] and "step 1" in lines[1] and lines[3].split() == ["b", "2", "4"]
    # small medians in plain notation, never 1.2e-05
    tiny = keras_mnist.median_table({"SGD": {"w": 1.2e-5}}).splitlines()
    assert tiny[-1].split() == ["w", "1.2×10⁻⁵"]


def test_histograms_span_the_data_and_have_a_readable_legend_outside_the_panels():
    use_book_style()
    rng = np.random.default_rng(0)
    panels = {"RMSprop, early": {"w": rng.uniform(0.1, 2, 100)}, "SGD, early": {"w": rng.uniform(1e-4, 1e-2, 100)}}
    axes = keras_mnist.plot_step_size_histograms(panels, bound=np.sqrt(10))
    # each column's axis spans its own data, with a margin of 1.5: no empty stretch
    low, high = axes[0, 0].get_xlim()
    rms = panels["RMSprop, early"]["w"]
    assert np.isclose(low, np.quantile(rms, 0.01) / 1.5) and np.isclose(high, np.sqrt(10) * 1.5)
    low, high = axes[0, 1].get_xlim()
    sgd = panels["SGD, early"]["w"]
    assert np.isclose(low, np.quantile(sgd, 0.01) / 1.5) and np.isclose(high, sgd.max() * 1.5)
    (legend,) = axes[0, 0].figure.legends
    assert min(t.get_fontsize() for t in legend.get_texts()) >= 9
    assert [t.get_text() for t in legend.get_texts()] == ["w", "bound 1/√(1−ρ)"]
    plt.close("all")


def test_history_legend_is_readable_and_below_the_panels():
    use_book_style()
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.7], "val_loss": [1.1, 0.6], "val_accuracy": [0.4, 0.6]}
    axes = keras_mnist.plot_histories({"RMSprop": history, "SGD": history})
    (legend,) = axes[0].figure.legends
    assert len(legend.get_texts()) == 4 and min(t.get_fontsize() for t in legend.get_texts()) >= 9
    assert axes[1].get_legend() is None
    plt.close("all")
