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


def test_book_style_asks_the_inline_backend_for_retina_pngs_inside_ipython(monkeypatch):
    import IPython
    import matplotlib_inline.backend_inline as inline

    calls = []
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *formats: calls.append(formats))
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # a plain script
    plots.use_book_style()
    assert calls == []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # a kernel
    plots.use_book_style()
    assert calls == [("retina",)]


def test_book_style_without_matplotlib_inline_does_nothing_more(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib_inline.backend_inline", None)  # import fails
    plots.use_book_style()  # no error
    assert plots._retina_in_notebook() is False


@pytest.mark.parametrize(
    "value, text",
    [
        (0, "0"),
        (1e4, "10⁴"),
        (2e4, "2×10⁴"),
        (3.3e7, "3.3×10⁷"),
        (1e-4, "10⁻⁴"),
        (-1e-4, "−10⁻⁴"),
        (2.5e-5, "2.5×10⁻⁵"),
        (6889.0, "6890"),
        (0.0032, "0.0032"),
        (0.1 + 0.2, "0.3"),
        (-2.5, "−2.5"),
        (1000.0, "1000"),
        (9999.6, "10⁴"),  # rounds up into the next decade
        (0.00099999, "0.001"),
    ],
)
def test_plain_number_never_writes_e_notation(value, text):
    assert plots.plain_number(value) == text


def test_plain_number_writes_infinities_with_a_typographic_minus():
    assert plots.plain_number(float("inf")) == "inf"
    assert plots.plain_number(-float("inf")) == "−inf"  # U+2212, as the finite negatives
    assert plots.plain_number(float("nan")) == "nan"


@pytest.mark.parametrize("digits", [0, -1, 2.5, "3", True])
def test_plain_number_refuses_a_bad_digits(digits):
    with pytest.raises(ValueError, match="digits must be an integer ≥ 1"):
        plots.plain_number(0.5, digits)


def test_plain_ticks_label_a_linear_axis_without_offset_or_e_notation():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 3e7])
    plots.plain_ticks(ax, "y")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "10⁷" in labels and "2×10⁷" in labels
    assert not any("e" in label for label in labels)
    assert ax.yaxis.get_offset_text().get_text() == ""
    with pytest.raises(ValueError, match="axis"):
        plots.plain_ticks(ax, "z")


def test_plain_ticks_label_a_short_log_axis_with_plain_numbers():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0.025, 0.35])
    ax.set_yscale("log")
    plots.plain_ticks(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels(minor=True) + ax.get_yticklabels() if t.get_text()]
    assert "0.1" in labels and "0.3" in labels  # not 10⁻¹ and 3×10⁻¹
    assert not any("×" in label or "$" in label for label in labels)


def test_contour_with_linear_levels_and_shading():
    problem, runs = runs_on_rosenbrock()
    ax = plots.contour_with_trajectories(
        problem, runs[:2], xlim=(-2, 2), ylim=(-1, 3), spacing="linear", levels=12, shade=True
    )
    filled = [c for c in ax.collections if getattr(c, "filled", False)]
    lines = [c for c in ax.collections if not getattr(c, "filled", True)]
    assert len(filled) == 1 and len(lines) == 1
    np.testing.assert_allclose(lines[0].levels, np.linspace(0, lines[0].levels[-1], 12))
    with pytest.raises(ValueError, match="spacing"):
        plots.contour_with_trajectories(problem, [], xlim=(-2, 2), ylim=(-1, 3), spacing="cubic")


def test_layer_norm_curves_can_leave_the_legend_to_the_figure():
    traj = minimize(SigmoidChain(depth=3), RMSprop(0.01), np.tile([1.0, 0.0], 3), 5, label="RMSprop")
    assert plots.layer_norm_curves(traj, legend=False).get_legend() is None
    assert plots.layer_norm_curves(traj).get_legend().get_texts()[0].get_fontsize() >= 9
