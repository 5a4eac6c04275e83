"""What the three adapters' conformance tests share: the option combinations every preset is
run with, the learning rate of presets that fix none, and the conventions each must tell apart.
(Imported by tests/test_conformance_*_adapter.py; pytest puts tests/ on the path.)"""

from __future__ import annotations

import itertools

from rmsprop_ref import RMSprop
from rmsprop_ref.book.frameworks import run_reference

# presets that fix no learning rate (TF1, Optax, Hinton's lecture) get this one
LEARNING_RATE = 0.01

#: centered × (no momentum, momentum, Nesterov) × (no, coupled, decoupled weight decay): 18.
COMBINATIONS = [
    dict(centered=centered, momentum=momentum, nesterov=nesterov, **decay)
    for centered, (momentum, nesterov), decay in itertools.product(
        (False, True),
        ((0.0, False), (0.9, False), (0.9, True)),
        (
            {},
            {"weight_decay": 0.01, "weight_decay_mode": "coupled"},
            {"weight_decay": 0.01, "weight_decay_mode": "decoupled"},
        ),
    )
]

#: One convention per entry, with its two values: each changes the path by far more than the
#: tolerance at the tests' settings (ε = 0.1, a decaying η, weight decay).
CONVENTIONS = [
    {"epsilon_in_sqrt": (True, False)},
    {"initial_accumulator": (0.0, 1.0)},
    {"lr_in_momentum": (True, False)},
    {"centered": (False, True)},
    {"nesterov": (False, True)},
    {"weight_decay_mode": ("coupled", "decoupled")},
    {"bias_correction": (False, True)},
    {"maximize": (False, True)},
]


def case_id(options: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items()) or "plain"


def needs_rate(preset: str) -> dict:
    """``{"learning_rate": LEARNING_RATE}`` for a preset that fixes no learning rate, else ``{}``."""
    try:
        RMSprop.preset(preset)
    except TypeError:  # "RMSprop.preset('tf1') needs learning_rate="
        return {"learning_rate": LEARNING_RATE}
    return {}


def check_preset(adapter: str, run, preset: str, options: dict, conformance, problem, label=str) -> None:
    """``run(settings)``, the adapter's float32 path on ``problem`` with ``preset`` and
    ``options`` (plus a learning rate if the preset fixes none), takes the reference's steps;
    the case is recorded under ``adapter`` and named by ``label(settings)``."""
    settings = {**needs_rate(preset), **options}
    params0, grads = problem
    expected = run_reference(RMSprop.preset(preset, **settings), params0, grads)
    conformance.check(adapter, f"{preset} {label(settings)}", run(settings), expected)
