"""rmsprop_ref.conventions: the table, reference_settings and translate, checked against the
real frameworks (Keras 3, PyTorch, Optax, TF1), each driven by rmsprop_ref.book.frameworks."""

import inspect
import math

import numpy as np
import pytest

from rmsprop_ref import RMSprop, conventions
from rmsprop_ref.book import frameworks
from rmsprop_ref.conventions import (
    FRAMEWORKS,
    SPELLINGS,
    conventions_markdown,
    conventions_table,
    reference_settings,
    translate,
)

RUN = {
    "keras": frameworks.run_keras,
    "torch": frameworks.run_torch,
    "optax": frameworks.run_optax,
    "tf1": frameworks.run_tf1,
}
STEPS = 50
# A float32 quadratic whose curvatures span five decades, so ε, v₀ and ρ all matter somewhere.
CURVATURE = np.array([1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0], np.float32)
THETA0 = np.array([1.0, -2.0, 0.5, 3.0, -1.0, 0.2], np.float32)
# Float32 agreement over 50 steps; measured differences between exact translations are ≤ 4e-7.
RTOL, ATOL = 1e-5, 1e-6
# "Really differ": a hundred times the agreement tolerance.
CLEARLY_DIFFERENT = 100 * ATOL


def quadratic_grads(theta):
    return CURVATURE * (theta - np.float32(0.3))


def run(framework, kwargs, grads=quadratic_grads, theta0=THETA0, steps=STEPS):
    return RUN[framework](theta0, grads, steps=steps, **dict(kwargs))


def constructor(framework):
    if framework == "keras":
        import keras

        return keras.optimizers.RMSprop.__init__
    if framework == "torch":
        import torch

        return torch.optim.RMSprop.__init__
    if framework == "tf1":
        import tensorflow as tf

        return tf.compat.v1.train.RMSPropOptimizer.__init__
    import optax

    return optax.rmsprop


# --------------------------------------------------------------------------- spellings and table


@pytest.mark.conformance
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_spelling_and_defaults_match_the_real_constructor(framework):
    parameters = inspect.signature(constructor(framework)).parameters
    needs_rate = parameters[[k for k in SPELLINGS[framework] if SPELLINGS[framework][k] == "learning_rate"][0]]
    given = {} if needs_rate.default is not inspect.Parameter.empty else {needs_rate.name: 0.5}
    if not given:
        settings = reference_settings({}, framework)
    else:
        with pytest.raises(ValueError, match="learning_rate"):
            reference_settings({}, framework)
        settings = reference_settings(given, framework)
    for keyword, option in SPELLINGS[framework].items():
        assert keyword in parameters, f"{framework} has no keyword {keyword!r}"
        default = parameters[keyword].default
        if keyword in given:
            continue
        expected = default
        if default is None and option in ("weight_decay", "momentum"):
            expected = 0.0  # Keras weight_decay=None, Optax momentum=None: rmsprop_ref's 0
        assert settings[option] == expected, (framework, keyword, settings[option], default)


def test_table_has_one_row_per_preset_with_the_known_conventions():
    rows = {row["preset"]: row for row in conventions_table()}
    assert set(rows) == {"keras", "torch", "tf1", "optax", "graves2013", "hinton2012"} | {
        "keras2.0",
        "keras2.3",
        "tf_keras_legacy",
        "lua_torch",
    }
    assert rows["keras2.0"]["ε placement"] == "outside √" and rows["keras2.0"]["ε"] == "1e-08"
    assert rows["tf_keras_legacy"]["ε placement"] == "outside √, inside with momentum"
    assert rows["lua_torch"]["v starts at"] == "0 (option)" and rows["lua_torch"]["weight decay"] == "coupled L2"
    assert rows["keras2.3"]["keywords"] == "learning_rate, lr, rho, epsilon, decay, clipnorm, clipvalue"
    assert (rows["keras"]["ε placement"], rows["torch"]["ε placement"]) == ("inside √", "outside √")
    assert rows["tf1"]["v starts at"] == "1" and rows["keras"]["v starts at"] == "0"
    assert (rows["keras"]["ρ"], rows["torch"]["ρ"]) == ("0.9", "0.99")
    assert rows["torch"]["η in momentum buffer"] == "outside" and rows["keras"]["η in momentum buffer"] == "inside"
    assert (rows["torch"]["weight decay"], rows["keras"]["weight decay"], rows["tf1"]["weight decay"]) == (
        "coupled L2",
        "decoupled",
        "none",
    )
    assert rows["optax"]["Nesterov"] == "option" and rows["keras"]["Nesterov"] == "no"
    assert rows["tf1"]["η"] == "required" and rows["hinton2012"]["ε placement"] == "none"
    assert rows["graves2013"]["centered"] == "yes"


