"""Two-group comparisons: degenerate groups, input checks and invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.analytics.estimates import Difference
from rapport.analytics.nps import NpsCounts, nps_estimate
from rapport.analytics.significance import (
    mean_difference,
    mean_difference_from_summary,
    nps_difference,
    proportion_difference,
)


def _assert_finite_or_none(difference: Difference) -> None:
    for number in (difference.estimate, difference.lower, difference.upper, difference.p_value):
        assert number is None or math.isfinite(number)


def test_an_empty_group_gives_no_comparison() -> None:
    for difference in (
        nps_difference(NpsCounts(0, 0, 0), NpsCounts(3, 2, 1)),
        proportion_difference(0, 0, 3, 10),
        mean_difference([], [1.0, 2.0]),
    ):
        assert difference.estimate is None
        assert difference.p_value is None
        assert difference.significant is False


def test_groups_without_variation_have_no_test() -> None:
    nps = nps_difference(NpsCounts(5, 0, 0), NpsCounts(0, 0, 4))
    assert (nps.estimate, nps.lower, nps.upper, nps.p_value) == (200.0, 200.0, 200.0, None)
    means = mean_difference([5, 5, 5], [4, 4, 4])
    assert (means.estimate, means.p_value, means.significant) == (1.0, None, False)


def test_identical_all_or_nothing_shares_have_an_interval_but_no_test() -> None:
    difference = proportion_difference(0, 15, 0, 20)
    assert difference.estimate == 0.0
    assert difference.p_value is None
    assert difference.lower is not None
    assert difference.upper is not None
    assert difference.lower < 0.0 < difference.upper


def test_a_group_of_one_has_an_estimate_but_no_test() -> None:
    difference = mean_difference([3.0], [1.0, 2.0, 4.0])
    assert difference.estimate == pytest.approx(3.0 - 7.0 / 3.0)
    assert (difference.lower, difference.upper, difference.p_value) == (None, None, None)


def test_mean_difference_drops_missing_answers() -> None:
    difference = mean_difference([1.0, float("nan"), 3.0], [2.0, 2.5, 3.5])
    assert (difference.n1, difference.n2) == (2, 3)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, float("nan")])
def test_alpha_must_be_a_probability(alpha: float) -> None:
    with pytest.raises(ValueError):
        proportion_difference(1, 2, 1, 2, alpha=alpha)


def test_nps_counts_must_be_counts() -> None:
    with pytest.raises(ValueError):
        NpsCounts(-1, 2, 3)
    with pytest.raises(ValueError):
        NpsCounts(1.5, 2, 3)  # type: ignore[arg-type]


def test_successes_cannot_exceed_responses() -> None:
    with pytest.raises(ValueError):
        proportion_difference(5, 4, 1, 2)


def test_summary_inputs_must_be_finite_and_spreads_non_negative() -> None:
    with pytest.raises(ValueError):
        mean_difference_from_summary(float("nan"), 1.0, 5, 1.0, 1.0, 5)
    with pytest.raises(ValueError):
        mean_difference_from_summary(1.0, -1.0, 5, 1.0, 1.0, 5)


nps_groups = st.builds(
    NpsCounts,
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
)


@given(nps_groups, nps_groups)
def test_nps_difference_is_the_difference_of_the_reported_nps(
    first: NpsCounts, second: NpsCounts
) -> None:
    difference = nps_difference(first, second)
    _assert_finite_or_none(difference)
    if first.n == 0 or second.n == 0:
        return
    nps_first = nps_estimate(first.promoters, first.passives, first.detractors).value
    nps_second = nps_estimate(second.promoters, second.passives, second.detractors).value
    assert nps_first is not None
    assert nps_second is not None
    assert difference.estimate == nps_first - nps_second
    assert difference.lower is not None
    assert difference.upper is not None
    assert -200.0 <= difference.lower <= difference.estimate <= difference.upper <= 200.0


@st.composite
def share_pairs(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1 = draw(st.integers(min_value=1, max_value=2000))
    n2 = draw(st.integers(min_value=1, max_value=2000))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@given(share_pairs())
def test_proportion_difference_is_antisymmetric_and_bounded(
    pair: tuple[int, int, int, int],
) -> None:
    x1, n1, x2, n2 = pair
    forward = proportion_difference(x1, n1, x2, n2)
    backward = proportion_difference(x2, n2, x1, n1)
    _assert_finite_or_none(forward)
    assert forward.estimate is not None
    assert backward.estimate is not None
    assert forward.lower is not None
    assert forward.upper is not None
    assert backward.lower is not None
    assert backward.upper is not None
    assert forward.estimate == pytest.approx(-backward.estimate)
    assert forward.lower == pytest.approx(-backward.upper)
    assert forward.p_value == backward.p_value
    assert -100.0 <= forward.lower <= forward.estimate <= forward.upper <= 100.0


@settings(deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=30),
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=30),
)
def test_welch_interval_contains_the_difference(first: list[float], second: list[float]) -> None:
    difference = mean_difference(first, second)
    _assert_finite_or_none(difference)
    assert difference.lower is not None
    assert difference.upper is not None
    assert difference.estimate is not None
    assert difference.lower <= difference.estimate <= difference.upper
    assert difference.significant == (difference.p_value is not None and difference.p_value < 0.05)
