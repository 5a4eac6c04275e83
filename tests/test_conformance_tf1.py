"""rmsprop_ref's "tf1" preset against tf.compat.v1.train.RMSPropOptimizer (eager), for real.

centered × momentum (TF1 always runs the momentum buffer, even at μ = 0), the defaults, and
a schedule with momentum. TF1's v starts at 1 and its kernel writes the running mean
incrementally, v ← v + (g² − v)(1 − ρ); that rounds differently from ρ·v + (1−ρ)·g² by an
ulp or so.
"""

import itertools

import pytest

from rmsprop_ref import schedules
from rmsprop_ref.book.frameworks import run_tf1


@pytest.fixture(scope="module")
def tf():
    import tensorflow as tf  # imported once; a missing TensorFlow is an error, not a skip

    return tf


@pytest.mark.parametrize("centered, momentum", list(itertools.product([False, True], [0.0, 0.9])))
def test_tf1_matrix(tf, conformance, conformance_problem, centered, momentum):
    # ε = 1e-3 rather than TF1's 1e-10, so that where ε sits matters to the result.
    settings = dict(learning_rate=0.01, epsilon=1e-3, centered=centered, momentum=momentum)
    actual = run_tf1(*conformance_problem, **settings)
    conformance.matches("tf1", f"centered={centered} momentum={momentum}", actual, conformance_problem, **settings)


def test_tf1_conformance_tells_conventions_apart(tf, conformance, conformance_problem):
    # The matrix would catch a wrong convention: each one-option change to the preset is
    # off by more than ten times the tolerance.
    settings = dict(learning_rate=0.01, epsilon=1e-3, momentum=0.9)
    actual = run_tf1(*conformance_problem, **settings)
    conformance.tells_apart(
        "tf1",
        actual,
        conformance_problem,
        settings,
        [dict(initial_accumulator=0.0), dict(epsilon_in_sqrt=False), dict(rho=0.95)],
    )


def test_tf1_defaults(tf, conformance, conformance_problem):
    # TF1 has no default η; everything else at its defaults (decay 0.9, ε 1e-10, v0 = 1).
    conformance.matches(
        "tf1",
        "defaults (learning_rate=0.001)",
        run_tf1(*conformance_problem, learning_rate=0.001),
        conformance_problem,
        learning_rate=0.001,
    )


def test_tf1_schedule_with_momentum_puts_lr_inside_the_buffer(tf, conformance, conformance_problem):
    schedule = schedules.InverseTimeDecay(0.05, decay_steps=5, decay_rate=1.0)
    actual = run_tf1(*conformance_problem, learning_rate=schedule, momentum=0.9)
    conformance.matches(
        "tf1",
        "InverseTimeDecay schedule, momentum=0.9",
        actual,
        conformance_problem,
        learning_rate=schedule,
        momentum=0.9,
    )
    outside = conformance.distance(
        "tf1", actual, conformance_problem, learning_rate=schedule, momentum=0.9, lr_in_momentum=False
    )
    assert outside > 1e-2


@pytest.mark.parametrize("centered, momentum", [(False, 0.0), (True, 0.9)])
def test_tf1_sparse_rows_are_lazy(tf, conformance, sparse_problem, centered, momentum):
    # IndexedSlices gradients: TF1 updates only the rows named, and their v, m and momentum.
    problem = sparse_problem
    settings = dict(learning_rate=0.01, epsilon=1e-3, centered=centered, momentum=momentum)
    actual = run_tf1(*problem, **settings)
    conformance.matches("tf1", f"sparse rows centered={centered} momentum={momentum}", actual, problem, **settings)
    # the dense reading of the same rows is elsewhere
    assert conformance.distance("tf1", actual, problem, sparse_updates="dense", **settings) > 10 * conformance.rtol
