"""PyTorch's own RMSprop tests, ported to run against rmsprop_ref (no torch import).

Sources: ``torch/optim/rmsprop.py`` and ``torch/testing/_internal/common_optimizers.py`` at
v2.13.0 (read from the torch 2.13.0 wheel, git_version cf30153c); ``test/test_optim.py``
(``TestOptimRenewed``) from a 2.x copy in the code index and ``test/optim/test_optim.py``
(``TestDifferentiableOptimizer``) at pytorch commit 011f470f, because the v2.13.0 blobs could
not be fetched (the repository snapshot is over the fetch limit); the v0.4-era
``test/test_optim.py::test_rmsprop`` with ``torch/legacy/optim/rmsprop.py`` (blob b42de39) and
``test/common.py``; and Lua Torch's golden file ``test/optim/lua.out`` (commit 3d80b13) with
``tests.json``, ``test.lua`` and ``compare.sh``. Each option set of
``optim_inputs_func_rmsprop`` runs against a NumPy transcription of the algorithm box in the
RMSprop docstring, and the loss-direction, zero-gradient, error-input, differentiable-state,
legacy and Lua golden cases are ported with their numbers and tolerances. So are the parameter
groups, as ``leaf_options`` (``test_param_groups_weight_decay``, ``test_param_groups_lr``,
``test_param_group_with_lrscheduler_goes_right_direction``, each also checked group by group
against the documented algorithm), and the None gradients
(``test_step_is_noop_when_params_have_no_grad``; ``_compare_between``'s step without a backward
pass and its frozen layer, run against the documented algorithm instead of the for-loop). Left
out: the CUDA-only inputs (``capturable``, a Tensor ``lr``: implementation switches that do not
change the maths, and without them they repeat CPU inputs); every other test that compares
PyTorch with itself (``foreach``/``fused`` against the for-loop, mixed device/dtype, Tensor
``lr``, memory); complex parameters (``test_complex*``); sparse gradients (RMSprop refuses
them); gradcheck (``TestDifferentiableOptimizer`` keeps only the step's value); and the API tests
(state_dict save/load, hooks, printing, deepcopy, the error inputs about parameter lists and
names).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rmsprop_ref import RMSprop
from rmsprop_ref.conventions import reference_settings
from rmsprop_ref.rmsprop import LEAF_OPTIONS, RMSpropState

# torch.testing's default tolerances (rtol, atol), which TestCase.assertEqual also uses:
# _DTYPE_PRECISIONS in torch/testing/_comparison.py at v2.13.0.
TORCH_TOLERANCES = {np.float32: (1.3e-6, 1e-5), np.float64: (1e-7, 1e-7)}

# optim_inputs_func_rmsprop, torch/testing/_internal/common_optimizers.py at v2.13.0: the
# inputs for every device (desc -> kwargs). The three CUDA-only inputs add capturable=True
# (and one a Tensor lr=0.001) to {}, {weight_decay: 0.1, maximize: True} and {lr: 0.001}:
# without the implementation switch they are "default", "maximize, weight_decay" and
# "non-default lr" again.
OPTIM_INPUTS = {
    "default": {},
    "non-default lr": {"lr": 1e-3},
    "nonzero weight_decay": {"weight_decay": 0.1},
    "maximize": {"maximize": True},
    "centered": {"weight_decay": 0.1, "centered": True},
    "maximize, weight_decay": {"maximize": True, "weight_decay": 0.1},
    "momentum": {"weight_decay": 0.1, "centered": True, "momentum": 0.1},
    "maximize, centered, weight_decay, w/ momentum": {
        "weight_decay": 0.1,
        "centered": True,
        "momentum": 0.1,
        "maximize": True,
    },
}


def torch_rmsprop(kwargs: dict) -> RMSprop:
    """rmsprop_ref's twin of ``torch.optim.RMSprop(params, **kwargs)``."""
    return RMSprop(**reference_settings(kwargs, "torch"))


def assert_torch_close(actual, expected, dtype) -> None:
    """torch.testing.assert_close with the dtype's default tolerances: |a - e| <= atol + rtol·|e|."""
    rtol, atol = TORCH_TOLERANCES[dtype]
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype == dtype
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- the reference


