"""rmsprop_ref.inplace: the in-place, blocked, threaded step equals the pure update bit for bit."""

import copy
from typing import NamedTuple

import numpy as np
import pytest

from rmsprop_ref import PRESETS, RMSprop, schedules
from rmsprop_ref.book.stepcost import peak_bytes
from rmsprop_ref.inplace import InPlaceRMSprop
from rmsprop_ref.tree import leaves

OPTIONS = [
    dict(),
    dict(epsilon_in_sqrt=False, rho=0.99),
    dict(centered=True),
    dict(momentum=0.9),
    dict(momentum=0.9, lr_in_momentum=False),
    dict(momentum=0.7, nesterov=True),
    dict(momentum=0.7, nesterov=True, lr_in_momentum=False, centered=True),
    dict(bias_correction=True),
    dict(bias_correction=True, centered=True, momentum=0.5, epsilon_in_sqrt=False),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, weight_decay_mode="coupled", momentum=0.9, lr_in_momentum=False),
    dict(initial_accumulator=1.0, epsilon=1e-10, momentum=0.9),
    dict(epsilon=0.0, learning_rate=0.5),
    dict(learning_rate=schedules.ExponentialDecay(0.05, 3, 0.5), momentum=0.9, lr_in_momentum=False),
    dict(learning_rate=schedules.CosineDecay(0.05, 5), momentum=0.9, weight_decay=0.01),
]


def random_tree(rng, dtype=np.float32):
    """A nested pytree: dict, list, tuple, a 0-d leaf and leaves of awkward sizes."""

    def normal(*shape):
        return rng.standard_normal(shape).astype(dtype)

    return {
        "dense": {"kernel": normal(37, 29), "bias": normal(29)},
        "layers": [normal(1000), (normal(3, 4, 5), normal())],
        "scale": normal(1),
    }


class Refused(NamedTuple):
    """Both paths refused: an ε that rounds to 0 (at init), or a non-finite result (at a step)."""

    error: type
    step: int


def run_both(optimizer, steps, *, dtype=np.float32, seed=0, **fast_options):
    """Run the pure update and the in-place path side by side; return both final results.

    Where the pure path refuses, the in-place path (checking, as the pure path does) must
    refuse at the same point with the same kind of error; then both results are ``Refused``.
    """
    rng = np.random.default_rng(seed)
    params = random_tree(rng, dtype)
    fast_params = copy.deepcopy(params)
    fast = InPlaceRMSprop(optimizer, check_finite=True, **fast_options)
    try:
        state = optimizer.init(params)
    except ValueError:
        with pytest.raises(ValueError, match="rounds to 0"):
            fast.init(fast_params)
        return Refused(ValueError, -1), Refused(ValueError, -1)
    fast_state = fast.init(fast_params)
    for step in range(steps):
        grads = random_tree(rng, dtype)
        before = copy.deepcopy(grads)
        try:
            params, state = optimizer.update(params, grads, state)
        except FloatingPointError:
            with pytest.raises(FloatingPointError, match=f"step {step} made"):
                fast.update_(fast_params, grads, fast_state)
            return Refused(FloatingPointError, step), Refused(FloatingPointError, step)
        fast_state = fast.update_(fast_params, grads, fast_state)
        for a, b in zip(leaves(grads), leaves(before)):
            np.testing.assert_array_equal(a, b)  # gradients are only read
    return (params, state), (fast_params, fast_state)


def assert_identical(reference, fast):
    if isinstance(reference, Refused):
        assert fast == reference
        return
    (params, state), (fast_params, fast_state) = reference, fast
    assert fast_state.step == state.step
    for a, b in zip(leaves(params), leaves(fast_params)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)  # NaN == NaN here (centered without guard can give NaN)
    for slot, fast_slot in zip(state[1:], fast_state[1:]):
        assert (slot is None) == (fast_slot is None)
        if slot is not None:
            for a, b in zip(leaves(slot), leaves(fast_slot)):
                np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN/inf edge cases warn in the reference too
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
@pytest.mark.parametrize("threads, block_size", [(1, 64), (2, 100), (3, 4096)])
def test_every_option_equals_the_pure_update_exactly(options, threads, block_size):
    optimizer = RMSprop(**options)
    reference, fast = run_both(optimizer, 7, threads=threads, block_size=block_size, min_parallel_size=0)
    assert_identical(reference, fast)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN/inf edge cases warn in the reference too
