"""The closed forms of the section "Why RMSprop behaves as it does" (chapter "Improved RMSprop")."""

import math

import numpy as np
import pytest

from rmsprop_ref import SGD, RMSprop
from rmsprop_ref.analysis import sgd_limit_gap_bound, sgd_limit_learning_rate, sign_cycle
from rmsprop_ref.problems import Quadratic
from rmsprop_ref.run import minimize

CYCLING = [
    RMSprop(0.01),
    RMSprop(0.01, centered=True),
    RMSprop(0.01, momentum=0.9),
    RMSprop(0.01, momentum=0.9, nesterov=True),
    RMSprop(0.01, momentum=0.9, nesterov=True, lr_in_momentum=False),
    RMSprop(0.01, momentum=0.5, lr_in_momentum=False),
    RMSprop(0.01, epsilon=1e-8, epsilon_in_sqrt=False),
    RMSprop(0.01, epsilon=0.0),
    RMSprop.preset("graves2013", learning_rate=0.01),
]


def two_steps(optimizer, h, state):
    theta, v, m, b = (None if x is None else np.float64(x) for x in state)
    for step in range(2):
        theta, v, m, b = optimizer.leaf_update(theta, h * theta, v, m, b, learning_rate=0.01, step=step)
    return theta, v, m, b


@pytest.mark.parametrize("optimizer", CYCLING)
def test_the_cycle_is_a_fixed_point_of_two_steps(optimizer):
    cycle = sign_cycle(optimizer, 4.0)
    assert cycle.amplitude > 0
    theta, v, m, b = cycle.state
    assert theta == cycle.amplitude and v == pytest.approx(16 * theta**2, rel=1e-15)
    one = optimizer.leaf_update(
        *(None if x is None else np.float64(x) for x in (theta, 4 * theta, v, m, b)), learning_rate=0.01, step=0
    )
    assert one[0] == pytest.approx(-theta, rel=1e-13)  # one step goes to −a
    after = two_steps(optimizer, 4.0, cycle.state)
    for got, want in zip(after, cycle.state):
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, rel=1e-13)


def test_amplitudes_of_the_closed_forms():
    eta, mu = 0.01, 0.9
    assert sign_cycle(RMSprop(eta, epsilon=0.0), 3.0).amplitude == pytest.approx(eta / 2, rel=1e-15)
    inside = sign_cycle(RMSprop(eta, epsilon=1e-7), 0.2).amplitude
    assert inside == pytest.approx(math.sqrt(eta**2 / 4 - 1e-7 / 0.04), rel=1e-14)
    outside = sign_cycle(RMSprop(eta, epsilon=1e-4, epsilon_in_sqrt=False), 0.2).amplitude
    assert outside == pytest.approx(eta / 2 - 1e-4 / 0.2, rel=1e-14)
    heavy = sign_cycle(RMSprop(eta, momentum=mu, epsilon=0.0), 1.0).amplitude
    nesterov = sign_cycle(RMSprop(eta, momentum=mu, nesterov=True, epsilon=0.0), 1.0).amplitude
    assert heavy == pytest.approx(eta / (2 * (1 + mu)), rel=1e-15)
    assert nesterov == pytest.approx(eta * (1 + 2 * mu) / (2 * (1 + mu)), rel=1e-15)


def test_the_cycle_exists_exactly_where_sgd_at_the_limit_rate_is_unstable():
    for optimizer in (RMSprop(0.01, epsilon=1e-4), RMSprop(0.01, epsilon=1e-5, epsilon_in_sqrt=False)):
        alpha = sgd_limit_learning_rate(optimizer)
        for h in np.geomspace(0.1, 10, 41):
            if abs(alpha * h - 2) > 1e-9:
                assert (sign_cycle(optimizer, h).amplitude > 0) == (alpha * h > 2)
    none = sign_cycle(RMSprop(0.01, epsilon=1e-4), 0.2)
    assert none.amplitude == 0 and none.state is None and math.isnan(none.spectral_radius)


def test_stability_decides_what_a_run_does():
    # Nesterov's cycle attracts (radius < 1) and a run locks into it; heavy ball's repels.
    quadratic = Quadratic((4.0,))
    nesterov = RMSprop(0.01, momentum=0.9, nesterov=True)
    heavy = RMSprop(0.01, momentum=0.9)
    assert sign_cycle(nesterov, 4.0).spectral_radius < 0.95 and sign_cycle(heavy, 4.0).spectral_radius > 1.5
    locked = minimize(quadratic, nesterov, [1.0], 1000).params[-50:, 0]
    np.testing.assert_allclose(np.abs(locked), sign_cycle(nesterov, 4.0).amplitude, rtol=1e-9)
    wandering = minimize(quadratic, heavy, [1.0], 1000).params[-50:, 0]
    assert np.abs(wandering[2:] - wandering[:-2]).max() > 1e-3


def test_sgd_limit_learning_rate():
    assert sgd_limit_learning_rate(RMSprop(0.01, epsilon=1e-4)) == pytest.approx(1.0, rel=1e-15)
    assert sgd_limit_learning_rate(RMSprop(0.001, epsilon=1e-8, epsilon_in_sqrt=False)) == pytest.approx(1e5)
    with pytest.raises(ValueError, match="epsilon = 0"):
        sgd_limit_learning_rate(RMSprop(0.01, epsilon=0.0))
    with pytest.raises(ValueError, match="constant"):
        sgd_limit_learning_rate(RMSprop(lambda step: 0.01))
    with pytest.raises(ValueError, match="RMSprop"):
        sgd_limit_learning_rate(SGD(0.01))


@pytest.mark.parametrize("inside", [True, False])
def test_rmsprop_near_the_optimum_is_sgd_within_the_bound(inside):
    epsilon = 1e-4 if inside else 1e-2
    optimizer = RMSprop(0.001, epsilon=epsilon, epsilon_in_sqrt=inside)
    alpha = sgd_limit_learning_rate(optimizer)
    h, steps = np.array([0.2, 4.0]), 300
    x0 = np.array([1e-5, -2e-5]) if inside else np.array([1e-8, -2e-8])
    quadratic = Quadratic(tuple(h))
    ours = minimize(quadratic, optimizer, x0, steps).params[-1]
    sgd = minimize(quadratic, SGD(alpha), x0, steps).params[-1]
    bound = sgd_limit_gap_bound(optimizer, h, x0, steps)
    ratio = ours / sgd - 1
    assert np.all(ratio >= -1e-12) and np.all(ratio <= bound + 1e-12)
    assert np.all(bound < 0.01) and ratio.max() > 0  # RMSprop lags SGD a little, never leads


def test_the_gap_bound_fails_loudly_outside_its_assumptions():
    with pytest.raises(ValueError, match="below 1"):
        sgd_limit_gap_bound(RMSprop(0.01, epsilon=1e-4), [0.2, 4.0], [1e-5, 1e-5], 10)
    with pytest.raises(ValueError, match="no momentum"):
        sgd_limit_gap_bound(RMSprop(0.001, epsilon=1e-4, momentum=0.9), [0.2], [1e-5], 10)
    with pytest.raises(ValueError, match="one number per curvature"):
        sgd_limit_gap_bound(RMSprop(0.001, epsilon=1e-4), [0.2, 1.0], [1e-5], 10)
