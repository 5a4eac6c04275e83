r"""From measurements to a verdict: checks with three outcomes, paired intervals, and rules.

A claim is judged by *checks*: questions phrased so that a "yes" supports the claim. A check
whose answer comes from a deterministic experiment is :data:`FOR` or :data:`AGAINST` the
claim. A check that compares noisy runs gets a third outcome, :data:`UNDECIDED`, when the
confidence interval of the effect contains zero: the experiment could not tell
(:func:`paired_check`). Each claim has its own :class:`Rule`, written and stated before the
numbers are looked at, that turns its checks' outcomes into one of four verdicts:

- **holds**: the evidence supports the claim;
- **holds in part**: it supports a part of the claim, not all of it;
- **not shown**: the experiment could not tell;
- **does not hold**: the evidence is against the claim.

"Does not hold" needs evidence against the claim; an effect inside the noise is "not shown".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: The evidence supports the claim.
HOLDS = "holds"
#: The evidence supports a part of the claim, not all of it.
IN_PART = "holds in part"
#: The experiment could not tell: the effect is inside the noise.
NOT_SHOWN = "not shown"
#: The evidence is against the claim.
DOES_NOT_HOLD = "does not hold"
#: The four verdicts, from the strongest support to evidence against.
VERDICTS = (HOLDS, IN_PART, NOT_SHOWN, DOES_NOT_HOLD)
#: A check's outcome: the measurement supports the claim.
FOR = "for"
#: A check's outcome: the measurement contradicts the claim.
AGAINST = "against"
#: A check's outcome: the effect's confidence interval contains zero.
UNDECIDED = "undecided"
#: The three outcomes of a check.
OUTCOMES = (FOR, AGAINST, UNDECIDED)


# --------------------------------------------------------------------------- paired intervals


def _t_density(x: np.ndarray, dof: int) -> np.ndarray:
    log_norm = math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2) - 0.5 * math.log(dof * math.pi)
    return np.exp(log_norm - (dof + 1) / 2 * np.log1p(x * x / dof))


def _t_cdf_above_half(x: float, dof: int) -> float:
    # P(0 ≤ T ≤ x) by Simpson's rule on 2000 panels: the density is smooth, so the error is far
    # below the 1e-9 that a confidence level needs
    grid = np.linspace(0.0, x, 4001)
    f = _t_density(grid, dof)
    h = grid[1] - grid[0]
    return float(h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))


def t_quantile(probability: float, dof: int) -> float:
    """The ``probability`` quantile of Student's t distribution with ``dof`` degrees of freedom.

    For ``probability`` in [0.5, 1); found by bisection on the distribution function, itself
    integrated numerically from the density (the library does not depend on SciPy; the tests
    compare with ``scipy.stats.t.ppf``).
    """
    if not isinstance(dof, int | np.integer) or dof < 1:
        raise ValueError(f"dof must be an integer ≥ 1; got {dof!r}")
    if not 0.5 <= probability < 1:
        raise ValueError(f"probability must be in [0.5, 1); got {probability!r}")
    return _t_quantile(float(probability), int(dof))


@lru_cache(maxsize=256)
def _t_quantile(probability: float, dof: int) -> float:
    target, low, high = probability - 0.5, 0.0, 1.0
    while _t_cdf_above_half(high, dof) < target:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if _t_cdf_above_half(middle, dof) < target else (low, middle)
    return (low + high) / 2


@dataclass(frozen=True)
class PairedComparison:
    """The mean of paired differences ``b[i] − a[i]`` with its ``confidence`` interval.

    The runs of a pair share a seed (the same initial weights, data or noise), so the seed's
    own luck, which moves both runs together, cancels in the difference. ``low`` and ``high``
    bound the mean difference by Student's t with ``n − 1`` degrees of freedom.
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float

    @property
    def outcome(self) -> str:
        """:data:`FOR` (b − a > 0 with confidence), :data:`AGAINST` (< 0) or :data:`UNDECIDED`."""
        if self.low > 0:
            return FOR
        if self.high < 0:
            return AGAINST
        return UNDECIDED

    def describe(self, fmt: str = ".3g", scale: float = 1.0, unit: str = "") -> str:
        """E.g. ``"+0.012 [0.004, 0.020], 10 pairs"`` (values multiplied by ``scale``)."""
        m, lo, hi = (scale * x for x in (self.mean, self.low, self.high))
        return f"{m:+{fmt}}{unit} [{lo:{fmt}}, {hi:{fmt}}], {self.n} pairs"