class DocumentedRMSprop:
    """PyTorch's RMSprop as its documentation states it, one list entry per parameter.

    Transcribed from the algorithm box of ``torch.optim.RMSprop.__doc__`` (torch/optim/rmsprop.py
    at v2.13.0): v starts at 0, weight decay adds λθ to g, v ← αv + (1−α)g², the centered form
    subtracts the square of the running mean of g, ε is added after the square root, and the
    momentum buffer holds the unscaled step, multiplied by γ when applied. The box has no line
    for ``maximize``; the docstring's ``maximize`` argument flips the objective, which
    ``_single_tensor_rmsprop`` does by negating the gradient before anything else. Nor has it a
    line for a parameter without a gradient: ``RMSprop._init_group`` passes over every ``p``
    whose ``p.grad is None`` (``continue``), so neither p nor its state moves; a None entry of
    ``grads`` stands for that here.
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum = weight_decay, momentum
        self.centered, self.maximize = centered, maximize

    def init(self, params):
        zeros = [np.zeros_like(p) for p in params]
        return {"square_avg": zeros, "grad_avg": list(zeros), "momentum_buffer": list(zeros)}

    def step(self, params, grads, state):
        """The new parameters and state (the inputs are not modified)."""
        new_params, new_state = [], {key: [] for key in state}
        for i, (theta, g) in enumerate(zip(params, grads)):
            if g is None:
                new_params.append(theta)
                for key in state:
                    new_state[key].append(state[key][i])
                continue
            if self.maximize:
                g = -g
            if self.weight_decay != 0:
                g = g + self.weight_decay * theta
            v = self.alpha * state["square_avg"][i] + (1 - self.alpha) * g**2
            v_tilde = v
            g_ave = state["grad_avg"][i]
            if self.centered:
                g_ave = g_ave * self.alpha + (1 - self.alpha) * g
                v_tilde = v_tilde - g_ave**2
            direction = g / (np.sqrt(v_tilde) + self.eps)
            b = state["momentum_buffer"][i]
            if self.momentum > 0:
                b = self.momentum * b + direction
                theta = theta - self.lr * b
            else:
                theta = theta - self.lr * direction
            new_params.append(theta)
            for key, value in (("square_avg", v), ("grad_avg", g_ave), ("momentum_buffer", b)):
                new_state[key].append(value)
        return new_params, new_state


# The problem of TestOptimRenewed (test/test_optim.py): weight (10, 5), bias (10), input (5),
# loss = (weight.mv(input) + bias).pow(2).sum(), and its gradient.


def linear_problem(rng, dtype, contiguous=True):
    def randn(*shape):
        return rng.standard_normal(shape).astype(dtype)

    if contiguous:
        weight, bias = randn(10, 5), randn(10)
    else:  # test_forloop_goes_right_direction's non-contiguous case: randn(10, 5, 2)[..., 0]
        weight, bias = randn(10, 5, 2)[..., 0], randn(10, 2)[..., 0]
        assert not weight.flags.c_contiguous and not bias.flags.c_contiguous
    return [weight, bias], randn(5)


def linear_loss(params, x) -> float:
    weight, bias = params
    return float(np.sum((weight @ x + bias) ** 2))


def linear_grads(params, x):
    weight, bias = params
    residual = 2 * (weight @ x + bias)
    return [np.outer(residual, x), residual]


# --------------------------------------------------------------------------- optim_inputs_func_rmsprop


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("desc", list(OPTIM_INPUTS))
def test_optim_inputs_follow_the_documented_algorithm(desc, dtype):
    # Every input of optim_inputs_func_rmsprop (common_optimizers.py, v2.13.0), 20 steps of
    # TestOptimRenewed's problem (test_optim.py), rmsprop_ref against the docstring's algorithm
    # (DocumentedRMSprop), parameters and every buffer after every step, with torch.testing's
    # default tolerances for the dtype (float32 as most TestOptimRenewed tests, float64 as
    # test_foreach_matches_forloop).
    kwargs = OPTIM_INPUTS[desc]
    params, x = linear_problem(np.random.default_rng(20), dtype)
    opt, reference = torch_rmsprop(kwargs), DocumentedRMSprop(**kwargs)
    state, ref_params, ref_state = opt.init(params), params, reference.init(params)
    for _ in range(20):
        params, state = opt.update(params, linear_grads(params, x), state)
        ref_params, ref_state = reference.step(ref_params, linear_grads(ref_params, x), ref_state)
        assert_torch_close(params, ref_params, dtype)
        assert_torch_close(state.mean_square, ref_state["square_avg"], dtype)
        if kwargs.get("centered"):
            assert_torch_close(state.mean_grad, ref_state["grad_avg"], dtype)
        if kwargs.get("momentum"):
            assert_torch_close(state.momentum_buffer, ref_state["momentum_buffer"], dtype)


class StepLRThenPlateau:
    """OptimizerInfo's default ``scheduler_inputs`` (common_optimizers.py, v2.13.0), the list
    ``[StepLR(opt, gamma=0.9, step_size=10), ReduceLROnPlateau(opt)]``, stepped in that order
    after each optimizer step as test_forloop_goes_right_direction does. Each multiplies the
    group's current lr (torch/optim/lr_scheduler.py at v2.13.0): StepLR by gamma when its epoch
    is a multiple of step_size; ReduceLROnPlateau (mode "min", factor 0.1, patience 10, relative
    threshold 1e-4, no cooldown, min_lr 0, eps 1e-8) once more than ``patience`` losses in a row
    fail to beat the best by the threshold."""

    def __init__(self, lr: float):
        self.lr, self.epoch = lr, 0
        self.best, self.bad_epochs = math.inf, 0

    def step(self, loss: float) -> None:
        self.epoch += 1
        if self.epoch % 10 == 0:
            self.lr *= 0.9
        if loss < self.best * (1 - 1e-4):
            self.best, self.bad_epochs = loss, 0
        else:
            self.bad_epochs += 1
        if self.bad_epochs > 10:
            reduced = max(self.lr * 0.1, 0.0)
            if self.lr - reduced > 1e-8:
                self.lr = reduced
            self.bad_epochs = 0


@pytest.mark.parametrize("with_lrsched", [False, True])
@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("desc", list(OPTIM_INPUTS))
def test_forloop_goes_right_direction(desc, contiguous, with_lrsched):
    # TestOptimRenewed.test_forloop_goes_right_direction (test/test_optim.py): float32, 20 steps,
    # the loss falls (rises with maximize). rmsprop_ref's learning rate may be a function of the
    # step count; here it reads the lr the emulated schedulers set after each step.
    kwargs = OPTIM_INPUTS[desc]
    params, x = linear_problem(np.random.default_rng(7), np.float32, contiguous)
    settings = reference_settings(kwargs, "torch")
    lrs = [settings["learning_rate"]]
    if with_lrsched:
        settings["learning_rate"] = lambda step: lrs[step]
    opt = RMSprop(**settings)
    schedulers = StepLRThenPlateau(lrs[0])
    state = opt.init(params)
    initial = linear_loss(params, x)
    for _ in range(20):
        loss = linear_loss(params, x)
        params, state = opt.update(params, linear_grads(params, x), state)
        schedulers.step(loss)
        lrs.append(schedulers.lr)
    assert all(p.dtype == np.float32 for p in params)
    if kwargs.get("maximize"):
        assert linear_loss(params, x) > initial
    else:
        assert linear_loss(params, x) < initial
    if with_lrsched and kwargs.get("maximize"):
        # A rising loss never beats the best, so ReduceLROnPlateau cut lr after 11 bad epochs.
        assert lrs[-1] < 0.5 * lrs[0]


@pytest.mark.parametrize("desc", [d for d, kw in OPTIM_INPUTS.items() if kw.get("weight_decay", 0) == 0])
def test_step_is_noop_for_zero_grads(desc):
    # TestOptimRenewed.test_step_is_noop_for_zero_grads (test/test_optim.py): float32 param of
    # shape (5, 1), a zero gradient, one step, the parameter unchanged (assertEqual, float32
    # defaults). The inputs with weight decay are skipped there, as here: they move θ anyway.
    param = np.random.default_rng(3).standard_normal((5, 1)).astype(np.float32)
    opt = torch_rmsprop(OPTIM_INPUTS[desc])
    new, state = opt.update(param, np.zeros_like(param), opt.init(param))
    assert_torch_close([new], [param], np.float32)
    assert state.step == 1


def test_errors_momentum_below_zero():
    # optim_error_inputs_func_rmsprop (common_optimizers.py, v2.13.0), the RMSprop-specific CPU
    # input: lr=1e-2, momentum=-1.0 raises ValueError ("Invalid momentum value: -1.0" in PyTorch;
    # rmsprop_ref words it its own way, naming the option). The other error inputs are about
    # parameter lists, duplicates, names and Tensor lr: PyTorch's API, not RMSprop's maths.
    with pytest.raises(ValueError, match="momentum"):
        torch_rmsprop({"lr": 1e-2, "momentum": -1.0})


def test_differentiable_optimizer_state_and_options():
    # TestDifferentiableOptimizer.test_rmsprop (test/optim/test_optim.py): one step from a
    # non-zero state, float64: p, grad, square_avg and momentum_buffer uniform in [0, 1),
    # grad_avg 1e-2 times that, step 0, with lr=0.9, maximize, momentum=0.9, centered,
    # weight_decay=0.1. gradcheck differentiates this step, which NumPy cannot; what is ported is
    # the step's value against the documented algorithm, float64 default tolerances.
    rng = np.random.default_rng(11)
    p, grad, square_avg, momentum_buffer = (rng.random(10) for _ in range(4))
    grad_avg = 1e-2 * rng.random(10)
    kwargs = {"lr": 0.9, "maximize": True, "momentum": 0.9, "centered": True, "weight_decay": 0.1}
    opt = torch_rmsprop(kwargs)
    state = RMSpropState(0, [square_avg], [grad_avg], [momentum_buffer])
    (new_p,), new_state = opt.update([p], [grad], state)

    reference = DocumentedRMSprop(**kwargs)
    ref_state = {"square_avg": [square_avg], "grad_avg": [grad_avg], "momentum_buffer": [momentum_buffer]}
    (ref_p,), ref_state = reference.step([p], [grad], ref_state)
    assert_torch_close([new_p], [ref_p], np.float64)
    assert_torch_close(new_state.mean_square, ref_state["square_avg"], np.float64)
    assert_torch_close(new_state.mean_grad, ref_state["grad_avg"], np.float64)
    assert_torch_close(new_state.momentum_buffer, ref_state["momentum_buffer"], np.float64)


# --------------------------------------------------------------------------- parameter groups, None gradients


def torch_rmsprop_groups(groups, **defaults) -> RMSprop:
    """rmsprop_ref's twin of ``torch.optim.RMSprop([{"params": [...], **kwargs}, ...], **defaults)``.

    ``groups`` lists PyTorch's parameter groups as ``(indices, kwargs)``: where the group's
    parameters sit in the list given to ``update`` (leaf paths ``params[i]``) and the group's
    own options. ``Optimizer.add_param_group`` (torch/optim/optimizer.py at v2.13.0) fills the
    options a group leaves out from the constructor's (``param_group.setdefault``), so a group's
    settings are RMSprop's defaults, then ``defaults``, then its kwargs. Every leaf gets its
    group's settings through ``leaf_options``; momentum and centering are on for the optimizer
    when some group has them, so that the state holds their buffers, and a group without them
    switches them off for its leaves.
    """
    settings = [reference_settings({**defaults, **kwargs}, "torch") for _, kwargs in groups]
    by_path = {f"params[{i}]": group for (indices, _), group in zip(groups, settings) for i in indices}
    overall = dict(settings[0])
    overall["momentum"] = max(group["momentum"] for group in settings)
    overall["centered"] = any(group["centered"] for group in settings)
    overall["leaf_options"] = lambda path: {key: by_path[path][key] for key in LEAF_OPTIONS}
    return RMSprop(**overall)


def documented_groups(groups, **defaults) -> list[DocumentedRMSprop]:
    """The same groups as DocumentedRMSprop, one per group, listed once per parameter (the
    parameters of a group share their group's object, as they share its options)."""
    by_index = {}
    for indices, kwargs in groups:
        reference = DocumentedRMSprop(**{**defaults, **kwargs})
        by_index.update(dict.fromkeys(indices, reference))
    return [by_index[i] for i in range(len(by_index))]


def documented_groups_step(references, params, grads, state):
    """One ``step`` of PyTorch's loop over its parameter groups: parameter i moves as
    ``references[i]``, its group's DocumentedRMSprop, moves it. Returns new lists."""
    new_params, new_state = [], {key: [] for key in state}
    for i, reference in enumerate(references):
        (theta,), one = reference.step([params[i]], [grads[i]], {key: [value[i]] for key, value in state.items()})
        new_params.append(theta)
        for key, (value,) in one.items():
            new_state[key].append(value)
    return new_params, new_state


def assert_same_as_documented(params, state, ref_params, ref_state, dtype) -> None:
    """The parameters and every buffer rmsprop_ref's state holds against the reference's."""
    assert len(params) == len(ref_params)
    assert_torch_close(params, ref_params, dtype)
    assert_torch_close(state.mean_square, ref_state["square_avg"], dtype)
    if state.mean_grad is not None:
        assert_torch_close(state.mean_grad, ref_state["grad_avg"], dtype)
    if state.momentum_buffer is not None:
        assert_torch_close(state.momentum_buffer, ref_state["momentum_buffer"], dtype)


@pytest.mark.parametrize("desc", list(OPTIM_INPUTS))
def test_param_groups_weight_decay(desc):
    # TestOptimRenewed.test_param_groups_weight_decay (test/test_optim.py): float32, the weight
    # in a group with the input's options, the bias in a group with the same options but
    # weight_decay=0, 20 steps of the linear problem; the last loss computed, the one before the
    # 20th step, is below the first (above with maximize). Added, after the class docstring's
    # "parameter groups (should be equivalent to having multiple optimizers)": after every step,
    # each parameter and its buffers against DocumentedRMSprop with its own group's options,
    # float32 defaults (the loss alone would not notice the bias decaying like the weight).
    kwargs = OPTIM_INPUTS[desc]
    groups = [([0], kwargs), ([1], {**kwargs, "weight_decay": 0.0})]
    params, x = linear_problem(np.random.default_rng(21), np.float32)
    opt, references = torch_rmsprop_groups(groups), documented_groups(groups)
    state, ref_params, ref_state = opt.init(params), params, references[0].init(params)
    initial = linear_loss(params, x)
    for _ in range(20):
        loss = linear_loss(params, x)
        params, state = opt.update(params, linear_grads(params, x), state)
        ref_params, ref_state = documented_groups_step(references, ref_params, linear_grads(ref_params, x), ref_state)
        assert_same_as_documented(params, state, ref_params, ref_state, np.float32)
    if kwargs.get("maximize"):
        assert loss > initial
    else:
        assert loss < initial


@pytest.mark.parametrize("desc", list(OPTIM_INPUTS))
def test_param_groups_lr(desc):
    # TestOptimRenewed.test_param_groups_lr (test/test_optim.py): float32, weight and bias in a
    # group with the input's options (lr=1e-3 where the input sets none), a third parameter,
    # "irrelevant", randn(2), in a group of its own that takes the constructor's lr=1e-28 and
    # RMSprop's other defaults, with a fresh torch.rand_like gradient (uniform in [0, 1)) every
    # step; 20 steps. The last loss computed moves the right way from the first, and irrelevant
    # still equals its starting value (assertEqual, float32 defaults). Added, as in
    # test_param_groups_weight_decay: every step against DocumentedRMSprop group by group.
    kwargs = {"lr": 1e-3, **OPTIM_INPUTS[desc]}
    groups = [([0, 1], kwargs), ([2], {})]
    rng = np.random.default_rng(22)
    (weight, bias), x = linear_problem(rng, np.float32)
    irrelevant = rng.standard_normal(2).astype(np.float32)
    params = [weight, bias, irrelevant]
    opt, references = torch_rmsprop_groups(groups, lr=1e-28), documented_groups(groups, lr=1e-28)
    state, ref_params, ref_state = opt.init(params), params, references[0].init(params)
    initial = linear_loss(params[:2], x)
    for _ in range(20):
        loss = linear_loss(params[:2], x)
        noise = rng.random(2).astype(np.float32)
        params, state = opt.update(params, [*linear_grads(params[:2], x), noise], state)
        ref_grads = [*linear_grads(ref_params[:2], x), noise]
        ref_params, ref_state = documented_groups_step(references, ref_params, ref_grads, ref_state)
        assert_same_as_documented(params, state, ref_params, ref_state, np.float32)
    if kwargs.get("maximize"):
        assert loss > initial
    else:
        assert loss < initial
    assert_torch_close([params[2]], [irrelevant], np.float32)


def test_param_group_with_lrscheduler_goes_right_direction():
    # TestOptimRenewed.test_param_group_with_lrscheduler_goes_right_direction (test/test_optim.py):
    # float32, RMSprop's constructor defaults, the weight in a group with no options of its own,
    # the bias in one with lr=0.01 (RMSprop's default lr: the two groups stay alike, so unlike
    # test_param_groups_lr this cannot tell one group's options from the other's), each of
    # RMSprop's scheduler_inputs (one: StepLR then ReduceLROnPlateau, emulated by
    # StepLRThenPlateau) on the optimizer, where it schedules every group's lr; 20 steps, each
    # followed by the schedulers, the plateau one given the loss before the step; the loss after
    # them is below the first. One StepLRThenPlateau per group: ReduceLROnPlateau keeps one
    # count of bad epochs for all groups, and with the same losses the two counts are that one.
    # Added: every step against DocumentedRMSprop group by group at the group's scheduled lr.
    groups = [([0], {}), ([1], {"lr": 0.01})]
    references = documented_groups(groups)
    schedulers = [StepLRThenPlateau(reference.lr) for reference in references]
    lrs = [[scheduler.lr] for scheduler in schedulers]
    scheduled = [
        (indices, {**kwargs, "lr": lambda step, i=i: lrs[i][step]}) for i, (indices, kwargs) in enumerate(groups)
    ]
    opt = torch_rmsprop_groups(scheduled)
    params, x = linear_problem(np.random.default_rng(23), np.float32)
    state, ref_params, ref_state = opt.init(params), params, references[0].init(params)
    initial = linear_loss(params, x)
    for _ in range(20):
        loss = linear_loss(params, x)
        for reference, scheduler in zip(references, schedulers):
            reference.lr = scheduler.lr
        params, state = opt.update(params, linear_grads(params, x), state)
        ref_params, ref_state = documented_groups_step(references, ref_params, linear_grads(ref_params, x), ref_state)
        assert_same_as_documented(params, state, ref_params, ref_state, np.float32)
        for history, scheduler in zip(lrs, schedulers):
            scheduler.step(loss)
            history.append(scheduler.lr)
    assert linear_loss(params, x) < initial
    assert lrs[0][-1] < lrs[0][0]  # StepLR cut it at epochs 10 and 20: the schedule was live


@pytest.mark.parametrize("desc", list(OPTIM_INPUTS))
def test_step_is_noop_when_params_have_no_grad(desc):
    # TestOptimRenewed.test_step_is_noop_when_params_have_no_grad (test/test_optim.py): two
    # float32 randn(2, 3) parameters that never get a gradient (grad None), one step with every
    # input, weight decay included: nothing moves. The 2.x copy in the code index builds
    # old_params and never compares them; an earlier TestOptimRenewed copy asserts
    # assertEqual(old_params, params), float32 defaults, which is the check here. PyTorch keeps
    # no state for such a parameter; rmsprop_ref's buffers keep their start values.
    rng = np.random.default_rng(24)
    params = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2)]
    opt = torch_rmsprop(OPTIM_INPUTS[desc])
    state = opt.init(params)
    new, new_state = opt.update(params, [None, None], state)
    assert_torch_close(new, params, np.float32)
    for before, after in zip(state[1:], new_state[1:]):
        if before is not None:
            assert_torch_close(after, before, np.float32)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sequential_mlp(rng, dtype):
    """The model of _test_derived_optimizers (test/test_optim.py): Sequential(Linear(2, 3),
    Sigmoid(), Linear(3, 1), Sigmoid()), its parameters in model.parameters() order (weight,
    bias, weight, bias), initialised as nn.Linear does (uniform in ±1/√fan_in; NumPy's draws,
    not torch.manual_seed(1)'s, which only need to be the same for the two runs compared), then
    the extra 0-d parameter that test appends."""

    def linear(fan_in, fan_out):
        bound = 1 / math.sqrt(fan_in)
        weight = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype)
        return [weight, rng.uniform(-bound, bound, fan_out).astype(dtype)]

    return [*linear(2, 3), *linear(3, 1), np.asarray(rng.random(()), dtype)]


