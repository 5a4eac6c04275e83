"""Learning-rate schedules: values by hand, agreement with Keras's schedule classes, bad input."""

import dataclasses
import math

import numpy as np
import pytest

from rmsprop_ref import schedules
from rmsprop_ref.schedules import Constant, CosineDecay, ExponentialDecay, InverseSqrtDecay, InverseTimeDecay


def test_constant():
    assert [Constant(0.01)(t) for t in (0, 1, 1000)] == [0.01, 0.01, 0.01]


def test_exponential_decay_by_hand():
    smooth = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stairs = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    # 0.1·0.5^(t/10): t = 0 -> 0.1, t = 10 -> 0.05, t = 15 -> 0.1·0.5^1.5
    np.testing.assert_allclose([smooth(0), smooth(10), smooth(15)], [0.1, 0.05, 0.1 * 0.5**1.5], rtol=1e-15)
    # staircase: floor(15/10) = 1 -> 0.05, floor(29/10) = 2 -> 0.025
    np.testing.assert_allclose([stairs(9), stairs(15), stairs(29)], [0.1, 0.05, 0.025], rtol=1e-15)


def test_inverse_time_decay_by_hand():
    # 0.1 / (1 + 0.5·t/2): t = 0 -> 0.1, t = 4 -> 0.05, t = 3 -> 0.1/1.75; staircase t = 3 -> 0.1/1.5
    decay = InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5)
    np.testing.assert_allclose([decay(0), decay(4), decay(3)], [0.1, 0.05, 0.1 / 1.75], rtol=1e-15)
    np.testing.assert_allclose(InverseTimeDecay(0.1, 2, 0.5, staircase=True)(3), 0.1 / 1.5, rtol=1e-15)


def test_cosine_decay_by_hand():
    # From η at t = 0 through the midpoint η·(0.9·0.5 + 0.1) to α·η at t = T, and flat after.
    decay = CosineDecay(0.2, decay_steps=100, alpha=0.1)
    np.testing.assert_allclose([decay(0), decay(50), decay(100), decay(500)], [0.2, 0.2 * 0.55, 0.02, 0.02], rtol=1e-14)
    np.testing.assert_allclose(decay(25), 0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi / 4)) + 0.1), rtol=1e-15)


def test_inverse_sqrt_decay_by_hand():
    # η/√(t + 1): t = 0 -> η, t = 3 -> η/2, t = 99 -> η/10
    decay = InverseSqrtDecay(0.3)
    np.testing.assert_allclose([decay(0), decay(3), decay(99)], [0.3, 0.15, 0.03], rtol=1e-15)


@pytest.fixture(scope="module")
def keras_schedules():
    import keras  # a missing Keras is an error, not a skip

    return keras.optimizers.schedules


@pytest.mark.conformance
@pytest.mark.parametrize(
    "ours, keras_name, kwargs",
    [
        (
            ExponentialDecay(0.1, 7, 0.6),
            "ExponentialDecay",
            dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.6),
        ),
        (
            ExponentialDecay(0.1, 7, 0.6, staircase=True),
            "ExponentialDecay",
            dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.6, staircase=True),
        ),
        (
            InverseTimeDecay(0.05, 4, 2.0),
            "InverseTimeDecay",
            dict(initial_learning_rate=0.05, decay_steps=4, decay_rate=2.0),
        ),
        (
            InverseTimeDecay(0.05, 4, 2.0, staircase=True),
            "InverseTimeDecay",
            dict(initial_learning_rate=0.05, decay_steps=4, decay_rate=2.0, staircase=True),
        ),
        (
            CosineDecay(0.01, 60, alpha=0.05),
            "CosineDecay",
            dict(initial_learning_rate=0.01, decay_steps=60, alpha=0.05),
        ),
    ],
)
def test_matches_keras_schedule(keras_schedules, ours, keras_name, kwargs):
    theirs = getattr(keras_schedules, keras_name)(**kwargs)
    steps = range(0, 120)
    expected = np.array([float(theirs(t)) for t in steps])
    # Keras computes in float32: t/decay_steps is rounded before the power, and the power
    # multiplies that rounding by |log(rate)·exponent| (up to about 10 here), so the
    # values are good to about 20 float32 ulps (~2e-6), not to one ulp.
    np.testing.assert_allclose([ours(t) for t in steps], expected, rtol=5e-6)
    np.testing.assert_allclose([np.float32(ours(t)) for t in steps[:20]], expected[:20], rtol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Constant(0.0), r"learning_rate must be a finite number > 0; got 0.0"),
        (lambda: ExponentialDecay(float("nan"), 10, 0.5), r"learning_rate must be a finite number > 0; got nan"),
        (lambda: ExponentialDecay(0.1, 0, 0.5), r"decay_steps must be a finite number > 0; got 0"),
        (lambda: ExponentialDecay(0.1, 10, -0.5), r"decay_rate must be a finite number > 0; got -0.5"),
        (lambda: InverseTimeDecay(0.1, 10, True), r"decay_rate must be a finite number > 0; got True"),
        (lambda: CosineDecay(0.1, 10, alpha=0.0), r"alpha must be a number in \(0, 1\]; got 0.0"),
        (lambda: CosineDecay(0.1, 10, alpha=1.5), r"alpha must be a number in \(0, 1\]; got 1.5"),
        (lambda: InverseSqrtDecay("0.1"), r"learning_rate must be a finite number > 0; got '0.1'"),
    ],
)
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "schedule",
    [
        Constant(0.1),
        ExponentialDecay(0.1, 10, 0.5),
        InverseTimeDecay(0.1, 10, 0.5),
        CosineDecay(0.1, 10),
        InverseSqrtDecay(0.1),
    ],
)
@pytest.mark.parametrize("step", [-1, 1.5])
def test_bad_step(schedule, step):
    with pytest.raises(ValueError, match=rf"step must be a whole number >= 0; got {step}"):
        schedule(step)


def test_schedules_are_frozen_and_readable():
    decay = ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decay.learning_rate = 1.0
    assert repr(decay) == "ExponentialDecay(learning_rate=0.1, decay_steps=10.0, decay_rate=0.5, staircase=False)"
    assert schedules.Constant is Constant
