"""The article's Keras model, corrected for Keras 3, and small helpers around it.

Keras is imported inside each function, never when :mod:`rmsprop_ref` is imported.
"""

from __future__ import annotations

import numpy as np


def build_model(seed: int):
    """784-512-10, ReLU then softmax, written the Keras 3 way (``keras.Input``), seeded.

    ``keras.utils.set_random_seed(seed)`` fixes Python's, NumPy's and the backend's random
    generators, so the same seed gives the same initial weights and the same shuffling in ``fit``.
    """
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def compile_and_fit(model, optimizer, train: tuple, test: tuple, *, epochs: int = 5, batch_size: int = 128) -> dict:
    """Compile with integer-label cross-entropy, fit with the test set as validation data.

    Returns Keras's history dict: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
    one entry per epoch (the test numbers come from one pass over the test set per epoch).
    """
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(*train, epochs=epochs, batch_size=batch_size, validation_data=test, verbose=0)
    return history.history


def fit_first_batches(model, optimizer, images: np.ndarray, labels: np.ndarray, *, steps: int, batch_size: int):
    """Take exactly ``steps`` optimizer steps on the first ``steps × batch_size`` examples, in order."""
    if steps < 1 or steps * batch_size > len(images):
        raise ValueError(f"steps must be between 1 and {len(images) // batch_size}; got {steps}")
    count = steps * batch_size
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(images[:count], labels[:count], epochs=1, batch_size=batch_size, shuffle=False, verbose=0)
    return model


def plot_histories(histories: dict[str, dict], colors: dict[str, str | None] | None = None, axes=None):
    """Loss and accuracy per epoch, training (solid) and test (dashed), one colour per run.

    ``histories`` maps a label to a Keras-style history dict (``loss``, ``accuracy``,
    ``val_loss``, ``val_accuracy``), from Keras's ``fit`` or :func:`rmsprop_ref.mlp.fit`.
    Returns the two axes (loss on a log scale, accuracy).
    """
    import matplotlib.pyplot as plt

    from .plots import DOUBLE_WIDTH, color_for

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=DOUBLE_WIDTH)
    colors = colors or {}
    for label, history in histories.items():
        color = colors.get(label, color_for(label))
        epochs = np.arange(1, len(history["loss"]) + 1)
        for ax, key in zip(axes, ("loss", "accuracy")):
            ax.plot(epochs, history[key], color=color, marker="o", markersize=3, label=f"{label}, train")
            ax.plot(
                epochs,
                history[f"val_{key}"],
                color=color,
                marker="s",
                markersize=3,
                linestyle="--",
                label=f"{label}, test",
            )
    axes[0].set(xlabel="epoch", ylabel="cross-entropy (log scale)", yscale="log")
    axes[1].set(xlabel="epoch", ylabel="accuracy")
    for ax in axes:
        ax.set_xticks(epochs)
    axes[1].legend(loc="lower right", fontsize=7)
    return axes
