"""SGD, Adagrad, Adam and the shared Optimizer machinery (checks, purity, dtypes).

Expected values are worked out by hand in each test (plain arithmetic on the literals),
never by calling the code under test.
"""

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rmsprop_ref import SGD, Adagrad, Adam, RMSprop, schedules
from rmsprop_ref.rmsprop import PRESETS
from rmsprop_ref.tree import leaves_with_paths


def run(opt, theta, grads):
    """θ after each step, starting from float64 θ, for hand-checked examples."""
    theta = np.asarray(theta, dtype=np.float64)
    state, out = opt.init(theta), []
    for g in grads:
        theta, state = opt.update(theta, np.asarray(g, dtype=np.float64), state)
        out.append(theta)
    return out


# --------------------------------------------------------------------------- SGD by hand


def test_sgd_plain_step():
    (theta,) = run(SGD(0.1), [1.0, -2.0], [[0.5, 4.0]])
    np.testing.assert_allclose(theta, [1 - 0.05, -2 - 0.4], rtol=1e-15)


def test_sgd_momentum_two_steps():
    # b1 = g1 = [0.5, 4];  θ1 = [0.95, -2.4]
    # b2 = 0.9·[0.5, 4] + [1, -1] = [1.45, 2.6];  θ2 = θ1 − 0.1·b2 = [0.805, -2.66]
    theta1, theta2 = run(SGD(0.1, momentum=0.9), [1.0, -2.0], [[0.5, 4.0], [1.0, -1.0]])
    np.testing.assert_allclose(theta1, [0.95, -2.4], rtol=1e-15)
    np.testing.assert_allclose(theta2, [0.805, -2.66], rtol=1e-14)


def test_sgd_nesterov_two_steps():
    # step 1: b = g = [0.5, 4]; direction g + 0.9·b = 1.9·g = [0.95, 7.6];  θ1 = [0.905, -2.76]
    # step 2: b = [1.45, 2.6]; direction [1, -1] + 0.9·b = [2.305, 1.34];   θ2 = [0.6745, -2.894]
    theta1, theta2 = run(SGD(0.1, momentum=0.9, nesterov=True), [1.0, -2.0], [[0.5, 4.0], [1.0, -1.0]])
    np.testing.assert_allclose(theta1, [0.905, -2.76], rtol=1e-14)
    np.testing.assert_allclose(theta2, [0.6745, -2.894], rtol=1e-14)


def test_sgd_weight_decay_is_added_to_the_gradient():
    # g + 0.1·θ = [0.5 + 0.1, 4 − 0.2] = [0.6, 3.8];  θ − 0.1·[0.6, 3.8] = [0.94, -2.38]
    (theta,) = run(SGD(0.1, weight_decay=0.1), [1.0, -2.0], [[0.5, 4.0]])
    np.testing.assert_allclose(theta, [0.94, -2.38], rtol=1e-15)


def test_sgd_follows_a_schedule():
    # η_0 = 0.1, η_1 = 0.1 / (1 + 1) = 0.05 (InverseTimeDecay with decay_steps = decay_rate = 1)
    theta1, theta2 = run(SGD(schedules.InverseTimeDecay(0.1, 1, 1.0)), [1.0], [[1.0], [1.0]])
    np.testing.assert_allclose([theta1[0], theta2[0]], [0.9, 0.85], rtol=1e-15)


# --------------------------------------------------------------------------- Adagrad by hand


def test_adagrad_two_steps():
    # G starts at 0.1:  G1 = 0.1 + 0.25 = 0.35;  θ1 = 1 − 0.1·0.5/√0.35
    #                   G2 = 0.35 + 1 = 1.35;    θ2 = θ1 − 0.1·1/√1.35
    theta1, theta2 = run(Adagrad(0.1, epsilon=0.0), [1.0], [[0.5], [1.0]])
    expected1 = 1 - 0.1 * 0.5 / math.sqrt(0.35)
    np.testing.assert_allclose(theta1, [expected1], rtol=1e-15)
    np.testing.assert_allclose(theta2, [expected1 - 0.1 / math.sqrt(1.35)], rtol=1e-15)


def test_adagrad_keras_defaults():
    opt = Adagrad()
    assert (opt.learning_rate, opt.initial_accumulator, opt.epsilon) == (0.001, 0.1, 1e-7)


# --------------------------------------------------------------------------- Adam by hand


def test_adam_first_step_is_lr_times_sign():
    # m̂1 = g, v̂1 = g²  ->  θ1 = θ0 − η·g/(|g| + ε)
    (theta,) = run(Adam(0.001), [1.0, 1.0], [[0.5, -3.0]])
    np.testing.assert_allclose(theta, [1 - 0.001 * 0.5 / (0.5 + 1e-8), 1 + 0.001 * 3.0 / (3.0 + 1e-8)], rtol=1e-15)


