"""Two-group tests against SciPy, statsmodels and a hand computation, to 1e-9.

Tolerance 1e-9: the oracles evaluate the same formulas in double precision.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from rapport.analytics.nps import NpsCounts
from rapport.analytics.significance import (
    mean_difference,
    mean_difference_from_summary,
    nps_difference,
    proportion_difference,
)

TOLERANCE = 1e-9

rng = np.random.default_rng(314)
WELCH_SAMPLES = [
    ([5, 4, 5, 4, 5, 3], [3, 4, 2, 3, 3, 4]),
    ([1.0, 2.0], [2.0, 4.0, 6.0, 8.0, 10.0]),
    (list(rng.normal(70, 12, size=80)), list(rng.normal(66, 20, size=45))),
    (list(rng.integers(1, 6, size=30).astype(float)), list(rng.integers(2, 6, size=300))),
]


@pytest.mark.parametrize(("first", "second"), WELCH_SAMPLES)
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.10])
def test_welch_matches_scipy(first: list[float], second: list[float], alpha: float) -> None:
    expected = stats.ttest_ind(first, second, equal_var=False)
    expected_lower, expected_upper = expected.confidence_interval(confidence_level=1 - alpha)
    difference = mean_difference(first, second, alpha=alpha)
    assert difference.estimate == pytest.approx(np.mean(first) - np.mean(second), abs=TOLERANCE)
    assert difference.p_value == pytest.approx(expected.pvalue, abs=TOLERANCE)
    assert difference.lower == pytest.approx(expected_lower, abs=TOLERANCE)
    assert difference.upper == pytest.approx(expected_upper, abs=TOLERANCE)
    assert difference.significant == (expected.pvalue < alpha)


def test_welch_from_summary_matches_scipy() -> None:
    expected = stats.ttest_ind_from_stats(4.2, 0.8, 40, 3.8, 1.1, 35, equal_var=False)
    difference = mean_difference_from_summary(4.2, 0.8, 40, 3.8, 1.1, 35)
    assert difference.p_value == pytest.approx(expected.pvalue, abs=TOLERANCE)


PROPORTION_CASES = [
    (45, 60, 30, 60),
    (10, 50, 20, 60),
    (0, 20, 3, 25),
    (30, 30, 20, 30),
    (1, 3, 2, 2),
]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), PROPORTION_CASES)
def test_two_proportion_z_test_matches_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    _, expected_p = proportions_ztest([x1, x2], [n1, n2])
    difference = proportion_difference(x1, n1, x2, n2)
    assert difference.estimate == pytest.approx(100 * (x1 / n1 - x2 / n2), abs=TOLERANCE)
    assert difference.p_value == pytest.approx(expected_p, abs=TOLERANCE)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), PROPORTION_CASES)
@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_newcombe_interval_matches_statsmodels(
    x1: int, n1: int, x2: int, n2: int, alpha: float
) -> None:
    expected_lower, expected_upper = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha
    )
    difference = proportion_difference(x1, n1, x2, n2, alpha=alpha)
    assert difference.lower == pytest.approx(100 * expected_lower, abs=TOLERANCE)
    assert difference.upper == pytest.approx(100 * expected_upper, abs=TOLERANCE)


def test_nps_difference_by_hand() -> None:
    # Group A: 60 promoters, 25 passives, 15 detractors (NPS 45);
    # group B: 45 / 30 / 25 (NPS 20).
    var_a = 0.60 + 0.15 - (0.60 - 0.15) ** 2  # 0.5475
    var_b = 0.45 + 0.25 - (0.45 - 0.25) ** 2  # 0.66
    standard_error = math.sqrt(var_a / 100 + var_b / 100)
    z = (0.45 - 0.20) / standard_error
    expected_p = 2 * (1 - stats.norm.cdf(abs(z)))
    half_width = stats.norm.ppf(0.975) * standard_error
    difference = nps_difference(NpsCounts(60, 25, 15), NpsCounts(45, 30, 25))
    assert difference.estimate == pytest.approx(25.0, abs=TOLERANCE)
    assert difference.p_value == pytest.approx(expected_p, abs=TOLERANCE)
    assert difference.lower == pytest.approx(100 * (0.25 - half_width), abs=TOLERANCE)
    assert difference.upper == pytest.approx(100 * (0.25 + half_width), abs=TOLERANCE)
    assert difference.significant is True
    assert (difference.n1, difference.n2, difference.alpha) == (100, 100, 0.05)
