"""The article's Keras model, corrected for Keras 3, and the MNIST chapter's plumbing.

Keras is imported inside each function, never when :mod:`rmsprop_ref` is imported. Besides
the model, the module holds what the chapter runs around it with the NumPy twin
(:mod:`rmsprop_ref.mlp`): the search for SGD's learning rate, the size of the gradients, the
effective step sizes of one step, and the figures and table that show them.
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


def compile_and_fit(
    model, optimizer, train: tuple, test: tuple, *, epochs: int = 5, batch_size: int = 128, verbose: int = 0
) -> dict:
    """Compile with integer-label cross-entropy, fit with the test set as validation data.

    Returns Keras's history dict: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
    one entry per epoch (the test numbers come from one pass over the test set per epoch).
    ``verbose`` is Keras's: 0 prints nothing, 2 one line per epoch.
    """
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(*train, epochs=epochs, batch_size=batch_size, validation_data=test, verbose=verbose)
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
    # below both panels, where it covers no curve; Matplotlib's default size (9 pt in the book)
    handles, labels = axes[1].get_legend_handles_labels()
    axes[1].figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 3))
    return axes


# --------------------------------------------------------------------------- the NumPy twin's experiments


def sgd_learning_rate_search(
    params: dict, grid, train: tuple, valid: tuple, *, seed: int, batch_size: int = 128
) -> dict[float, float]:
    """Validation accuracy after one epoch of plain SGD, for each learning rate of ``grid``.

    Every run starts from the same ``params`` (the twin of :mod:`rmsprop_ref.mlp`) and sees the
    same shuffling (``seed``), so the learning rate is the only thing that changes.
    """
    from rmsprop_ref import SGD, mlp

    return {
        eta: mlp.fit(params, SGD(eta), *train, epochs=1, batch_size=batch_size, seed=seed, validation_data=valid)[2][
            "val_accuracy"
        ][0]
        for eta in grid
    }


def gradient_rms(params: dict, images: np.ndarray, labels: np.ndarray, *, steps: int, batch_size: int):
    """The size of the gradients on the first ``steps`` batches, taken in order, at ``params``.

    Returns ``(overall, median)``: the root mean square of all gradient entries of all batches,
    and the median over parameters of each parameter's own RMS across the batches (parameters
    whose gradient is always 0, such as dead ReLU inputs, left out).
    """
    from rmsprop_ref import mlp, tree

    grads = np.array(
        [
            np.concatenate([g.ravel() for g in tree.leaves(mlp.loss_and_grads(params, images[i], labels[i])[1])])
            for i in mlp.batch_slices(steps * batch_size, batch_size, None)
        ],
        dtype=np.float64,
    )
    per_parameter = np.sqrt((grads**2).mean(axis=0))
    return float(np.sqrt((grads**2).mean())), float(np.median(per_parameter[per_parameter > 0]))


def step_sizes(optimizer, params: dict, state, images: np.ndarray, labels: np.ndarray):
    """``|Δθ|/η`` of one more step of ``optimizer`` (constant η) on one batch, and the gradient magnitudes ``|g|``.

    Returns two dicts with the names of ``rmsprop_ref.mlp.PARAMETER_NAMES``, one flat
    float64 array per parameter array: the optimizer's effective step sizes, and ``|g|``, the
    effective step that SGD would take with the same gradient.
    """
    from rmsprop_ref import mlp

    learning_rate = optimizer.learning_rate
    if not isinstance(learning_rate, int | float):  # a schedule has no one η to divide by
        raise TypeError(f"optimizer must have a constant learning rate, got {learning_rate!r}")
    grads = mlp.loss_and_grads(params, images, labels)[1]
    after = optimizer.update(params, grads, state)[0]
    sizes = mlp.effective_step_sizes(params, after, learning_rate)
    magnitudes = {
        name: np.abs(g.ravel()).astype(np.float64) for name, g in zip(sizes, mlp.params_to_keras_weights(grads))
    }
    return sizes, magnitudes


def layer_medians(panels: dict[str, dict[str, np.ndarray]]) -> dict[str, dict[str, float]]:
    """For each panel (a dict of per-array step sizes), the median of each array's nonzero steps."""
    return {panel: {name: float(np.median(v[v > 0])) for name, v in sizes.items()} for panel, sizes in panels.items()}


