"""The presets of earlier releases against each release's own code and test suite.

Multi-backend Keras 2 and Lua Torch no longer install, so their presets are checked against
the release's update written out in NumPy line for line (the file and release are named
at each function). Legacy tf.keras is checked against its own test suite's NumPy reference
and cases here, and against the real optimizer in ``test_conformance_tf_keras_legacy.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from rmsprop_ref import RMSprop, schedules
from rmsprop_ref.book.frameworks import run_reference
from rmsprop_ref.conventions import reference_settings, translate

rng = np.random.default_rng(20261202)
PARAMS0 = [rng.normal(size=(3, 2)), rng.normal(size=4)]
GRADS = [[10.0 ** rng.uniform(-2, 1) * rng.normal(size=p.shape) for p in PARAMS0] for _ in range(25)]


def run_settings(settings, source, params0=PARAMS0, grads=GRADS):
    """rmsprop_ref's run of ``settings``, written in ``source``'s keywords."""
    return run_reference(RMSprop(**reference_settings(settings, source)), params0, grads)


# --------------------------------------------------------------------------- Keras 2


def keras2_run(params0, grads, *, lr, rho, epsilon, decay):
    """RMSprop.get_updates of multi-backend Keras (keras/optimizers.py, 2.0.0 to 2.3.1),
    in NumPy: the accumulator starts at 0 and ε is added outside the root."""
    params = [p.copy() for p in params0]
    accumulators = [np.zeros_like(p) for p in params0]
    history = []
    for iterations, step_grads in enumerate(grads):
        rate = lr * (1.0 / (1.0 + decay * iterations)) if decay > 0 else lr
        for i, g in enumerate(step_grads):
            new_a = rho * accumulators[i] + (1.0 - rho) * np.square(g)
            accumulators[i] = new_a
            params[i] = params[i] - rate * g / (np.sqrt(new_a) + epsilon)
        history.append([p.copy() for p in params])
    return [np.stack([h[i] for h in history]) for i in range(len(params0))]


@pytest.mark.parametrize(
    "source, settings, keras2",
    [
        # Keras 2.0.8 (the article's Keras): RMSprop(lr=0.001, rho=0.9, epsilon=1e-8, decay=0.)
        ("keras2.0", {}, dict(lr=0.001, rho=0.9, epsilon=1e-8, decay=0.0)),
        ("keras2.0", {"lr": 0.01, "decay": 0.1}, dict(lr=0.01, rho=0.9, epsilon=1e-8, decay=0.1)),
        ("keras2.0", {"lr": 0.003, "rho": 0.5, "epsilon": 1e-3}, dict(lr=0.003, rho=0.5, epsilon=1e-3, decay=0.0)),
        # Keras 2.3.1: RMSprop(learning_rate=0.001, rho=0.9, **kwargs), epsilon = K.epsilon() = 1e-7
        ("keras2.3", {}, dict(lr=0.001, rho=0.9, epsilon=1e-7, decay=0.0)),
        ("keras2.3", {"learning_rate": 0.02, "decay": 0.5}, dict(lr=0.02, rho=0.9, epsilon=1e-7, decay=0.5)),
        # kwargs.pop('lr', learning_rate): lr wins when both are given
        ("keras2.3", {"lr": 0.005, "learning_rate": 0.5}, dict(lr=0.005, rho=0.9, epsilon=1e-7, decay=0.0)),
        # Keras 2.1.3-2.2.5: epsilon=None means K.epsilon()
        ("keras2.3", {"lr": 0.01, "epsilon": None}, dict(lr=0.01, rho=0.9, epsilon=1e-7, decay=0.0)),
    ],
)
def test_keras2_presets_follow_keras2s_update(source, settings, keras2):
    expected = keras2_run(PARAMS0, GRADS, **keras2)
    for actual, wanted in zip(run_settings(settings, source), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-14)


def test_keras2_presets_are_the_keras2_defaults():
    assert (
        RMSprop.preset("keras2.0").hyperparameters() == RMSprop(**reference_settings({}, "keras2.0")).hyperparameters()
    )
    first = RMSprop.preset("keras2.0").update(
        np.array([1.0]), np.array([0.5]), RMSprop.preset("keras2.0").init(np.array([1.0]))
    )
    # one step of g = 0.5 from v = 0: η·g / (√(0.1·g²) + 1e-8)
    np.testing.assert_allclose(first[0], 1.0 - 0.001 * 0.5 / (np.sqrt(0.1 * 0.25) + 1e-8), rtol=1e-15)


def test_keras2_0_has_no_learning_rate_keyword():
    # Keras 2.0.8's Optimizer.__init__ accepts only clipnorm and clipvalue besides lr, rho, epsilon, decay.
    with pytest.raises(ValueError, match="'learning_rate' is spelled 'lr' in Keras 2.0"):
        reference_settings({"learning_rate": 0.01}, "keras2.0")


def test_keras2_decay_is_inverse_time_decay_over_the_learning_rate():
    decayed = reference_settings({"lr": 0.1, "decay": 0.25}, "keras2.3")["learning_rate"]
    assert [decayed(t) for t in range(4)] == pytest.approx([0.1, 0.08, 0.1 / 1.5, 0.1 / 1.75], rel=1e-15)
    assert not callable(reference_settings({"lr": 0.1, "decay": 0.0}, "keras2.3")["learning_rate"])
    with pytest.raises(ValueError, match="decay must be a finite number >= 0; got -1"):
        reference_settings({"decay": -1}, "keras2.0")


def test_legacy_decay_lies_over_a_schedule():
    base = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    decayed = schedules.LegacyDecay(base, 1.0)
    assert [decayed(t) for t in range(4)] == pytest.approx([base(t) / (1 + t) for t in range(4)], rel=1e-15)
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        schedules.LegacyDecay(0.0, 0.1)
    with pytest.raises(ValueError, match="step must be a whole number"):
        decayed(-1)


# --------------------------------------------------------------------------- legacy tf.keras


def tf_keras_legacy_update(var, g, mg, rms, mom, lr, rho, momentum, epsilon, centered):
    """_rmsprop_update_numpy of Keras v2.10.0's keras/optimizers/optimizer_v2/rmsprop_test.py:
    ε outside the root without momentum, inside with it."""
    rms_t = rms * rho + (1 - rho) * g * g
    if centered:
        mg_t = mg * rho + (1 - rho) * g
        denom_t = rms_t - mg_t * mg_t
    else:
        mg_t = mg
        denom_t = rms_t
    if momentum > 0.0:
        mom_t = momentum * mom + lr * g / np.sqrt(denom_t + epsilon)
        var_t = var - mom_t
    else:
        mom_t = mom
        var_t = var - lr * g / (np.sqrt(denom_t) + epsilon)
    return var_t, mg_t, rms_t, mom_t


# The suite's _TEST_PARAM_VALUES: learning_rate, rho, momentum, epsilon, centered.
TF_KERAS_PARAMS = [
    [0.05, 0.9, 0.0, 1e-3, True],
    [0.05, 0.9, 0.0, 1e-3, False],
    [0.1, 0.9, 0.0, 1e-3, True],
    [0.01, 0.9, 0.0, 1e-5, True],
    [0.01, 0.9, 0.9, 1e-5, True],
]
# assertAllCloseAccordingToType: rtol = atol = 1e-6, and 1e-3 for float16. The suite's
# complex64 and complex128 cases are left out: rmsprop_ref does not take complex parameters yet.
TF_KERAS_TOLERANCE = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-6}


def tf_keras_case(dtype, learning_rate, rho, momentum, epsilon, centered, *, decay=0.0, steps=3):
    """testDense of the legacy suite: two variables, constant gradients, three steps, checking
    the slots and the variables after each step against the NumPy reference."""
    keywords = dict(learning_rate=learning_rate, rho=rho, momentum=momentum, epsilon=epsilon, centered=centered)
    if decay:
        keywords["decay"] = decay
    optimizer = RMSprop(**reference_settings(keywords, "tf_keras_legacy"))
    params = [np.array([1.0, 2.0], dtype), np.array([3.0, 4.0], dtype)]
    grads = [np.array([0.1, 0.2], dtype), np.array([0.01, 0.2], dtype)]
    state = optimizer.init(params)
    numpy = [[p.copy(), np.zeros(2, dtype), np.zeros(2, dtype), np.zeros(2, dtype)] for p in params]
    tolerance = TF_KERAS_TOLERANCE[dtype]
    for t in range(steps):
        params, state = optimizer.update(params, grads, state)
        lr = learning_rate / (1 + decay * t)
        for i in range(2):
            numpy[i] = list(
                tf_keras_legacy_update(*numpy[i][:1], grads[i], *numpy[i][1:], lr, rho, momentum, epsilon, centered)
            )
            var_np, mg_np, rms_np, mom_np = numpy[i]
            np.testing.assert_allclose(state.mean_square[i], rms_np, rtol=tolerance, atol=tolerance)
            if momentum > 0:
                np.testing.assert_allclose(state.momentum_buffer[i], mom_np, rtol=tolerance, atol=tolerance)
            np.testing.assert_allclose(params[i], var_np, rtol=tolerance, atol=tolerance)
            assert params[i].dtype == dtype


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("values", TF_KERAS_PARAMS, ids=lambda v: "lr={} rho={} mom={} eps={} centered={}".format(*v))
def test_tf_keras_legacy_suite_dense(dtype, values):
    tf_keras_case(dtype, *values)


def test_tf_keras_legacy_suite_dense_with_learning_rate_decay():
    # testDenseWithLearningRateDecay: float64, decay=0.5, four steps at lr / (1 + decay·t)
    tf_keras_case(np.float64, 0.01, 0.9, 0.0, 1e-7, False, decay=0.5, steps=4)


def test_tf_keras_legacy_suite_dense_with_inverse_time_decay():
    # testDenseWithLearningRateInverseTimeDecay: InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.5)
    schedule = schedules.InverseTimeDecay(0.01, decay_steps=1, decay_rate=0.5)
    optimizer = RMSprop(**reference_settings({"learning_rate": schedule}, "tf_keras_legacy"))
    params, grads = [np.array([1.0, 2.0]), np.array([3.0, 4.0])], [np.array([0.1, 0.2]), np.array([0.01, 0.2])]
    state = optimizer.init(params)
    numpy = [[p.copy(), np.zeros(2), np.zeros(2), np.zeros(2)] for p in params]
    for t in range(4):
        params, state = optimizer.update(params, grads, state)
        for i in range(2):
            numpy[i] = list(
                tf_keras_legacy_update(
                    numpy[i][0], grads[i], *numpy[i][1:], 0.01 / (1 + 0.5 * t), 0.9, 0.0, 1e-7, False
                )
            )
            np.testing.assert_allclose(params[i], numpy[i][0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(
    "settings, expected",
    [
        # testMinimizeSparseResourceVariable: ε = 0 is replaced by 1e-7, so one step with
        # ρ = 0 is sign descent: [[1, 2]] − [[1, 1]].
        (dict(learning_rate=1.0, rho=0.0, momentum=0.0, epsilon=0.0, centered=False), [[0.0, 1.0]]),
        # testMinimizeSparseResourceVariableCentered: centered with ρ = 0 has v − m² = 0, so
        # the step is η·g / (0 + 1) = g.
        (dict(learning_rate=1.0, rho=0.0, momentum=0.0, epsilon=1.0, centered=True), [[-111.0, -138.0]]),
    ],
)
def test_tf_keras_legacy_suite_minimize(dtype, settings, expected):
    # loss = (var0 · x)² with var0 = [[1, 2]], x = [[4], [5]]: gradient 2·(1·4 + 2·5)·xᵀ = [[112, 140]]
    var0 = np.array([[1.0, 2.0]], dtype)
    gradient = 2 * (var0 @ np.array([[4.0], [5.0]], dtype)) * np.array([[4.0, 5.0]], dtype)
    optimizer = RMSprop(**reference_settings(settings, "tf_keras_legacy"))
    new, _ = optimizer.update(var0, gradient, optimizer.init(var0))
    tolerance = TF_KERAS_TOLERANCE[dtype]
    np.testing.assert_allclose(new, expected, rtol=tolerance, atol=0.01)


def test_tf_keras_legacy_moves_epsilon_into_the_root_with_momentum():
    without = reference_settings({}, "tf_keras_legacy")
    assert without["epsilon_in_sqrt"] is False and without["epsilon"] == 1e-7
    assert reference_settings({"momentum": 0.5}, "tf_keras_legacy")["epsilon_in_sqrt"] is True
    assert RMSprop.preset("tf_keras_legacy", momentum=0.5).epsilon_in_sqrt is True
    # an explicit override of the convention is honoured
    assert RMSprop.preset("tf_keras_legacy", momentum=0.5, epsilon_in_sqrt=False).epsilon_in_sqrt is False


@pytest.mark.parametrize("epsilon", [0, 0.0, None])
def test_tf_keras_legacy_replaces_a_falsy_epsilon(epsilon):
    # self.epsilon = epsilon or backend_config.epsilon()
    assert reference_settings({"epsilon": epsilon}, "tf_keras_legacy")["epsilon"] == 1e-7


def test_tf_keras_legacy_lr_wins_over_learning_rate():
    # self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
    assert reference_settings({"lr": 0.02, "learning_rate": 0.5}, "tf_keras_legacy")["learning_rate"] == 0.02
    assert reference_settings({"learning_rate": 0.5, "lr": 0.02}, "tf_keras_legacy")["learning_rate"] == 0.02


# --------------------------------------------------------------------------- Lua Torch


def lua_torch_run(params0, grads, *, learningRate=1e-2, alpha=0.99, epsilon=1e-8, weightDecay=0, initialMean=0):
    """optim.rmsprop of Lua Torch (torch/optim, rmsprop.lua since 0154acd, 2016-09-06), in NumPy.
    Each step: dfdx:add(wd, x); m:mul(alpha):addcmul(1 − alpha, dfdx, dfdx);
    tmp = √m + ε; x:addcdiv(−lr, dfdx, tmp)."""
    params = [p.copy() for p in params0]
    means = [np.full_like(p, initialMean) for p in params0]
    history = []
    for step_grads in grads:
        for i, dfdx in enumerate(step_grads):
            if weightDecay != 0:
                dfdx = dfdx + weightDecay * params[i]
            means[i] = means[i] * alpha + (1.0 - alpha) * dfdx * dfdx
            tmp = np.sqrt(means[i]) + epsilon
            params[i] = params[i] + (-learningRate) * dfdx / tmp
        history.append([p.copy() for p in params])
    return [np.stack([h[i] for h in history]) for i in range(len(params0))]


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"learningRate": 0.05, "alpha": 0.9},
        {"learningRate": 0.01, "weightDecay": 0.1},
        # the start value between 2016-06-08 and 2016-09-06, and the ε that Lua's docs call
        # "value with which to initialise m"
        {"initialMean": 1.0, "epsilon": 1e-3},
    ],
)
def test_lua_torch_preset_follows_optim_rmsprop(config):
    for actual, wanted in zip(run_settings(config, "lua_torch"), lua_torch_run(PARAMS0, GRADS, **config)):
        np.testing.assert_allclose(actual, wanted, rtol=1e-12, atol=1e-14)


def test_lua_torch_to_pytorch_is_exact_and_keeps_weight_decay():
    # PyTorch's RMSprop grew out of optim.rmsprop: same defaults, same ε placement, same coupled decay.
    translation = translate({"weightDecay": 1e-4}, "lua_torch", "torch")
    assert translation.exact
    assert dict(translation.kwargs) == {
        "lr": 0.01,
        "alpha": 0.99,
        "eps": 1e-8,
        "momentum": 0.0,
        "centered": False,
        "weight_decay": 1e-4,
    }
    # v starting at 1 has no keyword in PyTorch: the translation says so
    started_at_one = translate({"initialMean": 1.0}, "lua_torch", "torch")
    assert (
        not started_at_one.exact and "v starts at 1 in Lua Torch but at 0 in PyTorch" in started_at_one.differences[0]
    )


def test_keras2_to_keras3_names_the_decay_schedule():
    translation = translate({"lr": 0.01, "decay": 1e-4}, "keras2.0", "keras")
    assert any("InverseTimeDecay" in note for note in translation.notes)
    assert any("ε = 1e-08 outside the square root" in text for text in translation.differences)


@pytest.mark.parametrize("source", ["keras2.0", "keras2.3", "tf_keras_legacy", "lua_torch"])
def test_release_sources_are_not_translation_targets(source):
    with pytest.raises(ValueError, match="target must be one of 'keras', 'torch', 'tf1', 'optax'"):
        translate({}, "keras", source)


def test_the_arguments_table_lists_each_releases_keywords():
    # Keras 2.0.8: RMSprop(lr, rho, epsilon, decay) plus Optimizer's allowed_kwargs clipnorm,
    # clipvalue (keras/optimizers.py); Lua's optim.rmsprop reads learningRate, alpha, epsilon,
    # weightDecay and initialMean from its config table (rmsprop.lua).
    from rmsprop_ref.conventions import arguments_table

    keywords = {}
    for row in arguments_table():
        keywords.setdefault(row["source"], []).append(row["keyword"])
    assert keywords["Keras 2.0"] == ["lr", "rho", "epsilon", "decay", "clipnorm", "clipvalue"]
    assert keywords["Lua Torch"] == ["learningRate", "alpha", "epsilon", "weightDecay", "initialMean"]
    rows = {(r["source"], r["keyword"]): r for r in arguments_table()}
    assert rows[("Keras 2.0", "clipnorm")]["rmsprop_ref"] == "global_clipnorm"
    assert rows[("Keras 2.0", "epsilon")]["default"] == "1e-08"
    assert rows[("Keras 2.3", "lr")]["default"] == "–"
