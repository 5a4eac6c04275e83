"""rmsprop_ref's "torch" preset against torch.optim.RMSprop, for real.

centered × momentum × coupled (L2) weight decay, the defaults, and a schedule with momentum
(PyTorch keeps η outside the buffer). Agreement is a few float32 ulps, not bit for bit:
PyTorch's CPU kernel computes v·ρ + (1−ρ)·g·g with a fused multiply-add (``addcmul``) and
the centered mean with ``lerp``, which round differently from NumPy's separate operations.
"""

import itertools

import pytest

from rmsprop_ref import schedules
from rmsprop_ref.book.frameworks import run_reference, run_torch


@pytest.fixture(scope="module")
def torch():
    import torch  # imported once; a missing PyTorch is an error, not a skip

    return torch


@pytest.mark.parametrize(
    "centered, momentum, weight_decay", list(itertools.product([False, True], [0.0, 0.9], [0.0, 0.1]))
)
def test_torch_matrix(torch, conformance, conformance_problem, centered, momentum, weight_decay):
    # ε = 1e-3 rather than PyTorch's 1e-8, so that where ε sits matters to the result.
    actual = run_torch(
        *conformance_problem, lr=0.01, eps=1e-3, centered=centered, momentum=momentum, weight_decay=weight_decay
    )
    conformance.matches(
        "torch",
        f"centered={centered} momentum={momentum} weight_decay={weight_decay}",
        actual,
        conformance_problem,
        learning_rate=0.01,
        epsilon=1e-3,
        centered=centered,
        momentum=momentum,
        weight_decay=weight_decay,
    )


def test_torch_conformance_tells_conventions_apart(torch, conformance, conformance_problem):
    # The matrix would catch a wrong convention: each one-option change to the preset is
    # off by more than ten times the tolerance.
    actual = run_torch(*conformance_problem, lr=0.01, eps=1e-3, momentum=0.9, weight_decay=0.1)
    settings = dict(learning_rate=0.01, epsilon=1e-3, momentum=0.9, weight_decay=0.1)
    conformance.tells_apart(
        "torch",
        actual,
        conformance_problem,
        settings,
        [dict(epsilon_in_sqrt=True), dict(weight_decay_mode="decoupled"), dict(rho=0.9)],
    )


def test_torch_defaults(torch, conformance, conformance_problem):
    conformance.matches("torch", "defaults", run_torch(*conformance_problem), conformance_problem)


def test_torch_schedule_with_momentum_keeps_lr_outside_the_buffer(torch, conformance, conformance_problem):
    # PyTorch accumulates g/√v in the buffer and multiplies the whole buffer by today's η.
    schedule = schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.5)
    actual = run_torch(*conformance_problem, lr=schedule, momentum=0.9)
    conformance.matches(
        "torch",
        "ExponentialDecay schedule, momentum=0.9",
        actual,
        conformance_problem,
        learning_rate=schedule,
        momentum=0.9,
    )
    inside = conformance.distance(
        "torch", actual, conformance_problem, learning_rate=schedule, momentum=0.9, lr_in_momentum=True
    )
    assert inside > 1e-2


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.1)])
def test_torch_maximize(torch, conformance, conformance_problem, momentum, weight_decay):
    # maximize negates the gradient before PyTorch's coupled weight decay.
    actual = run_torch(
        *conformance_problem, lr=0.01, eps=1e-3, momentum=momentum, weight_decay=weight_decay, maximize=True
    )
    settings = dict(learning_rate=0.01, epsilon=1e-3, momentum=momentum, weight_decay=weight_decay)
    conformance.matches(
        "torch",
        f"maximize momentum={momentum} weight_decay={weight_decay}",
        actual,
        conformance_problem,
        maximize=True,
        **settings,
    )
    assert conformance.distance("torch", actual, conformance_problem, **settings) > 10 * conformance.rtol


def test_torch_skips_a_parameter_without_a_gradient(torch, conformance, conformance_problem):
    # Every third step the second parameter has no .grad (None): PyTorch leaves it and its
    # state alone; rmsprop_ref does the same with a None gradient leaf.
    import numpy as np

    from rmsprop_ref import RMSprop
    from rmsprop_ref.book.frameworks import run_reference

    params0, grads = conformance_problem
    grads = [[g[0], None if step % 3 == 2 else g[1]] for step, g in enumerate(grads)]
    parameters = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params0]
    optimizer = torch.optim.RMSprop(parameters, lr=0.01, eps=1e-3, momentum=0.9, centered=True)
    history = []
    for step_grads in grads:
        for p, g in zip(parameters, step_grads):
            p.grad = None if g is None else torch.from_numpy(np.array(g))
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in parameters])
    actual = [np.stack([h[i] for h in history]) for i in range(2)]
    reference = RMSprop.preset("torch", learning_rate=0.01, epsilon=1e-3, momentum=0.9, centered=True)
    conformance.check("torch", "None gradient every third step", actual, run_reference(reference, params0, grads))


def test_torch_parameter_groups(torch, conformance, conformance_problem):
    # Two groups: the first with its own lr and weight decay and without momentum; the second
    # takes the defaults given to the constructor. rmsprop_ref says the same with leaf_options.
    import numpy as np

    from rmsprop_ref import RMSprop
    from rmsprop_ref.book.frameworks import run_reference

    params0, grads = conformance_problem
    parameters = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params0]
    groups = [
        {"params": [parameters[0]], "lr": 0.05, "weight_decay": 0.1, "momentum": 0.0},
        {"params": [parameters[1]]},
    ]
    optimizer = torch.optim.RMSprop(groups, lr=0.01, eps=1e-3, momentum=0.9, centered=True)
    history = []
    for step_grads in grads:
        for p, g in zip(parameters, step_grads):
            p.grad = torch.from_numpy(np.array(g))
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in parameters])
    actual = [np.stack([h[i] for h in history]) for i in range(2)]
    first_group = {"learning_rate": 0.05, "weight_decay": 0.1, "momentum": 0.0}
    reference = RMSprop.preset(
        "torch",
        learning_rate=0.01,
        epsilon=1e-3,
        momentum=0.9,
        centered=True,
        leaf_options=lambda path: first_group if path == "params[0]" else {},
    )
    conformance.check("torch", "two parameter groups", actual, run_reference(reference, params0, grads))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_torch_complex_parameters(torch, conformance, conformance_problem, dtype):
    # PyTorch steps a complex parameter as view_as_real: pairs of reals.
    import numpy as np

    from rmsprop_ref import RMSprop
    from rmsprop_ref.book.frameworks import relative_error, run_torch

    params0, grads = conformance_problem
    to_complex = lambda a: (a + 0.5j * a[::-1]).astype(dtype)  # noqa: E731
    params0 = [to_complex(p) for p in params0]
    grads = [[to_complex(g) for g in step] for step in grads]
    actual = run_torch(params0, grads, lr=0.01, eps=1e-3, momentum=0.9, centered=True, weight_decay=0.1)
    reference = RMSprop.preset("torch", learning_rate=0.01, epsilon=1e-3, momentum=0.9, centered=True, weight_decay=0.1)
    expected = run_reference(reference, params0, grads)
    error = relative_error(actual, expected)
    assert all(a.dtype == np.dtype(dtype) for a in actual)
    assert error < conformance.rtol, error
