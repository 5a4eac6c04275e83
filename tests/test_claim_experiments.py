"""Tests of rmsprop_ref.book.claim_experiments: the chapter's loops, printed tables and the nine claims."""

from types import SimpleNamespace

import numpy as np
import pytest

from rmsprop_ref import SGD, RMSprop
from rmsprop_ref.book import claim_experiments as lab
from rmsprop_ref.book.claims import burst_gradients, effective_learning_rates, train_mnist
from rmsprop_ref.book.sparse import rare_feature_data, train_logistic
from rmsprop_ref.book.verdicts import AGAINST, DOES_NOT_HOLD, FOR, HOLDS, IN_PART, NOT_SHOWN, UNDECIDED
from rmsprop_ref.problems import ill_conditioned_quadratic
from rmsprop_ref.run import search_learning_rate
from rmsprop_ref.sweep import sweep

MAKERS = {"SGD": SGD, "RMSprop": RMSprop}


def test_values_table_aligns_names_and_formats_values():
    text = lab.values_table("loss", {"SGD": 0.5, "RMSprop, ε = 0": np.float32(0.001)}, ".3g")
    assert text.splitlines() == ["loss:", "  SGD               0.5", "  RMSprop, ε = 0  0.001"]
    # a format that would give e-notation gives a plain number instead
    assert lab.values_table("x", {"a": 1.5e-5}, ".2g").splitlines()[1] == "  a  1.5×10⁻⁵"


def test_means_table_averages_each_field_over_the_seeds():
    runs = {
        "a": [SimpleNamespace(x=1.0, y=0.5), SimpleNamespace(x=3.0, y=0.25)],
        "bb": [SimpleNamespace(x=0.0, y=1.0)] * 2,
    }
    lines = lab.means_table(runs, {"x": ("x", ".1f"), "mean y": ("y", ".3f")}).splitlines()
    assert lines[0].startswith("mean of 2 seeds") and lines[0].split()[-2:] == ["mean", "y"]
    assert lines[1].split() == ["a", "2.0", "0.375"] and lines[2].split() == ["bb", "0.0", "1.000"]
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_rates_line_prints_plain_numbers():
    assert lab.rates_line({"SGD": np.float64(0.3), "RMSprop": 0.003}) == "tuned η: SGD 0.3, RMSprop 0.003"


def test_race_to_settle_is_search_learning_rate_per_toy_and_optimizer():
    q = ill_conditioned_quadratic()
    toys = {"q": (q, [-4.0, 1.0])}
    grid = np.geomspace(1e-3, 1, 4)
    race = lab.race_to_settle(toys, MAKERS, grid, steps=100, target_loss=1e-2)
    assert list(race) == ["q"] and list(race["q"]) == ["SGD", "RMSprop"]
    direct = search_learning_rate(q, SGD, grid, [-4.0, 1.0], 100, target_loss=1e-2, criterion="settle")
    assert race["q"]["SGD"].best_learning_rate == direct.best_learning_rate
    np.testing.assert_array_equal(race["q"]["SGD"].best.loss, direct.best.loss)
    table = lab.race_table(race).splitlines()
    assert len(table) == 3 and "settled ≤ 0.01" in table[0]
    assert table[1].split()[:3] == ["q", "SGD", f"{direct.best_learning_rate:.3g}"]


def test_mnist_and_logistic_runs_are_one_run_per_seed():
    rng = np.random.default_rng(0)
    images, labels = rng.random((40, 784)).astype(np.float32), np.repeat(np.arange(10), 4)
    data = (images, labels)
    runs = lab.mnist_runs(SGD(0.1), data, data, [3, 4], epochs=1, batch_size=10, hidden_units=8)
    alone = train_mnist(SGD(0.1), data, data, epochs=1, batch_size=10, seed=4, hidden_units=8)
    assert len(runs) == 2 and runs[1].test_accuracy == alone.test_accuracy
    np.testing.assert_array_equal(runs[1].batch_loss, alone.batch_loss)
    fits = lab.logistic_runs(RMSprop(0.01), [1], epochs=1, batch_size=5000)
    assert (
        fits[0].loss == train_logistic(rare_feature_data(seed=1), RMSprop(0.01), epochs=1, batch_size=5000, seed=1).loss
    )