@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_every_preset_and_dtype_equals_the_pure_update_exactly(preset, dtype):
    optimizer = RMSprop.preset(preset, learning_rate=0.01)
    reference, fast = run_both(optimizer, 6, dtype=dtype, seed=1, threads=2, block_size=256, min_parallel_size=0)
    assert_identical(reference, fast)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_presets_with_every_extra_option():
    for preset in PRESETS:
        optimizer = RMSprop.preset(
            preset,
            learning_rate=schedules.InverseTimeDecay(0.01, 2, 1.0),
            momentum=0.5,
            centered=True,
            bias_correction=True,
            weight_decay=0.01,
            nesterov=True,
        )
        reference, fast = run_both(optimizer, 5, seed=2, threads=2, block_size=128, min_parallel_size=0)
        assert_identical(reference, fast)


def test_it_mutates_params_and_state_buffers_in_place_and_returns_them():
    optimizer = RMSprop(0.01, momentum=0.9, centered=True)
    fast = InPlaceRMSprop(optimizer)
    params = {"w": np.ones(10, np.float32)}
    state = fast.init(params)
    w, v, m, b = params["w"], state.mean_square["w"], state.mean_grad["w"], state.momentum_buffer["w"]
    new_state = fast.update_(params, {"w": np.full(10, 2.0, np.float32)}, state)
    assert new_state.step == 1 and state.step == 0
    assert params["w"] is w and new_state.mean_square["w"] is v and new_state.mean_grad["w"] is m
    assert new_state.momentum_buffer["w"] is b
    assert np.all(w < 1) and np.all(v > 0)  # the very arrays changed


def test_a_large_step_allocates_no_array_of_the_parameters_size():
    n = 1_000_000
    rng = np.random.default_rng(0)
    params, grads = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    optimizer = RMSprop(0.001, momentum=0.9, centered=True, weight_decay=0.01, weight_decay_mode="coupled")
    fast = InPlaceRMSprop(optimizer, threads=2)
    state = fast.update_(params, grads, fast.init(params))  # warm-up: scratch blocks are made here
    # ... for both workers, whichever blocks each happened to take.
    assert sorted(fast._scratch) == [(0, np.float32), (1, np.float32)]

    fast_peak = peak_bytes(lambda: fast.update_(params, grads, state))
    pure_peak = peak_bytes(lambda: optimizer.update(params, grads, state))
    one_array = n * 4
    assert pure_peak > 3 * one_array  # the measurement sees N-sized temporaries
    assert fast_peak < one_array / 8, f"in-place step peaked at {fast_peak} bytes"


def test_check_finite_raises_before_changing_anything():
    optimizer = RMSprop(0.01)
    fast = InPlaceRMSprop(optimizer, check_finite=True, block_size=16)
    params = {"a": np.ones(40, np.float32), "b": np.ones(40, np.float32)}
    state = fast.init(params)
    grads = {"a": np.ones(40, np.float32), "b": np.ones(40, np.float32)}
    grads["b"][33] = np.nan
    with pytest.raises(FloatingPointError, match=r"grads\['b'\]"):
        fast.update_(params, grads, state)
    assert np.all(params["a"] == 1) and np.all(state.mean_square["a"] == 0)
    grads["b"][33] = np.inf
    with pytest.raises(FloatingPointError):
        fast.update_(params, grads, state)


