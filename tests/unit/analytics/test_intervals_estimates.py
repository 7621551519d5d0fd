"""Minimum-n rules, input validation and degenerate cases of shares and means."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rapport.analytics.estimates import (
    MIN_N_FOR_ESTIMATE,
    MIN_N_WITHOUT_INTERVAL,
    Sufficiency,
    sufficiency,
)
from rapport.analytics.intervals import (
    mean_estimate,
    mean_estimate_from_summary,
    proportion_estimate,
)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, Sufficiency.NO_RESPONSES),
        (1, Sufficiency.NOT_ENOUGH_RESPONSES),
        (MIN_N_FOR_ESTIMATE - 1, Sufficiency.NOT_ENOUGH_RESPONSES),
        (MIN_N_FOR_ESTIMATE, Sufficiency.INTERVAL_REQUIRED),
        (MIN_N_WITHOUT_INTERVAL - 1, Sufficiency.INTERVAL_REQUIRED),
        (MIN_N_WITHOUT_INTERVAL, Sufficiency.ENOUGH),
    ],
)
def test_sufficiency_thresholds(n: int, expected: Sufficiency) -> None:
    assert sufficiency(n) is expected


def test_sufficiency_accepts_a_custom_minimum() -> None:
    assert sufficiency(4, minimum_n=3) is Sufficiency.INTERVAL_REQUIRED
    assert proportion_estimate(3, 5).sufficiency is Sufficiency.NOT_ENOUGH_RESPONSES


def _assert_no_nan(*numbers: float | None) -> None:
    for number in numbers:
        assert number is None or math.isfinite(number)


def test_proportion_without_responses_is_all_none() -> None:
    estimate = proportion_estimate(0, 0)
    assert (estimate.value, estimate.lower, estimate.upper, estimate.n) == (None, None, None, 0)
    assert not estimate.has_interval


@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 1), (0, 30), (30, 30)])
def test_proportion_at_the_edges_has_a_proper_interval(successes: int, n: int) -> None:
    estimate = proportion_estimate(successes, n)
    assert estimate.lower is not None
    assert estimate.upper is not None
    assert 0.0 <= estimate.lower < estimate.upper <= 100.0
    _assert_no_nan(estimate.value, estimate.lower, estimate.upper)


@pytest.mark.parametrize(
    ("successes", "n", "confidence"),
    [(-1, 5, 0.95), (6, 5, 0.95), (1, 5, 1.0), (1, 5, 0.0), (1, 5, float("nan")), (True, 5, 0.9)],
)
def test_proportion_rejects_invalid_input(successes: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        proportion_estimate(successes, n, confidence)


def test_mean_without_responses_is_all_none() -> None:
    for values in ([], [float("nan"), float("nan")]):
        estimate = mean_estimate(values)
        assert (estimate.value, estimate.lower, estimate.upper, estimate.n) == (None, None, None, 0)


def test_mean_of_one_response_has_no_interval() -> None:
    estimate = mean_estimate([4.0, float("nan")])
    assert (estimate.value, estimate.lower, estimate.upper, estimate.n) == (4.0, None, None, 1)


def test_mean_of_equal_responses_has_a_zero_width_interval() -> None:
    estimate = mean_estimate([0.1] * 7)
    assert estimate.lower == estimate.upper == estimate.value == pytest.approx(0.1)
    assert estimate.n == 7


def test_mean_drops_missing_answers() -> None:
    assert mean_estimate([1.0, np.nan, 3.0]).n == 2


@pytest.mark.parametrize("values", [[1.0, float("inf")], [[1.0, 2.0], [3.0, 4.0]]])
def test_mean_rejects_invalid_input(values: list[object]) -> None:
    with pytest.raises(ValueError):
        mean_estimate(values)  # type: ignore[arg-type]


def test_mean_from_summary_rejects_a_negative_spread() -> None:
    with pytest.raises(ValueError):
        mean_estimate_from_summary(3.0, -0.1, 10)