def test_table_follows_the_presets(monkeypatch):
    torch_preset = dict(conventions.PRESETS["torch"], settings=dict(conventions.PRESETS["torch"]["settings"], rho=0.95))
    monkeypatch.setitem(conventions.PRESETS, "torch", torch_preset)
    row = {r["preset"]: r for r in conventions_table()}["torch"]
    assert row["ρ"] == "0.95"


def test_markdown_table_shape_and_bad_column():
    text = conventions_markdown(("preset", "ρ"))
    lines = text.splitlines()
    assert lines[0] == "| preset | ρ |" and len(lines) == 2 + len(conventions.PRESETS)
    with pytest.raises(ValueError, match="unknown column"):
        conventions_markdown(("preset", "rho"))


# --------------------------------------------------------------------------- bad input


def test_unknown_framework_is_a_value_error_listing_the_accepted():
    with pytest.raises(
        ValueError,
        match=r"source must be one of 'keras', 'torch', 'tf1', 'optax', 'keras2.0', 'keras2.3', 'tf_keras_legacy', "
        r"'lua_torch'; got 'pytorch'",
    ):
        translate({}, "pytorch", "keras")
    with pytest.raises(ValueError, match=r"target must be one of .*got 'jax'"):
        translate({}, "keras", "jax")


def test_unknown_keyword_names_it_and_the_source_spelling():
    with pytest.raises(ValueError, match=r"'learning_rate'.*spelled 'lr' in PyTorch.*accepted: lr, alpha, eps"):
        translate({"learning_rate": 0.1}, "torch", "keras")
    with pytest.raises(ValueError, match=r"'alpha'.*spelled 'rho' in Keras"):
        translate({"alpha": 0.9}, "keras", "torch")
    with pytest.raises(ValueError, match=r"'amsgrad'.*accepted: learning_rate, rho"):
        translate({"amsgrad": True}, "keras", "torch")
    with pytest.raises(ValueError, match=r"rho must be .*PyTorch's 'alpha'"):
        translate({"alpha": 1.5}, "torch", "keras")
    with pytest.raises(ValueError, match="settings must be a mapping"):
        translate([("lr", 0.1)], "torch", "keras")


def test_translation_is_frozen():
    result = translate({}, "keras", "optax")
    with pytest.raises(AttributeError):
        result.exact = False
    with pytest.raises(TypeError):
        result.kwargs["learning_rate"] = 1.0


# --------------------------------------------------------------------------- reference_settings


@pytest.mark.conformance
@pytest.mark.parametrize(
    "framework, settings",
    [
        ("keras", {}),
        ("keras", dict(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True, weight_decay=0.1)),
        ("torch", {}),
        ("torch", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
        ("tf1", dict(learning_rate=0.01)),
        ("tf1", dict(learning_rate=0.01, decay=0.8, momentum=0.5, centered=True)),
        ("optax", dict(learning_rate=0.01)),
        (
            "optax",
            dict(
                learning_rate=0.01,
                eps_in_sqrt=False,
                initial_scale=0.5,
                momentum=0.5,
                nesterov=True,
                bias_correction=True,
            ),
        ),
    ],
)
def test_reference_settings_make_the_numpy_twin_of_the_framework(framework, settings):
    twin = RMSprop(**reference_settings(settings, framework))
    expected = run(framework, settings)
    got = frameworks.run_reference(twin, THETA0, quadratic_grads, steps=STEPS)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


# --------------------------------------------------------------------------- exact translations

EXACT = [
    ("torch", dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.9, centered=True), "optax"),
    ("optax", dict(learning_rate=0.02, decay=0.95, eps=1e-6, eps_in_sqrt=False, momentum=0.5), "torch"),
    ("tf1", dict(learning_rate=0.01, decay=0.9, momentum=0.5, centered=True), "optax"),
    ("tf1", dict(learning_rate=0.01), "optax"),
    ("optax", dict(learning_rate=0.01, initial_scale=1.0, eps=1e-10), "tf1"),
    ("keras", dict(learning_rate=0.01, rho=0.9, momentum=0.9, centered=True), "optax"),
    ("keras", {}, "optax"),
    ("optax", dict(learning_rate=0.01), "keras"),
    ("torch", dict(lr=0.01, eps=0.0, momentum=0.9), "keras"),
    ("keras", dict(learning_rate=0.01, epsilon=0.0, momentum=0.5), "torch"),
    ("keras", dict(learning_rate=0.01, weight_decay=0.1, momentum=0.5), "keras"),
    ("torch", dict(lr=0.01, weight_decay=0.1, momentum=0.5), "torch"),
]


