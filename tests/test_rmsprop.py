"""RMSprop in every convention: hand-computed steps, the frameworks' documented conventions
as hypothesis properties, Keras's own examples, presets and every bad-input message.

Expected values are worked out by hand in the comments and written as arithmetic on
literals; none comes from running the code under test.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rmsprop_ref import PRESETS, RMSprop, schedules


def run(opt, theta, grads, dtype=np.float64):
    # Steps through opt.update itself, the API these tests check (in any dtype), rather than
    # run.stream_path, which calls leaf_update directly in float64.
    theta = np.asarray(theta, dtype=dtype)
    state, out = opt.init(theta), []
    for g in grads:
        theta, state = opt.update(theta, np.asarray(g, dtype=dtype), state)
        out.append(theta)
    return out


# --------------------------------------------------------------------------- first steps by hand


def test_keras_preset_first_step():
    # v = 0.1·0.5² = 0.025;  θ = 1 − 0.001·0.5/√(0.025 + 1e-7)
    (theta,) = run(RMSprop.preset("keras"), [1.0], [[0.5]])
    np.testing.assert_allclose(theta, [1 - 0.001 * 0.5 / math.sqrt(0.025 + 1e-7)], rtol=1e-15)


def test_torch_preset_first_step():
    # ρ = 0.99: v = 0.01·0.25 = 0.0025, √v = 0.05, ε outside:  θ = 1 − 0.01·0.5/(0.05 + 1e-8)
    (theta,) = run(RMSprop.preset("torch"), [1.0], [[0.5]])
    np.testing.assert_allclose(theta, [1 - 0.01 * 0.5 / (0.05 + 1e-8)], rtol=1e-15)


def test_tf1_preset_first_step_starts_v_at_one():
    # v = 0.9·1 + 0.1·0.25 = 0.925;  θ = 1 − 0.1·0.5/√(0.925 + 1e-10)
    (theta,) = run(RMSprop.preset("tf1", learning_rate=0.1), [1.0], [[0.5]])
    np.testing.assert_allclose(theta, [1 - 0.1 * 0.5 / math.sqrt(0.925 + 1e-10)], rtol=1e-15)


def test_optax_preset_first_step_with_and_without_bias_correction():
    # v = 0.025;  bias-corrected v̂ = 0.025 / (1 − 0.9) = 0.25
    (plain,) = run(RMSprop.preset("optax", learning_rate=0.1), [1.0], [[0.5]])
    (corrected,) = run(RMSprop.preset("optax", learning_rate=0.1, bias_correction=True), [1.0], [[0.5]])
    np.testing.assert_allclose(plain, [1 - 0.1 * 0.5 / math.sqrt(0.025 + 1e-8)], rtol=1e-15)
    np.testing.assert_allclose(corrected, [1 - 0.1 * 0.5 / math.sqrt(0.25 + 1e-8)], rtol=1e-15)


def test_centered_first_step():
    # v = 0.025, m = 0.1·0.5 = 0.05, v − m² = 0.0225;  θ = 1 − 0.1·0.5/√(0.0225 + 1e-7)
    (theta,) = run(RMSprop(0.1, centered=True), [1.0], [[0.5]])
    np.testing.assert_allclose(theta, [1 - 0.1 * 0.5 / math.sqrt(0.0225 + 1e-7)], rtol=1e-14)


def test_epsilon_outside_the_root():
    (theta,) = run(RMSprop(0.1, epsilon=1e-3, epsilon_in_sqrt=False), [1.0], [[0.5]])
    np.testing.assert_allclose(theta, [1 - 0.1 * 0.5 / (math.sqrt(0.025) + 1e-3)], rtol=1e-15)


def test_hinton2012_first_step_is_lr_over_root_one_minus_rho():
    (theta,) = run(RMSprop.preset("hinton2012", learning_rate=0.1), [1.0, 1.0], [[0.5, -7.0]])
    np.testing.assert_allclose(theta, [1 - 0.1 / math.sqrt(0.1), 1 + 0.1 / math.sqrt(0.1)], rtol=1e-15)


def test_zero_gradient_at_zero_epsilon_does_not_move():
    # ε = 0 and a coordinate that has only seen g = 0: v = 0, and 0/0 is taken as its ε → 0
    # limit, 0 (no gradient, no step), not NaN. The other coordinate moves by η/√(1−ρ).
    opt = RMSprop.preset("hinton2012", learning_rate=0.1)
    theta1, theta2 = run(opt, [1.0, 1.0], [[0.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(theta1, [1.0, 1 - 0.1 / math.sqrt(0.1)], rtol=1e-15)
    np.testing.assert_allclose(theta2, theta1, rtol=0)  # a zero gradient with v > 0 is a zero step too


def test_graves2013_two_steps():
    # ρ = 0.95, ε = 1e-4 inside the root, centered, μ = 0.9 with η inside the buffer, η = 1e-4.
    # step 1, g = 0.5:  v = 0.05·0.25 = 0.0125, m = 0.05·0.5 = 0.025, v − m² = 0.011875
    #                   b1 = 1e-4·0.5/√(0.011875 + 1e-4);  θ1 = 1 − b1
    # step 2, g = −1:   v = 0.95·0.0125 + 0.05 = 0.061875, m = 0.95·0.025 − 0.05 = −0.02625
    #                   v − m² = 0.061875 − 0.0006890625 = 0.0611859375
    #                   b2 = 0.9·b1 − 1e-4/√(0.0611859375 + 1e-4);  θ2 = θ1 − b2
    theta1, theta2 = run(RMSprop.preset("graves2013"), [1.0], [[0.5], [-1.0]])
    b1 = 1e-4 * 0.5 / math.sqrt(0.011875 + 1e-4)
    b2 = 0.9 * b1 - 1e-4 / math.sqrt(0.0611859375 + 1e-4)
    np.testing.assert_allclose(theta1, [1 - b1], rtol=1e-15)
    np.testing.assert_allclose(theta2, [1 - b1 - b2], rtol=1e-14)


def test_decoupled_weight_decay_acts_on_the_pre_step_parameters():
    # θ ← 2 − 0.1·0.1·2 = 1.98 first, then v = 0.025 and θ = 1.98 − 0.1·0.5/√0.025
    (theta,) = run(RMSprop(0.1, epsilon=0.0, weight_decay=0.1), [2.0], [[0.5]])
    np.testing.assert_allclose(theta, [1.98 - 0.1 * 0.5 / math.sqrt(0.025)], rtol=1e-15)


def test_coupled_weight_decay_changes_the_gradient():
    # g ← 0.5 + 0.1·2 = 0.7, v = 0.1·0.49 = 0.049;  θ = 2 − 0.1·0.7/√0.049
    (theta,) = run(RMSprop(0.1, epsilon=0.0, weight_decay=0.1, weight_decay_mode="coupled"), [2.0], [[0.5]])
    np.testing.assert_allclose(theta, [2 - 0.1 * 0.7 / math.sqrt(0.049)], rtol=1e-15)


# Two steps under a schedule η0 = 0.1, η1 = 0.05 with ρ = 0.5, ε = 0, μ = 0.9, g = 1, 1:
#   v1 = 0.5, u1 = 1/√0.5;   v2 = 0.25 + 0.5 = 0.75, u2 = 1/√0.75
HALVING = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
U1, U2 = 1 / math.sqrt(0.5), 1 / math.sqrt(0.75)


@pytest.mark.parametrize(
    "lr_in_momentum, nesterov, step1, step2",
    [
        # inside (Keras):  b1 = 0.1·u1;  b2 = 0.9·b1 + 0.05·u2;  θ moves by b
        (True, False, 0.1 * U1, 0.9 * 0.1 * U1 + 0.05 * U2),
        # outside (PyTorch): b1 = u1;  b2 = 0.9·u1 + u2;  θ moves by η_t·b
        (False, False, 0.1 * U1, 0.05 * (0.9 * U1 + U2)),
        # Nesterov, inside (Optax): θ moves by η_t·u_t + μ·b_t
        (True, True, 0.1 * U1 + 0.9 * 0.1 * U1, 0.05 * U2 + 0.9 * (0.9 * 0.1 * U1 + 0.05 * U2)),
        # Nesterov, outside: θ moves by η_t·(u_t + μ·b_t)
        (False, True, 0.1 * (U1 + 0.9 * U1), 0.05 * (U2 + 0.9 * (0.9 * U1 + U2))),
    ],
)
def test_momentum_conventions_under_a_schedule(lr_in_momentum, nesterov, step1, step2):
    opt = RMSprop(HALVING, rho=0.5, epsilon=0.0, momentum=0.9, nesterov=nesterov, lr_in_momentum=lr_in_momentum)
    theta1, theta2 = run(opt, [0.0], [[1.0], [1.0]])
    np.testing.assert_allclose(theta1, [-step1], rtol=1e-14)
    np.testing.assert_allclose(theta2, [-step1 - step2], rtol=1e-14)


# --------------------------------------------------------------------------- Keras's own examples


def test_keras_docstring_example():
    # η = 0.1, θ = 10, loss θ²/2 so g = θ = 10:  θ = 10 − 0.1·10/√(0.1·100 + 1e-7) = 9.683772
    opt = RMSprop(learning_rate=0.1)
    theta = np.array([10.0], dtype=np.float32)
    new_theta, _ = opt.update(theta, theta.copy(), opt.init(theta))
    assert new_theta.dtype == np.float32
    np.testing.assert_allclose(new_theta, [9.683772], rtol=1e-6)


def test_keras_unit_test_example():
    # RMSprop(0.5), θ = [1, 2, 3, 4], g = [1, 6, 7, 2]: each step is 0.5/√0.1 = 1.5811 (ε aside)
    (theta,) = run(RMSprop(learning_rate=0.5), [1.0, 2.0, 3.0, 4.0], [[1.0, 6.0, 7.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(theta, [-0.5811, 0.4189, 1.4189, 2.4189], atol=1e-4)


# --------------------------------------------------------------------------- the frameworks' conventions


rhos = st.floats(0.0, 0.999)
learning_rates = st.floats(1e-4, 1.0)
nonzero = st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))
gradients = st.lists(nonzero, min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(
    rho=rhos,
    lr=learning_rates,
    g=gradients,
    eps_in_sqrt=st.booleans(),
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    lr_in_momentum=st.booleans(),
)
def test_first_step_is_lr_over_root_one_minus_rho_times_sign(rho, lr, g, eps_in_sqrt, momentum, lr_in_momentum):
    opt = RMSprop(
        lr, rho=rho, epsilon=0.0, epsilon_in_sqrt=eps_in_sqrt, momentum=momentum, lr_in_momentum=lr_in_momentum
    )
    (theta,) = run(opt, np.zeros(len(g)), [g])
    np.testing.assert_allclose(theta, -lr / math.sqrt(1 - rho) * np.sign(g), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(rho=rhos, lr=learning_rates, g=gradients)
def test_bias_corrected_first_step_is_lr_times_sign(rho, lr, g):
    (theta,) = run(RMSprop(lr, rho=rho, epsilon=0.0, bias_correction=True), np.zeros(len(g)), [g])
    np.testing.assert_allclose(theta, -lr * np.sign(g), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    rho=rhos,
    lr=learning_rates,
    eps=st.sampled_from([0.0, 1e-8, 1e-3]),
    eps_in_sqrt=st.booleans(),
    bias_correction=st.booleans(),
    first=nonzero,
    later=st.lists(st.one_of(st.just(0.0), nonzero), min_size=1, max_size=30),
)
def test_no_step_is_larger_than_lr_over_root_one_minus_rho(rho, lr, eps, eps_in_sqrt, bias_correction, first, later):
    # v_t ≥ (1−ρ)·g_t², so |g_t|/√v_t ≤ 1/√(1−ρ); ε and bias correction only shrink the step.
    opt = RMSprop(lr, rho=rho, epsilon=eps, epsilon_in_sqrt=eps_in_sqrt, bias_correction=bias_correction)
    trajectory = np.concatenate([[0.0], np.ravel(run(opt, [0.0], [[g] for g in [first, *later]]))])
    assert np.max(np.abs(np.diff(trajectory))) <= lr / math.sqrt(1 - rho) * (1 + 1e-12)


variants = st.sampled_from(
    [
        dict(),
        dict(centered=True),
        dict(momentum=0.9),
        dict(momentum=0.9, lr_in_momentum=False),
        dict(momentum=0.5, nesterov=True),
        dict(bias_correction=True, momentum=0.5),
        dict(epsilon_in_sqrt=False, centered=True, momentum=0.9, lr_in_momentum=False),
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    variant=variants,
    rho=st.floats(0.1, 0.99),
    scale=st.floats(1e-3, 1e3),
    grads=st.lists(st.lists(nonzero, min_size=3, max_size=3), min_size=2, max_size=8),
)
def test_scale_invariance_at_zero_epsilon(variant, rho, scale, grads):
    # Multiplying every gradient by c > 0 multiplies v by c² and m by c: u = g/√v is unchanged.
    opt = RMSprop(0.01, rho=rho, epsilon=0.0, **variant)
    base = run(opt, np.ones(3), grads)
    scaled = run(opt, np.ones(3), [[scale * x for x in g] for g in grads])
    np.testing.assert_allclose(scaled, base, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    rho=rhos,
    mu=st.floats(0.0, 0.99),
    nesterov=st.booleans(),
    eps=st.sampled_from([1e-8, 1e-3]),
    grads=st.lists(st.lists(nonzero, min_size=2, max_size=2), min_size=1, max_size=10),
)
def test_lr_inside_or_outside_the_buffer_is_the_same_at_constant_lr(rho, mu, nesterov, eps, grads):
    assume(mu > 0 or not nesterov)
    inside = RMSprop(0.01, rho=rho, epsilon=eps, momentum=mu, nesterov=nesterov, lr_in_momentum=True)
    outside = RMSprop(0.01, rho=rho, epsilon=eps, momentum=mu, nesterov=nesterov, lr_in_momentum=False)
    np.testing.assert_allclose(run(inside, np.zeros(2), grads), run(outside, np.zeros(2), grads), rtol=1e-9, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(rho=rhos, mu=st.floats(0.1, 0.99), lr0=learning_rates, decay=st.floats(0.1, 0.9), g1=nonzero, g2=nonzero)
def test_lr_inside_or_outside_the_buffer_differs_under_a_schedule(rho, mu, lr0, decay, g1, g2):
    # After two steps, inside: b2 = μ·η0·u1 + η1·u2; outside: η1·(μ·u1 + u2).
    # The positions differ by exactly μ·u1·(η0 − η1), with u1 = g1/√((1−ρ)·g1² + ε).
    schedule = schedules.ExponentialDecay(lr0, decay_steps=1, decay_rate=decay)
    settings_ = dict(rho=rho, epsilon=1e-8, momentum=mu)
    inside = run(RMSprop(schedule, lr_in_momentum=True, **settings_), [0.0], [[g1], [g2]])[1][0]
    outside = run(RMSprop(schedule, lr_in_momentum=False, **settings_), [0.0], [[g1], [g2]])[1][0]
    u1 = g1 / math.sqrt((1 - rho) * g1 * g1 + 1e-8)
    gap = mu * u1 * (lr0 - lr0 * decay)
    assert abs(gap) > 0
    np.testing.assert_allclose(outside - inside, gap, rtol=1e-7, atol=1e-12 * (abs(inside) + abs(outside)))


# --------------------------------------------------------------------------- presets


def test_presets_carry_each_sources_conventions():
    keras, torch, tf1 = RMSprop.preset("keras"), RMSprop.preset("torch"), RMSprop.preset("tf1", learning_rate=1.0)
    optax, graves = RMSprop.preset("optax", learning_rate=1.0), RMSprop.preset("graves2013")
    assert (keras.learning_rate, keras.rho, keras.epsilon, keras.epsilon_in_sqrt) == (0.001, 0.9, 1e-7, True)
    assert (keras.lr_in_momentum, keras.weight_decay_mode, keras.initial_accumulator) == (True, "decoupled", 0.0)
    assert (torch.learning_rate, torch.rho, torch.epsilon, torch.epsilon_in_sqrt) == (0.01, 0.99, 1e-8, False)
    assert (torch.lr_in_momentum, torch.weight_decay_mode) == (False, "coupled")
    assert (tf1.rho, tf1.epsilon, tf1.epsilon_in_sqrt, tf1.initial_accumulator) == (0.9, 1e-10, True, 1.0)
    assert (optax.rho, optax.epsilon, optax.epsilon_in_sqrt, optax.initial_accumulator) == (0.9, 1e-8, True, 0.0)
    assert (graves.learning_rate, graves.rho, graves.epsilon) == (1e-4, 0.95, 1e-4)
    assert (graves.centered, graves.momentum, graves.lr_in_momentum) == (True, 0.9, True)
    assert RMSprop.preset("hinton2012", learning_rate=0.1).epsilon == 0.0
    assert RMSprop().hyperparameters() == keras.hyperparameters()  # the bare defaults are Keras's


def test_preset_overrides():
    opt = RMSprop.preset("torch", momentum=0.9, centered=True)
    assert (opt.momentum, opt.centered, opt.rho) == (0.9, True, 0.99)


def test_unknown_preset_lists_the_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown RMSprop preset 'pytorch'; valid presets: keras, torch, tf1, optax, "
        r"keras2.0, keras2.3, tf_keras_legacy, lua_torch, graves2013, hinton2012",
    ):
        RMSprop.preset("pytorch")
    assert list(PRESETS) == [
        "keras",
        "torch",
        "tf1",
        "optax",
        "keras2.0",
        "keras2.3",
        "tf_keras_legacy",
        "lua_torch",
        "graves2013",
        "hinton2012",
    ]


@pytest.mark.parametrize("name", ["tf1", "optax", "hinton2012"])
def test_presets_without_a_learning_rate_ask_for_one(name):
    with pytest.raises(TypeError, match=rf"RMSprop.preset\('{name}'\) needs learning_rate="):
        RMSprop.preset(name)


def test_preset_rejects_unknown_overrides():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'lr': use learning_rate= instead"):
        RMSprop.preset("keras", lr=0.01)
    message = r"RMSprop\(\) got unexpected keyword argument\(s\) 'alpha'; accepted: learning_rate, rho"
    with pytest.raises(TypeError, match=message):
        RMSprop.preset("torch", alpha=0.9)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(rho=1.0), r"rho must be a number in \[0, 1\); got 1.0"),
        (dict(rho=-0.1), r"rho must be a number in \[0, 1\); got -0.1"),
        (dict(rho="0.9"), r"rho must be a number in \[0, 1\); got '0.9'"),
        (dict(epsilon=-1e-8), r"epsilon must be a finite number >= 0; got -1e-08"),
        (dict(epsilon=float("inf")), r"epsilon must be a finite number >= 0; got inf"),
        (dict(momentum=1.0), r"momentum must be a number in \[0, 1\); got 1.0"),
        (dict(momentum=-0.1), r"momentum must be a number in \[0, 1\); got -0.1"),
        (dict(nesterov=True), r"nesterov=True needs momentum > 0; got momentum=0.0"),
        (dict(initial_accumulator=-1.0), r"initial_accumulator must be a finite number >= 0; got -1.0"),
        (dict(weight_decay=-0.01), r"weight_decay must be a finite number >= 0; got -0.01"),
        (dict(weight_decay_mode="l2"), r"weight_decay_mode must be one of \('decoupled', 'coupled'\); got 'l2'"),
        (dict(centered=1), r"centered must be True or False; got 1"),
        (dict(epsilon_in_sqrt="yes"), r"epsilon_in_sqrt must be True or False; got 'yes'"),
        (
            dict(learning_rate=-0.001),
            r"learning_rate must be a finite number > 0 or a callable schedule\(step\); got -0.001",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RMSprop(**kwargs)


def test_lr_keyword_says_use_learning_rate():
    with pytest.raises(
        TypeError,
        match=r"RMSprop\(\) got an unexpected keyword argument 'lr': use learning_rate= "
        r"instead \(Keras 3 rejects lr= too",
    ):
        RMSprop(lr=0.001)


def test_non_finite_gradient_in_a_nested_tree():
    opt = RMSprop(0.01)
    params = {"layer": (np.ones(2, np.float32), np.ones(2, np.float32))}
    grads = {"layer": (np.ones(2, np.float32), np.array([0.0, np.nan], np.float32))}
    message = r"grads\['layer'\]\[1\] has non-finite values \(nan or inf\) at step 0"
    with pytest.raises(FloatingPointError, match=message):
        opt.update(params, grads, opt.init(params))


def test_state_buffers_must_match_the_parameters():
    opt = RMSprop(0.01, momentum=0.9)
    state = opt.init(np.ones(2))
    with pytest.raises(ValueError, match=r"state.mean_square has shape \(2,\); it must match params, shape \(3,\)"):
        opt.update(np.ones(3), np.ones(3), state)