def test_tune_rates_picks_the_lowest_mean_and_passes_name_and_seeds():
    calls = []

    def run(name, eta, seeds):
        calls.append((name, eta, tuple(seeds)))
        best = 0.1 if name == "SGD" else 0.01
        return [SimpleNamespace(loss=abs(np.log(eta / best)) + s) for s in seeds]

    tuned = lab.tune_rates({"SGD": (0.03, 0.1, 0.3), "RMSprop": (0.003, 0.01)}, run, (0, 1), "loss")
    assert tuned == {"SGD": 0.1, "RMSprop": 0.01}
    assert len(calls) == 5 and all(c[2] == (0, 1) for c in calls)


def test_field_of_and_log_ratios():
    runs = {"a": [SimpleNamespace(gap=0.1), SimpleNamespace(gap=0.2)]}
    assert lab.field_of(runs, "gap") == {"a": [0.1, 0.2]}
    noisy = {("SGD", 1.0): np.array([1.0, 2.0]), ("RMSprop", 1.0): np.array([2.0, 2.0])}
    np.testing.assert_allclose(lab.log_ratios(noisy, [1.0])[1.0], [np.log(2), 0.0])


def test_tuning_spreads_on_a_small_sweep():
    q = ill_conditioned_quadratic()
    etas, rhos = np.geomspace(1e-3, 10, 5), np.array([0.5, 0.9])
    grid_run = sweep(q, [-4.0, 1.0], 50, learning_rate=etas, rho=rhos)
    eps_runs = {"q": np.array([1.0, 4.0, 2.0])}
    s = lab.tuning_spreads(grid_run, eps_runs)
    heat = grid_run.final_loss[:, :, 0, 0]
    ok = ~grid_run.diverged[:, 1, 0, 0]
    assert s.eta_spread == pytest.approx(heat[ok, 1].max() / heat[ok, 1].min(), rel=1e-15)
    assert s.rho_spread == pytest.approx(s.best_per_rho.max() / s.best_per_rho.min(), rel=1e-15)
    assert s.eps_range == {"q": (1.0, 4.0)}
    text = str(s)
    assert "ρ = 0.5" in text and "final loss over ε, q: 1 to 4" in text


def _grid_run(final_loss, diverged, rhos):
    """A stand-in for a SweepResult: η × ρ × ε × seed arrays and the ρ axis."""
    return SimpleNamespace(final_loss=np.asarray(final_loss), diverged=np.asarray(diverged), rho=np.asarray(rhos))


def test_tuning_spreads_leave_out_diverged_runs():
    # η × ρ (ρ = 0.5, 0.9), one ε and one seed; the last η diverged at ρ = 0.9 with a huge loss
    loss = np.array([[1.0, 2.0], [0.5, 0.1], [0.2, 1e6]])[:, :, None, None]
    diverged = np.array([[False, False], [False, False], [False, True]])[:, :, None, None]
    s = lab.tuning_spreads(_grid_run(loss, diverged, [0.5, 0.9]), {"q": np.array([1.0, 2.0])})
    assert s.eta_spread == pytest.approx(2.0 / 0.1, rel=1e-15)  # not 1e6 / 0.1
    np.testing.assert_array_equal(s.best_per_rho, [0.2, 0.1])


def test_tuning_spreads_refuse_a_grid_they_cannot_read():
    ok = np.ones((2, 2, 1, 1))
    with pytest.raises(ValueError, match="grid_run must include ρ = 0.9"):
        lab.tuning_spreads(_grid_run(ok, ok == 0, [0.5, 0.99]), {})
    two_eps = np.ones((2, 2, 2, 1))
    with pytest.raises(ValueError, match="grid_run must have exactly one ε and one seed"):
        lab.tuning_spreads(_grid_run(two_eps, two_eps == 0, [0.5, 0.9]), {})
    two_seeds = np.ones((2, 2, 1, 2))
    with pytest.raises(ValueError, match="grid_run must have exactly one ε and one seed"):
        lab.tuning_spreads(_grid_run(two_seeds, two_seeds == 0, [0.5, 0.9]), {})
    with pytest.raises(ValueError, match="every run of grid_run at ρ = 0.9 diverged"):
        lab.tuning_spreads(_grid_run(ok, np.ones_like(ok, dtype=bool), [0.5, 0.9]), {})


