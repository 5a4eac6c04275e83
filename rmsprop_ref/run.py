"""Run an optimizer on a toy problem and record everything a chapter plots.

    from rmsprop_ref import RMSprop
    from rmsprop_ref.problems import ill_conditioned_quadratic
    from rmsprop_ref.run import minimize

    traj = minimize(ill_conditioned_quadratic(), RMSprop(0.01), x0=[-4.0, 1.0], steps=500)
    traj.loss[-1], traj.diverged_at

A run never raises because the optimizer blew up: at the first step k where the loss or
the gradient is not finite, or the loss exceeds ``divergence_bound``, the run stops,
``diverged_at = k`` is recorded, and every array entry after k is NaN (so plots simply end
there and the arrays keep their full length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .optimizers import Optimizer
from .problems import Problem


def clip_by_norm(grad, max_norm: float) -> np.ndarray:
    """g · min(1, max_norm / ‖g‖): the gradient-norm clipping of Pascanu et al. (2013).

    The norm is taken over the last axis, so a batch of gradients of shape (..., dim) is
    clipped row by row. A gradient with norm ≤ ``max_norm`` is returned unchanged.
    """
    max_norm = _check_positive("max_norm", max_norm)
    grad = np.asarray(grad)
    norm = np.linalg.norm(grad, axis=-1, keepdims=True)
    # Where norm ≤ max_norm the factor is exactly 1, so small gradients are untouched.
    factor = np.where(norm > max_norm, max_norm / np.where(norm > 0, norm, 1.0), 1.0)
    return grad * factor


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What one run did, step by step. Index k is the state after k updates.

    params       (steps+1, dim)  θ_0 … θ_steps
    loss         (steps+1,)      f(θ_k)
    grads        (steps+1, dim)  ∇f(θ_k) (before any clipping)
    grad_norm    (steps+1,)      ‖∇f(θ_k)‖
    update_norm  (steps,)        ‖θ_{k+1} − θ_k‖, the size of update k
    diverged_at  int or None     the first k whose loss or gradient was not finite or whose
                                 loss exceeded the bound; entries after k are NaN (θ_k and
                                 f(θ_k) themselves are kept, however large)
    layer_slices                 the problem's split of θ into layers (or None)
    """

    params: np.ndarray
    loss: np.ndarray
    grads: np.ndarray
    grad_norm: np.ndarray
    update_norm: np.ndarray
    diverged_at: int | None
    layer_slices: tuple[slice, ...] | None = None
    label: str = ""

    @property
    def steps(self) -> int:
        """The number of updates the run was asked for."""
        return self.update_norm.shape[0]

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def last_step(self) -> int:
        """The index of the last recorded state (``diverged_at`` or ``steps``)."""
        return self.steps if self.diverged_at is None else self.diverged_at

    @property
    def final_params(self) -> np.ndarray:
        return self.params[self.last_step]

    @property
    def final_loss(self) -> float:
        return float(self.loss[self.last_step])

    @property
    def best_loss(self) -> float:
        """The smallest finite loss recorded."""
        finite = self.loss[np.isfinite(self.loss)]
        return float(finite.min()) if finite.size else math.inf

    def first_step_below(self, threshold: float) -> int | None:
        """The first k with f(θ_k) ≤ threshold, or None if the run never got there."""
        hits = np.flatnonzero(self.loss[: self.last_step + 1] <= threshold)
        return int(hits[0]) if hits.size else None

    def distance_to(self, point) -> np.ndarray:
        """‖θ_k − point‖ for every k, shape (steps+1,)."""
        return np.linalg.norm(self.params - np.asarray(point), axis=-1)

    def _per_layer(self, rows: np.ndarray) -> np.ndarray:
        if self.layer_slices is None:
            raise ValueError("this problem has no layers (layer_slices is None)")
        return np.stack([np.linalg.norm(rows[:, s], axis=-1) for s in self.layer_slices], axis=-1)

    @property
    def layer_grad_norms(self) -> np.ndarray:
        """‖∇_layer f(θ_k)‖ for every k and layer, shape (steps+1, n_layers)."""
        return self._per_layer(self.grads)

    @property
    def layer_update_norms(self) -> np.ndarray:
        """‖θ_{k+1} − θ_k‖ restricted to each layer, shape (steps, n_layers)."""
        return self._per_layer(np.diff(self.params, axis=0))


def minimize(problem: Problem, optimizer: Optimizer, x0, steps: int, *, divergence_bound: float = 1e12,
             clip_norm: float | None = None, label: str = "") -> Trajectory:
    """Run ``steps`` updates of ``optimizer`` on ``problem`` from ``x0`` and record them.

    Each update k: g = ∇f(θ_k); with ``clip_norm`` set, g ← g·min(1, clip_norm/‖g‖)
    (SGD + clipping is ``minimize(problem, SGD(η), x0, steps, clip_norm=c)``); then
    θ_{k+1}, state ← optimizer.update(θ_k, g, state). The recorded gradient and its norm
    are the unclipped ones. See :class:`Trajectory` for what is recorded and how a
    divergence ends the run.
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be an rmsprop_ref.problems.Problem; got {type(problem).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be an rmsprop_ref optimizer (SGD, RMSprop, ...); got {type(optimizer).__name__}")
    x = np.array(x0, dtype=np.float64)
    if x.shape != (problem.dim,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be {problem.dim} finite numbers for {problem.name}; got {x0!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0; got {steps!r}")
    bound = _check_positive("divergence_bound", divergence_bound)
    if clip_norm is not None:
        clip_norm = _check_positive("clip_norm", clip_norm)

    params = np.full((steps + 1, problem.dim), np.nan)
    grads = np.full((steps + 1, problem.dim), np.nan)
    loss = np.full(steps + 1, np.nan)
    diverged_at = None
    state = optimizer.init(x)
    # Overflow to inf is an outcome we record, not an error to warn about.
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            params[k], loss[k], grads[k] = x, problem.value(x), problem.grad(x)
            if not (np.isfinite(loss[k]) and loss[k] <= bound and np.all(np.isfinite(grads[k]))
                    and np.all(np.isfinite(x))):
                diverged_at = k
                break
            if k == steps:
                break
            g = grads[k] if clip_norm is None else clip_by_norm(grads[k], clip_norm)
            x, state = optimizer.update(x, g, state)
        update_norm = np.linalg.norm(np.diff(params, axis=0), axis=-1)
        grad_norm = np.linalg.norm(grads, axis=-1)
    for array in (params, loss, grads, grad_norm, update_norm):
        array.setflags(write=False)  # a Trajectory is a record: frozen arrays too
    return Trajectory(params=params, loss=loss, grads=grads, grad_norm=grad_norm, update_norm=update_norm,
                      diverged_at=diverged_at, layer_slices=problem.layer_slices, label=label)


__all__ = ["Trajectory", "minimize", "clip_by_norm"]
