"""Tests of rmsprop_ref.book.verdicts: Student's t, paired intervals, checks, the four verdicts, rules."""

import numpy as np
import pytest
import scipy.stats

from rmsprop_ref.book.verdicts import (
    AGAINST,
    DOES_NOT_HOLD,
    EVERY_PART,
    FOR,
    HOLDS,
    IN_PART,
    MAJORITY,
    NOT_SHOWN,
    UNDECIDED,
    Check,
    ClaimResult,
    claims_table,
    paired_check,
    paired_comparison,
    primary,
    t_quantile,
)


@pytest.mark.parametrize("dof", [1, 2, 4, 9, 19, 30, 120])
@pytest.mark.parametrize("probability", [0.5, 0.9, 0.975, 0.995])
def test_t_quantile_matches_scipy(dof, probability):
    assert t_quantile(probability, dof) == pytest.approx(scipy.stats.t.ppf(probability, dof), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize(
    "bad", [dict(probability=1.0, dof=3), dict(probability=0.4, dof=3), dict(probability=0.9, dof=0)]
)
def test_t_quantile_refuses_what_it_cannot_compute(bad):
    with pytest.raises(ValueError, match="probability|dof"):
        t_quantile(**bad)


def test_paired_comparison_by_hand():
    # differences 1.0, 1.2, 0.8: mean 1, s = 0.2, half-width t(0.975, 2)·0.2/√3
    c = paired_comparison([1.0, 1.1, 0.9], [2.0, 2.3, 1.7])
    half = scipy.stats.t.ppf(0.975, 2) * 0.2 / np.sqrt(3)
    assert (c.mean, c.n) == (pytest.approx(1.0), 3)
    assert (c.low, c.high) == (pytest.approx(1 - half), pytest.approx(1 + half))
    assert c.outcome == FOR
    # the seeds scatter, but every pair differs by the same 0.2: for, with a zero-width interval
    assert paired_comparison([1.0, 1.5, 0.5], [1.2, 1.7, 0.7]).outcome == FOR
    # differences +0.3, −0.1, +0.1: the interval contains 0
    assert paired_comparison([1.0, 1.0, 1.0], [1.3, 0.9, 1.1]).outcome == UNDECIDED
    assert paired_comparison([2.0, 2.3, 1.7], [1.0, 1.1, 0.9]).outcome == AGAINST
    assert type(c.low) is float and type(c.high) is float


def test_paired_comparison_coverage_is_close_to_the_confidence():
    # 2000 experiments of 5 pairs with a true mean difference of 0: about 95 % of the
    # intervals contain it (binomial s.e. 0.5 %, so 93 % to 97 % is a 4-s.e. band)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2000, 5))
    b = a + rng.standard_normal((2000, 5))
    covered = np.mean([paired_comparison(x, y).outcome == UNDECIDED for x, y in zip(a, b)])
    assert 0.93 < covered < 0.97


@pytest.mark.parametrize(
    "a, b, match",
    [
        ([1.0], [2.0], "two pairs"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], "paired"),
        ([1.0, np.nan], [1.0, 2.0], "finite"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "1-D"),
    ],
)
def test_paired_comparison_refuses_bad_input(a, b, match):
    with pytest.raises(ValueError, match=match):
        paired_comparison(a, b)


def test_describe_and_paired_check():
    check = paired_check("b larger", [0.90, 0.91, 0.92], [0.92, 0.93, 0.94], fmt=".1f", scale=100, unit=" points")
    assert check.outcome == FOR
    assert check.effect == "+2.0 points [2.0, 2.0], 3 pairs"


def test_check_outcomes():
    assert Check.deterministic("x", True).outcome == FOR
    assert Check.deterministic("x", np.False_).outcome == AGAINST
    with pytest.raises(ValueError, match="outcome"):
        Check("x", "maybe")


def test_any_of():
    def of(*outcomes):
        return Check.any_of("any", [Check(f"c{i}", o, "e") for i, o in enumerate(outcomes)])

    assert of(UNDECIDED, FOR).outcome == FOR
    assert of(AGAINST, AGAINST).outcome == AGAINST
    assert of(AGAINST, UNDECIDED).outcome == UNDECIDED
    assert of(AGAINST, FOR).effect == "c0: e; c1: e"
    with pytest.raises(ValueError, match="at least one"):
        Check.any_of("any", [])


def _checks(*outcomes):
    return [Check(f"c{i}", o) for i, o in enumerate(outcomes)]


@pytest.mark.parametrize(
    "outcomes, expected",
    [
        ((FOR, FOR), HOLDS),
        ((FOR, AGAINST), IN_PART),
        ((FOR, UNDECIDED), IN_PART),
        ((AGAINST, UNDECIDED), DOES_NOT_HOLD),
        ((AGAINST, AGAINST), DOES_NOT_HOLD),
        ((UNDECIDED, UNDECIDED), NOT_SHOWN),
        ((UNDECIDED,), NOT_SHOWN),
    ],
)
def test_every_part_rule(outcomes, expected):
    assert EVERY_PART.decide(_checks(*outcomes)) == expected


@pytest.mark.parametrize(
    "outcomes, expected",
    [
        ((FOR,) * 4 + (AGAINST,) * 2, HOLDS),  # four of six sources
        ((FOR,) * 3 + (AGAINST,) * 3, IN_PART),  # half is not "usually"
        ((FOR,) * 2 + (AGAINST,) * 4, DOES_NOT_HOLD),  # a third
        ((FOR, UNDECIDED, UNDECIDED), DOES_NOT_HOLD),
    ],
)
def test_majority_rule(outcomes, expected):
    assert MAJORITY.decide(_checks(*outcomes)) == expected


def test_primary_rule_follows_one_check():
    rule = primary("c1")
    assert rule.decide(_checks(AGAINST, FOR)) == HOLDS
    assert rule.decide(_checks(FOR, AGAINST)) == DOES_NOT_HOLD
    assert rule.decide(_checks(FOR, UNDECIDED)) == NOT_SHOWN
    assert "c1" in rule.text
    with pytest.raises(ValueError, match="exactly one check"):
        rule.decide(_checks(FOR))


def test_claim_result_reason_and_table():
    result = ClaimResult(3, "x", "e", _checks(FOR, UNDECIDED, AGAINST), EVERY_PART)
    assert result.verdict == IN_PART
    assert result.reason == "1 for, 1 against, 1 undecided (rule: every part)"
    assert result.outcome("c1") == UNDECIDED
    with pytest.raises(KeyError, match="no check"):
        result.outcome("nope")
    table = claims_table([ClaimResult(1, "y", "e1", [Check("c", FOR, "+1 [0.5, 1.5]")], EVERY_PART), result])
    assert "| 1. y | *for*: c (+1 [0.5, 1.5]) | **holds**: 1 for (rule: every part) |" in table
    assert (
        "| 3. x | *for*: c0<br>*undecided*: c1<br>*against*: c2 | **holds in part**: 1 for, 1 against, 1 undecided"
        in table
    )
    with pytest.raises(ValueError, match="checks"):
        ClaimResult(1, "y", "e", [], EVERY_PART)
    with pytest.raises(ValueError, match="checks"):
        ClaimResult(1, "y", "e", {"a": True}, EVERY_PART)