def test_claim_texts_are_built_from_the_inputs():
    q = ill_conditioned_quadratic()
    race = lab.race_to_settle({"q": (q, [-4.0, 1.0])}, MAKERS, np.geomspace(1e-3, 1, 4), steps=1000, target_loss=1e-5)
    result = lab.claim_2(race, {"SGD": [1.0, 2.0, 3.0], "RMSprop": [0.5, 1.0, 2.0]})
    assert "e-" not in result.checks[0].effect and "×10⁻" in result.checks[0].effect  # tiny final losses
    assert "at or below 10⁻⁵ on 1 toy;" in result.experiment and "(3 paired seeds)" in result.experiment
    assert "4 paired seeds" in lab.claim_3({"SGD": [0.9] * 4, "RMSprop": [0.91] * 4}).experiment
    assert (
        "3 paired data sets"
        in lab.claim_4({"SGD": [1.0] * 3, "RMSprop": [0.5] * 3}, {"SGD": [1.0] * 3, "RMSprop": [1.0] * 3}).experiment
    )
    assert "5 paired runs" in lab.claim_6({1.0: np.zeros(5), 2.0: np.ones(5)}, 1.0, 2.0).experiment
    gap = {k: [0.1, 0.2] for k in ("SGD", "RMSprop")}
    acc = {k: [0.8, 0.9] for k in ("RMSprop", "RMSprop + dropout 0.5", "RMSprop + L2 1e-3")}
    eight = lab.claim_8(gap, acc)
    assert "2 paired seeds" in eight.experiment and eight.checks[2].name.startswith("needed")
    assert lab.claim_9({"keras": 0.9, "graves2013": 0.95}).experiment == "defaults of Keras, Graves (2013)"


def test_decay_rates_markdown_names_each_source():
    lines = lab.decay_rates_markdown({"torch": 0.99, "hinton2012": 0.9}).splitlines()
    assert lines == ["| source | default ρ |", "|:--|--:|", "| PyTorch | 0.99 |", "| Tieleman & Hinton (2012) | 0.9 |"]


def test_claim_2_reports_a_run_settled_from_step_0():
    # a start at the minimum: the loss is 0 from step 0, which is a step, not "never"
    q = ill_conditioned_quadratic()
    race = lab.race_to_settle({"q": (q, q.minimizer)}, MAKERS, [0.01], steps=10, target_loss=1e-5)
    effect = lab.claim_2(race, {"SGD": [1.0, 2.0], "RMSprop": [0.5, 1.0]}).checks[0].effect
    assert effect.startswith("settled at step: RMSprop 0, SGD 0;")


def test_step_size_checks_and_claim_5():
    burst = dict(burst_start=200, burst_length=10)
    g = burst_gradients(**burst)
    rms = effective_learning_rates(RMSprop(0.1, rho=0.9), g)
    checks = lab.step_size_checks(rms, **burst)
    assert [c.outcome for c in checks] == [FOR, AGAINST, AGAINST]  # RMSprop forgets the burst
    assert lab.claim_5(rms, **burst).verdict == IN_PART
    # a rate that only falls (Adagrad-like) passes every check
    falling = 1 / np.sqrt(np.cumsum(g**2))
    assert lab.claim_5(falling, **burst).verdict == HOLDS
    assert (
        lab.checks_text(checks).splitlines()[0]
        == "for       drops below 1/10 by the last step of the burst: ratio 0.012"
    )


def test_step_size_checks_follow_the_burst_they_are_given():
    # a burst elsewhere: the checks read the rates around it, not fixed steps
    g = burst_gradients(burst_start=50, burst_length=3, total=300)
    rms = effective_learning_rates(RMSprop(0.1, rho=0.9), g)
    checks = lab.step_size_checks(rms, burst_start=50, burst_length=3)
    assert checks[0].effect == f"ratio {rms[52] / rms[49]:.2g}" and checks[0].outcome == FOR
    assert lab.claim_5(rms, burst_start=50, burst_length=3).experiment.startswith("effective rate through a burst of 3")
    with pytest.raises(ValueError, match="after the burst"):
        lab.step_size_checks(rms[:53], burst_start=50, burst_length=3)
    with pytest.raises(ValueError, match="burst_length"):
        lab.step_size_checks(rms, burst_start=50, burst_length=0)
    with pytest.raises(TypeError):
        lab.step_size_checks(rms, 50, 3)  # keyword-only: which number is which must be visible


