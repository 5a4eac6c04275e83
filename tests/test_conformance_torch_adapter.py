"""rmsprop_ref.adapters.torch.RMSprop against the NumPy reference and against torch.optim.RMSprop.

Every preset, with and without centering, momentum, Nesterov and each kind of weight decay,
takes the reference's float32 steps over the shared 60-step conformance problem (two leaves of
random gradients, conftest.conformance_problem), to the conformance rtol; with the "torch"
preset it matches torch.optim.RMSprop itself; a learning rate changed by a PyTorch scheduler
matches the reference's schedule; and the state survives a save and a reload mid-run.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from adapter_cases import COMBINATIONS, CONVENTIONS, case_id, check_preset

from rmsprop_ref import RMSprop as Reference
from rmsprop_ref.adapters.torch import RMSprop
from rmsprop_ref.book.frameworks import relative_error, run_reference
from rmsprop_ref.rmsprop import PRESETS


def run_adapter(make, params0, grads, *, scheduler=None, reload_at=None):
    """Step the adapter through ``grads``; return the float32 parameters after each step."""
    params = [torch.nn.Parameter(torch.tensor(p)) for p in params0]
    optimizer = make(params)
    schedule = scheduler(optimizer) if scheduler else None
    history = []
    for k, step_grads in enumerate(grads):
        if k == reload_at:  # save, rebuild from scratch, load: the run must go on unchanged
            saved = io.BytesIO()
            torch.save({"params": [p.detach().clone() for p in params], "optimizer": optimizer.state_dict()}, saved)
            saved.seek(0)
            loaded = torch.load(saved)
            params = [torch.nn.Parameter(p) for p in loaded["params"]]
            optimizer = make(params)
            optimizer.load_state_dict(loaded["optimizer"])
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        optimizer.step()
        if schedule:
            schedule.step()
        history.append([p.detach().numpy().copy() for p in params])
    return [np.stack([h[i] for h in history]) for i in range(len(params0))]


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("options", COMBINATIONS, ids=case_id)
def test_every_preset_and_combination_takes_the_references_steps(preset, options, conformance, conformance_problem):
    def run(settings):
        return run_adapter(lambda p: RMSprop(p, preset=preset, **settings), *conformance_problem)

    check_preset("torch adapter", run, preset, options, conformance, conformance_problem)


@pytest.mark.parametrize(
    "options",
    [{}, {"momentum": 0.9}, {"centered": True}, {"weight_decay": 0.01}, {"momentum": 0.9, "centered": True}],
    ids=lambda o: ",".join(o) or "defaults",
)
def test_the_torch_preset_is_torch_optim_rmsprop(options, conformance, conformance_problem):
    params0, grads = conformance_problem
    expected = run_adapter(lambda p: torch.optim.RMSprop(p, **options), params0, grads)
    actual = run_adapter(lambda p: RMSprop(p, preset="torch", **options), params0, grads)
    conformance.check("torch adapter", f"torch.optim.RMSprop {options}", actual, expected)


def test_a_pytorch_scheduler_is_the_references_schedule(conformance, conformance_problem):
    params0, grads = conformance_problem
    expected = run_reference(
        Reference.preset("keras", learning_rate=lambda step: 0.01 * 0.9**step, momentum=0.5), params0, grads
    )
    actual = run_adapter(
        lambda p: RMSprop(p, preset="keras", learning_rate=0.01, momentum=0.5),
        params0,
        grads,
        scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda step: 0.9**step),
    )
    conformance.check("torch adapter", "keras, LambdaLR 0.9^k, momentum", actual, expected)


def test_the_state_survives_a_save_and_a_reload(conformance_problem):
    params0, grads = conformance_problem
    make = lambda p: RMSprop(p, preset="tf1", learning_rate=0.01, momentum=0.9, centered=True)  # noqa: E731
    straight = run_adapter(make, params0, grads)
    reloaded = run_adapter(make, params0, grads, reload_at=30)
    for a, b in zip(straight, reloaded):
        np.testing.assert_array_equal(a, b)


def test_groups_carry_their_own_options(conformance_problem):
    params0, grads = conformance_problem
    params = [torch.nn.Parameter(torch.tensor(p)) for p in params0]
    optimizer = RMSprop([{"params": [params[0]]}, {"params": [params[1]], "rho": 0.99, "lr": 0.1}], preset="keras")
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g)
        optimizer.step()
    first = run_reference(Reference.preset("keras"), params0[0], [g[0] for g in grads])[-1]
    second = run_reference(Reference.preset("keras", rho=0.99, learning_rate=0.1), params0[1], [g[1] for g in grads])[
        -1
    ]
    np.testing.assert_allclose(params[0].detach().numpy(), first, rtol=1e-6)
    np.testing.assert_allclose(params[1].detach().numpy(), second, rtol=1e-6)


def test_a_parameter_without_a_gradient_does_not_move():
    still, moving = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(3))
    optimizer = RMSprop([still, moving], preset="torch")
    moving.grad = torch.ones(3)
    optimizer.step()
    assert torch.equal(still, torch.ones(3)) and not torch.equal(moving, torch.ones(3))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "tf1"}, "needs learning_rate="),
        ({"preset": "nope"}, "nope"),
        ({"lr": 0.1}, "lr"),
        (
            {"clipnorm": 1.0},
            "clipnorm=1.0 is not supported by the torch adapter: clip with torch.nn.utils.clip_grad_norm_",
        ),
        ({"use_ema": True}, "use_ema=True is not supported"),
        ({"rho": lambda step: 0.9}, "rho given as a function is not supported"),
        ({"learning_rate": lambda step: 0.1}, "use a torch.optim.lr_scheduler"),
        ({"rho": 1.5}, "rho"),
    ],
)
def test_options_it_cannot_honour_are_refused_with_a_reason(options, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(").replace(".", r"\.")):
        RMSprop([torch.nn.Parameter(torch.ones(2))], **options)


def test_a_groups_own_bad_option_is_refused():
    with pytest.raises(ValueError, match="rho"):
        RMSprop([{"params": [torch.nn.Parameter(torch.ones(2))], "rho": 2.0}], preset="keras")


@pytest.mark.parametrize(
    "option",
    CONVENTIONS,
    ids=lambda o: next(iter(o)),
)
def test_each_convention_is_followed_and_told_apart(option, conformance, conformance_problem):
    """Settings at which each convention changes the path by far more than the tolerance (ε = 0.1,
    a decaying η, weight decay): the adapter follows the reference for both values."""
    (name, values), params0, grads = *option.items(), *conformance_problem
    base = dict(learning_rate=0.01, epsilon=0.1, momentum=0.5, weight_decay=0.05)
    paths = []
    for value in values:
        expected = run_reference(
            Reference.preset("keras", **{**base, name: value, "learning_rate": lambda k: 0.01 * 0.95**k}),
            params0,
            grads,
        )
        actual = run_adapter(
            lambda p, value=value: RMSprop(p, preset="keras", **{**base, name: value}),
            params0,
            grads,
            scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda k: 0.95**k),
        )
        conformance.check("torch adapter", f"keras, {name}={value}", actual, expected)
        paths.append(expected)
    assert relative_error(*paths) > 10 * conformance.rtol, f"{name} does not change the path here"
