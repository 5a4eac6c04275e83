r"""Reddi, Kale & Kumar's online counter-example, and a phase diagram over ρ and its period.

The problem (Reddi et al. 2018, section 3), on the interval [−1, 1]::

    f_t(x) = a·x      when t mod P = 1          (one large gradient a per period)
    f_t(x) = −b·x     otherwise                 (P − 1 small gradients −b)

with t = 1, 2, ... . Over one period the losses add up to (a − (P−1)·b)·x; when that
coefficient is positive the best fixed point is x* = −1 and the worst is +1. The book's
instance is a = 1010, b = 10, P = 101 (coefficient 10).

The algorithms play x_t, see g_t = f_t'(x_t) (a constant: the problem is linear) and take a
projected step with the step size α/√t of the analyses::

    v_t = ρ·v_{t−1} + (1−ρ)·g_t²;   RMSprop: d_t = v_t;   AMSGrad: d_t = max(d_{t−1}, v_t)
    x_{t+1} = Π_[−1,1]( x_t − (α/√t)·g_t / (√d_t + ε) )

Regret after T steps: R_T = Σ_t f_t(x_t) − min_{x∈[−1,1]} Σ_t f_t(x). An algorithm converges
in the online sense when R_T / T → 0.

Because the gradients do not depend on x, v_t does not either, and at the periodic steady
state of v the position moves, per period, by

    Δ = −(α/√t)·( a/√v_0 − b·Σ_{j=1}^{P−1} 1/√v_j ),   v_j = b² + (a² − b²)(1−ρ)ρ^j / (1 − ρ^P)

(v_0 right after the large gradient). RMSprop drifts to +1 when the bracket is negative:
the large gradient is diluted by its own square in v, while the small ones arrive after v
has decayed. :func:`periodic_drift` computes the bracket; :func:`phase_diagram` checks it by
simulation over a grid of ρ and P, all cells at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from .._checks import check_count, check_positive


@dataclass(frozen=True)
class PeriodicLinearProblem:
    """f_t(x) = large·x when t mod period = 1, −small·x otherwise, on [−1, 1] (t from 1)."""

    period: int
    large: float
    small: float

    def __post_init__(self):
        object.__setattr__(self, "period", check_count("period", self.period, 2))
        object.__setattr__(self, "large", check_positive("large", self.large))
        object.__setattr__(self, "small", check_positive("small", self.small))

    def gradient(self, t):
        """g_t = f_t'(x), the same for every x; ``t`` (from 1) may be an array."""
        t = np.asarray(t)
        return np.where(t % self.period == 1, self.large, -self.small)

    @property
    def period_coefficient(self) -> float:
        """The slope of the sum of the losses over one period, a − (P−1)·b."""
        return self.large - (self.period - 1) * self.small

    @property
    def minimizer(self) -> float:
        """The best fixed point in [−1, 1] over whole periods."""
        return -1.0 if self.period_coefficient > 0 else 1.0


def reddi_problem() -> PeriodicLinearProblem:
    """The instance of Reddi et al. (2018): a = 1010, b = 10, period 101, so x* = −1."""
    return PeriodicLinearProblem(period=101, large=1010.0, small=10.0)


def period_family(period: int) -> PeriodicLinearProblem:
    """f_t(x) = P·x once per period P, −x otherwise: the losses of a period add up to x."""
    return PeriodicLinearProblem(period=period, large=float(period), small=1.0)


def project(x, low: float = -1.0, high: float = 1.0):
    """Euclidean projection onto the interval [low, high] (for a scalar, a clip)."""
    return np.clip(x, low, high)


@dataclass(frozen=True)
class OnlineRuns:
    """Positions and average regret of several runs, recorded every ``record_every`` steps.

    ``x[k, i]`` is the point run i plays at step ``steps[k]``; ``average_regret[k, i]`` is
    R_t / t after that step. ``final_x[i]`` is the point after the last update.
    """

    steps: np.ndarray
    x: np.ndarray
    average_regret: np.ndarray
    final_x: np.ndarray