def sequential_mlp_grads(params, x, frozen: bool):
    """The gradients of model(x).sum() by backpropagation; None for the second Linear when it is
    frozen (requires_grad False: backward leaves its .grad None, yet passes through it to the
    first Linear) and always for the 0-d parameter, which is not in the model."""
    w1, b1, w2, b2, _ = params
    hidden = sigmoid(x @ w1.T + b1)
    out = sigmoid(hidden @ w2.T + b2)
    d_out = out * (1 - out)  # d sum(out) / d (pre-activation)
    d_hidden = (d_out @ w2) * hidden * (1 - hidden)
    second = (None, None) if frozen else (d_out.T @ hidden, d_out.sum(axis=0))
    return [d_hidden.T @ x, d_hidden.sum(axis=0), *second, None]


@pytest.mark.parametrize("desc", list(OPTIM_INPUTS))
def test_compare_between_none_grads_and_frozen_layer(desc):
    # TestOptimRenewed._compare_between as test_foreach_matches_forloop runs it
    # (test/test_optim.py): float64, every input, input tensor([0.1, ..., 0.6]).reshape(3, 2),
    # loss model(input).sum(), 7 iterations each zero_grad (set_to_none), backward, step. At
    # iteration 2 there is no backward, so every grad is None; at 3 and 4 model[2], the second
    # Linear, is frozen, so its weight and bias have grad None; the appended 0-d parameter's
    # grad, set once before, is cleared by the first zero_grad and stays None. PyTorch compares
    # foreach with the for-loop, parameters and every state entry after every iteration with
    # float64 defaults; here rmsprop_ref against DocumentedRMSprop, which skips a None gradient
    # as _init_group does, and directly: whatever has no gradient keeps its value and buffers.
    # PyTorch's per-parameter state["step"] has no twin (rmsprop_ref's state.step counts calls
    # of update) and RMSprop's maths do not read it.
    kwargs = OPTIM_INPUTS[desc]
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).reshape(3, 2)

    def grads_at(i, params):
        return [None] * len(params) if i == 2 else sequential_mlp_grads(params, x, frozen=i in (3, 4))

    params = sequential_mlp(np.random.default_rng(1), np.float64)
    opt, reference = torch_rmsprop(kwargs), DocumentedRMSprop(**kwargs)
    state, ref_params, ref_state = opt.init(params), params, reference.init(params)
    for i in range(7):
        grads = grads_at(i, params)
        new_params, new_state = opt.update(params, grads, state)
        ref_params, ref_state = reference.step(ref_params, grads_at(i, ref_params), ref_state)
        assert_same_as_documented(new_params, new_state, ref_params, ref_state, np.float64)
        for j, g in enumerate(grads):
            if g is None:
                assert_torch_close([new_params[j]], [params[j]], np.float64)
                for before, after in zip(state[1:], new_state[1:]):
                    if before is not None:
                        assert_torch_close([after[j]], [before[j]], np.float64)
        params, state = new_params, new_state
    assert sum(g is None for g in grads_at(3, params)) == 3  # the frozen layer and the 0-d parameter


