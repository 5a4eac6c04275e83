r"""The seed article's 784-512-10 network in plain NumPy: forward, backward, training loop.

The layout is Keras's, so weights move between the two without reshaping::

    params = {"hidden": {"kernel": (784, 512), "bias": (512,)},
              "output": {"kernel": (512, 10),  "bias": (10,)}}

Forward, for a batch X of B rows (pixels / 255)::

    z = X·W₁ + b₁,   h = max(z, 0),   s = h·W₂ + b₂,   p = softmax(s)
    loss = −(1/B) Σᵢ log p[i, yᵢ]    (softmax cross-entropy, batch mean)

Backward (the chain rule, layer by layer)::

    ∂loss/∂s = (p − onehot(y)) / B
    ∂W₂ = hᵀ·∂s,   ∂b₂ = Σᵢ ∂s,   ∂h = ∂s·W₂ᵀ,   ∂z = ∂h ⊙ [z > 0]
    ∂W₁ = Xᵀ·∂z,   ∂b₁ = Σᵢ ∂z

Everything is matrix products and element-wise NumPy, in the dtype of the parameters
(float32 to train fast, float64 to check gradients against finite differences).
``params`` is a dict pytree, so every optimizer in :mod:`rmsprop_ref` updates it directly.
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple

import numpy as np

from . import _checks
from ._checks import check_count, check_fraction, check_optimizer, seeded_rng
from .run import steps_in_learning_rates

LAYERS = ("hidden", "output")
SIZES = (784, 512, 10)


# --------------------------------------------------------------------------- parameters


def init_params(seed: int, sizes: tuple[int, int, int] = SIZES, dtype=np.float32) -> dict:
    """Glorot-uniform kernels and zero biases, Keras's ``Dense`` defaults.

    Each kernel entry is drawn from U(−a, a) with a = √(6 / (fan_in + fan_out))
    (Glorot & Bengio 2010). The draw uses ``np.random.default_rng(seed)``, so it is
    reproducible but not the same numbers Keras draws; to start from Keras's exact
    weights use :func:`params_from_keras_weights`.
    """
    rng = seeded_rng(seed)
    if (
        not isinstance(sizes, (tuple, list))
        or len(sizes) != 3
        or not all(_checks.is_real(n) and isinstance(n, (int, np.integer)) and n >= 1 for n in sizes)
    ):
        raise ValueError(f"sizes must be three positive whole layer widths (inputs, hidden, classes); got {sizes!r}")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be a floating-point dtype (float16, float32, float64); got {dtype!r}") from None
    if not np.issubdtype(dtype, np.floating):
        # an integer dtype would round every Glorot draw (all below 1) to a zero kernel
        raise ValueError(f"dtype must be a floating-point dtype (float16, float32, float64); got {dtype}")
    params = {}
    for name, fan_in, fan_out in zip(LAYERS, sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params[name] = {
            "kernel": rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype),
            "bias": np.zeros(fan_out, dtype=dtype),
        }
    return params


def params_from_keras_weights(weights: list) -> dict:
    """``model.get_weights()`` of the Keras model ([W₁, b₁, W₂, b₂]) as a params dict (copies)."""
    if len(weights) != 4:
        raise ValueError(
            f"weights must be the 4 arrays [kernel, bias, kernel, bias] of two Dense layers; got {len(weights)}"
        )
    w1, b1, w2, b2 = (np.array(w) for w in weights)
    return {"hidden": {"kernel": w1, "bias": b1}, "output": {"kernel": w2, "bias": b2}}


def params_to_keras_weights(params: dict) -> list:
    """The params dict as the list ``model.set_weights`` takes."""
    return [params[layer][part] for layer in LAYERS for part in ("kernel", "bias")]


# --------------------------------------------------------------------------- the maths


def forward(params: dict, images: np.ndarray, hidden_mask: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Logits s (B, 10) and what the backward pass needs (inputs, pre-activations, hidden).

    ``hidden_mask`` (B, hidden), if given, multiplies the hidden activations h: inverted
    dropout passes a 0/1 keep mask already divided by the keep probability.
    """
    hidden, output = params["hidden"], params["output"]
    pre_activation = images @ hidden["kernel"] + hidden["bias"]
    activation = np.maximum(pre_activation, 0)
    if hidden_mask is not None:
        activation = activation * hidden_mask
    logits = activation @ output["kernel"] + output["bias"]
    return logits, {"images": images, "pre_activation": pre_activation, "activation": activation}


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p, computed stably by subtracting each row's maximum first."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _check_labels(labels, count: int, classes: int, name: str = "labels") -> np.ndarray:
    """Labels as class indices: integers in [0, classes), one per image.

    NumPy would read a label −1 as the last class and drop the rows past a short label array
    without a word; float labels would fail deep inside the indexing.
    """
    labels = np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must be integer class indices; got dtype {labels.dtype}")
    if labels.shape != (count,):
        raise ValueError(f"{name} must have shape ({count},), one class index per image; got {labels.shape}")
    if count and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"{name} must be class indices in [0, {classes}); got values from {labels.min()} to {labels.max()}"
        )
    return labels


