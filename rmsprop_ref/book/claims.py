r"""The experiments behind the chapter "Checking the article's claims".

Each function measures one thing a claim is judged on; :mod:`rmsprop_ref.book.verdicts` turns
the measurements into checks (for, against, undecided) and each claim's rule into a verdict.
"""

from __future__ import annotations

import numpy as np

from .. import mlp
from .._checks import check_optimizer, seeded_rng
from ..optimizers import Optimizer
from ..problems import Problem
from ..rmsprop import PRESETS
from ..run import LearningRateSearch, effective_learning_rate, minimize, stream_updates
from .framework_report import first_step_where

# --------------------------------------------------------------------------- tuning on toys


def faster(a: LearningRateSearch, b: LearningRateSearch) -> bool:
    """Is the best run of search a faster than that of search b (both by steps to one target)?

    Reaching the target beats not reaching it; when both reach it, fewer steps win (equal
    steps: the lower final loss); when neither does, the lower final loss at the same budget.
    """
    for search in (a, b):
        if not isinstance(search, LearningRateSearch) or search.target_loss is None:
            raise ValueError(f"faster compares searches by steps to a target_loss; got {search!r}")
    if (a.target_loss, a.criterion) != (b.target_loss, b.criterion):
        raise ValueError(
            f"the searches have different targets: {a.target_loss} ({a.criterion}) and {b.target_loss} ({b.criterion})"
        )
    return a.best_score < b.best_score


def layer_update_ratio(problem: Problem, optimizer: Optimizer, x0, steps: int) -> float:
    """Mean size of the first layer's updates over that of the last layer's, over ``steps`` steps.

    Near 1: the optimizer moves every layer alike; far below 1: the first layer is frozen
    (as plain gradient descent leaves it when its gradient vanishes).
    """
    norms = minimize(problem, optimizer, x0, steps).layer_update_norms.mean(axis=0)
    return float(norms[0] / norms[-1])


def layer_gradient_ratio(problem: Problem, x) -> float:
    """Size of the first layer's gradient over that of the last layer's, at ``x``
    (norms over each of ``problem.layer_slices``): how far the gradient has vanished."""
    g = problem.grad(np.asarray(x, dtype=float))
    return float(np.linalg.norm(g[problem.layer_slices[0]]) / np.linalg.norm(g[problem.layer_slices[-1]]))


# --------------------------------------------------------------------------- effective step size


def effective_learning_rates(optimizer: Optimizer, gradients: np.ndarray) -> np.ndarray:
    """The learning rate each step of ``optimizer`` used on a 1-D sequence of gradients.

    That is ``|Δθ_t| / |g_t|`` (:func:`rmsprop_ref.run.effective_learning_rate`): η/√(v_t + ε)
    for RMSprop, η/√(G_t + ε) for Adagrad (ε inside the root; η/(√v_t + ε) with ε outside).
    The optimizer only sees the gradients (the parameter is a dummy), so the sequence can be
    anything, e.g. steady gradients with a burst of large ones.
    """
    grads = np.asarray(gradients, dtype=float).reshape(-1, 1)
    updates, _ = stream_updates(optimizer, grads)
    return effective_learning_rate(updates, grads)[:, 0]


def burst_gradients(
    steady: float = 1.0, burst: float = 100.0, burst_start: int = 200, burst_length: int = 10, total: int = 1000
) -> np.ndarray:
    """Gradients of size ``steady`` with ``burst_length`` of size ``burst`` from ``burst_start``."""
    g = np.full(total, float(steady))
    g[burst_start : burst_start + burst_length] = burst
    return g


def steps_until_above(rates: np.ndarray, start: int, level: float) -> int | None:
    """Steps from ``start`` until the first rate above ``level`` (0: already at ``start``);
    None if it never gets there. After a burst, how long the effective rate took to recover.

    Counted from 0 (a number of steps waited), unlike
    :func:`~rmsprop_ref.book.framework_report.first_step_where`'s step numbers from 1, on
    which it is built.
    """
    first = first_step_where(np.asarray(rates)[start:] > level)
    return None if first is None else first - 1


# --------------------------------------------------------------------------- noisy quadratic


