"""Plotting helpers: they draw what they are given, with labels, log scales and divergence marks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rmsprop_ref import SGD, RMSprop  # noqa: E402
from rmsprop_ref.book import plots  # noqa: E402
from rmsprop_ref.problems import LinearChain, Rosenbrock, SigmoidChain, ill_conditioned_quadratic  # noqa: E402
from rmsprop_ref.run import minimize, search_learning_rate  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    plots.use_book_style()
    yield
    plt.close("all")


def runs_on_rosenbrock():
    problem = Rosenbrock()
    sgd = minimize(problem, SGD(1e-3), [-1.0, 1.5], 50, label="SGD")
    rms = minimize(problem, RMSprop(0.05), [-1.0, 1.5], 50, label="RMSprop")
    blown = minimize(problem, SGD(0.05), [-1.0, 1.5], 50, label="SGD + momentum")
    assert blown.diverged  # the test needs one diverged run
    return problem, [sgd, rms, blown]


def test_contour_draws_every_path_in_its_colour():
    problem, runs = runs_on_rosenbrock()
    ax = plots.contour_with_trajectories(problem, runs, xlim=(-2, 2), ylim=(-1, 3))
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["SGD"].get_color() == plots.OPTIMIZER_COLORS["SGD"]
    assert lines["RMSprop"].get_color() == plots.OPTIMIZER_COLORS["RMSprop"]
    np.testing.assert_array_equal(lines["RMSprop"].get_xdata(), runs[1].params[:, 0])
    # The diverged path stops at its last recorded point and ends with an ×.
    assert len(lines["SGD + momentum"].get_xdata()) == runs[2].diverged_at + 1
    assert any(line.get_marker() == "x" for line in ax.get_lines())
    assert "minimiser" in lines and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_legend() is not None
    assert len(ax.collections) > 0  # the contour set


def test_contour_rejects_a_problem_that_is_not_2d():
    with pytest.raises(ValueError, match="2-D"):
        plots.contour_with_trajectories(LinearChain(depth=3), [], xlim=(0, 1), ylim=(0, 1))


def test_loss_curves_are_on_a_log_scale_and_mark_divergence():
    problem, runs = runs_on_rosenbrock()
    ax = plots.loss_curves(runs)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    curves = [line for line in ax.get_lines() if line.get_label() == "RMSprop"]
    np.testing.assert_array_equal(curves[0].get_ydata(), runs[1].loss)
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == runs[2].diverged_at


def test_loss_curves_subtract_the_minimum():
    traj = minimize(ill_conditioned_quadratic(), SGD(0.1), [1.0, 1.0], 5, label="SGD")
    ax = plots.loss_curves([traj], minimum=-1.0)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), traj.loss + 1.0)


def test_layer_norm_curves_one_line_per_layer():
    traj = minimize(SigmoidChain(depth=4), RMSprop(0.01), np.tile([1.0, 0.0], 4), 20, label="RMSprop")
    ax = plots.layer_norm_curves(traj, which="update")
    assert [line.get_label() for line in ax.get_lines()] == ["layer 1", "layer 2", "layer 3", "layer 4"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), traj.layer_update_norms[:, 0])
    assert ax.get_yscale() == "log" and "update norm" in ax.get_ylabel() and ax.get_title() == "RMSprop"
    ax = plots.layer_norm_curves(traj, which="grad")
    np.testing.assert_array_equal(ax.get_lines()[3].get_ydata(), traj.layer_grad_norms[:, 3])
    with pytest.raises(ValueError, match="which"):
        plots.layer_norm_curves(traj, which="weights")


def test_norms_by_layer_plots_against_layer_index():
    ax = plots.norms_by_layer({"SGD": [1e-6, 1e-3, 1.0], "RMSprop": [0.1, 0.1, 0.1]}, ylabel="mean update")
    sgd = ax.get_lines()[0]
    np.testing.assert_array_equal(sgd.get_xdata(), [1, 2, 3])
    assert sgd.get_color() == plots.OPTIMIZER_COLORS["SGD"] and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "mean update"


def test_learning_rate_sweep_marks_diverged_rates_and_the_choice():
    problem = ill_conditioned_quadratic()
    sgd = search_learning_rate(problem, lambda lr: SGD(lr), [0.01, 0.1, 1.0], [1.0, 1.0], 50, label="SGD")
    rms = search_learning_rate(problem, lambda lr: RMSprop(lr), [0.01, 0.1, 1.0], [1.0, 1.0], 50, label="RMSprop")
    assert sgd.diverged[-1]
    ax = plots.learning_rate_sweep([sgd, rms])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_ylabel() == "final loss (log scale)"
    sgd_line = [line for line in ax.get_lines() if line.get_label() == "SGD"][0]
    np.testing.assert_array_equal(sgd_line.get_xdata(), [0.01, 0.1])  # the diverged η is not on the curve
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and crosses[0].get_xdata()[0] == 1.0
    target = search_learning_rate(
        problem, lambda lr: SGD(lr), [0.1, 0.3], [1.0, 1.0], 50, target_loss=1e-3, label="SGD"
    )
    assert "steps to reach loss 0.001" in plots.learning_rate_sweep([target]).get_ylabel()


def test_learning_rate_sweep_draws_exact_zeros_on_the_bottom_edge():
    from rmsprop_ref.problems import Quadratic

    # SGD on ½x² with η = 1 lands exactly on 0; η = 0.5 does not.
    search = search_learning_rate(Quadratic((1.0,)), lambda lr: SGD(lr), [0.5, 1.0], [1.0], 5, label="SGD")
    assert search.scores[1] == 0.0
    ax = plots.learning_rate_sweep([search])
    triangles = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(triangles) == 1 and triangles[0].get_xdata()[0] == 1.0
    assert triangles[0].get_ydata()[0] == pytest.approx(search.scores[0] / 3)
    curve = [line for line in ax.get_lines() if line.get_label() == "SGD"][0]
    np.testing.assert_array_equal(curve.get_xdata(), [0.5])
