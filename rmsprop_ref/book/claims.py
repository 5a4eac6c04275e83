r"""The article's claims about RMSprop, each turned into an experiment with a computed verdict.

Every claim is judged by a few *checks*: named yes/no questions, each answered from measured
numbers with a threshold written next to it in the code that computes it. One rule turns
the checks into a verdict, the same for every claim (:func:`verdict`)::

    every check passes   → "holds"
    some checks pass     → "holds in part"
    no check passes      → "does not hold"

A check is phrased so that passing supports the claim. The chapter "Checking the article's
claims" runs the experiments (the functions below) and asserts the verdicts, so a change
in the library that turns a verdict fails the chapter instead of contradicting its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import mlp
from .._checks import check_optimizer, seeded_rng
from ..optimizers import Optimizer
from ..problems import Problem
from ..rmsprop import PRESETS
from ..run import LearningRateSearch, effective_learning_rate, minimize, stream_updates

HOLDS, IN_PART, DOES_NOT_HOLD = "holds", "holds in part", "does not hold"


def verdict(checks: dict[str, bool]) -> str:
    """All checks pass: holds; some: holds in part; none: does not hold."""
    if not checks:
        raise ValueError("checks must name at least one check")
    passed = sum(bool(v) for v in checks.values())
    if passed == len(checks):
        return HOLDS
    return IN_PART if passed else DOES_NOT_HOLD


@dataclass
class ClaimResult:
    """One row of the claims table: the claim, how it was tested, the checks and the numbers."""

    number: int
    claim: str
    experiment: str
    checks: dict[str, bool]
    numbers: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        # NumPy comparisons give np.bool_; store plain bools so the checks print as True / False.
        self.checks = {name: bool(passed) for name, passed in self.checks.items()}

    @property
    def verdict(self) -> str:
        """The claim's verdict from its checks (:func:`verdict`)."""
        return verdict(self.checks)


def claims_table(results: list[ClaimResult]) -> str:
    """A Markdown table: number, claim, experiment, checks passed, verdict."""
    lines = ["| # | claim | experiment | checks passed | verdict |", "|---|---|---|---|---|"]
    for r in results:
        passed = sum(r.checks.values())
        lines.append(f"| {r.number} | {r.claim} | {r.experiment} | {passed} of {len(r.checks)} | **{r.verdict}** |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- tuning on toys


def faster(a: LearningRateSearch, b: LearningRateSearch) -> bool:
    """Is the best run of search a faster than that of search b (both by steps to one target)?

    Reaching the target beats not reaching it; when both reach it, fewer steps win (equal
    steps: the lower final loss); when neither does, the lower final loss at the same budget.
    """
    for search in (a, b):
        if not isinstance(search, LearningRateSearch) or search.target_loss is None:
            raise ValueError(f"faster compares searches by steps to a target_loss; got {search!r}")
    if a.target_loss != b.target_loss:
        raise ValueError(f"the searches have different targets: {a.target_loss} and {b.target_loss}")
    return a.best_score < b.best_score


def layer_update_ratio(problem: Problem, optimizer: Optimizer, x0, steps: int) -> float:
    """Mean size of the first layer's updates over that of the last layer's, over ``steps`` steps.

    Near 1: the optimizer moves every layer alike; far below 1: the first layer is frozen
    (as plain gradient descent leaves it when its gradient vanishes).
    """
    norms = minimize(problem, optimizer, x0, steps).layer_update_norms.mean(axis=0)
    return float(norms[0] / norms[-1])


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


# --------------------------------------------------------------------------- noisy quadratic


def noisy_final_loss(
    problem: Problem, optimizer: Optimizer, x0, steps: int, noise: float, *, runs: int, seed: int, tail: int = 100
) -> float:
    """Mean loss over the last ``tail`` steps and over ``runs`` runs with gradient noise σ.

    All runs go together: the parameters are a (runs, dim) array, which every optimizer
    of the library updates element by element. Gradient g = ∇f(x) + σ·z, z ~ N(0, I), with
    z drawn from ``np.random.default_rng(seed)``: with the same seed every optimizer and σ
    sees the same z, so their comparison is paired.
    """
    if runs < 1 or tail < 1 or tail > steps:
        raise ValueError(f"need runs ≥ 1 and 1 ≤ tail ≤ steps; got runs={runs}, tail={tail}, steps={steps}")
    rng = seeded_rng(seed)
    x = np.tile(np.asarray(x0, dtype=float), (runs, 1))
    state = optimizer.init(x)
    losses = []
    for k in range(steps):
        g = problem.grad(x) + noise * rng.standard_normal(x.shape)
        x, state = optimizer.update(x, g, state)
        if k >= steps - tail:
            losses.append(problem.value(x))
    return float(np.mean(losses))


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
) -> mlp.MlpRun:
    """Train the MLP (784-``hidden_units``-10, float32) from ``mlp.init_params(seed)``.

    ``train`` and ``test`` are (images (n, 784) float32 in [0, 1], labels) pairs. Mini-batches
    are reshuffled each epoch with ``seed``. Returns accuracies measured after training.

    ``dropout`` applies inverted dropout to the hidden layer (see :func:`rmsprop_ref.mlp.train_steps`).
    ``blas_threads`` caps the BLAS threads while training (None: leave them alone; why one
    thread is the default: :func:`rmsprop_ref.mlp.blas_thread_limit`).
    """
    check_optimizer(optimizer)
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
        train_loss, train_accuracy = mlp.evaluate(params, *train)
        test_loss, test_accuracy = mlp.evaluate(params, *test)
    return mlp.MlpRun(
        np.concatenate(batch_loss), np.concatenate(batch_accuracy), train_loss, train_accuracy, test_loss, test_accuracy
    )


def mean_and_standard_error(values) -> tuple[float, float]:
    """The mean of ``values`` and its standard error, s/√n (at least two values)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        raise ValueError(f"need at least two values for a standard error; got {values.size}")
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def clearly_smaller(a, b) -> bool:
    """a is smaller than b by more than twice the standard error of the mean difference.

    The runs are paired: a[i] and b[i] share seed i (the same initial weights and the same
    order of mini-batches), so the test looks at the differences b[i] − a[i], and the seed's
    own luck, which moves both runs of a pair together, cancels out.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"a and b must be paired runs of the same length; got {a.shape} and {b.shape}")
    mean, standard_error = mean_and_standard_error(b - a)
    return mean > 2 * standard_error


# --------------------------------------------------------------------------- defaults


def default_decay_rates() -> dict[str, float]:
    """ρ (the article's γ) in the defaults of each current framework and paper in
    :data:`rmsprop_ref.rmsprop.PRESETS`. Earlier releases are left out: each repeats the
    default of the framework it became, so counting them would count a lineage twice."""
    return {name: float(p["settings"]["rho"]) for name, p in PRESETS.items() if p["kind"] != "release"}