# --------------------------------------------------------------------------- the legacy comparison


def rosenbrock(p) -> float:
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def drosenbrock(p) -> np.ndarray:
    """The Rosenbrock gradient of the v0.4-era test/test_optim.py (and of TestOptimRenewed)."""
    x, y = p
    return np.array([-400 * x * (y - x**2) - 2 * (1 - x), 200 * (y - x**2)])


def legacy_rmsprop(x, dfdx, config, state):
    """torch.legacy.optim.rmsprop (torch/legacy/optim/rmsprop.py, blob b42de39), the Python port
    of Lua Torch's optim.rmsprop that the v0.4-era test_optim.py compared optim.RMSprop with,
    re-expressed: config keys learningRate (1e-2), alpha (0.99), epsilon (1e-8), weightDecay (0);
    g ← g + wd·x; m starts at 0, m ← α·m + (1−α)·g²; x ← x − lr·g/(√m + ε). Returns the new x."""
    lr = config.get("learningRate", 1e-2)
    alpha = config.get("alpha", 0.99)
    eps = config.get("epsilon", 1e-8)
    wd = config.get("weightDecay", 0)
    if wd != 0:
        dfdx = dfdx + wd * x
    m = state.get("m", np.zeros_like(x))
    state["m"] = m = alpha * m + (1 - alpha) * dfdx * dfdx
    return x - lr * dfdx / (np.sqrt(m) + eps)