def _check_images(params: dict, images, name: str = "images") -> np.ndarray:
    """Images as the network takes them: (n ≥ 1, inputs) in the parameters' float dtype."""
    kernel = params["hidden"]["kernel"]
    if not isinstance(images, np.ndarray) or images.ndim != 2 or images.shape[1] != kernel.shape[0]:
        shape = images.shape if isinstance(images, np.ndarray) else type(images).__name__
        raise ValueError(
            f"{name} must be an array of shape (n, {kernel.shape[0]}), one flattened image per row "
            f"(see prepare_images); got {shape}"
        )
    if images.dtype != kernel.dtype:
        raise ValueError(
            f"{name} have dtype {images.dtype} but the parameters are {kernel.dtype}; convert one "
            f"(prepare_images(x, dtype=...)) so that no step mixes precisions"
        )
    if len(images) == 0:
        raise ValueError(f"{name} must hold at least one image; got 0")
    return images


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over the batch and its gradient with respect to the logits.

    loss = −(1/B) Σᵢ log softmax(s)[i, yᵢ];  ∂loss/∂s = (softmax(s) − onehot(y)) / B.
    """
    labels = _check_labels(labels, logits.shape[0], logits.shape[1])
    rows = np.arange(logits.shape[0])
    log_probs = log_softmax(logits)
    loss = -log_probs[rows, labels].mean()
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    grad /= logits.shape[0]
    return float(loss), grad


def loss_and_grads(
    params: dict, images: np.ndarray, labels: np.ndarray, hidden_mask: np.ndarray | None = None
) -> tuple[float, dict, np.ndarray]:
    """Mean loss on the batch, its gradient (a dict shaped like ``params``) and the logits.

    ``hidden_mask``: as in :func:`forward`; the backward pass multiplies by the same mask.
    """
    logits, cache = forward(params, images, hidden_mask)
    loss, d_logits = softmax_cross_entropy(logits, labels)
    d_activation = d_logits @ params["output"]["kernel"].T
    if hidden_mask is not None:
        d_activation = d_activation * hidden_mask
    d_pre = d_activation * (cache["pre_activation"] > 0)  # ReLU passes gradient only where z > 0
    grads = {
        "hidden": {"kernel": images.T @ d_pre, "bias": d_pre.sum(axis=0)},
        "output": {"kernel": cache["activation"].T @ d_logits, "bias": d_logits.sum(axis=0)},
    }
    return loss, grads, logits


def predict_logits(params: dict, images: np.ndarray, batch_size: int = 10_000) -> np.ndarray:
    """Logits for many images, a slice at a time to bound memory."""
    return np.concatenate([forward(params, images[i : i + batch_size])[0] for i in range(0, len(images), batch_size)])


def evaluate(params: dict, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) on a whole data set, like Keras's ``model.evaluate``."""
    _check_images(params, images)
    logits = predict_logits(params, images)
    loss, _ = softmax_cross_entropy(logits, labels)
    return loss, float(np.mean(logits.argmax(axis=1) == labels))


# --------------------------------------------------------------------------- training


