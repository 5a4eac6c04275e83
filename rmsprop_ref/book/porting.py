"""The porting chapter's plumbing: the MNIST network in PyTorch and Keras, trained step by step.

The chapter trains the article's 784–512–10 network in one framework and ports it to the
other: the same initial weights, the same batches in the same order, and an optimizer that is
either the framework's built-in RMSprop with "translated" settings or an adapter from
:mod:`rmsprop_ref.adapters`. These functions build the PyTorch twin of the Keras model, train
either model one batch at a time while recording its weights, measure how far two runs are
apart, and tabulate which ports a built-in optimizer can make exactly.

Weights are exchanged in Keras's layout, ``[W₁ (784, 512), b₁, W₂ (512, 10), b₂]``: PyTorch's
``Linear`` stores the transposed matrix. PyTorch and Keras are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rmsprop_ref.book.tables import markdown_table
from rmsprop_ref.conventions import NAMES, SPELLINGS, translate

#: The frameworks whose RMSprop a port can start from, and those it can go to (each has an adapter).
SOURCES = ("keras", "torch", "tf1", "optax")
TARGETS = ("keras", "torch", "optax")

#: The settings the porting table tries, as rmsprop_ref options (η is added in each source's spelling).
SCENARIOS: dict[str, dict] = {
    "constant η": {},
    "momentum": {"momentum": 0.9},
    "momentum, scheduled η": {"momentum": 0.9},
    "centered": {"centered": True},
    "weight decay": {"weight_decay": 1e-4},
}


def torch_mlp(weights: Sequence[np.ndarray]):
    """The PyTorch twin of the Keras model (Linear, ReLU, Linear; logits out) with ``weights``.

    The softmax is left to the loss, ``torch.nn.functional.cross_entropy``, as Keras leaves
    it to its cross-entropy, which works from the logits under the softmax.
    """
    import torch

    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float32) for w in weights)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
    with torch.no_grad():
        for layer, (w, b) in zip((model[0], model[2]), ((w1, b1), (w2, b2))):
            layer.weight.copy_(torch.from_numpy(w.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    return model


def torch_weights(model) -> list[np.ndarray]:
    """The weights of :func:`torch_mlp`'s model in Keras's layout (copies)."""
    first, second = model[0], model[2]
    return [
        first.weight.detach().numpy().T.copy(),
        first.bias.detach().numpy().copy(),
        second.weight.detach().numpy().T.copy(),
        second.bias.detach().numpy().copy(),
    ]


def _batches(images: np.ndarray, labels: np.ndarray, steps: int, batch_size: int):
    if steps < 1 or steps * batch_size > len(images):
        raise ValueError(f"steps must be between 1 and {len(images) // batch_size}; got {steps}")
    for k in range(steps):
        index = slice(k * batch_size, (k + 1) * batch_size)
        yield images[index], labels[index]


def train_torch(
    model, optimizer, images: np.ndarray, labels: np.ndarray, *, steps: int, batch_size: int, scheduler=None
) -> list[list[np.ndarray]]:
    """``steps`` optimizer steps on consecutive batches (mean cross-entropy of the batch);
    the weights (Keras's layout) after each step. ``scheduler``: a PyTorch learning-rate
    scheduler stepped after each optimizer step, or None."""
    import torch

    history = []
    for x, y in _batches(images, labels, steps, batch_size):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y.astype(np.int64)))
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.append(torch_weights(model))
    return history


def train_keras(model, optimizer, images: np.ndarray, labels: np.ndarray, *, steps: int, batch_size: int):
    """Compile ``model`` with ``optimizer`` and integer-label cross-entropy, then take ``steps``
    steps with ``train_on_batch`` on consecutive batches; the weights after each step."""
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    history = []
    for x, y in _batches(images, labels, steps, batch_size):
        model.train_on_batch(x, y)
        history.append([np.array(w) for w in model.get_weights()])
    return history


def distance_per_step(run: Sequence[Sequence[np.ndarray]], reference: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """After each step, the largest |θ − θ_reference| over every parameter of the network."""
    if len(run) != len(reference):
        raise ValueError(f"the runs have {len(run)} and {len(reference)} steps; they must have the same number")
    return np.array([max(np.abs(a - b).max() for a, b in zip(mine, theirs)) for mine, theirs in zip(run, reference)])


def distance_moved(run: Sequence[Sequence[np.ndarray]], initial: Sequence[np.ndarray]) -> float:
    """The largest |θ − θ₀| of the run's last weights: how far training has moved any parameter."""
    return float(max(np.abs(a - b).max() for a, b in zip(run[-1], initial)))


def _source_settings(source: str, options: dict) -> dict:
    """``options`` (rmsprop_ref names) in ``source``'s keywords, with η = 0.001; None if it has no spelling."""
    spelled = {option: keyword for keyword, option in SPELLINGS[source].items()}
    settings = {spelled["learning_rate"]: 0.001}
    for option, value in options.items():
        if option not in spelled:
            return None
        settings[spelled[option]] = value
    return settings


def port_verdict(source: str, target: str, scenario: str) -> str:
    """ "built-in" if ``target``'s own RMSprop follows ``source``'s exactly in ``scenario``
    (a key of :data:`SCENARIOS`), "adapter" if only the adapter does, "—" if ``source`` cannot
    express it. Read off :func:`rmsprop_ref.conventions.translate`: exact, and under a
    schedule also without a note that η sits elsewhere in the momentum buffer."""
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}; got {scenario!r}")
    settings = _source_settings(source, SCENARIOS[scenario])
    if settings is None:
        return "—"
    translation = translate(settings, source, target)
    exact = translation.exact
    if "scheduled" in scenario:
        exact = exact and not any("momentum buffer" in note for note in translation.notes)
    return "built-in" if exact else "adapter"


def porting_table(sources: Sequence[str] = SOURCES, targets: Sequence[str] = TARGETS) -> str:
    """A Markdown table: one row per port (source → target), one column per scenario."""
    rows = [
        [f"{NAMES[s]} → {NAMES[t]}", *(port_verdict(s, t, scenario) for scenario in SCENARIOS)]
        for s in sources
        for t in targets
        if s != t
    ]
    return markdown_table(["port", *SCENARIOS], rows, left=1 + len(SCENARIOS))


def plot_distances(panels: dict[str, dict[str, np.ndarray]], colors: Callable[[str], str | None], *, axes=None):
    """One panel per port: each run's :func:`distance_per_step` against the step, log scale."""
    import matplotlib.pyplot as plt

    from rmsprop_ref.book.plots import FULL_WIDTH

    if axes is None:
        _, axes = plt.subplots(len(panels), 1, figsize=(FULL_WIDTH[0], 1.5 * FULL_WIDTH[1]), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (title, runs) in zip(axes, panels.items()):
        for label, distances in runs.items():
            steps = np.arange(1, len(distances) + 1)
            shown = np.maximum(distances, 1e-12)  # a bit-identical step is drawn at the floor
            ax.plot(steps, shown, marker="o", markersize=3, label=label, color=colors(label))
            ax.set_xticks([1, *range(5, len(distances) + 1, 5)])
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_ylabel("largest |θ − θ_source|")
        ax.legend(fontsize=9)
    axes[-1].set_xlabel("step")
    return axes
