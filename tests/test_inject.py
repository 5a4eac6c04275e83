"""Hyper-parameters that change between updates: functions of the step (RMSprop), and values
held in the state (InjectHyperparams, as optax.inject_hyperparams)."""

import numpy as np
import pytest

from rmsprop_ref import InPlaceRMSprop, RMSprop, schedules
from rmsprop_ref.conventions import reference_settings
from rmsprop_ref.inject import InjectedState, InjectHyperparams
from rmsprop_ref.run import stream_path

rng = np.random.default_rng(9)
THETA0 = rng.normal(size=3)
GRADS = [rng.normal(size=3) for _ in range(10)]


def run(optimizer, grads=GRADS):
    theta, state = THETA0, optimizer.init(THETA0)
    points = []
    for g in grads:
        theta, state = optimizer.update(theta, g, state)
        points.append(theta)
    return np.array(points), state


def piecewise(step):
    return 0.9 if step < 5 else 0.5


def test_a_hyper_parameter_given_as_a_function_of_the_step():
    varying, _ = run(RMSprop(0.01, rho=piecewise, momentum=0.5))
    first, state = run(RMSprop(0.01, rho=0.9, momentum=0.5), GRADS[:5])
    theta = first[-1]
    second = RMSprop(0.01, rho=0.5, momentum=0.5)
    for g in GRADS[5:]:
        theta, state = second.update(theta, g, state)
    np.testing.assert_array_equal(varying[-1], theta)
    path, _ = stream_path(RMSprop(0.01, rho=piecewise, momentum=0.5), np.array(GRADS), THETA0)
    np.testing.assert_array_equal(path[1:], varying)


def test_legacy_tf_keras_callables_of_nothing():
    # tf.keras 2.x legacy: rho, momentum and epsilon (and the learning rate) may be
    # zero-argument callables, called at every apply; a callable momentum keeps the buffer.
    settings = reference_settings(
        {"rho": lambda: 0.8, "momentum": lambda: 0.5, "learning_rate": lambda: 0.02}, "tf_keras_legacy"
    )
    optimizer = RMSprop(**settings)
    assert optimizer.epsilon_in_sqrt and optimizer.sparse_updates == "lazy"  # the fused kernel
    expected, _ = run(RMSprop(**{**settings, "rho": 0.8, "momentum": 0.5, "learning_rate": 0.02}))
    np.testing.assert_array_equal(run(optimizer)[0], expected)


@pytest.mark.parametrize(
    "options, message",
    [
        (
            dict(rho=lambda step: 1.5),
            r"at step 0, a hyper-parameter given as a function returned a bad value: rho must be",
        ),
        (dict(momentum=lambda: 0.0), r"at step 0, momentum \(a function\) returned 0"),
    ],
)
def test_a_function_that_returns_a_bad_value_is_named(options, message):
    with pytest.raises(ValueError, match=message):
        run(RMSprop(**options))


def test_a_function_must_take_the_step_or_nothing():
    with pytest.raises(ValueError, match="rho given as a function must take the step count or nothing"):
        RMSprop(rho=lambda a, b: 0.9)
    with pytest.raises(ValueError, match="InPlaceRMSprop does not implement rho as a function"):
        InPlaceRMSprop(RMSprop(rho=piecewise))


def test_injected_hyperparams_are_read_from_the_state_and_can_be_changed():
    opt = InjectHyperparams(RMSprop(0.01, rho=0.9, momentum=0.5))
    theta, state = THETA0, opt.init(THETA0)
    assert state.hyperparams == {
        "learning_rate": 0.01,
        "rho": 0.9,
        "epsilon": 1e-7,
        "momentum": 0.5,
        "weight_decay": 0.0,
    }
    for g in GRADS[:5]:
        theta, state = opt.update(theta, g, state)
    state = state._replace(hyperparams={**state.hyperparams, "learning_rate": 0.003, "rho": 0.5})
    for g in GRADS[5:]:
        theta, state = opt.update(theta, g, state)
    first, plain = run(RMSprop(0.01, rho=0.9, momentum=0.5), GRADS[:5])
    reference, p = RMSprop(0.003, rho=0.5, momentum=0.5), first[-1]
    for g in GRADS[5:]:
        p, plain = reference.update(p, g, plain)
    np.testing.assert_array_equal(theta, p)


def test_an_injected_schedule_writes_its_value_into_the_state():
    rate = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = InjectHyperparams(RMSprop(rate), names=["learning_rate"])
    theta, state = THETA0, opt.init(THETA0)
    seen = []
    for g in GRADS[:4]:
        theta, state = opt.update(theta, g, state)
        seen.append(state.hyperparams["learning_rate"])
    assert seen == pytest.approx([0.1, 0.05, 0.025, 0.0125], rel=1e-15)
    np.testing.assert_array_equal(theta, run(RMSprop(rate), GRADS[:4])[0][-1])


def test_bad_injection_is_named():
    with pytest.raises(ValueError, match="names: 'centered' cannot be injected"):
        InjectHyperparams(RMSprop(), names=["centered"])
    opt = InjectHyperparams(RMSprop())
    state = opt.init(THETA0)
    with pytest.raises(ValueError, match="state.hyperparams: rho must be a number in"):
        opt.update(THETA0, GRADS[0], state._replace(hyperparams={**state.hyperparams, "rho": 2.0}))
    with pytest.raises(ValueError, match="state must be the InjectedState"):
        opt.update(THETA0, GRADS[0], state.inner)
    assert isinstance(state, InjectedState)


def test_translate_takes_the_first_value_of_a_function_and_says_so():
    from rmsprop_ref.conventions import translate

    translation = translate({"rho": lambda: 0.8, "momentum": lambda: 0.5}, "tf_keras_legacy", "keras")
    assert translation.kwargs["rho"] == 0.8 and translation.kwargs["momentum"] == 0.5
    assert not translation.exact
    assert any("calls a function for rho before each update" in text for text in translation.differences)


def test_legacy_tf_keras_epsilon_cannot_be_a_callable():
    # Its docstring says epsilon may be a callable; its code converts it to a tensor as it is.
    with pytest.raises(ValueError, match="legacy tf.keras documents a callable epsilon, but its code cannot use one"):
        reference_settings({"epsilon": lambda: 1e-3}, "tf_keras_legacy")
