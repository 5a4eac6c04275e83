"""Many RMSprop runs on a toy problem as ONE batched array computation::

    from rmsprop_ref.problems import ill_conditioned_quadratic
    from rmsprop_ref.sweep import sweep

    result = sweep(ill_conditioned_quadratic(), x0=[-4.0, 1.0], steps=500,
                   learning_rate=np.geomspace(1e-3, 1.0, 20),
                   rho=np.linspace(0.5, 0.999, 20))
    result.final_loss.shape          # (20, 20, 1, 1): η × ρ × ε × seed
    result.final_loss[:, :, 0, 0]    # the η × ρ heat map

The grid is the outer product of four axes, always in this order: ``learning_rate`` (η),
``rho`` (ρ), ``epsilon`` (ε) and ``seeds``. A scalar is an axis of length one. Every setting
is one row of a parameter array of shape ``(n_settings, dim)``; the hyper-parameters are
columns of shape ``(n_settings, 1)``, and one step of all runs is a handful of NumPy
operations on those arrays (the kernel of :mod:`rmsprop_ref.inplace`, which mirrors
``RMSprop.leaf_update`` operation by operation). A 20 × 20 grid of 500 steps takes
milliseconds instead of the seconds a Python loop of 400 runs needs.

Each row gives exactly the numbers that ``run.minimize(problem, RMSprop(η, rho=ρ,
epsilon=ε, **options), x0, steps)`` gives for that setting (tested for equality), including
how a divergence is recorded: at the first step k whose loss or gradient is not finite or
whose loss exceeds ``divergence_bound``, ``diverged_at = k`` and the later losses are NaN.

With ``gradient_noise = σ > 0`` each gradient gets independent Gaussian noise,
g = ∇f(x) + σ·z, z ~ N(0, I), drawn from ``np.random.default_rng(seed)``, one ``dim``-vector
per step in order, so that a seed gives the same noise to every (η, ρ, ε). The noise is
added in float64, then the gradient is rounded to ``dtype``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_count, check_non_negative, check_positive, float_array
from .gradients import refuse_unsupported_options
from .inplace import Coefficients, rmsprop_step_
from .problems import Problem
from .rmsprop import PRESETS, RMSprop
from .run import NEVER, diverging, first_below, last_recorded, record_arrays


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What every run of a sweep did. ``G`` below is the grid shape (n_η, n_ρ, n_ε, n_seeds).

    ``learning_rate``, ``rho``, ``epsilon``, ``seeds``
        the values along each axis (1-D arrays)
    ``loss`` G + (steps+1,)
        f(x_k) for k = 0 … steps; NaN after a divergence
    ``final_params`` G + (dim,)
        x at the last recorded step (``diverged_at`` or ``steps``)
    ``diverged_at`` G, int
        the first step k whose loss or gradient was not finite or whose loss exceeded the
        bound (:func:`rmsprop_ref.run.diverging`); ``NEVER`` (-1) for runs that never did
    ``optimizer``
        the RMSprop of the first setting (its options are shared by all settings)

    :func:`sweep` makes one; the arrays are read-only.
    """

    learning_rate: np.ndarray
    rho: np.ndarray
    epsilon: np.ndarray
    seeds: np.ndarray
    loss: np.ndarray
    final_params: np.ndarray
    diverged_at: np.ndarray
    optimizer: RMSprop

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """The grid shape (n_η, n_ρ, n_ε, n_seeds)."""
        return self.diverged_at.shape

    @property
    def steps(self) -> int:
        """The number of updates each run was asked for."""
        return self.loss.shape[-1] - 1

    @property
    def diverged(self) -> np.ndarray:
        """Boolean grid: True where the run diverged."""
        return self.diverged_at != NEVER

    @property
    def final_loss(self) -> np.ndarray:
        """f at the last recorded step of each run (at ``diverged_at`` for a divergent run)."""
        return last_recorded(self.loss, self.diverged_at)

    def first_step_below(self, threshold: float) -> np.ndarray:
        """Per run, the first k with f(x_k) ≤ threshold, or ``NEVER`` (-1) if it never got there."""
        return first_below(self.loss, threshold)


def _axis(name: str, values: Any) -> np.ndarray:
    array = np.atleast_1d(float_array(name, values, "a number or a non-empty 1-D sequence of numbers"))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty 1-D sequence of numbers; got {values!r}")
    return array


def _seed_axis(seeds: Any) -> np.ndarray:
    array = np.atleast_1d(np.asarray(seeds))
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer) or np.any(array < 0):
        raise ValueError(f"seeds must be a whole number >= 0 or a non-empty 1-D sequence of them; got {seeds!r}")
    return array.astype(np.int64)


def _make_optimizer(preset: str | None, **settings) -> RMSprop:
    return RMSprop.preset(preset, **settings) if preset is not None else RMSprop(**settings)