@pytest.mark.conformance
@pytest.mark.parametrize("source, settings, target", EXACT)
def test_exact_translation_reproduces_the_trajectory_in_the_real_frameworks(source, settings, target):
    result = translate(settings, source, target)
    assert result.exact and result.differences == ()
    np.testing.assert_allclose(run(target, result.kwargs), run(source, settings), rtol=RTOL, atol=ATOL)


def test_tf1_to_optax_is_exact_through_initial_scale():
    result = translate({"learning_rate": 0.01}, "tf1", "optax")
    assert result.kwargs["initial_scale"] == 1.0 and result.kwargs["eps"] == 1e-10


def test_defaults_are_stated_explicitly():
    # PyTorch's ρ default 0.99 must reach Keras as rho=0.99, not fall back to Keras's 0.9.
    result = translate({}, "torch", "keras")
    assert result.kwargs["rho"] == 0.99 and result.kwargs["learning_rate"] == 0.01


@pytest.mark.parametrize("source", FRAMEWORKS)
@pytest.mark.parametrize("target", FRAMEWORKS)
def test_exact_flag_agrees_with_the_numpy_twins(source, target):
    # Independent of the wording: the translation is exact iff the two NumPy twins compute the same.
    settings = {"tf1": {"learning_rate": 0.01}, "optax": {"learning_rate": 0.01}}.get(source, {})
    result = translate(settings, source, target)
    twin_source = RMSprop(**reference_settings(settings, source))
    twin_target = RMSprop(**reference_settings(result.kwargs, target))
    same = np.allclose(
        frameworks.run_reference(twin_source, THETA0.astype(np.float64), quadratic_grads, steps=STEPS),
        frameworks.run_reference(twin_target, THETA0.astype(np.float64), quadratic_grads, steps=STEPS),
        rtol=1e-12,
        atol=0,
    )
    assert result.exact == same, (source, target, result.differences)


# --------------------------------------------------------------------------- inexact translations

INEXACT = [
    # (source, settings, target, a phrase the difference must contain)
    ("torch", dict(lr=0.01, eps=0.1), "keras", "outside the square root"),
    ("keras", dict(learning_rate=0.01, epsilon=0.01), "torch", "inside the square root"),
    ("tf1", dict(learning_rate=0.01), "keras", "v starts at 1 in TF1 but at 0 in Keras"),
    ("keras", dict(learning_rate=0.01), "tf1", "v starts at 0 in Keras but at 1 in TF1"),
    ("tf1", dict(learning_rate=0.01, epsilon=1e-8), "torch", "v starts at 1"),
    ("torch", dict(lr=0.01, eps=0.0, weight_decay=0.5), "keras", "coupled L2"),
    ("keras", dict(learning_rate=0.01, weight_decay=0.5), "torch", "decoupled"),
    ("keras", dict(learning_rate=0.01, weight_decay=0.5), "optax", "has no weight decay"),
    ("optax", dict(learning_rate=0.01, momentum=0.9, nesterov=True), "keras", "Nesterov"),
    ("optax", dict(learning_rate=0.01, bias_correction=True, eps_in_sqrt=False), "torch", "bias correction"),
    ("torch", dict(lr=lambda step: 0.01 * 0.9**step, eps=0.0, momentum=0.9), "keras", "under this schedule"),
]


@pytest.mark.conformance
@pytest.mark.parametrize("source, settings, target, phrase", INEXACT)
def test_inexact_translation_is_flagged_and_really_differs(source, settings, target, phrase):
    result = translate(settings, source, target)
    assert not result.exact
    assert any(phrase in text for text in result.differences), result.differences
    gap = np.abs(run(target, result.kwargs) - run(source, settings)).max()
    assert gap > CLEARLY_DIFFERENT, gap


