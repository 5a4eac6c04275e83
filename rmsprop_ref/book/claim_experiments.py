r"""The plumbing of the chapter "Checking the article's claims": loops, tables and verdicts.

The chapter shows each experiment's idea and settings; this module runs the loops over seeds
and grids (:func:`race_to_settle`, :func:`mnist_runs`, :func:`tune_rates`…), formats what a
run printed (:func:`values_table`, :func:`means_table`, :func:`race_table`,
:func:`decay_rates_markdown`, all through :mod:`rmsprop_ref.book.tables`) and turns each
claim's measurements into its :class:`~rmsprop_ref.book.verdicts.ClaimResult`
(:func:`claim_1` to :func:`claim_9`), with the checks' names, thresholds and rules that the
chapter states in its prose. The measurements themselves are in :mod:`rmsprop_ref.book.claims`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .. import mlp
from ..conventions import NAMES
from ..optimizers import Optimizer
from ..problems import Problem
from ..rmsprop import PRESETS
from ..run import LearningRateSearch, search_grid, search_learning_rate
from .claims import faster, train_mnist
from .plots import plain_number
from .sparse import LogisticRun, rare_feature_data, train_logistic
from .tables import markdown_table, number, text_table
from .verdicts import EVERY_PART, MAJORITY, Check, ClaimResult, paired_check, primary

# --------------------------------------------------------------------------- printed tables


def values_table(title: str, values: Mapping[str, float], fmt: str) -> str:
    """``title:`` then one indented, aligned line per name and value (formatted with ``fmt``,
    or as :func:`~rmsprop_ref.book.plots.plain_number` writes it where ``fmt`` gives e-notation)."""
    table = text_table(None, [[name, number(v, fmt)] for name, v in values.items()])
    return "\n".join([f"{title}:"] + ["  " + line for line in table.splitlines()])


def means_table(runs: Mapping[str, Sequence], columns: Mapping[str, tuple[str, str]]) -> str:
    """The mean of some fields of each setting's runs, as an aligned table.

    ``runs`` maps a setting to its runs (one per seed); ``columns`` maps a column heading to
    (the runs' attribute, its format), e.g. ``{"test accuracy": ("test_accuracy", ".4f")}``.
    """
    header = [f"mean of {len(next(iter(runs.values())))} seeds", *columns]
    rows = [
        [name, *(number(np.mean([getattr(r, field) for r in results]), fmt) for field, fmt in columns.values())]
        for name, results in runs.items()
    ]
    return text_table(header, rows)


def rates_line(rates: Mapping[str, float]) -> str:
    """E.g. ``"tuned η: SGD 0.3, RMSprop 0.003"``."""
    return "tuned η: " + ", ".join(f"{name} {float(eta):g}" for name, eta in rates.items())


# --------------------------------------------------------------------------- runs over seeds and grids


def race_to_settle(
    toys: Mapping[str, tuple[Problem, Sequence[float]]],
    optimizers: Mapping[str, Callable[[float], Optimizer]],
    grid,
    *,
    steps: int,
    target_loss: float,
) -> dict[str, dict[str, LearningRateSearch]]:
    """For each toy (name → (problem, start)) and optimizer (name → η ↦ optimizer), the
    search over ``grid`` for the fewest steps until the loss settles below ``target_loss``."""
    return {
        toy: {
            name: search_learning_rate(p, make, grid, x0, steps, target_loss=target_loss, criterion="settle")
            for name, make in optimizers.items()
        }
        for toy, (p, x0) in toys.items()
    }


def race_table(race: Mapping[str, Mapping[str, LearningRateSearch]]) -> str:
    """One aligned line per toy and optimizer: tuned η, the step from which the loss stayed at
    or below the target (``first_step_settled_below``), final loss."""
    target = next(iter(next(iter(race.values())).values())).target_loss
    rows = []
    for toy, searches in race.items():
        for name, search in searches.items():
            settled = search.best.first_step_settled_below(target)
            rows.append(
                [
                    toy,
                    name,
                    number(search.best_learning_rate, ".3g"),
                    "never" if settled is None else f"step {settled}",
                    number(search.best.final_loss, ".2g"),
                ]
            )
    return text_table(["", "", "η", f"settled ≤ {plain_number(target)}", "final loss"], rows, left=2)


def mnist_runs(optimizer: Optimizer, train: tuple, test: tuple, seeds, **settings) -> list[mlp.MlpRun]:
    """:func:`~rmsprop_ref.book.claims.train_mnist` once per seed, with the same settings."""
    return [train_mnist(optimizer, train, test, seed=s, **settings) for s in seeds]


def logistic_runs(optimizer: Optimizer, seeds, **settings) -> list[LogisticRun]:
    """:func:`~rmsprop_ref.book.sparse.train_logistic` once per seed, each on its own data set
    ``rare_feature_data(seed)`` (the seed also fixes the batches)."""
    return [train_logistic(rare_feature_data(seed=s), optimizer, seed=s, **settings) for s in seeds]


def tune_rates(grids: Mapping[str, Sequence[float]], run: Callable, seeds, field: str) -> dict[str, float]:
    """Each optimizer's η: the rate of its grid whose runs on ``seeds`` have the lowest mean ``field``.

    ``grids`` maps an optimizer's name to its grid; ``run(name, η, seeds)`` returns the runs.
    """
    return {
        name: search_grid(
            grid, lambda eta, name=name: run(name, eta, seeds), lambda runs: np.mean([getattr(r, field) for r in runs])
        ).best_learning_rate
        for name, grid in grids.items()
    }


def field_of(runs: Mapping[str, Sequence], field: str) -> dict[str, list[float]]:
    """Each setting's values of one field of its runs, in seed order (the pairs of a comparison)."""
    return {name: [getattr(r, field) for r in results] for name, results in runs.items()}


def log_ratios(noisy: Mapping[tuple[str, float], np.ndarray], sigmas) -> dict[float, np.ndarray]:
    """Run by run, log(RMSprop's final loss / SGD's) at each noise σ (``noisy[name, σ]``)."""
    return {sigma: np.log(noisy["RMSprop", sigma] / noisy["SGD", sigma]) for sigma in sigmas}


@dataclass(frozen=True)
class TuningSpreads:
    """How much the final loss moves with η, ρ and ε (claim 7).

    ``eta_spread``: largest over smallest final loss across η at ρ = 0.9 (diverged runs left
    out); ``best_per_rho``: for each ρ the best final loss over η; ``rho_spread``: largest over
    smallest of those; ``eps_range``: per problem, the lowest and highest final loss across ε.
    """

    rhos: np.ndarray
    eta_spread: float
    best_per_rho: np.ndarray
    rho_spread: float
    eps_range: dict[str, tuple[float, float]]

    def __str__(self) -> str:
        lines = [f"spread of the final loss over η at ρ = 0.9: {self.eta_spread:.3g}"]
        lines.append(
            values_table(
                "best final loss for each ρ, η re-tuned",
                {f"ρ = {r:g}": v for r, v in zip(self.rhos, self.best_per_rho)},
                ".4f",
            )
        )
        lines += [f"final loss over ε, {k}: {lo:.2g} to {hi:.2g}" for k, (lo, hi) in self.eps_range.items()]
        return "\n".join(lines)


def tuning_spreads(grid_run, eps_runs: Mapping[str, np.ndarray]) -> TuningSpreads:
    """The spreads of claim 7 from an η × ρ :func:`~rmsprop_ref.sweep.sweep` (one ε, one seed)
    and, per problem, the final losses of an ε sweep.

    Diverged runs of ``grid_run`` are left out of every spread. Raises ValueError if
    ``grid_run`` has no ρ = 0.9, more than one ε or seed, or no run at ρ = 0.9 that converged.
    """
    rhos = np.asarray(grid_run.rho)
    n_eps, n_seeds = grid_run.final_loss.shape[2:]
    if n_eps != 1 or n_seeds != 1:
        raise ValueError(f"grid_run must have exactly one ε and one seed; it has {n_eps} ε and {n_seeds} seeds")
    if not np.any(rhos == 0.9):
        raise ValueError(f"grid_run must include ρ = 0.9 (Keras's default); its ρ are {rhos.tolist()}")
    # η × ρ, NaN where the run diverged
    heat = np.where(grid_run.diverged[:, :, 0, 0], np.nan, grid_run.final_loss[:, :, 0, 0])
    at_keras_rho = heat[:, int(np.flatnonzero(rhos == 0.9)[0])]
    if np.all(np.isnan(at_keras_rho)):
        raise ValueError("every run of grid_run at ρ = 0.9 diverged: no spread over η to measure")
    best_per_rho = np.nanmin(heat, axis=0)
    return TuningSpreads(
        rhos,
        float(np.nanmax(at_keras_rho) / np.nanmin(at_keras_rho)),
        best_per_rho,
        float(best_per_rho.max() / best_per_rho.min()),
        {k: (float(v.min()), float(v.max())) for k, v in eps_runs.items()},
    )


# --------------------------------------------------------------------------- claim 5's checks


def step_size_checks(rates: np.ndarray, *, burst_start: int, burst_length: int, early: int = 10) -> list[Check]:
    """Claim 5's three checks on an effective learning rate through a burst of large gradients
    at indices ``burst_start`` to ``burst_start + burst_length - 1`` (as
    :func:`~rmsprop_ref.book.claims.burst_gradients` places it), each against ``before``, the
    rate just before the burst (index ``burst_start - 1``):

    - it is below a tenth of ``before`` at the last step of the burst;
    - it is still below half of ``before`` at the end of ``rates``;
    - under the steady gradients, ``before`` is below half the rate at index ``early - 1``.

    Raises ValueError unless 1 ≤ ``early`` < ``burst_start``, ``burst_length`` ≥ 1 and
    ``rates`` goes on after the burst.
    """
    r = np.asarray(rates)
    if burst_length < 1 or not 1 <= early < burst_start:
        raise ValueError(
            f"need burst_length ≥ 1 and 1 ≤ early < burst_start; got {burst_length}, {early}, {burst_start}"
        )
    last = burst_start + burst_length - 1  # the last step of the burst
    if len(r) <= last + 1:
        raise ValueError(f"rates has {len(r)} steps; it must go on after the burst's last step (index {last})")
    before = r[burst_start - 1]
    return [
        Check.deterministic(name, passed, f"ratio {value:.2g}")
        for name, passed, value in (
            ("drops below 1/10 by the last step of the burst", r[last] < 0.1 * before, r[last] / before),
            ("still below 1/2 at the end", r[-1] < 0.5 * before, r[-1] / before),
            ("falls below 1/2 under steady gradients", before < 0.5 * r[early - 1], before / r[early - 1]),
        )
    ]


def checks_text(checks: Sequence[Check]) -> str:
    """One aligned line per check: its outcome, its name and its measured effect."""
    return "\n".join(f"{c.outcome:9s} {c.name}" + (f": {c.effect}" if c.effect else "") for c in checks)


# --------------------------------------------------------------------------- the nine claims


def _count(n: int, noun: str) -> str:
    """E.g. "10 paired seeds", "1 toy": the count and the noun, plural unless n is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def claim_1(
    update_ratio: Mapping[str, float], final_loss: Mapping[str, float], stable: Mapping[str, float]
) -> ClaimResult:
    """Vanishing and exploding gradients.

    ``update_ratio``: RMSprop's first-layer / last-layer update size, keys ``"ε = 10⁻⁷"`` and
    ``"ε = 0"``; ``final_loss``: the best final loss on the sigmoid chain, keys ``"SGD"``,
    ``"RMSprop, ε = 10⁻⁷"`` and ``"RMSprop, ε = 0"``; ``stable``: the largest stable η on
    the linear chain, keys ``"SGD"`` and ``"RMSprop"``.
    """
    sgd = final_loss["SGD"]
    checks = [
        Check.deterministic(
            f"vanishing: first-layer update ≥ 1 % of last ({eps})",
            update_ratio[eps] >= 0.01,
            f"first / last {number(update_ratio[eps], fmt)}",
        )
        for eps, fmt in (("ε = 10⁻⁷", ".1e"), ("ε = 0", ".2f"))
    ]
    checks += [
        Check.deterministic(
            f"vanishing: final loss ≥ 1 % lower than SGD's ({eps})",
            final_loss[f"RMSprop, {eps}"] < 0.99 * sgd,
            f"RMSprop {final_loss[f'RMSprop, {eps}']:.4f}, SGD {sgd:.4f}",
        )
        for eps in ("ε = 10⁻⁷", "ε = 0")
    ]
    checks.append(
        Check.deterministic(
            "exploding: stable η range ≥ 10× SGD's",
            stable["RMSprop"] >= 10 * stable["SGD"],
            f"RMSprop {stable['RMSprop']:.3g}, SGD {stable['SGD']:.3g}",
        )
    )
    return ClaimResult(
        1,
        "introduced to fix vanishing and exploding gradients",
        "sigmoid chain (10 layers), linear chain (20 layers); SGD vs RMSprop",
        checks,
        EVERY_PART,
    )


def claim_2(
    race: Mapping[str, Mapping[str, LearningRateSearch]], train_loss: Mapping[str, Sequence[float]]
) -> ClaimResult:
    """Faster than SGD: one check per toy of ``race`` (:func:`race_to_settle`, optimizers
    ``"SGD"`` and ``"RMSprop"``) and the paired MNIST check on each seed's ``train_loss``."""

    def settled(search):
        k = search.best.first_step_settled_below(search.target_loss)
        return "never" if k is None else k

    checks = []
    for toy, searches in race.items():
        sgd, rms = searches["SGD"], searches["RMSprop"]
        checks.append(
            Check.deterministic(
                f"{toy}: RMSprop faster",
                faster(rms, sgd),
                f"settled at step: RMSprop {settled(rms)}, SGD {settled(sgd)};"
                f" final loss: RMSprop {number(rms.best.final_loss, '.4g')},"
                f" SGD {number(sgd.best.final_loss, '.4g')}",
            )
        )
    checks.append(
        paired_check(
            "MNIST: RMSprop's training loss lower after 3 epochs", train_loss["RMSprop"], train_loss["SGD"], fmt=".3f"
        )
    )
    target = next(iter(next(iter(race.values())).values())).target_loss
    return ClaimResult(
        2,
        "converges faster than SGD",
        f"tuned η per optimizer; steps to settle at or below {plain_number(target)} on {_count(len(race), 'toy')};"
        f" MNIST training loss after 3 epochs ({_count(len(train_loss['SGD']), 'paired seed')})",
        checks,
        EVERY_PART,
    )


def claim_3(test_accuracy: Mapping[str, Sequence[float]]) -> ClaimResult:
    """Generalises better: the paired test accuracies at 99 % training accuracy decide."""
    check = paired_check(
        "RMSprop's test accuracy higher at 99 % training accuracy",
        test_accuracy["SGD"],
        test_accuracy["RMSprop"],
        fmt=".2f",
        scale=100,
        unit=" points",
    )
    return ClaimResult(
        3,
        "generalises better than SGD",
        f"MNIST, 2000 images, trained to 99 % training accuracy, {_count(len(test_accuracy['SGD']), 'paired seed')}",
        [check],
        primary(check.name),
    )


def claim_4(rare_error: Mapping[str, Sequence[float]], loss: Mapping[str, Sequence[float]]) -> ClaimResult:
    """Sparse gradients: rare weights closer to w*, and a full-data loss no worse (1 %)."""
    return ClaimResult(
        4,
        "handles sparse gradients well",
        f"logistic regression, 20 rare + 20 common features, {_count(len(loss['SGD']), 'paired data set')}",
        [
            paired_check("rare weights closer to w*", rare_error["RMSprop"], rare_error["SGD"], fmt=".3f"),
            # for: RMSprop's loss below 1.01 × SGD's, with confidence
            paired_check("full-data loss no worse (1 %)", loss["RMSprop"], 1.01 * np.array(loss["SGD"]), fmt=".4f"),
        ],
        EVERY_PART,
    )


def claim_5(rmsprop_rates: np.ndarray, *, burst_start: int, burst_length: int) -> ClaimResult:
    """The learning rate becomes too small: :func:`step_size_checks` on RMSprop's rates."""
    return ClaimResult(
        5,
        "its learning rate can become too small",
        f"effective rate through a burst of {_count(burst_length, 'large gradient')}, {len(rmsprop_rates)} steps",
        step_size_checks(rmsprop_rates, burst_start=burst_start, burst_length=burst_length),
        EVERY_PART,
    )


def claim_6(log_ratio: Mapping[float, np.ndarray], low: float, high: float) -> ClaimResult:
    """Noise hurts it more than SGD: does log(RMSprop / SGD) grow from σ = ``low`` to ``high``
    (:func:`log_ratios`), run by run?"""
    check = paired_check(
        f"the ratio RMSprop / SGD grows from σ = {low:g} to {high:g}",
        log_ratio[low],
        log_ratio[high],
        fmt=".2f",
        unit=" in log ratio",
    )
    return ClaimResult(
        6,
        "noisy gradients hurt it (more than SGD)",
        f"noisy quadratic, tuned η per σ, {_count(len(log_ratio[low]), 'paired run')}",
        [check],
        primary(check.name),
    )


def claim_7(spreads: TuningSpreads) -> ClaimResult:
    """Needs tuning of η, ρ and ε: does each move the final loss more than 10-fold?"""
    s = spreads
    return ClaimResult(
        7,
        "needs tuning of η, ρ and ε",
        "η × ρ grid and ε sweep, batched (sweep)",
        [
            Check.deterministic("η matters (> 10× spread)", s.eta_spread > 10, f"{s.eta_spread:.3g}×"),
            Check.deterministic("ρ matters after re-tuning η (> 10×)", s.rho_spread > 10, f"{s.rho_spread:.3g}×"),
            Check.deterministic(
                "ε matters on some problem (> 10×)",
                any(hi > 10 * lo for lo, hi in s.eps_range.values()),
                "; ".join(f"{k} {lo:.2g} to {hi:.2g}" for k, (lo, hi) in s.eps_range.items()),
            ),
        ],
        EVERY_PART,
    )


def claim_8(gap: Mapping[str, Sequence[float]], accuracy: Mapping[str, Sequence[float]]) -> ClaimResult:
    """Eases overfitting but does not solve it; dropout or weight decay still needed.

    ``gap`` and ``accuracy``: each setting's train–test gaps and test accuracies, paired by
    seed, for ``"SGD"``, ``"RMSprop"``, ``"RMSprop + dropout 0.5"`` and ``"RMSprop + L2 1e-3"``.
    """
    points = dict(fmt=".1f", scale=100, unit=" points")
    regularised = [
        paired_check(f"{k.removeprefix('RMSprop + ')} raises it", accuracy["RMSprop"], accuracy[k], **points)
        for k in ("RMSprop + dropout 0.5", "RMSprop + L2 1e-3")
    ]
    # for if either regulariser helps with confidence, against if both hurt
    needed = Check.any_of("needed: dropout or L2 raises test accuracy", regularised)
    return ClaimResult(
        8,
        "eases overfitting; dropout / weight decay still needed",
        f"300 MNIST images, 30 epochs, {_count(len(gap['RMSprop']), 'paired seed')}",
        [
            paired_check("eases: smaller gap than SGD", gap["RMSprop"], gap["SGD"], **points),
            # against a fixed 5 points: is the mean gap above it?
            paired_check(
                "does not solve: gap > 5 points", np.full(len(gap["RMSprop"]), 0.05), gap["RMSprop"], **points
            ),
            needed,
        ],
        EVERY_PART,
    )


def _source_name(name: str) -> str:
    """A preset's name as the page writes it: "Keras", or a paper's authors and year."""
    if name in NAMES:
        return NAMES[name]
    return PRESETS[name]["source"].split(",")[0] if name in PRESETS else name


def decay_rates_markdown(decay_rates: Mapping[str, float]) -> str:
    """A Markdown table of each source's default ρ (``{preset name: ρ}``)."""
    return markdown_table(["source", "default ρ"], [[_source_name(k), f"{rho:g}"] for k, rho in decay_rates.items()])


def claim_9(decay_rates: Mapping[str, float]) -> ClaimResult:
    """γ (ρ) is usually 0.9: one check per source's default, decided by a majority."""
    return ClaimResult(
        9,
        "γ (ρ) is usually 0.9",
        "defaults of " + ", ".join(_source_name(name) for name in decay_rates),
        [Check.deterministic(f"{name}: ρ = 0.9", rho == 0.9, f"{rho:g}") for name, rho in decay_rates.items()],
        MAJORITY,
    )


def summary(result: ClaimResult) -> str:
    """A claim's checks (:func:`checks_text`) and, below them, its verdict with the reason."""
    return f"{checks_text(result.checks)}\nverdict: {result.verdict}, {result.reason}"