@pytest.mark.parametrize(
    "torch_kwargs, legacy_config",
    [
        ({"lr": 1e-2}, {"learningRate": 1e-2}),
        ({"lr": 1e-2, "weight_decay": 1e-2}, {"learningRate": 1e-2, "weightDecay": 1e-2}),
        ({"lr": 1e-2, "alpha": 0.95}, {"learningRate": 1e-2, "alpha": 0.95}),
    ],
)
def test_legacy_rosenbrock(torch_kwargs, legacy_config):
    # test_rmsprop's three _test_rosenbrock cases (v0.4-era test/test_optim.py): from (1.5, 1.5),
    # 2000 steps, optim.RMSprop against the legacy port after every step with assertEqual's
    # default precision, max |diff| <= 1e-5 (TestCase.precision in test/common.py, which also
    # made DoubleTensor the default type, so float64), and the end no farther from (1, 1).
    start = np.array([1.5, 1.5])
    opt = torch_rmsprop(torch_kwargs)
    params, state = start, opt.init(start)
    legacy_x, legacy_state = start, {}
    for _ in range(2000):
        params, state = opt.update(params, drosenbrock(params), state)
        legacy_x = legacy_rmsprop(legacy_x, drosenbrock(legacy_x), legacy_config, legacy_state)
        assert np.max(np.abs(params - legacy_x)) <= 1e-5
    solution = np.array([1.0, 1.0])
    assert np.linalg.norm(params - solution) <= np.linalg.norm(start - solution)
    assert rosenbrock(params) < rosenbrock(start)


