"""NPS: categories, degenerate cases, bootstrap reproducibility and interval properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.analytics.estimates import Estimate
from rapport.analytics.nps import (
    NpsCounts,
    count_nps_categories,
    nps_bootstrap,
    nps_estimate,
    nps_variance,
)

METHODS = ["adjusted_wald", "wald"]
counts = st.integers(min_value=0, max_value=3000)
confidences = st.floats(min_value=0.5, max_value=0.999)


def _bounds(estimate: Estimate) -> tuple[float, float]:
    assert estimate.lower is not None
    assert estimate.upper is not None
    return estimate.lower, estimate.upper


def test_counting_drops_missing_answers() -> None:
    assert count_nps_categories([10, 9, 8, 7, 6, np.nan]) == NpsCounts(2, 2, 1)
    assert count_nps_categories([]).n == 0


@pytest.mark.parametrize("scores", [[11], [-1], [7.5], [float("inf")]])
def test_counting_rejects_answers_off_the_scale(scores: list[float]) -> None:
    with pytest.raises(ValueError):
        count_nps_categories(scores)


@pytest.mark.parametrize("method", METHODS)
def test_no_responses_gives_no_numbers(method: str) -> None:
    estimate = nps_estimate(0, 0, 0, method=method)  # type: ignore[arg-type]
    assert (estimate.value, estimate.lower, estimate.upper, estimate.n) == (None, None, None, 0)
    assert nps_bootstrap([]).value is None


def test_wald_is_degenerate_when_everyone_agrees_and_adjusted_wald_is_not() -> None:
    assert _bounds(nps_estimate(12, 0, 0, method="wald")) == (100.0, 100.0)
    lower, upper = _bounds(nps_estimate(12, 0, 0))
    assert lower < 100.0
    assert upper == 100.0


def test_single_answer_gives_finite_bounds() -> None:
    for estimate in (nps_estimate(0, 1, 0), nps_bootstrap([10]), nps_estimate(0, 0, 1)):
        lower, upper = _bounds(estimate)
        assert -100.0 <= lower <= upper <= 100.0


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(ValueError):
        nps_estimate(1, 1, 1, method="exact")  # type: ignore[arg-type]


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError):
        nps_estimate(-1, 1, 1)


def test_bootstrap_is_reproducible_and_seeded() -> None:
    scores = [10] * 20 + [7] * 10 + [2] * 8
    assert nps_bootstrap(scores) == nps_bootstrap(scores)
    assert nps_bootstrap(scores, seed=np.random.default_rng(3)) == nps_bootstrap(scores, seed=3)
    assert nps_bootstrap(scores).value == pytest.approx(100 * 12 / 38)


def test_variance_is_zero_for_one_category() -> None:
    assert nps_variance(1.0, 0.0) == 0.0
    assert nps_variance(0.0, 0.0) == 0.0


def test_adjusted_wald_at_95_contains_the_observed_nps_exhaustively() -> None:
    # Every split of n = 2..40 answers; n = 1 with a promoter or detractor is the only
    # exception at 95 % (documented in nps_estimate).
    for n in range(2, 41):
        for promoters, detractors in itertools.product(range(n + 1), repeat=2):
            if promoters + detractors <= n:
                estimate = nps_estimate(promoters, n - promoters - detractors, detractors)
                lower, upper = _bounds(estimate)
                assert estimate.value is not None
                assert lower - 1e-9 <= estimate.value <= upper + 1e-9


@given(counts, counts, counts, confidences, st.sampled_from(METHODS))
def test_nps_and_bounds_stay_on_the_scale(
    promoters: int, passives: int, detractors: int, confidence: float, method: str
) -> None:
    estimate = nps_estimate(promoters, passives, detractors, confidence, method)  # type: ignore[arg-type]
    if estimate.n == 0:
        return
    lower, upper = _bounds(estimate)
    assert estimate.value is not None
    assert -100.0 <= lower <= upper <= 100.0
    assert -100.0 <= estimate.value <= 100.0


@given(counts, counts, counts, confidences)
def test_wald_contains_the_nps(promoters: int, passives: int, detractors: int, c: float) -> None:
    estimate = nps_estimate(promoters, passives, detractors, c, method="wald")
    if estimate.n > 0:
        lower, upper = _bounds(estimate)
        assert estimate.value is not None
        assert lower - 1e-9 <= estimate.value <= upper + 1e-9


@given(counts, counts, counts, st.floats(min_value=0.95, max_value=0.999))
def test_adjusted_wald_contains_the_nps_at_95_and_above(
    promoters: int, passives: int, detractors: int, confidence: float
) -> None:
    estimate = nps_estimate(promoters, passives, detractors, confidence)
    if estimate.n >= 2:
        lower, upper = _bounds(estimate)
        assert estimate.value is not None
        assert lower - 1e-9 <= estimate.value <= upper + 1e-9


@given(counts, counts, counts, confidences, confidences, st.sampled_from(METHODS))
def test_interval_widens_with_confidence(
    promoters: int, passives: int, detractors: int, c1: float, c2: float, method: str
) -> None:
    if promoters + passives + detractors == 0:
        return
    low, high = sorted((c1, c2))
    narrow = _bounds(nps_estimate(promoters, passives, detractors, low, method))  # type: ignore[arg-type]
    wide = _bounds(nps_estimate(promoters, passives, detractors, high, method))  # type: ignore[arg-type]
    assert wide[0] <= narrow[0] + 1e-9
    assert narrow[1] <= wide[1] + 1e-9


@given(counts, counts, counts, st.integers(min_value=2, max_value=10))
def test_adjusted_wald_shrinks_with_n(
    promoters: int, passives: int, detractors: int, factor: int
) -> None:
    if promoters + passives + detractors == 0:
        return
    small = _bounds(nps_estimate(promoters, passives, detractors))
    large = _bounds(nps_estimate(promoters * factor, passives * factor, detractors * factor))
    assert large[1] - large[0] <= small[1] - small[0] + 1e-9