def paired_comparison(a, b, *, confidence: float = 0.95) -> PairedComparison:
    """How much larger ``b`` is than ``a``, pair by pair: the mean of ``b − a`` and its interval.

    ``a[i]`` and ``b[i]`` are one pair of runs (same seed). Needs at least two pairs.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"a and b must be 1-D paired runs of the same length; got shapes {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError(f"need at least two pairs for an interval; got {a.size}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("a and b must be finite (a diverged run has no meaningful value to compare)")
    if not 0.5 < confidence < 1:
        raise ValueError(f"confidence must be in (0.5, 1); got {confidence!r}")
    d = b - a
    half = t_quantile((1 + confidence) / 2, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    mean = float(d.mean())
    return PairedComparison(mean, float(mean - half), float(mean + half), int(d.size), float(confidence))


# --------------------------------------------------------------------------- checks and rules


@dataclass(frozen=True)
class Check:
    """One question about a claim, its outcome, and the measured effect behind it."""

    name: str
    outcome: str
    effect: str = ""

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}; got {self.outcome!r}")

    @classmethod
    def deterministic(cls, name: str, supported, effect: str = "") -> Check:
        """A check answered by an experiment without noise: for the claim or against it."""
        return cls(name, FOR if bool(supported) else AGAINST, effect)

    @classmethod
    def any_of(cls, name: str, checks) -> Check:
        """ "At least one of these": for if one is for, against if all are, else undecided.
        The effect lists each check's name and effect."""
        checks = list(checks)
        if not checks:
            raise ValueError("any_of needs at least one check")
        outcomes = {c.outcome for c in checks}
        outcome = FOR if FOR in outcomes else AGAINST if outcomes == {AGAINST} else UNDECIDED
        return cls(name, outcome, "; ".join(f"{c.name}: {c.effect}" for c in checks))


def paired_check(name: str, a, b, *, fmt: str = ".3g", scale: float = 1.0, unit: str = "") -> Check:
    """The check "b is larger than a" on paired runs: for, against or undecided at 95 %.

    Phrase ``name`` so that b > a supports the claim (e.g. a = RMSprop's loss, b = SGD's loss,
    name "RMSprop's loss lower").
    """
    comparison = paired_comparison(a, b)
    return Check(name, comparison.outcome, comparison.describe(fmt, scale, unit))


@dataclass(frozen=True)
class Rule:
    """How one claim's checks become its verdict: the text the chapter states, and the function."""

    name: str
    text: str
    decide: Callable[[list[Check]], str]


def _outcomes(checks) -> list[str]:
    if not checks:
        raise ValueError("a claim needs at least one check")
    return [c.outcome for c in checks]


def _every_part(checks) -> str:
    outcomes = _outcomes(checks)
    if all(o == FOR for o in outcomes):
        return HOLDS
    if FOR in outcomes:
        return IN_PART
    return DOES_NOT_HOLD if AGAINST in outcomes else NOT_SHOWN


#: A claim made of parts, one check per part.
EVERY_PART = Rule(
    "every part",
    "holds if every check is for it; holds in part if some are; otherwise does not hold if a check is "
    "against it, and is not shown if every check is undecided",
    _every_part,
)


def _majority(checks) -> str:
    outcomes = _outcomes(checks)
    share = outcomes.count(FOR) / len(outcomes)
    if share > 1 / 2:
        return HOLDS
    return IN_PART if share > 1 / 3 else DOES_NOT_HOLD


#: A claim about what is usual: one check per case, and "usually" read as "in most cases".
MAJORITY = Rule(
    "a majority",
    "holds if more than half the checks are for it; holds in part if more than a third are; otherwise does not hold",
    _majority,
)


def primary(name: str) -> Rule:
    """The verdict follows one named check (for: holds; against: does not hold; undecided: not
    shown); the claim's other checks are context, reported but not deciding."""

    def decide(checks) -> str:
        matching = [c for c in checks if c.name == name]
        if len(matching) != 1:
            raise ValueError(f"the rule needs exactly one check named {name!r}; got {[c.name for c in checks]}")
        return {FOR: HOLDS, AGAINST: DOES_NOT_HOLD, UNDECIDED: NOT_SHOWN}[matching[0].outcome]

    return Rule(
        "one check decides",
        f"follows the check “{name}” alone: for, holds; against, does not hold; undecided, not shown",
        decide,
    )


@dataclass(frozen=True)
class ClaimResult:
    """One row of the claims table: the claim, its experiment, its checks and its rule."""

    number: int
    claim: str
    experiment: str
    checks: tuple[Check, ...]
    rule: Rule

    def __post_init__(self):
        checks = tuple(self.checks)
        if not checks or not all(isinstance(c, Check) for c in checks):
            raise ValueError(f"checks must be a non-empty sequence of Check; got {self.checks!r}")
        object.__setattr__(self, "checks", checks)

    @property
    def verdict(self) -> str:
        """The claim's verdict: its rule applied to its checks."""
        return self.rule.decide(list(self.checks))

    @property
    def reason(self) -> str:
        """One line: how many checks were for, against and undecided, and the rule applied."""
        counts = [f"{sum(c.outcome == o for c in self.checks)} {o}" for o in OUTCOMES]
        counts = [c for c in counts if not c.startswith("0 ")]
        return f"{', '.join(counts)} (rule: {self.rule.name})"

    def outcome(self, name: str) -> str:
        """The outcome of the check called ``name``."""
        for check in self.checks:
            if check.name == name:
                return check.outcome
        raise KeyError(f"claim {self.number} has no check {name!r}; its checks: {[c.name for c in self.checks]}")


def claims_table(results: list[ClaimResult]) -> str:
    """A Markdown table: number and claim; each check with its outcome and measured effect;
    the verdict with its one-line reason."""
    from .tables import markdown_table

    rows = []
    for r in results:
        checks = "<br>".join(f"*{c.outcome}*: {c.name}" + (f" ({c.effect})" if c.effect else "") for c in r.checks)
        rows.append([f"{r.number}. {r.claim}", checks, f"**{r.verdict}**: {r.reason}"])
    # every column is text: all left-aligned
    return markdown_table(["claim", "checks: outcome, measured effect", "verdict"], rows, left=3)
