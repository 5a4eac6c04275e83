"""Run an optimizer on a toy problem and record everything a chapter plots::

    from rmsprop_ref import RMSprop
    from rmsprop_ref.problems import ill_conditioned_quadratic
    from rmsprop_ref.run import minimize

    traj = minimize(ill_conditioned_quadratic(), RMSprop(0.01),
                    x0=[-4.0, 1.0], steps=500)
    traj.loss[-1], traj.diverged_at

A run never raises because the optimizer blew up: at the first step k where the loss or
the gradient is not finite, or the loss exceeds ``divergence_bound``, the run stops,
``diverged_at = k`` is recorded, and every array entry after k is NaN (so plots simply end
there and the arrays keep their full length).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._checks import check_count, check_flag, check_optimizer, check_positive, float_array, is_real
from .optimizers import Optimizer, non_finite_step
from .problems import Problem


def clip_by_norm(grad, max_norm: float) -> np.ndarray:
    """g · min(1, max_norm / ‖g‖): the gradient-norm clipping of Pascanu et al. (2013).

    The norm is taken over the last axis, so a batch of gradients of shape (..., dim) is
    clipped row by row. A gradient with norm ≤ ``max_norm`` is returned unchanged.
    """
    max_norm = check_positive("max_norm", max_norm)
    grad = np.asarray(grad)
    norm = np.linalg.norm(grad, axis=-1, keepdims=True)
    # Where norm ≤ max_norm the factor is exactly 1, so small gradients are untouched.
    factor = np.where(norm > max_norm, max_norm / np.where(norm > 0, norm, 1.0), 1.0)
    return grad * factor


# --------------------------------------------------------------------------- the rules of a run
# One run (Trajectory) and a batch of runs (sweep.SweepResult) record the same things and
# read them with these functions, so that both end a run, and answer "when did the loss
# first reach ...", the same way. A batch marks "never" with NEVER in its integer arrays;
# one run says None.

NEVER = -1


def diverging(loss, grad, theta, bound: float):
    """The rule that ends a run at step k: the loss is not finite or exceeds ``bound``, or
    the gradient or θ has a non-finite coordinate. ``loss`` has shape (...); ``grad`` and
    ``theta`` (..., dim); the result has the shape of ``loss``."""
    return ~(np.isfinite(loss) & (loss <= bound) & np.isfinite(grad).all(axis=-1) & np.isfinite(theta).all(axis=-1))


def last_recorded(loss, diverged_at):
    """f at the last recorded step of each run: ``diverged_at`` if it diverged, else the last.

    ``loss`` has shape (..., steps + 1); ``diverged_at`` (...) holds NEVER for runs that did not.
    """
    loss, diverged_at = np.asarray(loss), np.asarray(diverged_at)
    last = np.where(diverged_at == NEVER, loss.shape[-1] - 1, diverged_at)
    return np.take_along_axis(loss, last[..., None], axis=-1)[..., 0]


def first_below(loss, threshold: float):
    """Per run, the first k with f(θ_k) ≤ threshold, or NEVER. The steps after a divergence
    are NaN in the record, and NaN is never below a threshold."""
    below = np.asarray(loss) <= threshold
    return np.where(below.any(axis=-1), below.argmax(axis=-1), NEVER)


def settled_below(loss, threshold: float):
    """Per run, the first k from which f(θ_j) ≤ threshold for every later j, or NEVER.

    Unlike :func:`first_below`, a run that crosses the threshold and comes back above it (an
    oscillation, a limit cycle) does not count until its last crossing, and a run that ends
    above the threshold, or diverged (NaN), never settles.
    """
    below = np.asarray(loss) <= threshold
    # below_from_here[..., k]: every entry from k to the end is below
    below_from_here = np.flip(np.logical_and.accumulate(np.flip(below, axis=-1), axis=-1), axis=-1)
    n = below.shape[-1]
    first = n - below_from_here.sum(axis=-1)
    return np.where(below[..., -1], first, NEVER)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What one run did, step by step. Index k is the state after k updates.

    ``params`` (steps+1, dim)
        θ_0 … θ_steps
    ``loss`` (steps+1,)
        f(θ_k)
    ``grads`` (steps+1, dim)
        ∇f(θ_k), before any clipping
    ``grad_norm`` (steps+1,)
        ‖∇f(θ_k)‖
    ``update_norm`` (steps,)
        ‖θ_{k+1} − θ_k‖, the size of update k
    ``diverged_at`` (int or None)
        the first k whose loss or gradient was not finite or whose loss exceeded the bound
        (:func:`diverging`); entries after k are NaN (θ_k and f(θ_k) themselves are kept,
        however large)
    ``layer_slices``
        the problem's split of θ into layers (or None)

    :func:`minimize` makes one; the arrays are read-only.
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
        """Whether the run stopped at a non-finite or too large loss or gradient."""
        return self.diverged_at is not None

    @property
    def last_step(self) -> int:
        """The index of the last recorded state (``diverged_at`` or ``steps``)."""
        return self.steps if self.diverged_at is None else self.diverged_at

    @property
    def final_params(self) -> np.ndarray:
        """θ at ``last_step``."""
        return self.params[self.last_step]

    @property
    def final_loss(self) -> float:
        """f(θ) at ``last_step``."""
        return float(last_recorded(self.loss, NEVER if self.diverged_at is None else self.diverged_at))

    @property
    def best_loss(self) -> float:
        """The smallest finite loss recorded."""
        finite = self.loss[np.isfinite(self.loss)]
        return float(finite.min()) if finite.size else math.inf

    def first_step_below(self, threshold: float) -> int | None:
        """The first k with f(θ_k) ≤ threshold, or None if the run never got there."""
        k = int(first_below(self.loss, threshold))
        return None if k == NEVER else k

    def first_step_settled_below(self, threshold: float) -> int | None:
        """The first k from which f(θ_j) ≤ threshold for every later j (:func:`settled_below`),
        or None if the run ended above it or diverged."""
        k = int(settled_below(self.loss, threshold))
        return None if k == NEVER else k

    def distance_to(self, point) -> np.ndarray:
        """‖θ_k − point‖ for every k, shape (steps+1,)."""
        return np.linalg.norm(self.params - np.asarray(point), axis=-1)

    @property
    def effective_step_size(self) -> np.ndarray:
        """``|θ_{k+1,i} − θ_{k,i}| / |g_{k,i}|`` per update and coordinate, shape (steps, dim)
        (:func:`effective_learning_rate` of this run's updates and gradients)."""
        return effective_learning_rate(np.diff(self.params, axis=0), self.grads[:-1])

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


# --------------------------------------------------------------------------- sizes of steps


def effective_learning_rate(updates, grads) -> np.ndarray:
    """``|Δθ| / |g|`` element by element: the learning rate a step actually used, per coordinate.

    For SGD this is η; for RMSprop without momentum it is η/√(v + ε) (or η/(√v + ε)) with
    the v after the step. NaN where the gradient is 0. With momentum or clipping it mixes in
    the buffer or the clip factor.
    """
    updates, grads = np.asarray(updates), np.asarray(grads)
    if updates.shape != grads.shape:
        raise ValueError(f"updates and grads must have one shape; got {updates.shape} and {grads.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(updates) / np.abs(grads)
    return np.where(grads != 0, ratio, np.nan)


def steps_in_learning_rates(path, learning_rate: float) -> np.ndarray:
    """``|θ_{k+1} − θ_k| / η`` along a path of points (axis 0: θ_0, θ_1, ...): each step's length
    per coordinate in units of the learning rate (RMSprop's first step from v = 0 is
    1/√(1 − ρ) of them, whatever the gradient's scale)."""
    learning_rate = check_positive("learning_rate", learning_rate)
    path = float_array("path", path, "an array of points, one per row")
    return np.abs(np.diff(path, axis=0)) / learning_rate


def record_arrays(name: str, value: int, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """NaN-filled float64 arrays that record a run; too large a run is refused by its argument.

    Without this, steps=10**14 fails with a MemoryError about petabytes, naming nothing.
    """
    needed = sum(8 * math.prod(shape) for shape in shapes)
    refusal = ValueError(
        f"{name}={value!r} would need {needed / 2**30:.3g} GiB to record the run, more than "
        f"this machine has; record fewer steps"
    )
    # Filling an array larger than the memory would not fail: it would swap, or wake the
    # out-of-memory killer. So the size is compared with the memory first, where it is known.
    if needed > _physical_memory():
        raise refusal
    try:
        return [np.full(shape, np.nan) for shape in shapes]
    except (MemoryError, ValueError):
        raise refusal from None


def _physical_memory() -> float:
    """Bytes of RAM (Linux, macOS), or infinity where the system does not say (Windows)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return math.inf


def minimize(
    problem: Problem,
    optimizer: Optimizer,
    x0,
    steps: int,
    *,
    divergence_bound: float = 1e12,
    clip_norm: float | None = None,
    label: str = "",
) -> Trajectory:
    """Run ``steps`` updates of ``optimizer`` on ``problem`` from ``x0`` and record them.

    Each update k: g = ∇f(θ_k); with ``clip_norm`` set, g ← g·min(1, clip_norm/‖g‖)
    (SGD + clipping is ``minimize(problem, SGD(η), x0, steps, clip_norm=c)``); then
    θ_{k+1}, state ← optimizer.update(θ_k, g, state). The recorded gradient and its norm
    are the unclipped ones. See :class:`Trajectory` for what is recorded and how a
    divergence ends the run.
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be an rmsprop_ref.problems.Problem; got {type(problem).__name__}")
    check_optimizer(optimizer)
    x = float_array("x0", x0, f"{problem.dim} finite numbers for {problem.name}")
    if x.shape != (problem.dim,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be {problem.dim} finite numbers for {problem.name}; got {x0!r}")
    steps = check_count("steps", steps, 0)
    bound = check_positive("divergence_bound", divergence_bound)
    if clip_norm is not None:
        clip_norm = check_positive("clip_norm", clip_norm)

    params, grads, loss = record_arrays(
        "steps", steps, [(steps + 1, problem.dim), (steps + 1, problem.dim), (steps + 1,)]
    )
    diverged_at = None
    state = optimizer.init(x)
    # Overflow to inf is an outcome we record, not an error to warn about.
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            params[k] = x
            loss[k], grads[k] = problem.value_and_grad(x)
            if diverging(loss[k], grads[k], x, bound):
                diverged_at = k
                break
            if k == steps:
                break
            g = grads[k] if clip_norm is None else clip_by_norm(grads[k], clip_norm)
            try:
                x, state = optimizer.update(x, g, state)
            except FloatingPointError:
                # The step itself overflowed (the optimizer refuses to return inf): the run
                # diverges at the next step, as it would have with the inf recorded.
                diverged_at = k + 1
                break
        update_norm = np.linalg.norm(np.diff(params, axis=0), axis=-1)
        grad_norm = np.linalg.norm(grads, axis=-1)
    for array in (params, loss, grads, grad_norm, update_norm):
        array.setflags(write=False)  # a Trajectory is a record: frozen arrays too
    return Trajectory(
        params=params,
        loss=loss,
        grads=grads,
        grad_norm=grad_norm,
        update_norm=update_norm,
        diverged_at=diverged_at,
        layer_slices=problem.layer_slices,
        label=label,
    )


@dataclass(frozen=True, eq=False)
class LearningRateSearch:
    """The runs of one optimizer over a grid of learning rates, and the one that scored best.

    ``runs[i]`` is what the run at ``learning_rates[i]`` returned (a :class:`Trajectory` for
    :func:`search_learning_rate`; anything for :func:`search_grid`) and ``scores[i]`` its
    score, lower is better. ``tie_break[i]`` ranks runs with equal scores (for a search by
    steps to a target: the final loss); remaining ties go to the smaller η. ``criterion`` says
    how a search by steps counted them ("reach" or "settle", see :func:`search_learning_rate`).
    """

    learning_rates: np.ndarray
    scores: np.ndarray
    runs: tuple
    label: str = ""
    target_loss: float | None = None
    tie_break: np.ndarray | None = None
    criterion: str = "reach"

    @property
    def trajectories(self) -> tuple:
        """The runs, by their name in a search over :func:`minimize` runs."""
        return self.runs

    @property
    def best_index(self) -> int:
        """The index of the best run: lowest score, then lowest tie-break, then smaller η."""
        tie_break = np.zeros(len(self.scores)) if self.tie_break is None else self.tie_break
        return int(np.lexsort((self.learning_rates, tie_break, self.scores))[0])

    @property
    def best_learning_rate(self) -> float:
        """The learning rate of the best run."""
        return float(self.learning_rates[self.best_index])

    @property
    def best(self):
        """The best run."""
        return self.runs[self.best_index]

    @property
    def best_score(self) -> tuple[float, float]:
        """(score, tie-break) of the best run: compare two searches' best runs with ``<``."""
        i = self.best_index
        return float(self.scores[i]), 0.0 if self.tie_break is None else float(self.tie_break[i])

    @property
    def diverged(self) -> np.ndarray:
        """Which learning rates diverged (boolean array; runs that record ``diverged``)."""
        return np.array([run.diverged for run in self.runs])

    @property
    def largest_stable_learning_rate(self) -> float:
        """The largest η of the grid whose run did not diverge (0.0 if every one did)."""
        stable = self.learning_rates[~self.diverged]
        return float(stable.max()) if stable.size else 0.0


def _grid(learning_rates) -> np.ndarray:
    rates = float_array("learning_rates", learning_rates, "a non-empty 1-D sequence of finite numbers > 0")
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError(
            f"learning_rates must be a non-empty 1-D sequence of finite numbers > 0; got {learning_rates!r}"
        )
    return np.sort(rates)


def _frozen(array) -> np.ndarray:
    array = np.asarray(array, dtype=float)
    array.setflags(write=False)
    return array


def search_grid(learning_rates, run: Callable, score: Callable, *, label: str = "") -> LearningRateSearch:
    """``run(η)`` for every η of the grid (in increasing order); the best has the lowest ``score``.

    For searches that are not :func:`minimize` runs: a model trained for some epochs, several
    seeds per η (``run`` returns the list and ``score`` averages it). Ties go to the smaller η.
    """
    rates = _grid(learning_rates)
    for name, value in (("run", run), ("score", score)):
        if not callable(value):
            raise ValueError(f"{name} must be a callable; got {value!r}")
    runs = tuple(run(float(lr)) for lr in rates)
    scores = [float(score(result)) for result in runs]
    if any(math.isnan(value) for value in scores):
        raise ValueError(f"score returned nan for the learning rates {rates[np.isnan(scores)].tolist()}")
    return LearningRateSearch(learning_rates=_frozen(rates), scores=_frozen(scores), runs=runs, label=label)


def search_learning_rate(
    problem: Problem,
    make_optimizer,
    learning_rates,
    x0,
    steps: int,
    *,
    label: str = "",
    target_loss: float | None = None,
    criterion: str = "reach",
    **minimize_options,
) -> LearningRateSearch:
    """Run ``minimize(problem, make_optimizer(η), x0, steps, ...)`` for every η and keep the best.

    ``make_optimizer`` maps a learning rate to an optimizer, e.g. ``lambda lr: SGD(lr, momentum=0.9)``
    or the class ``SGD`` itself; ``minimize_options`` (``clip_norm``, ``divergence_bound``) are
    passed to every run. The grid is the documented search a chapter shows, so that no
    optimizer's learning rate is hand-picked.

    Score: the final loss (+inf for a diverged run). With ``target_loss``: the number of steps
    to reach it (+inf for a run that diverged or never reached it), ties and runs that never
    got there ranked by their final loss, so that when no run reaches the target the one that
    came closest wins. ``criterion="reach"`` counts the steps to the first step at or below the
    target (:meth:`Trajectory.first_step_below`); ``criterion="settle"`` the steps until the loss
    stays there to the end of the run (:meth:`Trajectory.first_step_settled_below`), which an
    oscillating run cannot pass by a lucky crossing. The largest η that did not diverge is
    ``largest_stable_learning_rate``.
    """
    rates = _grid(learning_rates)
    if not callable(make_optimizer):
        raise ValueError(
            f"make_optimizer must be a callable from a learning rate to an optimizer; got {make_optimizer!r}"
        )
    if target_loss is not None:
        # checked before the runs, so that a typo does not cost the whole search
        if not is_real(target_loss) or not math.isfinite(target_loss):
            raise ValueError(f"target_loss must be a finite number or None; got {target_loss!r}")
        target_loss = float(target_loss)
    if criterion not in ("reach", "settle"):
        raise ValueError(f"criterion must be 'reach' or 'settle'; got {criterion!r}")
    trajectories = tuple(
        minimize(problem, make_optimizer(float(lr)), x0, steps, label=label, **minimize_options) for lr in rates
    )
    final = [math.inf if t.diverged else t.final_loss for t in trajectories]
    if target_loss is None:
        scores, tie_break = final, None
    else:
        count = Trajectory.first_step_below if criterion == "reach" else Trajectory.first_step_settled_below
        reached = [count(t, target_loss) for t in trajectories]
        scores = [math.inf if k is None or t.diverged else float(k) for k, t in zip(reached, trajectories)]
        tie_break = _frozen(final)
    if all(t.diverged for t in trajectories):
        warnings.warn(
            f"every learning rate of the search diverged ({label or 'unlabelled'}); its 'best' "
            f"learning rate, the smallest, means nothing: widen the grid toward smaller rates",
            RuntimeWarning,
            stacklevel=2,
        )
    return LearningRateSearch(
        learning_rates=_frozen(rates),
        scores=_frozen(scores),
        runs=trajectories,
        label=label,
        target_loss=target_loss,
        tie_break=tie_break,
        criterion=criterion,
    )


def search_each(
    problem: Problem, optimizers: dict, learning_rates, x0, steps: int, **minimize_options
) -> dict[str, LearningRateSearch]:
    """:func:`search_learning_rate` for each named optimizer, on the same grid, start and steps.

    ``optimizers`` maps a label to ``make_optimizer`` (a callable from η to an optimizer) or to
    a pair ``(make_optimizer, options)`` whose ``options`` (``clip_norm``, ...) apply to that
    optimizer's runs only, on top of the shared ``minimize_options``.
    """
    if not isinstance(optimizers, dict) or not optimizers:
        raise ValueError(f"optimizers must be a non-empty dict of label: make_optimizer; got {optimizers!r}")
    searches = {}
    for label, entry in optimizers.items():
        make, options = entry if isinstance(entry, tuple) else (entry, {})
        searches[label] = search_learning_rate(
            problem, make, learning_rates, x0, steps, label=label, **{**minimize_options, **options}
        )
    return searches


def stream_path(
    optimizer: Optimizer, grads, x0=None, *, project: Callable | None = None, keep_states: bool = True
) -> tuple[np.ndarray, list | None]:
    """Feed a given stream of gradients to ``optimizer``; return every point θ_0 … θ_steps.

    ``grads`` has shape (steps, dim): row k is the gradient at update k, whatever θ is (no
    objective is involved, which is how the chapters check the optimizer's algebra: EMA
    weights, step bounds, limits of the decay rate, online problems whose gradient does not
    depend on θ). θ starts at ``x0`` (zeros by default). ``project``, if given, is applied to
    θ after every update, θ ← project(θ): projected online learning on a constrained set.

    Returns ``(path, states)``: ``path`` of shape (steps + 1, dim) and ``states[k]`` the
    optimizer state after update k (None with ``keep_states=False``, which saves the memory
    of a long stream). Each update is the optimizer's own ``leaf_update`` with its
    ``learning_rate_at``, exactly as ``optimizer.update`` computes it; the inputs are checked
    once instead of at every step, and a step that would make θ or a buffer non-finite raises
    ``optimizer.update``'s FloatingPointError.
    """
    check_optimizer(optimizer)
    keep_states = check_flag("keep_states", keep_states)
    if project is not None and not callable(project):
        raise ValueError(f"project must be a function of θ or None; got {project!r}")
    grads = float_array("grads", grads, "an array of numbers of shape (steps, dim)")
    if grads.ndim != 2:
        raise ValueError(f"grads must have shape (steps, dim); got {grads.shape}")
    theta = np.zeros(grads.shape[1]) if x0 is None else float_array("x0", x0, "numbers")
    if theta.shape != grads.shape[1:]:
        raise ValueError(f"x0 must have shape ({grads.shape[1]},) like one row of grads; got {theta.shape}")
    bad_rows = np.flatnonzero(~np.isfinite(grads).all(axis=1))
    if bad_rows.size:
        raise FloatingPointError(f"grads[{bad_rows[0]}] has non-finite values (nan or inf) at step {bad_rows[0]}")
    if optimizer.leaf_optimizer is not None:
        raise ValueError("stream_path feeds a single leaf: give its options to the optimizer itself, not leaf_options")
    if optimizer.training is not None:
        raise ValueError(
            "stream_path does not implement use_ema or gradient_accumulation_steps; use optimizer.update "
            "(or rmsprop_ref.run.minimize), which does"
        )
    state = optimizer.init(theta)
    probe = grads[:1]
    if optimizer.prepare_gradients(probe) is not probe:  # clipping, maximize...: each step's row
        grads = np.stack([optimizer.prepare_gradients(row) for row in grads])
    steps, dim = grads.shape
    path = np.empty((steps + 1, dim))
    path[0] = theta
    # One coordinate runs on NumPy scalars: the same IEEE operations as on arrays of length
    # one (so the same numbers), several times faster, which matters for streams of 10⁶.
    scalar = dim == 1
    finite = math.isfinite if scalar else (lambda x: bool(np.isfinite(x).all()))
    rows = grads[:, 0] if scalar else grads
    theta = theta[0] if scalar else theta
    count = optimizer.leaf_slot_count()
    slots = [None if slot is None else (slot[0] if scalar else slot) for slot in state[1 : 1 + count]]
    names = ["params"] + [f"state.{name}" for name in optimizer.State._fields[1 : 1 + count]]
    states = [] if keep_states else None
    points = path[:, 0] if scalar else path  # a 1-D view is quicker to write one number into
    varying = optimizer.at_step(0) is not optimizer  # a hyper-parameter given as a function of the step
    leaf_update, rate_at = optimizer.leaf_update, optimizer.learning_rate_at
    for k in range(steps):
        if varying:
            step_optimizer = optimizer.at_step(k)
            leaf_update, rate_at = step_optimizer.leaf_update, step_optimizer.learning_rate_at
        theta, *slots = leaf_update(theta, rows[k], *slots, learning_rate=rate_at(k), step=k)
        if project is not None:
            theta = project(theta)
        if not (finite(theta) and all(slot is None or finite(slot) for slot in slots)):
            for name, value in zip(names, [theta, *slots]):
                if value is not None and not finite(value):
                    raise non_finite_step(k, name, path.dtype)
        points[k + 1] = theta
        if keep_states:
            states.append(
                optimizer.State(k + 1, *[None if v is None else np.array(v, float).reshape(dim) for v in slots])
            )
    return path, states


def stream_updates(optimizer: Optimizer, grads, x0=None) -> tuple[np.ndarray, list]:
    """Every update θ_{k+1} − θ_k (shape (steps, dim)) and every state of :func:`stream_path`."""
    path, states = stream_path(optimizer, grads, x0)
    return np.diff(path, axis=0), states


__all__ = [
    "NEVER",
    "diverging",
    "last_recorded",
    "first_below",
    "settled_below",
    "Trajectory",
    "minimize",
    "clip_by_norm",
    "LearningRateSearch",
    "search_learning_rate",
    "search_grid",
    "search_each",
    "effective_learning_rate",
    "steps_in_learning_rates",
    "stream_path",
    "stream_updates",
]