def test_adam_second_step():
    # m2 = 0.9·0.05 + 0.1·(−1) = −0.055;  v2 = 0.999·0.00025 + 0.001·1 = 0.00124975
    # m̂2 = −0.055 / (1 − 0.81);  v̂2 = 0.00124975 / (1 − 0.998001)
    _, theta2 = run(Adam(0.001), [1.0], [[0.5], [-1.0]])
    theta1 = 1 - 0.001 * 0.5 / (0.5 + 1e-8)
    m_hat, v_hat = -0.055 / 0.19, 0.00124975 / 0.001999
    np.testing.assert_allclose(theta2, [theta1 - 0.001 * m_hat / (math.sqrt(v_hat) + 1e-8)], rtol=1e-12)


def test_amsgrad_uses_the_largest_second_moment():
    # β₂ = 0.5 so v falls: v1 = 0.5·4 = 2, v2 = 0.5·2 + 0.5·0.01 = 1.005; max stays 2.
    # m1 = 0.1·2 = 0.2, m2 = 0.9·0.2 + 0.1·0.1 = 0.19;  m̂2 = 0.19 / 0.19 = 1
    # AMSGrad: v̂2 = 2 / (1 − 0.25);  plain Adam: v̂2 = 1.005 / 0.75
    grads = [[2.0], [0.1]]
    _, ams = run(Adam(0.1, beta_2=0.5, epsilon=0.0, amsgrad=True), [0.0], grads)
    _, plain = run(Adam(0.1, beta_2=0.5, epsilon=0.0), [0.0], grads)
    first = -0.1 * 1.0  # m̂1 / √v̂1 = sign(g1) = 1
    np.testing.assert_allclose(ams, [first - 0.1 * 1.0 / math.sqrt(2 / 0.75)], rtol=1e-14)
    np.testing.assert_allclose(plain, [first - 0.1 * 1.0 / math.sqrt(1.005 / 0.75)], rtol=1e-14)


# --------------------------------------------------------------------------- bad input


ALL_CLASSES = [SGD, Adagrad, Adam, RMSprop]


@pytest.mark.parametrize("cls", ALL_CLASSES)
@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf"), "0.1", True, None])
def test_bad_learning_rate(cls, bad):
    message = r"learning_rate must be a finite number > 0 or a callable schedule\(step\); got"
    with pytest.raises(ValueError, match=message):
        cls(learning_rate=bad)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_lr_keyword_points_to_learning_rate(cls):
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'lr': use learning_rate= instead"):
        cls(lr=0.01)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_unknown_keyword_is_named_with_the_accepted_ones(cls):
    message = rf"{cls.__name__}\(\) got unexpected keyword argument\(s\) 'decay'; accepted: learning_rate"
    with pytest.raises(TypeError, match=message):
        cls(decay=0.9)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SGD(momentum=1.0), r"momentum must be a number in \[0, 1\); got 1.0"),
        (lambda: SGD(momentum=-0.5), r"momentum must be a number in \[0, 1\); got -0.5"),
        (lambda: SGD(nesterov=True), r"nesterov=True needs momentum > 0; got momentum=0.0"),
        (lambda: SGD(weight_decay=-1.0), r"weight_decay must be a finite number >= 0; got -1.0"),
        (lambda: Adagrad(epsilon=-1e-7), r"epsilon must be a finite number >= 0; got -1e-07"),
        (
            lambda: Adagrad(initial_accumulator=float("nan")),
            r"initial_accumulator must be a finite number >= 0; got nan",
        ),
        (lambda: Adam(beta_1=1.0), r"beta_1 must be a number in \[0, 1\); got 1.0"),
        (lambda: Adam(beta_2=1.5), r"beta_2 must be a number in \[0, 1\); got 1.5"),
        (lambda: Adam(amsgrad="yes"), r"amsgrad must be True or False; got 'yes'"),
    ],
)
def test_bad_hyperparameters_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_non_finite_gradient_names_the_leaf_and_the_step(cls):
    opt = cls(learning_rate=0.1)
    params = {"w": [np.ones(2), np.ones(3)]}
    grads = {"w": [np.ones(2), np.ones(3)]}
    _, state = opt.update(params, grads, opt.init(params))
    bad = {"w": [np.ones(2), np.array([1.0, np.inf, 1.0])]}
    with pytest.raises(FloatingPointError, match=r"grads\['w'\]\[1\] has non-finite values \(nan or inf\) at step 1"):
        opt.update(params, bad, state)
    with pytest.raises(FloatingPointError, match=r"grads\['w'\]\[0\] has non-finite values .* at step 0"):
        opt.update(params, {"w": [np.array([np.nan, 0.0]), np.ones(3)]}, opt.init(params))


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_gradient_mismatches_name_the_leaf(cls):
    opt = cls(learning_rate=0.1)
    params = {"w": np.ones(2, np.float32)}
    state = opt.init(params)
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(3,\); it must match params\['w'\], shape \(2,\)"):
        opt.update(params, {"w": np.ones(3, np.float32)}, state)
    with pytest.raises(ValueError, match=r"grads\['w'\] has dtype float64; it must match params\['w'\], dtype float32"):
        opt.update(params, {"w": np.ones(2)}, state)
    with pytest.raises(ValueError, match=r"grads must have the keys of params; missing \['w'\], unexpected \['v'\]"):
        opt.update(params, {"v": np.ones(2, np.float32)}, state)


