r"""Reddi, Kale & Kumar's online counter-example, and a phase diagram over ρ and its period.

The problem (Reddi et al. 2018, section 3), on the interval [−1, 1]::

    f_t(x) = a·x      when t mod P = 1          (one large gradient a per period)
    f_t(x) = −b·x     otherwise                 (P − 1 small gradients −b)

with t = 1, 2, ... . Over one period the losses add up to (a − (P−1)·b)·x; when that
coefficient is positive the best fixed point is x* = −1 and the worst is +1. The book's
instance is a = 1010, b = 10, P = 101 (coefficient 10).

The algorithms play x_t, see g_t = f_t'(x_t) (a constant: the problem is linear) and take a
projected step with the step size α/√t of the analyses::

    v_t = ρ·v_{t−1} + (1−ρ)·g_t²
    RMSprop: d_t = v_t;   AMSGrad: d_t = max(d_{t−1}, v_t)
    x_{t+1} = Π_[−1,1]( x_t − (α/√t)·g_t / (√d_t + ε) )

Regret after T steps: R_T = Σ_t f_t(x_t) − min_{x∈[−1,1]} Σ_t f_t(x). An algorithm converges
in the online sense when R_T / T → 0.

Because the gradients do not depend on x, v_t does not either, and at the periodic steady
state of v the position moves, per period, by::

    Δ = −(α/√t)·( a/√v_0 − b·Σ_{j=1}^{P−1} 1/√v_j ),
    v_j = b² + (a² − b²)(1−ρ)ρ^j / (1 − ρ^P)

(v_0 right after the large gradient). RMSprop drifts to +1 when the bracket is negative:
the large gradient is diluted by its own square in v, while the small ones arrive after v
has decayed. :func:`periodic_drift` computes the bracket; :func:`phase_diagram` checks it by
simulation over a grid of ρ and P, all cells at once.

Every simulation here runs the library's tested optimizers: :func:`online_optimizer` builds
the RMSprop or AMSGrad of the analyses (step ``schedules.InverseSqrtDecay``, ε outside the
root, β₁ = 0); :func:`run_projected` feeds it the gradients through
:func:`rmsprop_ref.run.stream_path` with the projection; :func:`phase_diagram` advances all
its cells with the in-place RMSprop kernel (:func:`rmsprop_ref.inplace.rmsprop_step_`, equal
to ``RMSprop.leaf_update`` operation by operation) and a column of ρ values, as ``sweep`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_count, check_non_negative, check_positive
from ..amsgrad import AMSGrad
from ..inplace import Coefficients, rmsprop_step_
from ..rmsprop import RMSprop
from ..run import stream_path
from ..schedules import InverseSqrtDecay


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
    if np.ndim(x) == 0:  # the runs here have one coordinate: plain comparisons are fastest
        return min(high, max(low, x))
    return np.clip(x, low, high)


def online_optimizer(rho: float, amsgrad: bool, *, learning_rate: float = 0.5, epsilon: float = 0.0):
    """RMSprop (``amsgrad`` False) or AMSGrad with β₁ = 0 (True) as the analyses write them:
    step α/√t (t from 1, ``InverseSqrtDecay(α)``) and ε added outside the root."""
    schedule = InverseSqrtDecay(learning_rate)
    if amsgrad:
        return AMSGrad(schedule, beta_1=0.0, beta_2=rho, epsilon=epsilon)
    return RMSprop(schedule, rho=rho, epsilon=epsilon, epsilon_in_sqrt=False)


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

    ``rho`` and ``amsgrad`` broadcast together; each element is one run of
    :func:`online_optimizer`, fed the problem's gradients by :func:`rmsprop_ref.run.stream_path`
    and projected onto [−1, 1] after every update.
    """
    rho, amsgrad = np.broadcast_arrays(
        np.atleast_1d(np.asarray(rho, dtype=float)), np.atleast_1d(np.asarray(amsgrad, dtype=bool))
    )
    if rho.ndim != 1 or np.any((rho < 0) | (rho >= 1)):
        raise ValueError(f"rho must be a number or 1-d array of numbers in [0, 1); got {rho}")
    steps = check_count("steps", steps)
    record_every = check_count("record_every", record_every)
    learning_rate = check_positive("learning_rate", learning_rate)
    epsilon = check_non_negative("epsilon", epsilon)
    t = np.arange(1, int(steps) + 1)
    g = problem.gradient(t).astype(float)
    best_fixed_loss = -np.abs(np.cumsum(g))  # min over [−1, 1] of x·Σ g
    recorded = t[record_every - 1 :: record_every] - 1
    xs, regrets, finals = [], [], []
    for rho_i, amsgrad_i in zip(rho, amsgrad):
        optimizer = online_optimizer(float(rho_i), bool(amsgrad_i), learning_rate=learning_rate, epsilon=epsilon)
        path, _ = stream_path(optimizer, g[:, None], [x0], project=project, keep_states=False)
        played = path[:-1, 0]  # x_t, the point played at step t
        regret = np.cumsum(g * played) - best_fixed_loss
        xs.append(played[recorded])
        regrets.append(regret[recorded] / t[recorded])
        finals.append(path[-1, 0])
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
    # One row per (ρ, P) cell; ρ is a column of coefficients of the in-place RMSprop step.
    rho = np.repeat(rhos, periods.size).reshape(-1, 1)
    period = np.tile(periods, rhos.size).reshape(-1, 1)
    optimizer = online_optimizer(float(rhos[0]), False, learning_rate=learning_rate)
    x = np.full(rho.shape, float(x0))
    v = np.full(rho.shape, optimizer.initial_accumulator)
    scratch = [np.empty_like(x) for _ in range(3)]
    tail_start = int(steps) - max(1, int(round(tail * steps)))
    x_sum = np.zeros(rho.shape)
    # ε = 0, no weight decay, bias correction or momentum; only η = α/√t changes per step.
    constant = Coefficients(None, rho, 1 - rho, 0.0, None, None, None, zero_epsilon=True)
    for k in range(int(steps)):
        # period_family(P): gradient P once per period (t = k + 1 ≡ 1 mod P), −1 otherwise.
        g = np.where((k + 1) % period == 1, period, -1.0)
        c = constant._replace(learning_rate=optimizer.learning_rate_at(k))
        rmsprop_step_(optimizer, c, x, g, v, None, None, *scratch)
        np.clip(x, -1.0, 1.0, out=x)
        if k + 1 > tail_start:
            x_sum += x
    tail_mean_x = (x_sum / (int(steps) - tail_start)).reshape(rhos.size, periods.size)
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
