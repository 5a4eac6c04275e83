"""rmsprop_ref's "tf_keras_legacy" settings against legacy tf.keras's RMSprop, for real.

The tf_keras package carries tf.keras's ``optimizer_v2`` RMSprop (tf.keras up to 2.10, then
``tf.keras.optimizers.legacy``) onto current TensorFlow. Each case passes the same keywords,
in legacy tf.keras's spelling, to the real optimizer and to
``RMSprop(**reference_settings(keywords, "tf_keras_legacy"))``: ε outside the root without
momentum and inside with it, a falsy ε replaced by 1e-7, ``lr`` winning over
``learning_rate``, and ``decay`` as inverse-time decay.
"""

import itertools

import pytest

from rmsprop_ref import RMSprop, schedules
from rmsprop_ref.book.frameworks import run_reference, run_tf_keras_legacy
from rmsprop_ref.conventions import reference_settings

# The real optimizer logs its own deprecation of ``lr``, as tf.keras always did.
pytestmark = pytest.mark.filterwarnings("ignore:The `lr` argument is deprecated:UserWarning")


@pytest.fixture(scope="module")
def tf_keras():
    import tf_keras  # a missing tf_keras is an error, not a skip

    return tf_keras


def expected_run(problem, keywords):
    return run_reference(RMSprop(**reference_settings(keywords, "tf_keras_legacy")), *problem)


CASES = {
    **{
        f"centered={c} momentum={m}": dict(learning_rate=0.01, epsilon=1e-3, centered=c, momentum=m)
        for c, m in itertools.product([False, True], [0.0, 0.9])
    },
    "defaults": {},
    "epsilon=0 (becomes 1e-7)": dict(learning_rate=0.01, epsilon=0.0),
    "lr wins over learning_rate": dict(learning_rate=0.5, lr=0.01),
    "decay=0.05": dict(learning_rate=0.02, decay=0.05, epsilon=1e-3),
    # clipvalue first, then each variable's norm (or the global one)
    "clipvalue=0.5 clipnorm=1.0": dict(learning_rate=0.01, epsilon=1e-3, clipvalue=0.5, clipnorm=1.0),
    "clipvalue=2.0 global_clipnorm=3.0": dict(learning_rate=0.01, epsilon=1e-3, clipvalue=2.0, global_clipnorm=3.0),
    "decay over a schedule, momentum": dict(
        learning_rate=schedules.ExponentialDecay(0.02, decay_steps=10, decay_rate=0.5), decay=0.1, momentum=0.5
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tf_keras_legacy_matches(tf_keras, conformance, conformance_problem, case):
    keywords = CASES[case]
    actual = run_tf_keras_legacy(*conformance_problem, **keywords)
    conformance.check("tf_keras_legacy", case, actual, expected_run(conformance_problem, keywords))


def test_tf_keras_legacy_conformance_tells_conventions_apart(tf_keras, conformance, conformance_problem):
    # Each convention the settings encode, changed alone, is off by more than ten times the tolerance.
    from rmsprop_ref.book.frameworks import relative_error

    for momentum in (0.0, 0.9):
        keywords = dict(learning_rate=0.01, epsilon=1e-3, momentum=momentum)
        actual = run_tf_keras_legacy(*conformance_problem, **keywords)
        settings = reference_settings(keywords, "tf_keras_legacy")
        for wrong in (dict(epsilon_in_sqrt=not settings["epsilon_in_sqrt"]), dict(rho=0.95)):
            other = run_reference(RMSprop(**{**settings, **wrong}), *conformance_problem)
            assert relative_error(actual, other) > 10 * conformance.rtol, (momentum, wrong)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_tf_keras_legacy_sparse_rows(tf_keras, conformance, sparse_problem, momentum):
    # IndexedSlices: without momentum legacy tf.keras decays every row's v (the dense
    # reading); with momentum its fused kernel updates only the rows named (TF1's lazy one).
    from rmsprop_ref.book.frameworks import relative_error

    problem = sparse_problem
    keywords = dict(learning_rate=0.01, epsilon=1e-3, momentum=momentum)
    actual = run_tf_keras_legacy(*problem, **keywords)
    conformance.check("tf_keras_legacy", f"sparse rows momentum={momentum}", actual, expected_run(problem, keywords))
    settings = reference_settings(keywords, "tf_keras_legacy")
    other = {"lazy": "dense", "dense": "lazy"}[settings["sparse_updates"]]
    wrong = run_reference(RMSprop(**{**settings, "sparse_updates": other}), *problem)
    assert relative_error(actual, wrong) > 10 * conformance.rtol


def test_tf_keras_legacy_callables(tf_keras, conformance, conformance_problem):
    # Legacy tf.keras calls a zero-argument learning_rate, rho and momentum at every apply; a
    # callable momentum takes the fused kernel (ε inside the root). Here they change halfway.
    calls = {"n": 0}

    def half():
        return calls["n"] >= 30

    keywords = dict(
        learning_rate=lambda: 0.003 if half() else 0.01,
        rho=lambda: 0.5 if half() else 0.9,
        momentum=lambda: 0.8,
        epsilon=1e-3,
    )
    params0, grads = conformance_problem

    def counted(source):
        remaining = iter(source)

        def gradient(params):
            calls["n"] += 1  # the gradient is taken before the apply that uses it
            return next(remaining)

        return gradient

    actual = run_tf_keras_legacy(params0, counted(grads), steps=len(grads), **keywords)
    calls["n"] = 0
    expected = run_reference(
        RMSprop(**reference_settings(keywords, "tf_keras_legacy")), params0, counted(grads), steps=len(grads)
    )
    conformance.check("tf_keras_legacy", "callable learning_rate, rho, momentum", actual, expected)


def test_tf_keras_legacy_fails_on_a_callable_epsilon(tf_keras, conformance_problem):
    # Why reference_settings refuses one: the real optimizer, told epsilon=lambda: 1e-3 as its
    # docstring allows, raises at the first apply. Should a release fix this, this test says so.
    with pytest.raises(ValueError, match="Attempt to convert a value"):
        run_tf_keras_legacy(
            conformance_problem[0], conformance_problem[1][:1], learning_rate=0.01, epsilon=lambda: 1e-3
        )