def median_table(medians: dict[str, dict[str, float]]) -> str:
    """The medians of :func:`layer_medians` as an aligned text table
    (:func:`~rmsprop_ref.book.tables.text_table`), one column per panel, numbers to two
    significant digits (:func:`~rmsprop_ref.book.tables.number`, never 1.2e-05).

    A panel's name is split at its first ", " into two header lines, so the table stays narrow.
    """
    from rmsprop_ref.book.tables import number, text_table

    heads = []
    for panel in medians:
        first, _, second = panel.partition(", ")
        heads.append((first + ",", second) if second else (first, ""))
    names = next(iter(medians.values()))
    rows = [["median |Δθ|/η", *(head[0] for head in heads)], ["", *(head[1] for head in heads)]]
    rows += [[name, *(number(m[name], ".2g") for m in medians.values())] for name in names]
    return text_table(None, rows)


def plot_step_size_histograms(
    panels: dict[str, dict[str, np.ndarray]], *, bound: float | None = None, ncols: int = 2, tail: float = 0.01
):
    """One histogram panel per entry of ``panels``: the distribution of ``|Δθ|/η`` in each array.

    Panels fill the grid row by row, ``ncols`` to a row. Each array's nonzero steps are binned
    on a log scale, weighted so that each curve shows the fraction of its array's moving
    parameters. The panels of one column share an x axis fitted to their data (and ``bound``):
    RMSprop's steps and the gradients they divide lie many orders of magnitude apart, and one
    axis for both would leave half of each panel blank. The axis starts at the smallest
    ``tail`` quantile of an array; the thinner tail below it is left off.
    ``bound``, when given, is drawn as a dotted line on the panels whose name starts with
    "RMSprop". The legend sits below the panels, where it covers no curve. Returns the axes.
    """
    import matplotlib.pyplot as plt

    moving = {p: {n: v[v > 0] for n, v in sizes.items()} for p, sizes in panels.items()}
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.0, 2.5 * nrows + 0.9), sharex="col", sharey=True, squeeze=False)
    for column in range(ncols):
        in_column = [sizes for i, sizes in enumerate(moving.items()) if i % ncols == column]
        if not in_column:
            continue
        # from the smallest 1 % quantile of an array (a thinner tail is invisible at this
        # height, and a few stray tiny steps would stretch the axis over empty decades) to the
        # largest step or the bound, with a little room on either side
        low = min(np.quantile(v, tail) for _, sizes in in_column for v in sizes.values())
        high = max(v.max() for _, sizes in in_column for v in sizes.values())
        if bound is not None and any(p.startswith("RMSprop") for p, _ in in_column):
            high = max(high, bound)
        edges = np.geomspace(low, high, 40)
        for row, (panel, sizes) in enumerate(in_column):
            ax = axes[row, column]
            for name, steps in sizes.items():
                weights = np.full(steps.size, 1 / steps.size)
                ax.hist(steps, bins=edges, weights=weights, histtype="step", linewidth=1.4, label=name)
            if bound is not None and panel.startswith("RMSprop"):
                ax.axvline(bound, color="black", linestyle=":", linewidth=1.2, label="bound 1/√(1−ρ)")
            ax.set(xscale="log", title=panel, xlim=(low / 1.5, high * 1.5))
    for ax in axes[-1]:
        ax.set_xlabel("|Δθ| / η (log scale)")
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction of the array")
    # the first RMSprop panel has every label (the arrays and the bound)
    labelled = next((ax for ax, p in zip(axes.ravel(), panels) if p.startswith("RMSprop")), axes[0, 0])
    handles, labels = labelled.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return axes
