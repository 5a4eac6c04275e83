"""rmsprop_ref.book.stepcost: the traffic/flops model and the timing harness."""

import numpy as np
import pytest

from rmsprop_ref import RMSprop
from rmsprop_ref.book import stepcost


@pytest.mark.parametrize(
    "variant, read, written, operations",
    [
        # Counted by hand from RMSprop.leaf_update (Keras conventions, η inside the buffer):
        # plain: g², ×(1−ρ), ρ·v, +, +ε, √, η·g, ÷, θ −                     = 9
        # momentum: the same, then μ·b, +, and θ − b replaces nothing new      = 11
        # centered: plain + (1−ρ)·g, ρ·m, +, m², v − m²                        = 14
        ("plain", 3, 2, 9),
        ("momentum", 4, 3, 11),
        ("centered", 4, 3, 14),
    ],
)
def test_step_model_counts(variant, read, written, operations):
    model = stepcost.step_model(variant)
    assert (model.arrays_read, model.arrays_written) == (read, written)
    assert model.bytes == 4 * (read + written)
    assert model.operations == operations
    assert model.sqrt_and_divide == 2
    assert model.intensity == pytest.approx(operations / model.bytes)
    # Unfused, each operation streams at least its result and one operand: ≥ 8 bytes each.
    assert model.unfused_bytes >= 8 * operations > model.bytes
    assert stepcost.step_model(variant, itemsize=8).bytes == 2 * model.bytes


def test_step_model_of_any_rmsprop():
    # Centered with momentum: reads θ, g, v, m, b and writes all but g; the centered step's 14
    # operations plus the buffer's two (μ·b and +). The chapter's first exercise.
    model = stepcost.step_model(RMSprop(centered=True, momentum=0.9))
    assert (model.bytes, model.operations) == (36, 16)
    assert round(model.intensity, 2) == 0.44
    # Nesterov adds two operations (μ·b and +) and no bytes.
    nesterov = stepcost.step_model(RMSprop(momentum=0.9, nesterov=True))
    assert nesterov.operations == stepcost.step_model("momentum").operations + 2
    assert nesterov.bytes == 28


def test_median_time_calls_warmup_plus_repeats_and_takes_the_median(monkeypatch):
    # A fake clock: call k of the step takes k seconds, so the median is known exactly.
    clock = {"now": 0.0}
    calls = []

    def step():
        calls.append(1)
        clock["now"] += len(calls)

    monkeypatch.setattr(stepcost.time, "perf_counter", lambda: clock["now"])
    seconds = stepcost.median_time(step, repeats=5, warmup=2)
    # Warm-up calls 1 and 2 are not timed; the timed calls take 3, 4, 5, 6, 7 seconds.
    assert len(calls) == 7 and seconds == 5.0


def test_bound_time_reports_threads():
    seconds, threads = stepcost.bound_time(8 * 100_000, repeats=3)
    assert seconds > 0 and threads in (1, 2)


@pytest.mark.slow
@pytest.mark.parametrize("implementation", stepcost.IMPLEMENTATIONS)
@pytest.mark.parametrize("variant", list(stepcost.VARIANTS))
def test_every_implementation_steps(implementation, variant):
    step = stepcost.make_step(implementation, variant, 1000)
    step()
    step()


def test_numpy_implementations_agree_after_some_steps():
    # The closures keep their own copies; run the same steps through the library directly.
    optimizer = stepcost.optimizer_for("centered")
    theta, grad = stepcost._problem(5000)
    pure, state = theta.copy(), optimizer.init(theta)
    from rmsprop_ref.inplace import InPlaceRMSprop

    fast = InPlaceRMSprop(optimizer)
    fast_state = fast.init(theta)
    for _ in range(3):
        pure, state = optimizer.update(pure, grad, state)
        fast_state = fast.update_(theta, grad, fast_state)
    np.testing.assert_array_equal(pure, theta)


def test_in_place_allocates_far_less_than_the_pure_update():
    n = 200_000
    pure = stepcost.peak_step_memory("pure update", "momentum", n)
    fast = stepcost.peak_step_memory("in-place", "momentum", n)
    assert pure > 4 * n  # at least one N-sized float32 temporary
    assert fast < 4 * n / 8


def test_measure_and_format_table():
    records = stepcost.measure([2000], ["plain"], ["pure update", "in-place"], repeats=3, warmup=1)
    assert len(records) == 1 and set(records[0]["ms"]) == {"pure update", "in-place"}
    assert records[0]["bytes"] == 20 * 2000
    assert records[0]["bound_spread"] >= 0 and set(records[0]["spread"]) == {"pure update", "in-place"}
    table = stepcost.format_table(records, ["pure update", "in-place"])
    assert "in-place" in table and "plain" in table
    assert table.splitlines()[1].split()[:2] == ["2000", "plain"]  # N written plainly, not 2e+03