def test_schedule_turns_the_momentum_note_into_a_difference():
    constant = translate(dict(lr=0.01, eps=0.0, momentum=0.9), "torch", "keras")
    assert constant.exact and any("schedule" in note for note in constant.notes)


@pytest.mark.conformance
def test_epsilon_squared_keeps_the_first_step_within_a_factor_sqrt2():
    # ε outside (PyTorch) vs ε' = ε² inside (Keras): first step η·|g|/(√(1−ρ)|g| + ε) vs
    # η·|g|/√((1−ρ)g² + ε²); the ratio lies in [1, √2] and nears √2 where √(1−ρ)|g| = ε.
    eps, rho = 1e-3, 0.99
    g = np.logspace(-7, 1, 161).astype(np.float32)
    result = translate(dict(lr=0.01, alpha=rho, eps=eps), "torch", "keras")
    assert result.kwargs["epsilon"] == pytest.approx(eps**2)
    x0 = np.zeros_like(g)
    torch_step = np.abs(run("torch", dict(lr=0.01, alpha=rho, eps=eps), [g], theta0=x0, steps=1)[0])
    keras_step = np.abs(run("keras", result.kwargs, [g], theta0=x0, steps=1)[0])
    ratio = keras_step / torch_step
    assert ratio.min() > 1 - 1e-5 and ratio.max() < math.sqrt(2) * (1 + 1e-5)
    assert ratio.max() > 1.4


@pytest.mark.conformance
def test_coupled_weight_decay_recipe_reproduces_pytorch():
    # The text's recipe: leave weight_decay out and add wd·θ to the gradient (the loss (wd/2)·Σθ²).
    wd = 0.5
    settings = dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=wd)
    result = translate(settings, "torch", "optax")
    assert not result.exact and "add_decayed_weights(0.5)" in result.differences[0]
    with_loss_term = run("optax", result.kwargs, grads=lambda theta: quadratic_grads(theta) + np.float32(wd) * theta)
    np.testing.assert_allclose(with_loss_term, run("torch", settings), rtol=RTOL, atol=ATOL)


@pytest.mark.conformance
def test_decoupled_weight_decay_recipe_reproduces_keras_decay_in_pytorch():
    # The text's recipe for Keras's weight decay in PyTorch: leave weight_decay out and
    # multiply the parameters by (1 − η·wd) before each update, the gradient still taken at
    # the pre-decay parameters. Only the weight decay is under test here, so ε is placed the
    # PyTorch way on both sides: the reference is RMSprop.preset("torch") with decoupled decay
    # (whose decoupled mode the conformance tests check against Keras itself).
    import torch

    lr, wd = 0.01, 0.5
    result = translate(dict(learning_rate=lr, rho=0.9, epsilon=1e-7, weight_decay=wd), "keras", "torch")
    assert not result.exact and "(1 − η·wd) = 0.995" in result.differences[-1]
    assert "weight_decay" not in result.kwargs

    theta = torch.nn.Parameter(torch.from_numpy(THETA0.copy()))
    optimizer = torch.optim.RMSprop([theta], **result.kwargs)
    torch_path = []
    for _ in range(STEPS):
        theta.grad = torch.from_numpy(quadratic_grads(theta.detach().numpy().copy()))
        with torch.no_grad():
            theta.mul_(1 - lr * wd)  # the recipe
        optimizer.step()
        torch_path.append(theta.detach().numpy().copy())

    reference = RMSprop.preset(
        "torch", learning_rate=lr, rho=0.9, epsilon=result.kwargs["eps"], weight_decay=wd, weight_decay_mode="decoupled"
    )
    expected = frameworks.run_reference(reference, THETA0, quadratic_grads, steps=STEPS)
    np.testing.assert_allclose(np.array(torch_path), expected, rtol=RTOL, atol=ATOL)
    # And the recipe matters: without it PyTorch follows a different path.
    assert np.max(np.abs(run("torch", result.kwargs) - expected)) > CLEARLY_DIFFERENT


# --------------------------------------------------------------------------- spell, markdown, MLP runs


