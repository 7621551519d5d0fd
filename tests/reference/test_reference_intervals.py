"""Wilson and Student t intervals against statsmodels and SciPy, to 1e-9.

Tolerance: both sides evaluate the same closed-form formula in double precision, so any
difference is rounding (≲1e-13 on the 0–100 scale); 1e-9 leaves room for that and for
nothing else.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from rapport.analytics.intervals import (
    mean_estimate,
    mean_estimate_from_summary,
    proportion_estimate,
)

TOLERANCE = 1e-9

PROPORTION_CASES = [
    (0, 1),
    (1, 1),
    (0, 12),
    (12, 12),
    (1, 12),
    (7, 10),
    (42, 60),
    (133, 200),
    (999, 1000),
    (4817, 10000),
]


@pytest.mark.parametrize(("successes", "n"), PROPORTION_CASES)
@pytest.mark.parametrize("confidence", [0.80, 0.90, 0.95, 0.99])
def test_wilson_matches_statsmodels(successes: int, n: int, confidence: float) -> None:
    expected_lower, expected_upper = proportion_confint(
        successes, n, alpha=1 - confidence, method="wilson"
    )
    estimate = proportion_estimate(successes, n, confidence)
    assert estimate.value == pytest.approx(100 * successes / n, abs=TOLERANCE)
    assert estimate.lower == pytest.approx(100 * expected_lower, abs=TOLERANCE)
    assert estimate.upper == pytest.approx(100 * expected_upper, abs=TOLERANCE)


MEAN_SAMPLES = [
    [4, 5, 3, 4, 5],
    [1, 2],
    [7.5, 6.0, 9.25, 8.0, 5.5, 7.0, 6.75],
    list(np.random.default_rng(20240601).normal(62.0, 18.0, size=250)),
    list(np.random.default_rng(7).integers(1, 8, size=41).astype(float)),
]


@pytest.mark.parametrize("sample", MEAN_SAMPLES)
@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.99])
def test_t_interval_matches_scipy(sample: list[float], confidence: float) -> None:
    values = np.asarray(sample, dtype=float)
    expected_lower, expected_upper = stats.t.interval(
        confidence, df=values.size - 1, loc=values.mean(), scale=stats.sem(values)
    )
    estimate = mean_estimate(values, confidence)
    assert estimate.n == values.size
    assert estimate.value == pytest.approx(values.mean(), abs=TOLERANCE)
    assert estimate.lower == pytest.approx(expected_lower, abs=TOLERANCE)
    assert estimate.upper == pytest.approx(expected_upper, abs=TOLERANCE)


def test_t_interval_from_summary_matches_scipy() -> None:
    expected_lower, expected_upper = stats.t.interval(0.95, df=24, loc=4.2, scale=0.8 / 5)
    estimate = mean_estimate_from_summary(4.2, 0.8, 25)
    assert estimate.lower == pytest.approx(expected_lower, abs=TOLERANCE)
    assert estimate.upper == pytest.approx(expected_upper, abs=TOLERANCE)
