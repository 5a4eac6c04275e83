"""The plumbing of the chapter "One RMSprop, four frameworks": runs, tables and reports.

The chapter shows each experiment's idea in a few lines; the loops over optimizers, the
tables it displays and the lines it prints are built here, so that they are tested:

- :func:`era_markdown`: the table of Keras's eras and whether each computes the article's formula;
- :func:`quadratic`, :func:`run_all`, :func:`drift`: one convention changed at a time, on a quadratic;
- :func:`first_steps`, :func:`cliff_report`: when the runs of the ρ example reach a level;
- :data:`RUNNERS`, :func:`live_gap`, :func:`agreement_markdown`: each preset against its framework;
- :func:`recipe_gap`, :func:`recipe_markdown`: a translation run on both frameworks;
- :func:`smooth`, :func:`effect_range`, :func:`effects_report`: the MNIST runs over seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from rmsprop_ref.book.frameworks import (
    KerasEra,
    relative_error,
    run_keras,
    run_optax,
    run_reference,
    run_tf1,
    run_torch,
)
from rmsprop_ref.book.plots import plain_number
from rmsprop_ref.book.tables import markdown_table
from rmsprop_ref.conventions import NAMES, Translation, spell
from rmsprop_ref.problems import Quadratic
from rmsprop_ref.rmsprop import RMSprop

# --------------------------------------------------------------------------- the eras


def era_markdown(eras: Sequence[KerasEra], matches: Sequence[bool]) -> str:
    """A Markdown table of the eras, with a last column "its formula?" from ``matches``, then
    the list of the sources each era was read from, with the line that updates the parameters."""
    if len(eras) != len(matches):
        raise ValueError(f"{len(eras)} eras but {len(matches)} matches")
    header = ["era", "years", "default ε", "the article's `lr=0.001`", "its formula?"]
    rows = [
        [
            f"{era.era} (`{era.preset}`)" if era.preset else era.era,
            era.years,
            era.epsilon,
            era.lr,
            "yes" if match else "no",
        ]
        for era, match in zip(eras, matches)
    ]
    sources = [f"- {era.era}: {era.source}: {era.step}" for era in eras]
    # a blank line between them, or Markdown reads the list as the table's last row
    return markdown_table(header, rows, left=len(header)) + "\n\n" + "\n".join(sources)


# --------------------------------------------------------------------------- one difference at a time


def quadratic(curvatures: Sequence[float]) -> tuple[Callable, Callable]:
    """f(θ) = ½ Σ hᵢ (θᵢ − 1)², a :class:`~rmsprop_ref.problems.Quadratic` centred at θ = 1.

    Returns its gradient and its value; the value is vectorised, so it takes a whole
    trajectory (steps × coordinates) and returns f at every step.
    """
    bowl = Quadratic(curvatures, center=np.ones(len(curvatures)))
    return bowl.grad, bowl.value


def run_all(optimizers: Mapping[str, Any], grad: Callable, theta0, steps: int) -> dict[str, np.ndarray]:
    """Each optimizer from the same ``theta0`` on the gradient function ``grad``, for ``steps``
    steps: ``{label: trajectory}``, each trajectory steps × coordinates (float64)."""
    theta0 = np.asarray(theta0, dtype=float)
    return {label: run_reference(optimizer, theta0, grad, steps=steps) for label, optimizer in optimizers.items()}


def drift(runs: Mapping[str, np.ndarray], reference: str) -> dict[str, np.ndarray]:
    """The distance ‖θᴬₜ − θᴮₜ‖ of every run from the ``reference`` run, step by step."""
    if reference not in runs:
        raise KeyError(f"no run labelled {reference!r}; the runs are {list(runs)}")
    return {
        label: np.linalg.norm(path - runs[reference], axis=-1) for label, path in runs.items() if label != reference
    }


def first_step_where(condition) -> int | None:
    """The first step where the boolean array ``condition`` holds, or None if it never does.

    Steps are counted from 1: ``condition[k]`` is about step k + 1 (the state after k + 1
    updates, as in a trajectory without its start). The book's one "first step where";
    :func:`rmsprop_ref.book.claims.steps_until_above` counts from 0 through it.
    """
    condition = np.asarray(condition, dtype=bool)
    return int(np.argmax(condition)) + 1 if condition.any() else None


def first_steps(runs: Mapping[str, np.ndarray], condition: Callable) -> dict[str, int | None]:
    """For each run, the first step where ``condition(θ₁ along the run)`` holds, or None."""
    return {label: first_step_where(condition(path[:, 0])) for label, path in runs.items()}


def cliff_report(crossed: Mapping[str, int | None], reached: Mapping[str, int | None], steps: int) -> str:
    """One line per run: the step it reached the foot of the cliff, and the step θ fell
    below 0.1 (or that it did not within ``steps``)."""
    width = max(len(label) for label in crossed)
    lines = []
    for label, foot in crossed.items():
        low = reached[label]
        below = f"step {low}" if low else f"not within {steps} steps"
        lines.append(f"{label:{width}s}  foot of the cliff: step {foot}; θ < 0.1: {below}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- live: presets against frameworks

#: Each framework of today's runner, by the name :data:`rmsprop_ref.conventions.FRAMEWORKS` uses.
RUNNERS = {"keras": run_keras, "torch": run_torch, "tf1": run_tf1, "optax": run_optax}


def live_gap(framework: str, theta0, grads: Callable, steps: int, **options: Any) -> float:
    """The relative error between the real framework and the twin of its preset.

    Both run ``steps`` steps from ``theta0`` on the gradient function ``grads``: the framework
    with ``options`` spelled its own way (:func:`rmsprop_ref.conventions.spell`), the twin as
    ``RMSprop.preset(framework, **options)``.
    """
    real = RUNNERS[framework](theta0, grads, steps=steps, **spell(framework, **options))
    twin = run_reference(RMSprop.preset(framework, **options), theta0, grads, steps=steps)
    return relative_error(twin, real)


def agreement_markdown(agreement: Mapping[tuple[str, str], float], steps: int) -> str:
    """A Markdown table of ``{(framework, settings): relative error}``."""
    header = ["framework", "settings", f"relative error, {steps} float32 steps"]
    rows = [[NAMES[fw], name, plain_number(gap, 2)] for (fw, name), gap in agreement.items()]
    return markdown_table(header, rows, left=2)


def recipe_gap(recipe: Translation, theta0, grads: Callable, steps: int) -> float:
    """How far a translation leaves the target from the source: the source framework run with
    the original settings, the target with the translated ones, same start and gradients."""
    before = RUNNERS[recipe.source](theta0, grads, steps=steps, **recipe.settings)
    after = RUNNERS[recipe.target](theta0, grads, steps=steps, **recipe.kwargs)
    return relative_error(after, before)


def recipe_markdown(recipes: Sequence[Translation], gaps: Sequence[float], steps: int) -> str:
    """A Markdown table: each recipe, whether it is exact, and its gap from :func:`recipe_gap`."""
    rows = []
    for recipe, gap in zip(recipes, gaps, strict=True):
        settings = dict(recipe.settings) or "(defaults)"
        name = f"{NAMES[recipe.source]} {settings} → {NAMES[recipe.target]}"
        rows.append([name, "yes" if recipe.exact else "no", plain_number(gap, 2)])
    return markdown_table(["recipe", "exact", f"relative gap, {steps} float32 steps"], rows, left=2)


# --------------------------------------------------------------------------- MNIST over seeds


def smooth(values, window: int = 10) -> np.ndarray:
    """The running mean of ``values`` over ``window`` consecutive entries (len - window + 1 of them).

    ``window`` must be between 1 and ``len(values)`` (ValueError otherwise: a longer window
    has no full stretch to average).
    """
    values = np.asarray(values, dtype=float)
    if not 1 <= window <= len(values):
        raise ValueError(f"window must be between 1 and len(values) = {len(values)}, got {window}")
    return np.convolve(values, np.ones(window) / window, mode="valid")


def effect_range(values) -> str:
    """The lowest and highest of ``values``, signed, to three decimals: "-0.012 to +0.034"."""
    values = np.asarray(values)
    return f"{values.min():+.3f} to {values.max():+.3f}"


def effects_report(effect: Mapping[str, np.ndarray], runs_per_seed, reference: str = "Keras") -> str:
    """The reference's test loss over the seeds, then each setting's effect on it (its test
    loss minus the reference's, same seed): mean and range, one aligned line each."""
    losses = [runs[reference].test_loss for runs in runs_per_seed]
    width = max(len(label) for label in effect)
    lines = [f"{reference}'s test loss over the seeds: {min(losses):.3f} to {max(losses):.3f}"]
    lines += [
        f"{label:{width}s}  minus {reference}: mean {values.mean():+.3f}, range {effect_range(values)}"
        for label, values in effect.items()
    ]
    return "\n".join(lines)
