"""The improved-RMSprop chapter's plumbing (rmsprop_ref.book.improved)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmsprop_ref import SGD, RMSprop, schedules  # noqa: E402
from rmsprop_ref.book import improved  # noqa: E402
from rmsprop_ref.book.online import (  # noqa: E402
    CONVERGES,
    DIVERGES,
    UNDECIDED,
    PeriodicLinearProblem,
    PhaseDiagram,
    periodic_drift,
)
from rmsprop_ref.book.plots import use_book_style  # noqa: E402
from rmsprop_ref.problems import Quadratic, ill_conditioned_quadratic  # noqa: E402
from rmsprop_ref.run import minimize  # noqa: E402


def test_run_variants_runs_every_pair_and_tail_means_average_the_last_losses():
    problems = {"bowl": (Quadratic((1.0, 4.0)), [1.0, -1.0]), "tilted": (ill_conditioned_quadratic(30), [2.0, 1.0])}
    variants = {"sgd": SGD(0.1), "rms": RMSprop(0.01)}
    runs = improved.run_variants(variants, problems, 20)
    assert list(runs) == [("sgd", "bowl"), ("sgd", "tilted"), ("rms", "bowl"), ("rms", "tilted")]
    direct = minimize(problems["tilted"][0], RMSprop(0.01), [2.0, 1.0], 20)
    np.testing.assert_array_equal(runs["rms", "tilted"].loss, direct.loss)
    means = improved.tail_means(runs, last=5)
    assert means["rms", "tilted"] == pytest.approx(direct.loss[-5:].mean(), rel=1e-15)
    with pytest.raises(ValueError, match="last"):
        improved.tail_means(runs, last=0)


def test_format_table_aligns_columns_and_refuses_a_short_row():
    table = improved.format_table("corner", {"a": [1.0, 0.5], "longer row": [1234.5, 2e-7]}, ["x", "y"], ".3g")
    lines = table.splitlines()
    assert len(lines) == 3 and len({len(line) for line in lines}) == 1
    # no e-notation: ".3g" would give 1.23e+03 and 2e-07
    assert lines[0].split() == ["corner", "x", "y"] and lines[2].split() == ["longer", "row", "1230", "2×10⁻⁷"]
    # the default writes plain numbers too
    assert improved.format_table("c", {"a": [5e-5]}, ["x"]).splitlines()[1] == "a  5×10⁻⁵"
    with pytest.raises(ValueError, match="row 'a'"):
        improved.format_table("c", {"a": [1.0]}, ["x", "y"])
    with pytest.raises(ValueError, match="at least one row"):
        improved.format_table("c", {}, ["x"])


def test_momentum_placements_agree_at_constant_rate_and_differ_under_a_schedule():
    bowl, start = Quadratic((0.2, 4.0)), [-4.0, 1.0]
    constant = improved.momentum_placement_gap(bowl, 0.01, start, 100)
    assert constant.shape == (101,) and constant.max() < 1e-12  # rounding only
    halving = schedules.ExponentialDecay(0.01, decay_steps=20, decay_rate=0.5)
    assert improved.momentum_placement_gap(bowl, halving, start, 100).max() > 1e-3


def test_largest_steps_show_the_first_step_of_rmsprop_from_v_zero():
    bowl, start = Quadratic((0.2, 4.0)), [-4.0, 1.0]
    steps = improved.largest_steps(bowl, RMSprop(0.01, rho=0.99, epsilon=0.0), start, 5)
    assert steps.shape == (5,)
    np.testing.assert_allclose(steps[0], 1 / np.sqrt(1 - 0.99), rtol=1e-9)  # η/√(1−ρ), in units of η
    corrected = improved.largest_steps(bowl, RMSprop(0.01, rho=0.99, epsilon=0.0, bias_correction=True), start, 5)
    np.testing.assert_allclose(corrected[0], 1.0, rtol=1e-9)
    with pytest.raises(TypeError, match="constant learning rate"):
        improved.largest_steps(bowl, RMSprop(schedules.CosineDecay(0.01, decay_steps=10)), start, 5)


def test_settled_displacement_is_the_drift_per_period_times_the_periods():
    problem = PeriodicLinearProblem(period=5, large=20.0, small=2.0)
    for rho in (0.5, 0.9):
        moved = improved.settled_displacement(problem, rho, periods=7, learning_rate=1e-3)
        np.testing.assert_allclose(moved, -7 * 1e-3 * periodic_drift(problem, rho), rtol=1e-9)


def small_diagram(rhos=None) -> PhaseDiagram:
    rhos = 1 - np.geomspace(1e-3, 0.1, 5) if rhos is None else rhos
    periods = np.arange(3, 7)
    outcome = np.full((len(rhos), len(periods)), UNDECIDED)
    outcome[:2] = CONVERGES
    outcome[-1] = DIVERGES
    zeros = np.zeros(outcome.shape)
    return PhaseDiagram(np.asarray(rhos), periods, 10, zeros, outcome, outcome)


def test_phase_diagram_cells_are_squares_with_readable_ticks():
    use_book_style()
    ax = improved.plot_phase_diagram(small_diagram(), boundary=np.array([0.05, 0.02, 0.01, 0.005]))
    (mesh,) = ax.collections
    cell_widths = {np.ptp(path.vertices[:, 0]).round(12) for path in mesh.get_paths()}
    cell_heights = {np.ptp(path.vertices[:, 1]).round(12) for path in mesh.get_paths()}
    assert cell_widths == cell_heights == {1.0} and ax.get_aspect() == 1.0  # squares on the page
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$10^{-3}$", "$10^{-2}$", "$10^{-1}$"]
    legend = ax.get_legend()
    assert len(legend.get_texts()) == 4 and min(t.get_fontsize() for t in legend.get_texts()) >= 9
    plt.close("all")
    with pytest.raises(ValueError, match="evenly spaced"):
        improved.plot_phase_diagram(small_diagram(rhos=np.array([0.5, 0.9, 0.95, 0.99, 0.999])))
