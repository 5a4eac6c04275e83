"""Tests of rmsprop_ref.book.online: Reddi et al.'s problem, projection, regret, drift, phase diagram."""

import numpy as np
import pytest

from rmsprop_ref import RMSprop
from rmsprop_ref.amsgrad import AMSGrad
from rmsprop_ref.book.online import (
    CONVERGES,
    DIVERGES,
    PeriodicLinearProblem,
    critical_rho,
    online_optimizer,
    period_family,
    periodic_drift,
    phase_diagram,
    project,
    reddi_problem,
    run_projected,
)
from rmsprop_ref.schedules import InverseSqrtDecay

# ----------------------------------------------------------------------------- the problem


def test_reddi_problem_gradients_and_minimizer():
    p = reddi_problem()
    assert p.gradient(1) == 1010 and p.gradient(102) == 1010 and p.gradient(203) == 1010
    assert p.gradient(2) == -10 and p.gradient(101) == -10
    assert p.period_coefficient == 10
    assert p.minimizer == -1.0
    assert PeriodicLinearProblem(period=3, large=1.0, small=1.0).minimizer == 1.0


def test_problem_rejects_bad_input():
    with pytest.raises(ValueError, match="period"):
        PeriodicLinearProblem(period=1, large=1.0, small=1.0)
    with pytest.raises(ValueError, match="small"):
        PeriodicLinearProblem(period=3, large=1.0, small=-1.0)


def test_projection_clips_to_the_interval():
    np.testing.assert_array_equal(project(np.array([-3.0, -0.5, 0.2, 7.0])), [-1.0, -0.5, 0.2, 1.0])


def test_projection_of_a_scalar_is_a_plain_number():
    assert project(3.5) == 1.0 and project(-0.25) == -0.25 and project(np.float64(-7.0)) == -1.0


def test_online_optimizer_is_the_library_optimizer_of_the_analyses():
    rms = online_optimizer(0.99, False, learning_rate=2.0)
    assert isinstance(rms, RMSprop) and rms.rho == 0.99 and not rms.epsilon_in_sqrt and rms.epsilon == 0.0
    ams = online_optimizer(0.9, True, epsilon=1e-8)
    assert isinstance(ams, AMSGrad) and ams.beta_1 == 0.0 and ams.beta_2 == 0.9 and ams.epsilon == 1e-8
    assert rms.learning_rate_at(0) == 2.0 and rms.learning_rate_at(3) == 1.0  # α/√t, t = step + 1


@pytest.mark.parametrize("amsgrad", [False, True])
def test_run_projected_matches_the_library_optimizers_with_projection(amsgrad):
    p, rho, alpha, steps = reddi_problem(), 0.99, 1.0, 400
    schedule = InverseSqrtDecay(alpha)  # α/√(step+1): α/√t with t counted from 1
    opt = (
        AMSGrad(schedule, beta_2=rho, epsilon=0.0)
        if amsgrad
        else RMSprop(schedule, rho=rho, epsilon=0.0, epsilon_in_sqrt=False)
    )
    x = np.array([0.3])
    state = opt.init(x)
    played = []
    for t in range(1, steps + 1):
        played.append(x[0])
        x, state = opt.update(x, np.array([float(p.gradient(t))]), state)
        x = project(x)
    runs = run_projected(p, rho, amsgrad, steps=steps, learning_rate=alpha, x0=0.3)
    # The same optimizer and the same operations: equal, not merely close.
    np.testing.assert_array_equal(runs.x[:, 0], played)
    np.testing.assert_array_equal(runs.final_x, x)


def test_regret_of_a_fixed_point_is_computed_from_the_definition():
    # A learning rate so small that x barely moves from x0 = 1: the regret per period is then
    # (a − (P−1)b)·1 − (−(a − (P−1)b)) = 2·10, measured over whole periods.
    p = reddi_problem()
    runs = run_projected(p, 0.9, False, steps=101 * 20, learning_rate=1e-12, x0=1.0, record_every=101)
    np.testing.assert_allclose(runs.average_regret[-1, 0], 20 / 101, rtol=1e-6)


def test_run_projected_rejects_bad_input():
    with pytest.raises(ValueError, match="rho"):
        run_projected(reddi_problem(), 1.0, False, steps=10)
    with pytest.raises(ValueError, match="steps"):
        run_projected(reddi_problem(), 0.9, False, steps=0)


# ----------------------------------------------------------------------------- drift and phase diagram


def test_drift_sign_matches_a_long_simulation_on_the_reddi_problem():
    p = reddi_problem()
    low, high = 0.99, 0.99999
    assert periodic_drift(p, low) < 0 < periodic_drift(p, high)
    runs = run_projected(p, [low, high], False, steps=101 * 3000, learning_rate=1.0)
    assert runs.final_x[0] == 1.0  # negative drift: pushed to the worst point
    assert runs.final_x[1] < -0.9  # positive drift: reaches the minimizer


def test_critical_rho_separates_the_signs_and_rises_with_the_period():
    previous = 0.0
    for period in (3, 5, 10, 20):
        rho_star = critical_rho(period_family(period))
        assert periodic_drift(period_family(period), rho_star * (1 - 1e-6)) <= 0
        assert periodic_drift(period_family(period), min(rho_star * (1 + 1e-6), 1 - 1e-9)) > 0
        assert rho_star > previous
        previous = rho_star


def test_phase_diagram_agrees_with_the_drift_away_from_the_boundary():
    rhos = np.array([0.3, 0.6, 0.9, 0.99, 0.999])
    diagram = phase_diagram(rhos, np.array([3, 6, 12]), steps=20000, learning_rate=0.5)
    decided = diagram.outcome != 0
    assert decided.sum() >= 12
    np.testing.assert_array_equal(diagram.outcome[decided], diagram.predicted[decided])
    assert diagram.outcome[0, 2] == DIVERGES and diagram.outcome[-1, 0] == CONVERGES


def test_phase_diagram_cells_are_projected_rmsprop_runs():
    rhos, periods, steps, tail = np.array([0.5, 0.95]), np.array([3, 8]), 3000, 0.1
    diagram = phase_diagram(rhos, periods, steps=steps, learning_rate=0.5, x0=0.2, tail=tail)
    tail_steps = round(tail * steps)
    for i, rho in enumerate(rhos):
        for j, period in enumerate(periods):
            run = run_projected(period_family(int(period)), rho, False, steps=steps, learning_rate=0.5, x0=0.2)
            after = np.append(run.x[1:, 0], run.final_x[0])  # x after updates 1 … steps
            np.testing.assert_allclose(diagram.tail_mean_x[i, j], after[-tail_steps:].mean(), rtol=1e-12)


def test_phase_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match="rhos"):
        phase_diagram([1.2], [3], steps=10)
    with pytest.raises(ValueError, match="periods"):
        phase_diagram([0.5], [1], steps=10)