def noisy_final_losses(
    problem: Problem, optimizer: Optimizer, x0, steps: int, noise: float, *, runs: int, seed: int, tail: int = 100
) -> np.ndarray:
    """Each run's mean loss over its last ``tail`` steps, with gradient noise σ: shape (runs,).

    All runs go together: the parameters are a (runs, dim) array, which every optimizer
    of the library updates element by element. Gradient g = ∇f(x) + σ·z, z ~ N(0, I), with
    z drawn from ``np.random.default_rng(seed)``: with the same seed every optimizer and σ
    sees the same z (scaled by σ), so run i of one setting and run i of another are a pair.
    """
    if runs < 1 or tail < 1 or tail > steps:
        raise ValueError(f"need runs ≥ 1 and 1 ≤ tail ≤ steps; got runs={runs}, tail={tail}, steps={steps}")
    rng = seeded_rng(seed)
    x = np.tile(np.asarray(x0, dtype=float), (runs, 1))
    state = optimizer.init(x)
    total = np.zeros(runs)
    for k in range(steps):
        g = problem.grad(x) + noise * rng.standard_normal(x.shape)
        x, state = optimizer.update(x, g, state)
        if k >= steps - tail:
            total += problem.value(x)
    return total / tail


def noisy_final_loss(
    problem: Problem, optimizer: Optimizer, x0, steps: int, noise: float, *, runs: int, seed: int, tail: int = 100
) -> float:
    """Mean loss over the last ``tail`` steps and over ``runs`` runs with gradient noise σ
    (the mean of :func:`noisy_final_losses`)."""
    return float(noisy_final_losses(problem, optimizer, x0, steps, noise, runs=runs, seed=seed, tail=tail).mean())


# --------------------------------------------------------------------------- MNIST


def train_mnist(
    optimizer: Optimizer,
    train: tuple,
    test: tuple,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    hidden_units: int = 128,
    dropout: float = 0.0,
    blas_threads: int | None = 1,
    until_train_accuracy: float | None = None,
) -> mlp.MlpRun:
    """Train the MLP (784-``hidden_units``-10, float32) from ``mlp.init_params(seed)``.

    ``train`` and ``test`` are (images (n, 784) float32 in [0, 1], labels) pairs. Mini-batches
    are reshuffled each epoch with ``seed``. Returns accuracies measured after training.

    ``until_train_accuracy``: stop after the first epoch at whose end the accuracy on the whole
    training set reaches it (``epochs`` is then the most it may take): comparing two optimizers
    there compares their test accuracy at the same fit of the training data.

    ``dropout`` applies inverted dropout to the hidden layer (see :func:`rmsprop_ref.mlp.train_steps`).
    ``blas_threads`` caps the BLAS threads while training (None: leave them alone; why one
    thread is the default: :func:`rmsprop_ref.mlp.blas_thread_limit`).
    """
    check_optimizer(optimizer)
    if until_train_accuracy is not None and not (
        isinstance(until_train_accuracy, int | float) and 0 < until_train_accuracy <= 1
    ):
        raise ValueError(f"until_train_accuracy must be a number in (0, 1] or None; got {until_train_accuracy!r}")
    params = mlp.init_params(seed, sizes=(784, hidden_units, 10))
    state = optimizer.init(params)
    rng = seeded_rng(seed)
    images, labels = train
    batch_loss, batch_accuracy = [], []
    with mlp.blas_thread_limit(blas_threads):
        for _ in range(int(epochs)):
            batches = mlp.batch_slices(len(images), batch_size, rng)
            params, state, losses, accuracies = mlp.train_steps(
                params, optimizer, state, images, labels, batches, dropout=dropout, rng=rng
            )
            batch_loss.append(losses)
            batch_accuracy.append(accuracies)
            if until_train_accuracy is not None and mlp.evaluate(params, *train)[1] >= until_train_accuracy:
                break
        train_loss, train_accuracy = mlp.evaluate(params, *train)
        test_loss, test_accuracy = mlp.evaluate(params, *test)
    return mlp.MlpRun(
        np.concatenate(batch_loss), np.concatenate(batch_accuracy), train_loss, train_accuracy, test_loss, test_accuracy
    )


# --------------------------------------------------------------------------- defaults


def default_decay_rates() -> dict[str, float]:
    """ρ (the article's γ) in the defaults of each current framework and paper in
    :data:`rmsprop_ref.rmsprop.PRESETS`. Earlier releases are left out: each repeats the
    default of the framework it became, so counting them would count a lineage twice."""
    return {name: float(p["settings"]["rho"]) for name, p in PRESETS.items() if p["kind"] != "release"}
