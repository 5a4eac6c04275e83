"""rmsprop_ref.adapters.optax.rmsprop against the NumPy reference and against optax.rmsprop.

Every preset, with and without centering, momentum, Nesterov and each kind of weight decay,
takes the reference's float32 steps over the shared 60-step conformance problem (two leaves of
random gradients, conftest.conformance_problem), to the conformance rtol; with the "optax"
preset it matches optax.rmsprop itself; an Optax schedule matches the reference given the same
function; the state survives a save and a reload mid-run; and a jitted update takes the same
steps as an eager one.
"""

from __future__ import annotations

import io
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from adapter_cases import COMBINATIONS, CONVENTIONS, LEARNING_RATE, case_id, check_preset

from rmsprop_ref import RMSprop as Reference
from rmsprop_ref.adapters.optax import rmsprop
from rmsprop_ref.book.frameworks import relative_error, run_reference
from rmsprop_ref.rmsprop import PRESETS

# η_k = 0.01 · 0.95^k, k = 0 for the first update: the same function for the reference and Optax
SCHEDULE = optax.exponential_decay(0.01, transition_steps=1, decay_rate=0.95)


def label(options: dict) -> str:
    """The options as a case's name in the conformance summary, the schedule by its name."""
    return ", ".join(f"{k}={'SCHEDULE' if v is SCHEDULE else v}" for k, v in options.items()) or "defaults"


def run_adapter(make, params0, grads, *, reload_at=None, jit=False, rebuild_at=None):
    """Step ``make()``'s transformation through ``grads`` (update, then optax.apply_updates);
    return the float32 parameters after each step. ``rebuild_at``: (step, make2), go on from
    that step with ``make2()`` and the same state."""
    optimizer = make()
    params = [jnp.asarray(p) for p in params0]
    state = optimizer.init(params)
    compiled = jax.jit(optimizer.update) if jit else None  # compiled once: the first call traces it
    history = []
    for k, step_grads in enumerate(grads):
        if k == reload_at:  # save, rebuild from scratch, load: the run must go on unchanged
            saved = io.BytesIO()
            np.savez(saved, *[np.asarray(leaf) for leaf in jax.tree_util.tree_leaves((params, state))])
            saved.seek(0)
            loaded = np.load(saved)
            optimizer = make()
            fresh = [jnp.zeros_like(p) for p in params0]
            structure = jax.tree_util.tree_structure((fresh, optimizer.init(fresh)))
            params, state = jax.tree_util.tree_unflatten(
                structure, [jnp.asarray(loaded[f"arr_{i}"]) for i in range(len(loaded.files))]
            )
        if rebuild_at is not None and k == rebuild_at[0]:
            optimizer = rebuild_at[1]()
        update = compiled or optimizer.update
        updates, state = update([jnp.asarray(g) for g in step_grads], state, params)
        params = optax.apply_updates(params, updates)
        history.append([np.asarray(p) for p in params])
    return [np.stack([h[i] for h in history]) for i in range(len(params0))]


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("options", COMBINATIONS, ids=case_id)
def test_every_preset_and_combination_takes_the_references_steps(preset, options, conformance, conformance_problem):
    def run(settings):
        return run_adapter(lambda: rmsprop(preset=preset, **settings), *conformance_problem)

    check_preset("optax adapter", run, preset, options, conformance, conformance_problem, label)


# The reference's names of optax.rmsprop's keywords
OPTAX_NAMES = {
    "rho": "decay",
    "epsilon": "eps",
    "initial_accumulator": "initial_scale",
    "epsilon_in_sqrt": "eps_in_sqrt",
}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.9, "nesterov": True},
        {"centered": True},
        {"momentum": 0.9, "centered": True, "rho": 0.99},
        {"epsilon_in_sqrt": False, "epsilon": 1e-3, "initial_accumulator": 0.5},
        {"bias_correction": True, "centered": True, "momentum": 0.5},
        {"learning_rate": SCHEDULE, "momentum": 0.9, "nesterov": True},
    ],
    ids=lambda o: ",".join(o) or "defaults",
)
def test_the_optax_preset_is_optax_rmsprop(options, conformance, conformance_problem):
    params0, grads = conformance_problem
    options = {"learning_rate": LEARNING_RATE, **options}
    theirs = {OPTAX_NAMES.get(name, name): value for name, value in options.items()}
    expected = run_adapter(lambda: optax.rmsprop(**theirs), params0, grads)
    actual = run_adapter(lambda: rmsprop(preset="optax", **options), params0, grads)
    conformance.check("optax adapter", f"optax.rmsprop {label(theirs)}", actual, expected)