def test_state_of_another_optimizer_is_rejected():
    params = np.ones(2)
    with pytest.raises(ValueError, match=r"state must be the SGDState returned by SGD.init or .update; got AdamState"):
        SGD().update(params, params, Adam().init(params))


def test_integer_parameters_are_rejected():
    with pytest.raises(ValueError, match=r"params has dtype int64; parameters must be float"):
        SGD().init(np.arange(3))


@pytest.mark.parametrize(
    "value, message", [(-1.0, "it must be finite and > 0"), ("fast", "it must return a number > 0")]
)
def test_bad_schedule_value_names_the_step(value, message):
    opt = SGD(lambda step: 0.1 if step == 0 else value)
    params = np.ones(2)
    _, state = opt.update(params, params, opt.init(params))
    with pytest.raises(ValueError, match=rf"learning_rate schedule returned .* at step 1; {message}"):
        opt.update(params, params, state)


def test_hyperparameters_are_frozen_and_state_is_immutable():
    opt = SGD(0.1, momentum=0.9)
    with pytest.raises(AttributeError, match="frozen"):
        opt.learning_rate = 1.0
    state = opt.init(np.ones(2))
    with pytest.raises(AttributeError):
        state.step = 5
    assert repr(opt) == "SGD(learning_rate=0.1, momentum=0.9, nesterov=False, weight_decay=0.0)"
    assert SGD(**opt.hyperparameters()).hyperparameters() == opt.hyperparameters()


# --------------------------------------------------------------------------- purity and dtypes


def _preset(name):
    needs_rate = PRESETS[name]["settings"]["learning_rate"] is None
    return RMSprop.preset(name, learning_rate=0.01) if needs_rate else RMSprop.preset(name)


OPTIMIZERS = {
    "SGD": lambda: SGD(0.1),
    "SGD-nesterov-wd": lambda: SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adagrad": lambda: Adagrad(0.1),
    "Adam": lambda: Adam(0.01),
    "AMSGrad": lambda: Adam(0.01, amsgrad=True),
    **{f"RMSprop-{name}": (lambda name=name: _preset(name)) for name in PRESETS},
    "RMSprop-everything": lambda: RMSprop(
        schedules.CosineDecay(0.01, 10),
        centered=True,
        momentum=0.9,
        nesterov=True,
        weight_decay=0.01,
        bias_correction=True,
        epsilon=1e-3,
    ),
    "RMSprop-torch-like": lambda: RMSprop(
        0.01,
        epsilon_in_sqrt=False,
        centered=True,
        momentum=0.5,
        lr_in_momentum=False,
        nesterov=True,
        weight_decay=0.1,
        weight_decay_mode="coupled",
    ),
}

leaf_arrays = st.sampled_from([np.float32, np.float64]).flatmap(
    lambda dtype: hnp.arrays(
        dtype, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), elements=st.floats(-10, 10, width=32)
    )
)
trees = st.recursive(
    leaf_arrays,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.lists(children, min_size=1, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from("abcd"), children, min_size=1, max_size=3),
    ),
    max_leaves=6,
)


def _same_kind_tree(tree, seed):
    """A gradient tree: same structure, shapes and dtypes, values from a seeded generator."""
    rng = np.random.default_rng(seed)
    if isinstance(tree, dict):
        return {k: _same_kind_tree(v, seed + i + 1) for i, (k, v) in enumerate(sorted(tree.items()))}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_same_kind_tree(v, seed + i + 1) for i, v in enumerate(tree))
    return (rng.normal(size=tree.shape) + 0.5).astype(tree.dtype)


def _snapshot(*trees):
    return copy.deepcopy(trees)


def _assert_same(a, b):
    """Same containers, same dtypes and shapes, same values."""
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:  # None for an unused buffer, an int for the step count
        assert a == b


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@settings(max_examples=15, deadline=None)
@given(params=trees, seed=st.integers(0, 2**16))
def test_update_is_pure_and_keeps_structure_and_dtypes(name, params, seed):
    opt = OPTIMIZERS[name]()
    grads = _same_kind_tree(params, seed)
    state = opt.init(params)
    for step in range(2):
        before = _snapshot(params, grads, state)
        new_params, new_state = opt.update(params, grads, state)
        _assert_same(_snapshot(params, grads, state), before)  # nothing was modified in place
        assert new_state.step == step + 1
        for (path, old), (new_path, new) in zip(leaves_with_paths(params), leaves_with_paths(new_params)):
            assert new_path == path
            assert np.asarray(new).dtype == np.asarray(old).dtype, f"{name} changed the dtype of {path}"
            assert np.shape(new) == np.shape(old)
        _assert_same(_structure(new_params), _structure(params))
        params, state = new_params, new_state


def _structure(tree):
    if isinstance(tree, dict):
        return {k: _structure(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_structure(v) for v in tree)
    return None