def test_format_table_writes_big_n_without_e_notation():
    record = {"n": 10**7, "variant": "plain", "bound_ms": 1.0, "ms": {"in-place": 2.5}}
    lines = stepcost.format_table([record], ["in-place"]).splitlines()
    assert lines[1].split() == ["10⁷", "plain", "1.000", "2.500", "(2.50×)"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: stepcost.optimizer_for("nesterov"), "variant"),
        (lambda: stepcost.make_step("jax", "plain", 10), "implementation"),
        (lambda: stepcost.peak_step_memory("torch foreach", "plain", 10), "pure update"),
    ],
)
def test_bad_names_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_html_tables_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [
        {
            "n": n,
            "variant": v,
            "bytes": 20 * n,
            "bound_ms": 1.0,
            "bound_threads": 1,
            "bound_spread": 0.05,
            "ms": {name: 2.0 for name in stepcost.IMPLEMENTATIONS},
            "best_ms": {name: 1.5 for name in stepcost.IMPLEMENTATIONS},
        }
        for n in (10, 100)
        for v in ("plain", "centered")
    ]
    table = stepcost.html_table(records)
    assert table.count("<tr>") == 1 + len(records) and "<td>2 (2.0×)</td>" in table
    assert "<td>1.5 (1.5×)</td>" in stepcost.html_table(records, key="best_ms")
    models = stepcost.model_table([stepcost.step_model(v) for v in stepcost.VARIANTS])
    assert "<td>plain</td><td>3</td><td>2</td><td>20</td><td>9 (2)</td><td>0.45</td>" in models
    fig, axes = plt.subplots(1, 2)
    stepcost.plot_times(records, axes)
    assert len(axes[0].lines) == len(stepcost.IMPLEMENTATIONS) + 1 and axes[1].get_title() == "centered"
    plt.close(fig)


def test_html_table_gives_ratios_the_digits_the_bound_supports():
    record = {
        "n": 10_000,
        "variant": "plain",
        "bytes": 200_000,
        "bound_ms": 0.01,
        "bound_threads": 1,
        "bound_spread": 0.3,
        "ms": {"in-place": 0.0345},
    }
    table = stepcost.html_table([record], ["in-place"])
    assert "<td>0.0345 (3×)</td>" in table and "(IQR 30 %)" in table
    assert "<td>0.0345 (3.45×)</td>" in stepcost.html_table([{**record, "bound_spread": 0.001}], ["in-place"])


@pytest.mark.parametrize(
    "value, spread, text",
    [
        (3.456, 0.2, "3"),
        (3.456, 0.05, "3.5"),
        (3.456, 0.001, "3.46"),
        (123.4, 0.2, "100"),
        (123.4, 0.05, "120"),
        (0.0456, 0.02, "0.046"),
        (0.96, 0.3, "1"),
        (99.7, 0.05, "100"),
    ],
)
def test_significant(value, spread, text):
    assert stepcost.significant(value, spread) == text


def test_significant_and_relative_spread_reject_bad_input():
    with pytest.raises(ValueError, match="positive finite"):
        stepcost.significant(0.0, 0.1)
    with pytest.raises(ValueError, match="at least two"):
        stepcost.relative_spread([1.0])


def test_relative_spread_is_the_interquartile_range_over_the_median():
    assert stepcost.relative_spread([1.0, 1.0, 1.0, 1.0]) == 0.0
    times = [1.0, 2.0, 3.0, 4.0, 5.0]
    low, _, high = __import__("statistics").quantiles(times, n=4)
    assert stepcost.relative_spread(times) == pytest.approx((high - low) / 3.0)


def test_bound_timings_agree_with_bound_time():
    times, threads = stepcost.bound_timings(8 * 100_000, repeats=3)
    assert len(times) == 3 and threads in (1, 2) and all(t > 0 for t in times)


def test_html_table_writes_sizes_in_plain_digits():
    record = {
        "n": 1_000_000,
        "variant": "plain",
        "bytes": 20_000_000,
        "bound_ms": 1.0,
        "bound_spread": 0.0,
        "ms": {"in-place": 2.0},
    }
    assert "<td>1\u2009000\u2009000</td>" in stepcost.html_table([record], ["in-place"])


def _timed(n, variant, slow_ms, fast_ms, spread):
    return {
        "n": n,
        "variant": variant,
        "best_ms": {"slow": slow_ms, "fast": fast_ms},
        "spread": {"slow": spread, "fast": spread / 2},
    }


def test_times_as_long_gives_the_range_over_variants_to_the_supported_digits():
    records = [
        _timed(10, "plain", 3.0, 1.0, 0.2),
        _timed(10, "momentum", 5.2, 1.0, 0.2),
        _timed(10, "centered", 4.0, 1.0, 0.2),
        _timed(100, "plain", 2.0, 1.0, 0.05),
        _timed(100, "momentum", 2.04, 1.0, 0.05),
    ]
    assert stepcost.times_as_long(records, "slow", "fast", 10) == "3–5"
    # both ends round to the same two digits: one number
    assert stepcost.times_as_long(records, "slow", "fast", 100) == "2.0"
    with pytest.raises(ValueError, match="no record"):
        stepcost.times_as_long(records, "slow", "fast", 1000)
    # a step that took no time is a failed measurement, not a ratio
    with pytest.raises(ValueError):
        stepcost.times_as_long([_timed(10, "plain", 0.0, 1.0, 0.1)], "slow", "fast", 10)
