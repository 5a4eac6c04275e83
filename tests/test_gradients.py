"""Unscaling, clipping and negating the gradients (rmsprop_ref.gradients) and RMSprop's use of them."""

import warnings

import numpy as np
import pytest

from rmsprop_ref import InPlaceRMSprop, RMSprop, sweep
from rmsprop_ref.conventions import translate
from rmsprop_ref.gradients import GradientOptions, clip_by_norm, global_clip_factor
from rmsprop_ref.problems import Quadratic
from rmsprop_ref.run import stream_path


def test_clip_by_norm_rescales_only_a_long_gradient():
    short = np.array([0.3, 0.4])  # norm 0.5
    np.testing.assert_array_equal(clip_by_norm(short, 1.0), short)
    long = np.array([3.0, 4.0])  # norm 5
    clipped = clip_by_norm(long, 1.0)
    np.testing.assert_allclose(clipped, [0.6, 0.8], rtol=1e-15)
    np.testing.assert_array_equal(clip_by_norm(np.zeros(3), 1.0), np.zeros(3))
    assert clip_by_norm(long.astype(np.float32), 1.0).dtype == np.float32


def test_global_clip_factor_uses_the_norm_of_all_leaves():
    leaves = [np.array([3.0]), np.array([4.0])]  # global norm 5, each leaf's norm below 5
    assert global_clip_factor(leaves, 2.5) == pytest.approx(0.5, rel=1e-15)
    assert global_clip_factor(leaves, 10.0) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero gradient divides by zero inside; no warning escapes
        assert global_clip_factor([np.zeros(2)], 1.0) == 1.0


def test_apply_runs_unscale_then_clip_then_negate():
    options = GradientOptions.checked(loss_scale_factor=4.0, clipvalue=0.5, maximize=True)
    grads = {"w": np.array([8.0, -1.0, 0.4])}
    np.testing.assert_array_equal(options.apply(grads)["w"], [-0.5, 0.25, -0.1])
    assert not GradientOptions.checked().active
    assert GradientOptions.checked(maximize=True).active


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(clipnorm=1.0, global_clipnorm=1.0), "clipnorm and global_clipnorm cannot both be set"),
        (dict(clipnorm=0.0), "clipnorm must be a finite number > 0; got 0.0"),
        (dict(global_clipnorm=-1), "global_clipnorm must be a finite number > 0"),
        (dict(loss_scale_factor="2"), "loss_scale_factor must be a finite number > 0"),
        (dict(maximize=1), "maximize must be True or False"),
    ],
)
def test_bad_gradient_options_name_the_argument(values, message):
    with pytest.raises(ValueError, match=message):
        RMSprop(**values)


def step(optimizer, theta, g):
    new, _ = optimizer.update(theta, g, optimizer.init(theta))
    return new


def test_rmsprop_clips_before_its_weight_decay_and_step():
    theta, g = np.array([1.0, -2.0]), np.array([3.0, 4.0])
    clipped = RMSprop(0.1, clipnorm=1.0, weight_decay=0.1)
    plain = RMSprop(0.1, weight_decay=0.1)
    np.testing.assert_array_equal(step(clipped, theta, g), step(plain, theta, np.array([0.6, 0.8])))


def test_maximize_negates_the_gradient_before_coupled_weight_decay():
    # PyTorch: grad = -grad, then grad = grad + wd·θ
    theta, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    up = RMSprop.preset("torch", maximize=True, weight_decay=0.1)
    down = RMSprop.preset("torch", weight_decay=0.1)
    np.testing.assert_array_equal(step(up, theta, g), step(down, theta, -g))


def test_loss_scale_factor_divides_the_gradients():
    theta, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    scaled = RMSprop(0.1, loss_scale_factor=1024.0)
    np.testing.assert_array_equal(step(scaled, theta, 1024.0 * g), step(RMSprop(0.1), theta, g))


def test_stream_path_applies_the_gradient_options_like_update():
    grads = np.random.default_rng(0).normal(scale=3.0, size=(20, 3))
    optimizer = RMSprop(0.05, clipvalue=1.0, momentum=0.5)
    path, _ = stream_path(optimizer, grads)
    theta, state = np.zeros(3), optimizer.init(np.zeros(3))
    for k, g in enumerate(grads):
        theta, state = optimizer.update(theta, g, state)
        np.testing.assert_array_equal(path[k + 1], theta)


def test_the_fast_paths_refuse_gradient_options_rather_than_ignore_them():
    with pytest.raises(ValueError, match=r"InPlaceRMSprop does not implement clipnorm=1.0; use RMSprop.update"):
        InPlaceRMSprop(RMSprop(clipnorm=1.0))
    with pytest.raises(ValueError, match=r"sweep does not implement maximize=True"):
        sweep(Quadratic(), [1.0, 1.0], 5, learning_rate=0.1, maximize=True)


def test_hyperparameters_rebuild_an_rmsprop_with_gradient_options():
    optimizer = RMSprop(0.1, global_clipnorm=2.0, maximize=True)
    again = RMSprop(**optimizer.hyperparameters())
    assert again.global_clipnorm == 2.0 and again.maximize is True and again.clipnorm is None


