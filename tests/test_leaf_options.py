"""Options that differ from leaf to leaf (RMSprop's ``leaf_options``): PyTorch's parameter
groups and Keras's exclusion from weight decay, in one mechanism."""

import numpy as np
import pytest

from rmsprop_ref import InPlaceRMSprop, RMSprop, sweep
from rmsprop_ref.problems import Quadratic
from rmsprop_ref.run import stream_path

rng = np.random.default_rng(7)
PARAMS = {"dense": {"kernel": rng.normal(size=(3, 2)), "bias": rng.normal(size=2)}}
GRADS = [{"dense": {"kernel": rng.normal(size=(3, 2)), "bias": rng.normal(size=2)}} for _ in range(15)]


def run(optimizer, params=PARAMS, grads=GRADS):
    state = optimizer.init(params)
    for g in grads:
        params, state = optimizer.update(params, g, state)
    return params, state


def run_leaf(optimizer, name):
    """One leaf alone, with its own optimizer."""
    params, _ = run(optimizer, PARAMS["dense"][name], [g["dense"][name] for g in GRADS])
    return params


@pytest.mark.parametrize(
    "base, bias_options, bias_alone",
    [
        # a PyTorch group with its own learning rate and weight decay
        (
            dict(learning_rate=0.01, weight_decay=0.1),
            {"learning_rate": 0.05, "weight_decay": 0.0},
            dict(learning_rate=0.05, weight_decay=0.0),
        ),
        # Keras's exclude_from_weight_decay(var_names=["bias"])
        (dict(weight_decay=0.1), {"weight_decay": 0.0}, dict(weight_decay=0.0)),
        # switching buffers off for one leaf: it steps exactly as an optimizer without them
        (dict(momentum=0.9, centered=True), {"momentum": 0.0, "centered": False}, dict()),
        (dict(momentum=0.9, nesterov=True), {"momentum": 0.0}, dict()),
        (
            dict(rho=0.9, epsilon=1e-7),
            {"rho": 0.5, "epsilon": 1e-3, "maximize": True},
            dict(rho=0.5, epsilon=1e-3, maximize=True),
        ),
    ],
)
def test_each_leaf_steps_as_its_own_optimizer_would(base, bias_options, bias_alone):
    grouped = RMSprop(**base, leaf_options=lambda path: bias_options if "bias" in path else {})
    params, _ = run(grouped)
    np.testing.assert_array_equal(params["dense"]["kernel"], run_leaf(RMSprop(**base), "kernel"))
    np.testing.assert_array_equal(params["dense"]["bias"], run_leaf(RMSprop(**bias_alone), "bias"))


def test_a_switched_off_buffer_keeps_its_start_value():
    grouped = RMSprop(momentum=0.9, leaf_options=lambda path: {"momentum": 0.0} if "bias" in path else {})
    _, state = run(grouped)
    np.testing.assert_array_equal(state.momentum_buffer["dense"]["bias"], np.zeros(2))
    assert np.all(state.momentum_buffer["dense"]["kernel"] != 0)


def test_leaf_options_see_the_paths_and_are_asked_once_per_leaf():
    seen = []
    grouped = RMSprop(leaf_options=lambda path: seen.append(path) or {})
    run(grouped)
    assert sorted(seen) == ["params['dense']['bias']", "params['dense']['kernel']"]


def test_clipping_acts_on_all_leaves_together_before_their_own_options():
    # Keras clips the whole gradient list before weight decay and the step: the global norm
    # counts every leaf, whatever its options.
    grouped = RMSprop(global_clipnorm=0.5, leaf_options=lambda path: {"learning_rate": 0.1} if "bias" in path else {})
    plain = RMSprop(global_clipnorm=0.5)
    g = GRADS[0]
    state = grouped.init(PARAMS)
    clipped = plain.prepare_gradients(g)
    new, _ = grouped.update(PARAMS, g, state)
    expected, _ = RMSprop(0.1).update(
        PARAMS["dense"]["bias"], clipped["dense"]["bias"], RMSprop(0.1).init(PARAMS["dense"]["bias"])
    )
    np.testing.assert_array_equal(new["dense"]["bias"], expected)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"clipnorm": 1.0}, r"leaf_options\(\"params\['dense'\]\['bias'\]\"\) sets clipnorm; a leaf can change only"),
        ({"momentum": 0.9}, r"turns momentum on, but the optimizer has it off"),
        ({"centered": True}, r"turns centered on"),
        ({"rho": 1.5}, r"leaf_options\(\"params\['dense'\]\['bias'\]\"\): rho must be a number in \[0, 1\)"),
        (["weight_decay"], r"must return a dict of options; got \['weight_decay'\]"),
    ],
)
def test_bad_leaf_options_name_the_leaf_and_what_is_allowed(options, message):
    grouped = RMSprop(leaf_options=lambda path: options if "bias" in path else {})
    with pytest.raises(ValueError, match=message):
        run(grouped)


def test_leaf_options_must_be_a_function():
    with pytest.raises(ValueError, match="leaf_options must be None or a function from a leaf's path"):
        RMSprop(leaf_options={"bias": {"weight_decay": 0.0}})


def test_the_single_leaf_and_fast_paths_refuse_leaf_options():
    grouped = RMSprop(leaf_options=lambda path: {})
    with pytest.raises(ValueError, match="InPlaceRMSprop does not implement leaf_options="):
        InPlaceRMSprop(grouped)
    with pytest.raises(ValueError, match="stream_path feeds a single leaf"):
        stream_path(grouped, np.ones((3, 2)))
    with pytest.raises(ValueError, match="sweep does not implement leaf_options="):
        sweep(Quadratic(), [1.0, 1.0], 5, learning_rate=0.1, leaf_options=lambda path: {})