@pytest.mark.parametrize("lr_in_momentum", [True, False])
@pytest.mark.parametrize("decay", [{}, {"weight_decay": 0.05}], ids=["no decay", "decoupled decay"])
def test_an_optax_schedule_is_the_references_schedule(lr_in_momentum, decay, conformance, conformance_problem):
    params0, grads = conformance_problem
    settings = dict(learning_rate=SCHEDULE, momentum=0.9, lr_in_momentum=lr_in_momentum, **decay)
    expected = run_reference(Reference.preset("keras", **settings), params0, grads)
    actual = run_adapter(lambda: rmsprop(preset="keras", **settings), params0, grads)
    conformance.check("optax adapter", f"keras, {label(settings)}", actual, expected)


def test_the_state_survives_a_save_and_a_reload(conformance_problem):
    params0, grads = conformance_problem

    def make():  # a state with every piece: both moments, a buffer, three step counts
        return rmsprop(
            preset="tf1", learning_rate=SCHEDULE, momentum=0.9, centered=True, bias_correction=True, weight_decay=0.01
        )

    straight = run_adapter(make, params0, grads)
    reloaded = run_adapter(make, params0, grads, reload_at=30)
    for a, b in zip(straight, reloaded):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["rho", "momentum", "epsilon", "weight_decay"])
def test_a_value_changed_mid_run_by_rebuilding_is_the_references_function(name, conformance, conformance_problem):
    """What the refusal of a hyper-parameter given as a function advises: build the optimizer
    again with the new value and go on with the same state."""
    params0, grads = conformance_problem
    before, after = {"rho": (0.9, 0.99), "momentum": (0.9, 0.5), "epsilon": (1e-7, 0.1), "weight_decay": (0.01, 0.1)}[
        name
    ]
    base = dict(learning_rate=0.01, momentum=0.5, weight_decay=0.01)
    expected = run_reference(
        Reference.preset("keras", **{**base, name: lambda step: before if step < 30 else after}), params0, grads
    )
    actual = run_adapter(
        lambda: rmsprop(preset="keras", **{**base, name: before}),
        params0,
        grads,
        rebuild_at=(30, lambda: rmsprop(preset="keras", **{**base, name: after})),
    )
    conformance.check("optax adapter", f"keras, {name} {before} then {after}, rebuilt", actual, expected)


@pytest.mark.parametrize(
    ("preset", "options"),
    [
        ("keras", {"momentum": 0.9, "weight_decay": 0.01}),
        ("torch", {"momentum": 0.9, "nesterov": True, "centered": True, "weight_decay": 0.01}),
        ("tf1", {"learning_rate": SCHEDULE, "momentum": 0.9, "weight_decay": 0.01, "bias_correction": True}),
        ("hinton2012", {"learning_rate": 0.01, "centered": True, "maximize": True}),
    ],
    ids=lambda o: o if isinstance(o, str) else None,
)
def test_a_jitted_update_takes_the_same_steps(preset, options, conformance, conformance_problem):
    params0, grads = conformance_problem
    eager = run_adapter(lambda: rmsprop(preset=preset, **options), params0, grads)
    jitted = run_adapter(lambda: rmsprop(preset=preset, **options), params0, grads, jit=True)
    expected = run_reference(Reference.preset(preset, **options), params0, grads)
    case = f"{preset} {label(options)}"
    conformance.check("optax adapter", f"jitted, {case}", jitted, expected)
    conformance.check("optax adapter", f"jitted vs eager, {case}", jitted, eager)