# --------------------------------------------------------------------------- Lua Torch's golden file


def lua_test_drosenbrock(p) -> np.ndarray:
    """drosenbrock of test/optim/test.lua, which produced lua.out. Its second component is
    200·x·(y − x²), x times the true derivative; the golden numbers were made with it."""
    x, y = p
    return np.array([-400 * x * (y - x**2) - 2 * (1 - x), 200 * x * (y - x**2)])


# test/optim/lua.out at commit 3d80b13, section "rmsprop": for each configuration of
# tests.json's rmsprop entry, params after step n from (1.5, 1.5), as printed (12 decimals).
# Steps 1, 2, 3, 10, 25, 50, 75 and 100 of the 100 printed.
LUA_GOLDEN = [
    (
        {},
        [
            (1, "1.400024327306", "1.599902365352"),
            (2, "1.358900981576", "1.640941279483"),
            (3, "1.336519261216", "1.663227580229"),
            (10, "1.303426207551", "1.695513832708"),
            (25, "1.301717670429", "1.695303711194"),
            (50, "1.300737385726", "1.692752411254"),
            (75, "1.299629753291", "1.689869600974"),
            (100, "1.298377974681", "1.686614574776"),
        ],
    ),
    (
        {"learningRate": 1e-4},
        [
            (1, "1.499000243273", "1.500999023654"),
            (2, "1.498293567935", "1.501705436295"),
            (3, "1.497716157531", "1.502282701148"),
            (10, "1.494965009238", "1.505033482559"),
            (25, "1.491255605918", "1.508742634698"),
            (50, "1.486868959196", "1.513129036144"),
            (75, "1.483316622286", "1.516681161263"),
            (100, "1.480165969661", "1.519831605100"),
        ],
    ),
    (
        {"learningRate": 1e-4, "alpha": 0.95},
        [
            (1, "1.499552807291", "1.500447129697"),
            (2, "1.499232976990", "1.500766937357"),
            (3, "1.498968745950", "1.501031155732"),
            (10, "1.497660279806", "1.502339587862"),
            (25, "1.495707369883", "1.504292467250"),
            (50, "1.493012384493", "1.506987410925"),
            (75, "1.490484976988", "1.509514775368"),
            (100, "1.487998935489", "1.512000771753"),
        ],
    ),
    (
        {"learningRate": 1e-4, "alpha": 0.95, "epsilon": 1e-3},
        [
            (1, "1.499552811725", "1.500447120812"),
            (2, "1.499232983694", "1.500766923919"),
            (3, "1.498968754203", "1.501031139182"),
            (10, "1.497660293592", "1.502339560187"),
            (25, "1.495707389395", "1.504292428039"),
            (50, "1.493012410587", "1.506987358431"),
            (75, "1.490485008951", "1.509514711021"),
            (100, "1.487998973217", "1.512000695760"),
        ],
    ),
    (
        {"weightDecay": 0.2},
        [
            (1, "1.400024294985", "1.599902104854"),
            (2, "1.358876424948", "1.640878053402"),
            (3, "1.336460850871", "1.663073835425"),
            (10, "1.303031442271", "1.694478026245"),
            (25, "1.300494997981", "1.692116507277"),
            (50, "1.297993981411", "1.685614030999"),
            (75, "1.295170785922", "1.678286522486"),
            (100, "1.291985019498", "1.670037098937"),
        ],
    ),
]


@pytest.mark.parametrize("config, golden", LUA_GOLDEN, ids=[str(config) for config, _ in LUA_GOLDEN])
def test_lua_golden_values(config, golden):
    # test/optim/compare.sh (commit 3d80b13) diffs the printed trajectories of the Python port
    # against lua.out: agreement is equality of the printed digits, which is the check here.
    # Those Lua runs started the mean square at 1 (optim.rmsprop's state.m filled with 1, as the
    # contemporary port torch/legacy/optim/rmsprop.py at 2f342af does; later optim versions
    # start at 0 and expose it as initialMean), so the configuration adds initialMean=1.
    opt = RMSprop(**reference_settings({**config, "initialMean": 1.0}, "lua_torch"))
    params = np.array([1.5, 1.5])
    state = opt.init(params)
    printed = {}
    for step in range(1, 101):
        params, state = opt.update(params, lua_test_drosenbrock(params), state)
        printed[step] = (f"{params[0]:.12f}", f"{params[1]:.12f}")
    for step, x, y in golden:
        assert printed[step] == (x, y), f"step {step}"
