"""Keras 3's moving average of the weights and gradient accumulation (rmsprop_ref.training)."""

import numpy as np
import pytest

from rmsprop_ref import InPlaceRMSprop, RMSprop, schedules
from rmsprop_ref.run import stream_path

rng = np.random.default_rng(3)
THETA0 = rng.normal(size=4)
GRADS = [rng.normal(size=4) for _ in range(12)]


def run(optimizer, grads=GRADS, theta=THETA0):
    state = optimizer.init(theta)
    points = []
    for g in grads:
        theta, state = optimizer.update(theta, g, state)
        points.append(theta)
    return points, state


def test_accumulation_steps_every_nth_call_with_the_mean_gradient():
    accumulating = RMSprop(0.01, momentum=0.5, gradient_accumulation_steps=3)
    points, state = run(accumulating)
    means = [np.mean(GRADS[i : i + 3], axis=0) for i in range(0, 12, 3)]
    plain_points, _ = run(RMSprop(0.01, momentum=0.5), means)
    for call, theta in enumerate(points):
        done = (call + 1) // 3  # updates completed after this call
        expected = THETA0 if done == 0 else plain_points[done - 1]
        np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-15)
    assert state.step == 12
    np.testing.assert_array_equal(state.accumulated, np.zeros(4))


def test_accumulation_feeds_a_schedule_the_count_of_updates():
    rate = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    points, _ = run(RMSprop(rate, gradient_accumulation_steps=2))
    means = [np.mean(GRADS[i : i + 2], axis=0) for i in range(0, 12, 2)]
    plain_points, _ = run(RMSprop(rate), means)
    np.testing.assert_allclose(points[1::2], plain_points, rtol=1e-13, atol=1e-15)


def test_accumulation_clips_the_mean_not_each_gradient():
    points, _ = run(RMSprop(0.01, clipvalue=0.1, gradient_accumulation_steps=2))
    clipped_means = [np.clip(np.mean(GRADS[i : i + 2], axis=0), -0.1, 0.1) for i in range(0, 12, 2)]
    plain_points, _ = run(RMSprop(0.01), clipped_means)
    np.testing.assert_allclose(points[1::2], plain_points, rtol=1e-13, atol=1e-15)


def test_ema_starts_at_the_parameters_and_then_averages():
    points, state = run(RMSprop(0.01, use_ema=True, ema_momentum=0.9))
    plain, _ = run(RMSprop(0.01))
    np.testing.assert_array_equal(points, plain)  # the EMA does not touch the parameters
    average = plain[0]
    for theta in plain[1:]:
        average = 0.9 * average + (1 - 0.9) * theta
    np.testing.assert_allclose(state.average, average, rtol=1e-14)


def test_ema_overwrite_puts_the_average_into_the_parameters():
    points, state = run(RMSprop(0.01, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=4))
    for call, theta in enumerate(points):
        if (call + 1) % 4 == 0:
            assert not np.array_equal(theta, points[call - 1])
    np.testing.assert_array_equal(points[-1], state.average)


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(gradient_accumulation_steps=1), "gradient_accumulation_steps must be a whole number >= 2"),
        (dict(use_ema=True, ema_momentum=1.5), r"ema_momentum must be a number in \[0, 1\]"),
        (dict(use_ema=True, ema_overwrite_frequency=0), "ema_overwrite_frequency must be a whole number >= 1"),
        (dict(use_ema="yes"), "use_ema must be True or False"),
    ],
)
def test_bad_training_options_name_the_argument(values, message):
    with pytest.raises(ValueError, match=message):
        RMSprop(**values)


def test_the_fast_paths_refuse_training_options():
    with pytest.raises(ValueError, match="InPlaceRMSprop does not implement use_ema=True"):
        InPlaceRMSprop(RMSprop(use_ema=True))
    with pytest.raises(ValueError, match="stream_path does not implement use_ema or gradient_accumulation_steps"):
        stream_path(RMSprop(gradient_accumulation_steps=2), np.ones((4, 1)))


def test_a_state_without_the_ema_buffer_is_refused():
    params = np.ones(2)
    with pytest.raises(ValueError, match="state has no average buffer"):
        RMSprop(use_ema=True).update(params, params, RMSprop().init(params))