@pytest.mark.parametrize(
    "options",
    # not centered with bias_correction: after one step its variance, g² − g², is 0 but for rounding
    [{}, {"momentum": 0.9}, {"centered": True}, {"bias_correction": True}, {"epsilon_in_sqrt": False, "momentum": 0.5}],
    ids=lambda o: ",".join(o) or "plain",
)
def test_with_epsilon_zero_a_coordinate_without_gradient_does_not_move(options, conformance, conformance_problem):
    """Hinton's ε = 0: a coordinate whose gradients are all 0 has a zero denominator. The
    reference leaves it where it is; Optax's own transformation would make it nan."""
    params0, grads = conformance_problem
    grads = [[g.copy() for g in step] for step in grads]
    for step in grads:
        step[0][0, :] = 0.0  # the first row of the first leaf never has a gradient
    settings = dict(learning_rate=0.01, **options)
    expected = run_reference(Reference.preset("hinton2012", **settings), params0, grads)
    actual = run_adapter(lambda: rmsprop(preset="hinton2012", **settings), params0, grads)
    conformance.check("optax adapter", f"hinton2012, a row without gradient, {options}", actual, expected)
    assert np.all(actual[0][:, 0, :] == params0[0][0, :])
    plain = run_adapter(
        lambda: optax.rmsprop(0.01, eps=0.0, centered=settings.get("centered", False)), params0, grads[:1]
    )
    assert np.isnan(plain[0][0, 0, :]).all(), "optax.rmsprop with eps=0 no longer makes nan: the adapter's mask may go"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "tf1"}, "needs learning_rate="),
        ({"preset": "nope"}, "nope"),
        ({"lr": 0.1}, "lr"),
        ({"rho": 1.5}, "rho"),
        ({"loss_scale_factor": 128.0}, "loss_scale_factor=128.0 is not supported by the optax adapter"),
        ({"clipnorm": 1.0}, "clipnorm=1.0 is not supported by the optax adapter"),
        ({"global_clipnorm": 1.0}, "global_clipnorm=1.0 is not supported by the optax adapter: chain optax.clip_by"),
        ({"clipvalue": 1.0}, "clipvalue=1.0 is not supported by the optax adapter: chain optax.clip before"),
        ({"use_ema": True}, "use_ema=True is not supported by the optax adapter"),
        ({"gradient_accumulation_steps": 4}, "gradient_accumulation_steps=4 is not supported by the optax adapter"),
        ({"leaf_options": lambda path: {}}, "is not supported by the optax adapter: give each set of parameters"),
        ({"rho": lambda step: 0.9}, "rho given as a function is not supported"),
        ({"momentum": lambda step: 0.9}, "momentum given as a function is not supported"),
        ({"epsilon": lambda: 1e-7}, "epsilon given as a function is not supported"),
        ({"weight_decay": lambda step: 0.01}, "weight_decay given as a function is not supported"),
        ({"learning_rate": lambda: 0.1}, "learning_rate schedule must take one argument"),
    ],
    ids=lambda o: ",".join(o) if isinstance(o, dict) else None,
)
def test_options_it_cannot_honour_are_refused_with_a_reason(options, message):
    with pytest.raises((ValueError, TypeError), match=re.escape(message)) as error:
        rmsprop(**options)
    assert all(name in str(error.value) for name in options if name != "preset"), "the message names the option"


@pytest.mark.parametrize("mode", ["coupled", "decoupled"])
def test_weight_decay_needs_the_parameters(mode):
    optimizer = rmsprop(preset="keras", weight_decay=0.01, weight_decay_mode=mode)
    params = [jnp.ones(3)]
    with pytest.raises(ValueError):
        optimizer.update(params, optimizer.init(params))


def test_importing_the_adapters_package_imports_no_framework():
    import subprocess
    import sys

    code = "import sys, rmsprop_ref, rmsprop_ref.adapters; print(sorted({'jax', 'optax'} & set(sys.modules)))"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )


@pytest.mark.parametrize(
    "option",
    CONVENTIONS,
    ids=lambda o: next(iter(o)),
)
def test_each_convention_is_followed_and_told_apart(option, conformance, conformance_problem):
    """Settings at which each convention changes the path by far more than the tolerance (ε = 0.1,
    a decaying η, weight decay): the adapter follows the reference for both values."""
    (name, values), params0, grads = *option.items(), *conformance_problem
    base = dict(learning_rate=SCHEDULE, epsilon=0.1, momentum=0.5, weight_decay=0.05)
    paths = []
    for value in values:
        settings = {**base, name: value}
        expected = run_reference(Reference.preset("keras", **settings), params0, grads)
        actual = run_adapter(lambda settings=settings: rmsprop(preset="keras", **settings), params0, grads)
        conformance.check("optax adapter", f"keras, {name}={value}", actual, expected)
        paths.append(expected)
    assert relative_error(*paths) > 10 * conformance.rtol, f"{name} does not change the path here"