def mean_square_gradient(problem: PeriodicLinearProblem, rho: float, steps: int) -> np.ndarray:
    """v_1, ..., v_T of the running mean v_t = ρ·v_{t−1} + (1−ρ)·g_t², v_0 = 0, in closed form.

    The gradients take two values, so v_t = b²(1 − ρᵗ) + (a² − b²)(1−ρ)·Σ_{spikes k ≤ t} ρ^{t−k}
    and the spikes sum to ρʲ(1 − ρ^{nP})/(1 − ρ^P), with j = (t−1) mod P steps since the last
    spike and n = ⌊(t−1)/P⌋ + 1 spikes so far. No loop over t is needed.
    """
    a, b, period = problem.large, problem.small, problem.period
    t = np.arange(1, int(steps) + 1, dtype=float)
    since_spike = (t - 1) % period
    spikes = (t - 1) // period + 1
    if rho == 0:
        return np.where(since_spike == 0, a * a, b * b)
    spike_sum = rho**since_spike * (1 - rho ** (spikes * period)) / (1 - rho**period)
    return b * b * (1 - rho**t) + (a * a - b * b) * (1 - rho) * spike_sum


def _projected_path(x0: float, moves: np.ndarray) -> np.ndarray:
    """x_1 = x0, x_{t+1} = Π_[−1,1](x_t − moves_t): the one sequential part, in plain floats."""
    path = accumulate(moves.tolist(), lambda x, move: min(1.0, max(-1.0, x - move)), initial=float(x0))
    return np.fromiter(path, dtype=float, count=moves.size + 1)


def run_projected(
    problem: PeriodicLinearProblem,
    rho,
    amsgrad,
    *,
    steps: int,
    learning_rate: float = 0.5,
    epsilon: float = 0.0,
    x0: float = 0.0,
    record_every: int = 1,
) -> OnlineRuns:
    """Projected RMSprop (``amsgrad`` False) or AMSGrad with β₁ = 0 (True), step α/√t.

    ``rho`` and ``amsgrad`` broadcast together; each element is one run. The running means
    are computed for all t at once (:func:`mean_square_gradient`); only the projection runs
    step by step. ε is added outside the root, as in the paper's algorithms.
    """
    rho, amsgrad = np.broadcast_arrays(
        np.atleast_1d(np.asarray(rho, dtype=float)), np.atleast_1d(np.asarray(amsgrad, dtype=bool))
    )
    if rho.ndim != 1 or np.any((rho < 0) | (rho >= 1)):
        raise ValueError(f"rho must be a number or 1-d array of numbers in [0, 1); got {rho}")
    steps = check_count("steps", steps)
    record_every = check_count("record_every", record_every)
    learning_rate = check_positive("learning_rate", learning_rate)
    t = np.arange(1, int(steps) + 1)
    g = problem.gradient(t).astype(float)
    best_fixed_loss = -np.abs(np.cumsum(g))  # min over [−1, 1] of x·Σ g
    recorded = t[record_every - 1 :: record_every] - 1
    xs, regrets, finals = [], [], []
    for rho_i, amsgrad_i in zip(rho, amsgrad):
        v = mean_square_gradient(problem, float(rho_i), int(steps))
        denominator = np.maximum.accumulate(v) if amsgrad_i else v
        path = _projected_path(x0, learning_rate / np.sqrt(t) * g / (np.sqrt(denominator) + epsilon))
        played = path[:-1]  # x_t, the point played at step t
        regret = np.cumsum(g * played) - best_fixed_loss
        xs.append(played[recorded])
        regrets.append(regret[recorded] / t[recorded])
        finals.append(path[-1])
    return OnlineRuns(t[recorded], np.stack(xs, axis=1), np.stack(regrets, axis=1), np.array(finals))


def periodic_drift(problem: PeriodicLinearProblem, rho) -> np.ndarray:
    """a/√v_0 − b·Σ_{j≥1} 1/√v_j at the periodic steady state of v (RMSprop, ε = 0).

    Positive: each period moves x down, towards x* = −1. Negative: up, towards +1.
    ``rho`` may be an array; the result has its shape.
    """
    rho = np.asarray(rho, dtype=float)
    if np.any((rho <= 0) | (rho >= 1)):
        raise ValueError(f"rho must be in (0, 1); got {rho}")
    a, b, period = problem.large, problem.small, problem.period
    j = np.arange(period).reshape((1,) * rho.ndim + (period,))
    r = rho[..., None]
    v = b * b + (a * a - b * b) * (1 - r) * r**j / (1 - r**period)
    return a / np.sqrt(v[..., 0]) - b * np.sum(1 / np.sqrt(v[..., 1:]), axis=-1)


