"""rmsprop_ref.adapters.keras.RMSprop against the NumPy reference and against keras.optimizers.RMSprop.

Every preset, with and without centering, momentum, Nesterov and each kind of weight decay,
takes the reference's float32 steps over the shared 60-step conformance problem
(conftest.conformance_problem), to the conformance rtol; with the "keras" preset it matches
keras.optimizers.RMSprop itself; a Keras LearningRateSchedule matches the reference's
schedule; what Keras's base class does (clipping, accumulation) matches the reference's
options of the same names; and a model saved mid-run with the optimizer loads and goes on
exactly as if it had not been saved.
"""

from __future__ import annotations

import keras  # a missing Keras is an error, not a skip
import numpy as np
import pytest
from adapter_cases import COMBINATIONS, CONVENTIONS, case_id, check_preset

from rmsprop_ref import RMSprop as Reference
from rmsprop_ref.adapters.keras import RMSprop
from rmsprop_ref.book.frameworks import relative_error, run_keras, run_reference
from rmsprop_ref.rmsprop import PRESETS


def run_adapter(optimizer, params0, grads):
    """``optimizer.apply`` once per step on keras.Variables; the float32 parameters after each."""
    variables = [keras.Variable(p, dtype="float32") for p in params0]
    history = []
    for step_grads in grads:
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in step_grads], variables)
        history.append([np.array(v.numpy()) for v in variables])
    return [np.stack([h[i] for h in history]) for i in range(len(params0))]


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("options", COMBINATIONS, ids=case_id)
def test_every_preset_and_combination_takes_the_references_steps(preset, options, conformance, conformance_problem):
    def run(settings):
        return run_adapter(RMSprop(preset, **settings), *conformance_problem)

    check_preset("keras adapter", run, preset, options, conformance, conformance_problem)


@pytest.mark.parametrize(
    "options",
    [{}, {"momentum": 0.9}, {"centered": True}, {"weight_decay": 0.01}, {"momentum": 0.9, "centered": True}],
    ids=lambda o: ",".join(o) or "defaults",
)
def test_the_keras_preset_is_keras_optimizers_rmsprop(options, conformance, conformance_problem):
    params0, grads = conformance_problem
    expected = run_keras(params0, grads, **options)
    actual = run_adapter(RMSprop("keras", **options), params0, grads)
    conformance.check("keras adapter", f"keras.optimizers.RMSprop {options}", actual, expected)


@pytest.mark.parametrize("lr_in_momentum", [True, False])
def test_a_keras_schedule_is_the_references_schedule(lr_in_momentum, conformance, conformance_problem):
    params0, grads = conformance_problem
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5)
    settings = dict(momentum=0.9, lr_in_momentum=lr_in_momentum)
    expected = run_reference(
        Reference.preset("torch", learning_rate=lambda k: 0.05 * 0.5 ** (k / 10), **settings), params0, grads
    )
    actual = run_adapter(RMSprop("torch", learning_rate=schedule, **settings), params0, grads)
    conformance.check("keras adapter", f"torch, ExponentialDecay, {settings}", actual, expected)


@pytest.mark.parametrize(
    "option",
    [{"clipnorm": 0.5}, {"global_clipnorm": 1.0}, {"clipvalue": 0.3}, {"gradient_accumulation_steps": 3}],
    ids=lambda o: next(iter(o)),
)
def test_keras_base_options_are_the_references(option, conformance, conformance_problem):
    """Clipping and accumulation are done by Keras's base class, as the reference's options describe."""
    params0, grads = conformance_problem
    expected = run_reference(Reference.preset("torch", momentum=0.5, **option), params0, grads)
    actual = run_adapter(RMSprop("torch", momentum=0.5, **option), params0, grads)
    conformance.check("keras adapter", f"torch, momentum, {option}", actual, expected)
    plain = run_reference(Reference.preset("torch", momentum=0.5), params0, grads)
    assert relative_error(actual, plain) > 10 * conformance.rtol, f"{option} does not change the path here"


def _model(seed: int):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(1)])


def test_a_model_saved_mid_run_loads_and_goes_on_unchanged(tmp_path):
    rng = np.random.default_rng(3)
    batches = [
        (rng.normal(size=(8, 6)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")) for _ in range(20)
    ]

    def compiled(model):
        model.compile(optimizer=RMSprop("tf1", learning_rate=0.01, momentum=0.9, centered=True), loss="mse")
        return model

    straight = compiled(_model(0))
    for x, y in batches:
        straight.train_on_batch(x, y)

    resumed = compiled(_model(0))
    for x, y in batches[:10]:
        resumed.train_on_batch(x, y)
    resumed.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(loaded.optimizer, RMSprop) and loaded.optimizer.get_config() == resumed.optimizer.get_config()
    for x, y in batches[10:]:
        loaded.train_on_batch(x, y)
    for a, b in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.optimizer.iterations) == 20


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "tf1"}, "needs learning_rate="),
        ({"preset": "nope"}, "nope"),
        ({"lr": 0.1}, "lr"),
        ({"leaf_options": lambda name: {}}, "leaf_options=.* is not supported by the Keras adapter"),
        ({"clipvalue": 0.1, "clipnorm": 1.0}, "Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"),
        ({"rho": lambda step: 0.9}, "rho given as a function is not supported"),
        ({"learning_rate": lambda step: 0.1}, "LearningRateSchedule"),
        ({"rho": 1.5}, "rho"),
    ],
)
def test_options_it_cannot_honour_are_refused_with_a_reason(options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        RMSprop(**options)


@pytest.mark.parametrize(
    "option",
    CONVENTIONS + [{"epsilon": (0.1, 0.0)}],
    ids=lambda o: next(iter(o)),
)
def test_each_convention_is_followed_and_told_apart(option, conformance, conformance_problem):
    """Settings at which each convention changes the path by far more than the tolerance (ε = 0.1,
    a decaying η, weight decay): the adapter follows the reference for both values."""
    (name, values), params0, grads = *option.items(), *conformance_problem
    base = dict(epsilon=0.1, momentum=0.5, weight_decay=0.05)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.95)
    paths = []
    for value in values:
        expected = run_reference(
            Reference.preset("keras", **{**base, name: value, "learning_rate": lambda k: 0.01 * 0.95**k}),
            params0,
            grads,
        )
        actual = run_adapter(RMSprop("keras", learning_rate=schedule, **{**base, name: value}), params0, grads)
        conformance.check("keras adapter", f"keras, {name}={value}", actual, expected)
        paths.append(expected)
    assert relative_error(*paths) > 10 * conformance.rtol, f"{name} does not change the path here"


def test_a_coordinate_with_no_gradient_yet_stays_put_at_epsilon_zero():
    # ε = 0 (Hinton's lecture): v = 0 where g has always been 0; the reference's ε → 0 limit
    # leaves that coordinate where it is rather than computing 0/0.
    variable = keras.Variable(np.ones(3, dtype="float32"))
    gradient = np.array([0.0, 1.0, -2.0], dtype="float32")
    RMSprop(learning_rate=0.1, epsilon=0.0).apply([keras.ops.convert_to_tensor(gradient)], [variable])
    expected = run_reference(Reference(0.1, epsilon=0.0), np.ones(3, dtype="float32"), [gradient])[-1]
    assert variable.numpy()[0] == 1.0
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-6)