def prepare_images(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """uint8 (n, 28, 28) -> (n, 784) in [0, 1], as the article's program does (divide by 255)."""
    return images.reshape(len(images), -1).astype(dtype) / 255


def batch_slices(count: int, batch_size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Index arrays of consecutive batches over a permutation (or the identity when rng is None).

    The last batch is smaller when batch_size does not divide count, as in Keras's ``fit``:
    60 000 images in batches of 128 give 468 full batches and one of 96.
    """
    check_count("batch_size", batch_size)
    order = np.arange(count) if rng is None else rng.permutation(count)
    return [order[i : i + batch_size] for i in range(0, count, batch_size)]


class StepRecord(NamedTuple):
    """What :func:`train_steps` returns: the trained params and optimizer state, and each
    batch's loss and accuracy measured *before* its step (float64 arrays, one entry per batch)."""

    params: dict
    state: Any
    batch_loss: np.ndarray
    batch_accuracy: np.ndarray


class MlpRun(NamedTuple):
    """A finished training run: each batch's loss and accuracy before its step (float64
    arrays over every step of every epoch) and the loss and accuracy after training, on the
    training set (None when it was not measured) and on held-out test data."""

    batch_loss: np.ndarray
    batch_accuracy: np.ndarray
    train_loss: float | None
    train_accuracy: float | None
    test_loss: float
    test_accuracy: float

    @property
    def gap(self) -> float:
        """Train accuracy minus test accuracy, in accuracy points (0–1): the overfitting gap."""
        if self.train_accuracy is None:
            raise ValueError("this run's training-set accuracy was not measured, so it has no gap")
        return self.train_accuracy - self.test_accuracy


def train_steps(
    params: dict,
    optimizer,
    state,
    images: np.ndarray,
    labels: np.ndarray,
    batches: list[np.ndarray],
    *,
    dropout: float = 0.0,
    rng: np.random.Generator | None = None,
) -> StepRecord:
    """One optimizer step per batch: the one training loop of the book's MLP.

    ``dropout`` > 0 applies inverted dropout to the hidden layer (Srivastava et al. 2014):
    h̃ = h ⊙ mask / (1 − dropout), mask ~ Bernoulli(1 − dropout) per unit and example, drawn
    from ``rng``; the backward pass multiplies by the same mask. ``fit``, the claims chapter's
    MNIST runs and the frameworks chapter's short runs all train through this loop.
    """
    dropout = check_fraction("dropout", dropout)
    if dropout and rng is None:
        raise ValueError("rng is needed to draw dropout masks; pass a numpy Generator")
    losses, accuracies = np.empty(len(batches)), np.empty(len(batches))
    for k, index in enumerate(batches):
        x, y = images[index], labels[index]
        mask = None if not dropout else dropout_mask(params, len(index), dropout, rng)
        losses[k], grads, logits = loss_and_grads(params, x, y, hidden_mask=mask)
        accuracies[k] = np.count_nonzero(logits.argmax(axis=1) == y) / len(index)
        params, state = optimizer.update(params, grads, state)
    return StepRecord(params, state, losses, accuracies)


def dropout_mask(params: dict, count: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Inverted-dropout mask for ``count`` examples: 0 or 1/(1 − rate) per hidden unit."""
    dtype = params["hidden"]["kernel"].dtype
    shape = (count, params["hidden"]["kernel"].shape[1])
    return (rng.random(shape) >= rate).astype(dtype) / dtype.type(1 - rate)


def epoch_means(record: StepRecord, batches: list[np.ndarray]) -> tuple[float, float]:
    """The epoch's loss and accuracy as Keras's ``fit`` reports them: the batches' pre-step
    values averaged with the batch sizes as weights."""
    sizes = np.array([len(index) for index in batches], dtype=float)
    return float(sizes @ record.batch_loss / sizes.sum()), float(sizes @ record.batch_accuracy / sizes.sum())


def fit(
    params: dict,
    optimizer,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    blas_threads: int | None = 1,
) -> tuple[dict, Any, dict]:
    """Train like ``model.fit(..., shuffle=True)``: a new permutation of the data each epoch.

    Returns the final params, the optimizer state and a history dict with Keras's keys
    (``loss``, ``accuracy`` and, with ``validation_data``, ``val_loss``, ``val_accuracy``),
    one value per epoch. ``seed`` fixes the shuffling.

    ``blas_threads`` caps the BLAS threads during training (None leaves them alone; see
    :func:`blas_thread_limit` for why one thread is the default).
    """
    check_count("epochs", epochs)
    seeded_rng(seed)  # refuse a bad seed before any work
    check_optimizer(optimizer)
    classes = params["output"]["kernel"].shape[1]
    _check_labels(labels, len(_check_images(params, images)), classes)
    if validation_data is not None:
        val_images = _check_images(params, validation_data[0], "validation images")
        _check_labels(validation_data[1], len(val_images), classes, "validation labels")
    with blas_thread_limit(blas_threads):
        return _fit(params, optimizer, images, labels, epochs, batch_size, seed, validation_data)


def blas_thread_limit(threads: int | None):
    """A context that caps the BLAS threads at ``threads`` (None: a context that does nothing).

    Training caps them at one by default. A batch's matrices (128 × 784 by 784 × 512) are too
    small to gain much from threads, and on a busy 2-core machine a multi-threaded OpenBLAS
    spends its time waiting for its threads: one thread was 7 to 12 times faster there.
    """
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits  # imported here: only training needs it

    return threadpool_limits(limits=int(threads), user_api="blas")


def _fit(params, optimizer, images, labels, epochs, batch_size, seed, validation_data):
    rng = seeded_rng(seed)
    state = optimizer.init(params)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    for _ in range(epochs):
        batches = batch_slices(len(images), batch_size, rng)
        record = train_steps(params, optimizer, state, images, labels, batches)
        params, state = record.params, record.state
        loss, accuracy = epoch_means(record, batches)
        history["loss"].append(loss)
        history["accuracy"].append(accuracy)
        if validation_data is not None:
            val_loss, val_accuracy = evaluate(params, *validation_data)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
    return params, state, history


# --------------------------------------------------------------------------- looking at steps

PARAMETER_NAMES = {
    ("hidden", "kernel"): "hidden kernel W₁",
    ("hidden", "bias"): "hidden bias b₁",
    ("output", "kernel"): "output kernel W₂",
    ("output", "bias"): "output bias b₂",
}


def effective_step_sizes(before: dict, after: dict, learning_rate: float) -> dict[str, np.ndarray]:
    """``|Δθ| / η`` for every parameter, one flat float64 array per parameter array, in Keras's order.

    For SGD this is ``|g|``; for RMSprop without momentum it is ``|g| / √(v + ε)``, at most
    1/√(1 − ρ) when v starts at 0, whatever the scale of the gradient.
    """
    return {
        name: steps_in_learning_rates(
            [before[layer][part].astype(np.float64).ravel(), after[layer][part].astype(np.float64).ravel()],
            learning_rate,
        )[0]
        for (layer, part), name in PARAMETER_NAMES.items()
    }