def sweep(
    problem: Problem,
    x0,
    steps: int,
    *,
    learning_rate,
    rho=None,
    epsilon=None,
    seeds=0,
    gradient_noise: float = 0.0,
    preset: str | None = None,
    divergence_bound: float = 1e12,
    dtype=np.float64,
    **options: Any,
) -> SweepResult:
    """Run RMSprop from ``x0`` for ``steps`` updates at every (η, ρ, ε, seed) of the grid.

    ``learning_rate``, ``rho``, ``epsilon``: a number or a 1-D sequence (an axis of the
    grid); ``rho`` and ``epsilon`` default to the optimizer's (``RMSprop()``'s, or the
    preset's). ``seeds``: the seeds of the gradient noise (an axis too; they only matter
    when ``gradient_noise > 0``). ``preset`` and ``**options`` (``centered``, ``momentum``,
    ``nesterov``, ``epsilon_in_sqrt``, ``weight_decay`` ...) choose the RMSprop, shared by
    all settings; a learning-rate schedule is not supported here (η is an axis).
    ``dtype``: float64 (the default, as ``run.minimize``) or float32.
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be an rmsprop_ref.problems.Problem; got {type(problem).__name__}")
    steps = check_count("steps", steps, 0)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    x0 = float_array("x0", x0, f"{problem.dim} finite numbers for {problem.name}")
    if x0.shape != (problem.dim,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"x0 must be {problem.dim} finite numbers for {problem.name}; got {x0!r}")
    gradient_noise = check_non_negative("gradient_noise", gradient_noise)
    divergence_bound = check_positive("divergence_bound", divergence_bound)
    if "learning_rate" in options or callable(learning_rate):
        raise ValueError(
            "learning_rate must be a number or a 1-D sequence of numbers (schedules are not supported by sweep)"
        )
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown RMSprop preset {preset!r}; valid presets: {', '.join(PRESETS)}")

    lrs = _axis("learning_rate", learning_rate)
    first = _make_optimizer(preset, learning_rate=float(lrs[0]), **options)
    refuse_unsupported_options(first, "sweep")
    rhos = _axis("rho", first.rho if rho is None else rho)
    epsilons = _axis("epsilon", first.epsilon if epsilon is None else epsilon)
    seed_values = _seed_axis(seeds)
    # Every value must make a valid optimizer: this raises the optimizer's own ValueError.
    for values, key in ((lrs, "learning_rate"), (rhos, "rho"), (epsilons, "epsilon")):
        for value in values:
            _make_optimizer(preset, **{"learning_rate": float(lrs[0]), **options, key: float(value)})
    optimizer = _make_optimizer(
        preset, learning_rate=float(lrs[0]), rho=float(rhos[0]), epsilon=float(epsilons[0]), **options
    )

    shape = (lrs.size, rhos.size, epsilons.size, seed_values.size)
    n = math.prod(shape)
    lr_d, rho_d, eps_d, seed_index = (
        a.reshape(n) for a in np.meshgrid(lrs, rhos, epsilons, np.arange(seed_values.size), indexing="ij")
    )

    def column(values_in_double):
        # The value leaf_update uses is a Python float, rounded to θ's dtype by NumPy; do the same.
        return np.asarray(values_in_double, dtype=np.float64).astype(dtype).reshape(n, 1)

    unique_rhos, rho_index = np.unique(rho_d, return_inverse=True)

    def coefficients(step: int) -> Coefficients:
        correction = None
        if optimizer.bias_correction:  # Python's float power, as leaf_update: 1 − ρ^(t+1)
            correction = column(np.array([1 - float(r) ** (step + 1) for r in unique_rhos])[rho_index])
        return Coefficients(
            learning_rate=column(lr_d),
            rho=column(rho_d),
            one_minus_rho=column(1 - rho_d),
            epsilon=column(eps_d),
            weight_decay=optimizer.weight_decay or None,
            correction=correction,
            momentum=optimizer.momentum if optimizer.momentum > 0 else None,
            zero_epsilon=(eps_d == 0).reshape(n, 1) if np.any(eps_d == 0) else False,
        )

    constant = coefficients(0)
    noise = None
    if gradient_noise > 0:  # per seed, one dim-vector per step, drawn in order
        draws = np.stack(
            [np.random.default_rng(int(s)).standard_normal((max(steps, 1), problem.dim)) for s in seed_values]
        )
        noise = gradient_noise * draws  # (n_seeds, steps, dim), float64

    x = np.repeat(x0.astype(dtype)[None, :], n, axis=0)
    v = np.full_like(x, optimizer.initial_accumulator)
    m = np.zeros_like(x) if optimizer.centered else None
    b = np.zeros_like(x) if optimizer.momentum > 0 else None
    t, u, w = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    (loss,) = record_arrays("steps", steps, [(n, steps + 1)])
    final_params = np.full((n, problem.dim), np.nan, dtype=dtype)
    diverged_at = np.full(n, NEVER, dtype=np.int64)
    alive = np.ones(n, dtype=bool)

    with np.errstate(all="ignore"):  # runs that blow up are recorded, not warned about
        for k in range(steps + 1):
            value, grad = problem.value(x), problem.grad(x)
            loss[alive, k] = value[alive]
            bad = alive & diverging(value, grad, x, divergence_bound)
            if bad.any():
                diverged_at[bad] = k
                final_params[bad] = x[bad]
                alive &= ~bad
            if k == steps or not alive.any():
                break
            if noise is not None:
                grad = grad + noise[seed_index, k]
            # η is a number here (sweep refuses schedules), so only bias correction changes
            # the coefficients from step to step.
            c = coefficients(k) if optimizer.bias_correction else constant
            rmsprop_step_(optimizer, c, x, grad.astype(dtype, copy=False), v, m, b, t, u, w)
    final_params[alive] = x[alive]
    for array in (loss, final_params, diverged_at):
        array.setflags(write=False)
    return SweepResult(
        learning_rate=lrs,
        rho=rhos,
        epsilon=epsilons,
        seeds=seed_values,
        loss=loss.reshape(shape + (steps + 1,)),
        final_params=final_params.reshape(shape + (problem.dim,)),
        diverged_at=diverged_at.reshape(shape),
        optimizer=optimizer,
    )


__all__ = ["SweepResult", "sweep"]