CONVERGES, UNDECIDED, DIVERGES = -1, 0, 1


@dataclass(frozen=True)
class PhaseDiagram:
    """Outcome of projected RMSprop on ``period_family(P)`` for every (ρ, P) in a grid.

    ``tail_mean_x[i, j]``: mean position over the last ``tail`` fraction of the steps, for
    ``rhos[i]`` and ``periods[j]``. ``outcome``: CONVERGES where that mean is below −½ (near
    x* = −1), DIVERGES where above +½ (near the worst point), UNDECIDED in between (still
    moving when the budget ran out). ``predicted``: the sign of :func:`periodic_drift`,
    CONVERGES where it is positive.
    """

    rhos: np.ndarray
    periods: np.ndarray
    steps: int
    tail_mean_x: np.ndarray
    outcome: np.ndarray
    predicted: np.ndarray


def phase_diagram(
    rhos, periods, *, steps: int, learning_rate: float = 0.5, x0: float = 0.0, tail: float = 0.1
) -> PhaseDiagram:
    """Run projected RMSprop (ε = 0, step α/√t) on every (ρ, P) cell as one array computation."""
    rhos = np.asarray(rhos, dtype=float)
    periods = np.asarray(periods)
    if rhos.ndim != 1 or np.any((rhos <= 0) | (rhos >= 1)):
        raise ValueError(f"rhos must be a 1-d array of numbers in (0, 1); got {rhos}")
    if periods.ndim != 1 or not np.issubdtype(periods.dtype, np.integer) or np.any(periods < 2):
        raise ValueError(f"periods must be a 1-d array of whole numbers >= 2; got {periods}")
    if not 0 < tail <= 1:
        raise ValueError(f"tail must be in (0, 1]; got {tail!r}")
    steps = check_count("steps", steps)
    learning_rate = check_positive("learning_rate", learning_rate)
    rho = rhos[:, None] * np.ones((1, periods.size))
    period = np.ones((rhos.size, 1)) * periods[None, :]
    x = np.full(rho.shape, float(x0))
    v = np.zeros(rho.shape)
    tail_start = int(steps) - max(1, int(round(tail * steps)))
    x_sum = np.zeros(rho.shape)
    for t in range(1, int(steps) + 1):
        # period_family(P): gradient P once per period, −1 otherwise.
        g = np.where(t % period == 1, period, -1.0)
        v = rho * v + (1 - rho) * g * g
        x = project(x - learning_rate / np.sqrt(t) * g / np.sqrt(v))
        if t > tail_start:
            x_sum += x
    tail_mean_x = x_sum / (int(steps) - tail_start)
    outcome = np.where(tail_mean_x < -0.5, CONVERGES, np.where(tail_mean_x > 0.5, DIVERGES, UNDECIDED))
    drift = np.stack([periodic_drift(period_family(int(p)), rhos) for p in periods], axis=1)
    predicted = np.where(drift > 0, CONVERGES, DIVERGES)
    return PhaseDiagram(rhos, periods, int(steps), tail_mean_x, outcome, predicted)


def critical_rho(problem: PeriodicLinearProblem, *, tolerance: float = 1e-10) -> float:
    """The smallest ρ with a positive :func:`periodic_drift`, by bisection on (0, 1).

    The drift is negative for small ρ (when P > 2) and positive as ρ → 1, with one sign
    change on the problems of this module; bisection finds it to ``tolerance``.
    """
    low, high = 1e-12, 1 - 1e-9
    if periodic_drift(problem, low) > 0:
        return low
    if periodic_drift(problem, high) <= 0:
        raise ValueError(f"{problem} has no ρ < 1 at which RMSprop's drift turns towards x* = −1")
    while high - low > tolerance:
        middle = 0.5 * (low + high)
        if periodic_drift(problem, middle) > 0:
            high = middle
        else:
            low = middle
    return high