def test_threads_split_many_small_leaves_and_one_large_one_alike():
    optimizer = RMSprop(0.01, momentum=0.9)
    rng = np.random.default_rng(3)
    make = lambda: [rng.standard_normal(n).astype(np.float32) for n in (5, 70_000, 3, 129, 200_001)]  # noqa: E731
    params = make()
    fast_params = copy.deepcopy(params)
    fast = InPlaceRMSprop(optimizer, threads=4, block_size=8192)
    state, fast_state = optimizer.init(params), fast.init(fast_params)
    for _ in range(3):
        grads = make()
        params, state = optimizer.update(params, grads, state)
        fast_state = fast.update_(fast_params, grads, fast_state)
    assert_identical((params, state), (fast_params, fast_state))


@pytest.mark.parametrize(
    "make_params, match",
    [
        (lambda: {"w": np.ones((4, 6), np.float32)[:, ::2]}, "C-contiguous"),
        (lambda: {"w": np.float32(1.0)}, "writable"),
    ],
)
def test_leaves_that_cannot_change_in_place_are_rejected(make_params, match):
    fast = InPlaceRMSprop(RMSprop())
    params = make_params()
    grads = {"w": np.zeros_like(np.asarray(params["w"]))}
    with pytest.raises(ValueError, match=match):
        fast.update_(params, grads, fast.init(params))


def test_read_only_parameters_are_rejected():
    fast = InPlaceRMSprop(RMSprop())
    params = {"w": np.ones(4, np.float32)}
    state = fast.init(params)
    params["w"].setflags(write=False)
    with pytest.raises(ValueError, match=r"params\['w'\].*writable"):
        fast.update_(params, {"w": np.ones(4, np.float32)}, state)


def test_gradients_aliasing_the_parameters_are_rejected():
    fast = InPlaceRMSprop(RMSprop())
    params = np.ones(8, np.float32)
    with pytest.raises(ValueError, match="shares memory"):
        fast.update_(params, params, fast.init(params))


def test_state_of_another_optimizer_is_rejected():
    params = np.ones(8, np.float32)
    plain_state = RMSprop().init(params)
    with pytest.raises(ValueError, match="momentum_buffer"):
        InPlaceRMSprop(RMSprop(momentum=0.9)).update_(params, np.ones(8, np.float32), plain_state)
    with pytest.raises(ValueError, match="RMSpropState"):
        InPlaceRMSprop(RMSprop()).update_(params, np.ones(8, np.float32), (0, None))
    with pytest.raises(ValueError, match="grads"):
        InPlaceRMSprop(RMSprop()).update_(params, np.ones(9, np.float32), plain_state)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(block_size=0), "block_size"),
        (dict(threads=0), "threads"),
        (dict(threads=1.5), "threads"),
        (dict(min_parallel_size=-1), "min_parallel_size"),
        (dict(check_finite="yes"), "check_finite"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InPlaceRMSprop(RMSprop(), **kwargs)


def test_only_rmsprop_is_accepted():
    from rmsprop_ref import Adam

    with pytest.raises(ValueError, match="optimizer"):
        InPlaceRMSprop(Adam())


@pytest.mark.parametrize("epsilon_in_sqrt", [True, False])
def test_zero_epsilon_and_zero_gradients_match_the_reference(epsilon_in_sqrt):
    # With ε = 0 a coordinate that has only seen zero gradients must stay put (not 0/0 = NaN).
    optimizer = RMSprop.preset("hinton2012", learning_rate=0.1, epsilon_in_sqrt=epsilon_in_sqrt)
    params = np.linspace(-1, 1, 50, dtype=np.float32)
    fast_params = params.copy()
    fast = InPlaceRMSprop(optimizer, block_size=16, threads=2, min_parallel_size=0)
    state, fast_state = optimizer.init(params), fast.init(fast_params)
    grads = np.where(np.arange(50) % 3 == 0, 0.0, 1.0).astype(np.float32)
    for _ in range(3):
        params, state = optimizer.update(params, grads, state)
        fast_state = fast.update_(fast_params, grads, fast_state)
    np.testing.assert_array_equal(params, fast_params)
    assert np.all(np.isfinite(fast_params))