def test_claim_1_reads_each_measurement():
    good = lab.claim_1(
        {"ε = 10⁻⁷": 0.5, "ε = 0": 0.9},
        {"SGD": 1.0, "RMSprop, ε = 10⁻⁷": 0.5, "RMSprop, ε = 0": 0.2},
        {"SGD": 0.01, "RMSprop": 0.1},
    )
    assert good.verdict == HOLDS and len(good.checks) == 5
    mixed = lab.claim_1(
        {"ε = 10⁻⁷": 1e-6, "ε = 0": 0.9},
        {"SGD": 1.0, "RMSprop, ε = 10⁻⁷": 0.995, "RMSprop, ε = 0": 0.2},
        {"SGD": 0.01, "RMSprop": 0.05},
    )
    assert [c.outcome for c in mixed.checks] == [AGAINST, FOR, AGAINST, FOR, AGAINST]
    assert mixed.verdict == IN_PART and "first / last 10⁻⁶" in mixed.checks[0].effect  # never 1.0e-06


def test_claim_2_counts_the_toys_and_the_mnist_pairs():
    q = ill_conditioned_quadratic()
    race = lab.race_to_settle({"q": (q, [-4.0, 1.0])}, MAKERS, np.geomspace(1e-3, 1, 4), steps=200, target_loss=1e-3)
    result = lab.claim_2(race, {"SGD": [1.0, 1.1, 1.2], "RMSprop": [0.5, 0.6, 0.65]})
    assert [c.name for c in result.checks] == [
        "q: RMSprop faster",
        "MNIST: RMSprop's training loss lower after 3 epochs",
    ]
    assert result.checks[1].outcome == FOR and result.number == 2


def test_claims_3_4_and_6_follow_their_paired_checks():
    assert lab.claim_3({"SGD": [0.90, 0.91, 0.92], "RMSprop": [0.95, 0.95, 0.97]}).verdict == HOLDS
    assert lab.claim_3({"SGD": [0.90, 0.91, 0.92], "RMSprop": [0.92, 0.89, 0.93]}).verdict == NOT_SHOWN
    sparse = lab.claim_4(
        {"SGD": [0.5, 0.6, 0.7], "RMSprop": [0.2, 0.3, 0.35]}, {"SGD": [1.0] * 3, "RMSprop": [1.0, 1.0, 1.0]}
    )
    assert [c.outcome for c in sparse.checks] == [FOR, FOR] and sparse.verdict == HOLDS
    falls = lab.claim_6({0.1: np.array([1.0, 1.1, 0.9]), 3.0: np.array([0.1, 0.0, 0.05])}, 0.1, 3.0)
    assert falls.checks[0].name == "the ratio RMSprop / SGD grows from σ = 0.1 to 3"
    assert falls.verdict == DOES_NOT_HOLD


def test_claim_7_and_claim_9():
    flat = lab.TuningSpreads(np.array([0.9]), 2.0, np.array([1.0]), 1.0, {"a": (1.0, 5.0)})
    assert lab.claim_7(flat).verdict == DOES_NOT_HOLD
    steep = lab.TuningSpreads(np.array([0.9]), 20.0, np.array([1.0]), 1.0, {"a": (1.0, 50.0)})
    assert [c.outcome for c in lab.claim_7(steep).checks] == [FOR, AGAINST, FOR]
    assert lab.claim_9({"a": 0.9, "b": 0.9, "c": 0.99}).verdict == HOLDS
    assert lab.claim_9({"a": 0.9, "b": 0.95, "c": 0.99}).verdict == DOES_NOT_HOLD


def test_claim_8_parts():
    n = 4
    gap = {"SGD": [0.20, 0.22, 0.21, 0.23], "RMSprop": [0.15, 0.16, 0.14, 0.155]}
    accuracy = {
        "RMSprop": [0.80, 0.81, 0.79, 0.80],
        "RMSprop + dropout 0.5": [0.82, 0.83, 0.81, 0.825],
        "RMSprop + L2 1e-3": [0.80, 0.80, 0.80, 0.80],
    }
    result = lab.claim_8(gap, accuracy)
    assert [c.outcome for c in result.checks] == [FOR, FOR, FOR] and result.verdict == HOLDS
    assert result.checks[2].effect.startswith("dropout 0.5 raises it: +")
    accuracy["RMSprop + dropout 0.5"] = [0.80, 0.82, 0.78, 0.80]
    assert lab.claim_8(gap, accuracy).checks[2].outcome == UNDECIDED
    assert len(gap["RMSprop"]) == n


def test_summary_names_the_verdict_and_reason():
    text = lab.summary(lab.claim_9({"a": 0.9, "b": 0.99}))
    assert text.splitlines()[-1] == "verdict: holds in part, 1 for, 1 against (rule: a majority)"