def test_translate_names_the_clipping_that_the_target_does_outside():
    keras_to_torch = translate({"global_clipnorm": 1.0}, "keras", "torch")
    assert not keras_to_torch.exact
    assert "torch.nn.utils.clip_grad_norm_(model.parameters(), 1)" in keras_to_torch.differences[-1]
    assert "global_clipnorm" not in keras_to_torch.kwargs
    keras_to_keras = translate({"clipnorm": 1.0, "loss_scale_factor": 128.0}, "keras", "keras")
    assert keras_to_keras.exact and keras_to_keras.kwargs["clipnorm"] == 1.0
    assert keras_to_keras.kwargs["loss_scale_factor"] == 128.0
    torch_to_keras = translate({"maximize": True}, "torch", "keras")
    assert any("negate the loss" in text for text in torch_to_keras.differences)
    assert "maximize" not in translate({}, "torch", "torch").kwargs  # stated only when set


# --------------------------------------------------------------------------- parameters without a gradient


def test_a_none_gradient_leaves_its_parameter_and_buffers_untouched():
    # PyTorch skips a parameter whose .grad is None (its state too); Keras filters it out.
    optimizer = RMSprop.preset("torch", momentum=0.9, centered=True, global_clipnorm=1.0)
    params = {"used": np.array([1.0, 2.0]), "unused": np.array([3.0])}
    state = optimizer.init(params)
    params, state = optimizer.update(params, {"used": np.array([0.5, 0.5]), "unused": np.array([2.0])}, state)
    new, new_state = optimizer.update(params, {"used": np.array([0.5, 0.5]), "unused": None}, state)
    assert new["unused"] is params["unused"]
    for name in ("mean_square", "mean_grad", "momentum_buffer"):
        assert getattr(new_state, name)["unused"] is getattr(state, name)["unused"]
    # the other leaf steps as if the skipped one were not there (its gradient left out of the global norm)
    alone = RMSprop.preset("torch", momentum=0.9, centered=True, global_clipnorm=1.0)
    sub_state = alone.State(state.step, *[None if s is None else {"used": s["used"]} for s in state[1:]])
    expected, _ = alone.update({"used": params["used"]}, {"used": np.array([0.5, 0.5])}, sub_state)
    np.testing.assert_array_equal(new["used"], expected["used"])


def test_every_gradient_none_is_a_step_that_changes_nothing_but_the_count():
    optimizer = RMSprop(0.1, clipnorm=1.0)
    params = [np.array([1.0])]
    state = optimizer.init(params)
    new, new_state = optimizer.update(params, [None], state)
    assert new[0] is params[0] and new_state.step == 1


def test_the_in_place_step_needs_every_gradient():
    fast = InPlaceRMSprop(RMSprop())
    params = [np.array([1.0])]
    state = fast.init(params)
    with pytest.raises(ValueError, match=r"grads\[0\] is None; an array like params\[0\] is needed here"):
        fast.update_(params, [None], state)


# --------------------------------------------------------------------------- the Kerases' clipping, era by era


def test_keras3_takes_one_clip_only_as_keras_does():
    from rmsprop_ref.conventions import reference_settings

    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm can be set"):
        reference_settings({"clipnorm": 1.0, "clipvalue": 0.5}, "keras")


def test_keras2_clipnorm_is_the_global_norm_then_the_value():
    # keras/optimizers.py (2.0.8 to 2.3.1), Optimizer.get_gradients: n = √Σ‖g‖² over all
    # gradients; g ← g·c/n when n ≥ c; then g ← clip(g, −v, v).
    from rmsprop_ref.conventions import reference_settings

    grads = [np.array([3.0, 0.0]), np.array([0.0, 4.0])]  # global norm 5, each leaf's norm below 5
    settings = reference_settings({"clipnorm": 2.5, "clipvalue": 1.5}, "keras2.0")
    clipped = RMSprop(**settings).prepare_gradients(grads)
    n = 5.0
    expected = [np.clip(g * 2.5 / n, -1.5, 1.5) for g in grads]
    for a, e in zip(clipped, expected):
        np.testing.assert_allclose(a, e, rtol=1e-15)


def test_legacy_tf_keras_clips_the_value_first_then_each_norm():
    # keras/optimizers/optimizer_v2/optimizer_v2.py (v2.10.0), _transform_gradients:
    # clipvalue, then clipnorm (tf.clip_by_norm, per variable) or global_clipnorm.
    from rmsprop_ref.conventions import reference_settings

    g = np.array([3.0, 4.0])
    settings = reference_settings({"clipnorm": 1.0, "clipvalue": 3.5}, "tf_keras_legacy")
    clipped = RMSprop(**settings).prepare_gradients(g)
    value_first = np.clip(g, -3.5, 3.5)
    np.testing.assert_allclose(clipped, value_first / np.linalg.norm(value_first), rtol=1e-15)
    norm_first = np.clip(g / 5.0, -3.5, 3.5)
    assert not np.allclose(clipped, norm_first)


def test_the_keras_preset_takes_one_clip_only_the_older_kerases_two():
    with pytest.raises(ValueError, match="Keras 3 takes only one of clipnorm, global_clipnorm and clipvalue"):
        RMSprop.preset("keras", clipnorm=1.0, clipvalue=0.5)
    RMSprop.preset("keras2.3", global_clipnorm=1.0, clipvalue=0.5)  # Keras 2: both, norm first
    RMSprop.preset("tf_keras_legacy", clipnorm=1.0, clipvalue=0.5)  # legacy tf.keras: both, value first