def test_spell_uses_the_framework_keywords():
    assert conventions.spell("torch", learning_rate=0.1, rho=0.9) == {"lr": 0.1, "alpha": 0.9}
    assert conventions.spell("optax", momentum=0.0) == {"momentum": None}
    with pytest.raises(ValueError, match="TF1 has no keyword for 'nesterov'"):
        conventions.spell("tf1", nesterov=True)


def test_markdown_recipe_states_both_calls_and_the_differences():
    text = translate({"learning_rate": 0.001}, "tf1", "keras").markdown()
    assert "**TF1 → Keras** (not exact)" in text
    assert "`tf.compat.v1.train.RMSPropOptimizer(learning_rate=0.001)`" in text
    assert "keras.optimizers.RMSprop(\n    learning_rate=0.001,\n    rho=0.9,\n    epsilon=1e-10,\n" in text
    assert translate({}, "keras", "optax").call().startswith("optax.rmsprop(learning_rate=0.001, decay=0.9, eps=1e-07")
    assert "- v starts at 1 in TF1" in text


def test_mlp_runs_share_batches_and_match_a_hand_loop():
    from rmsprop_ref import mlp

    rng = np.random.default_rng(3)
    images, labels = rng.random((64, 12)).astype(np.float32), rng.integers(0, 4, 64)
    params0 = mlp.init_params(0, sizes=(12, 8, 4))
    optimizers = {"a": RMSprop(0.01), "b": RMSprop(0.001, rho=0.99)}
    runs = frameworks.train_mlp_for_steps(
        optimizers, params0, images, labels, (images, labels), steps=5, batch_size=8, seed=1
    )
    assert runs["a"].batch_loss[0] == runs["b"].batch_loss[0]  # same start, same first batch
    batches = mlp.batch_slices(64, 8, np.random.default_rng(1))[:5]
    params, state = params0, optimizers["b"].init(params0)
    for index in batches:
        loss, grads, _ = mlp.loss_and_grads(params, images[index], labels[index])
        params, state = optimizers["b"].update(params, grads, state)
    assert loss == runs["b"].batch_loss[-1]
    assert (runs["b"].test_loss, runs["b"].test_accuracy) == mlp.evaluate(params, images, labels)
    with pytest.raises(ValueError, match="exceeds"):
        frameworks.train_mlp_for_steps(
            optimizers, params0, images, labels, (images, labels), steps=9, batch_size=8, seed=1
        )


@pytest.mark.conformance
@pytest.mark.parametrize("framework", [*FRAMEWORKS, "tf_keras_legacy"])
def test_arguments_table_lists_every_keyword_of_the_real_constructor(framework):
    # Every named parameter of the installed framework's RMSprop (self and **kwargs aside) is a
    # row with the framework's own default; rows beyond the signature are **kwargs the
    # framework reads (legacy tf.keras's lr, decay and clipping).
    from rmsprop_ref.conventions import NAMES, arguments_table

    if framework == "tf_keras_legacy":
        import tf_keras

        signature = inspect.signature(tf_keras.optimizers.legacy.RMSprop.__init__)
        read_from_kwargs = {"lr", "decay", "clipnorm", "global_clipnorm", "clipvalue"}
    else:
        signature = inspect.signature(constructor(framework))
        read_from_kwargs = set()
    parameters = {
        name: p
        for name, p in signature.parameters.items()
        if name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    rows = {row["keyword"]: row for row in arguments_table() if row["source"] == NAMES[framework]}
    assert set(rows) == set(parameters) | read_from_kwargs
    for name, parameter in parameters.items():
        default = parameter.default
        expected = (
            "required"
            if default is inspect.Parameter.empty
            else (f"{default:.6g}" if isinstance(default, float) else repr(default))
        )
        if isinstance(default, int) and not isinstance(default, bool):
            expected = f"{float(default):.6g}"  # PyTorch's weight_decay=0, momentum=0
        assert rows[name]["default"] == expected, (framework, name)


def test_arguments_html_marks_where_names_may_break_and_keeps_them_whole():
    import re

    from rmsprop_ref.conventions import arguments_html, arguments_table

    text = arguments_html()
    assert text.count("<tr>") == len(arguments_table()) + 1
    assert "<code>gradient_<wbr>accumulation_<wbr>steps</code>" in text
    # without the break marks, every keyword reads as it is spelled
    plain = re.sub("<wbr>", "", text)
    assert all(f"<code>{row['keyword']}</code>" in plain for row in arguments_table())
