"""NPS intervals against hand computations, and the adjusted-Wald coverage.

The hand computations below are written out from the formulas in the literature
(Rocks 2016; Lewis & Sauro 2021), independently of ``rapport.analytics.nps``;
tolerance 1e-9 (same arithmetic, different code).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rapport.analytics.nps import count_nps_categories, nps_bootstrap, nps_estimate

TOLERANCE = 1e-9
Z95 = stats.norm.ppf(0.975)


def test_variance_formula_equals_variance_of_trinomial_scores() -> None:
    # 50 promoters, 30 passives, 20 detractors scored +1 / 0 / −1.
    scores = np.array([1.0] * 50 + [0.0] * 30 + [-1.0] * 20)
    p, d = 0.5, 0.2
    assert np.var(scores) == pytest.approx(p + d - (p - d) ** 2, abs=TOLERANCE)


def test_wald_interval_by_hand() -> None:
    promoters, passives, detractors = 50, 30, 20
    n = 100
    p, d = promoters / n, detractors / n
    variance = p + d - (p - d) ** 2  # 0.61
    half_width = Z95 * math.sqrt(variance / n)
    estimate = nps_estimate(promoters, passives, detractors, method="wald")
    assert estimate.value == pytest.approx(30.0, abs=TOLERANCE)
    assert estimate.lower == pytest.approx(100 * (0.3 - half_width), abs=TOLERANCE)
    assert estimate.upper == pytest.approx(100 * (0.3 + half_width), abs=TOLERANCE)


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors"),
    [(50, 30, 20), (15, 15, 6), (0, 3, 9), (12, 0, 0), (120, 50, 30), (1, 1, 1)],
)
def test_adjusted_wald_interval_by_hand(promoters: int, passives: int, detractors: int) -> None:
    n = promoters + passives + detractors
    n_adjusted = n + 3
    p_adjusted = (promoters + 0.75) / n_adjusted
    d_adjusted = (detractors + 0.75) / n_adjusted
    centre = p_adjusted - d_adjusted
    variance = p_adjusted + d_adjusted - (p_adjusted - d_adjusted) ** 2
    half_width = Z95 * math.sqrt(variance / n_adjusted)
    estimate = nps_estimate(promoters, passives, detractors)
    assert estimate.method == "adjusted_wald"
    assert estimate.value == pytest.approx(100 * (promoters - detractors) / n, abs=TOLERANCE)
    assert estimate.lower == pytest.approx(max(100 * (centre - half_width), -100), abs=TOLERANCE)
    assert estimate.upper == pytest.approx(min(100 * (centre + half_width), 100), abs=TOLERANCE)


def test_bootstrap_agrees_with_a_row_resampling_bootstrap() -> None:
    # An independent percentile bootstrap that resamples rows. Different random draws,
    # so the bounds agree only up to Monte Carlo error: with 20 000 resamples of
    # n = 200 the 2.5 % quantile has a standard error of about 0.3 NPS points.
    scores = np.array([10] * 90 + [8] * 60 + [4] * 50)
    trinomial = np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))
    rng = np.random.default_rng(99)
    rows = rng.integers(0, scores.size, size=(20_000, scores.size))
    resampled = 100 * trinomial[rows].mean(axis=1)
    expected_lower, expected_upper = np.quantile(resampled, [0.025, 0.975])
    estimate = nps_bootstrap(scores, n_boot=20_000, seed=5)
    assert estimate.value == pytest.approx(20.0, abs=TOLERANCE)
    assert estimate.lower == pytest.approx(expected_lower, abs=1.5)
    assert estimate.upper == pytest.approx(expected_upper, abs=1.5)


def test_counting_follows_the_published_categories() -> None:
    counts = count_nps_categories(np.arange(11))
    assert (counts.promoters, counts.passives, counts.detractors) == (2, 2, 7)


def test_adjusted_wald_covers_the_true_nps_at_95_percent() -> None:
    """Seeded simulation of the coverage of the 95 % adjusted-Wald interval at n = 200.

    Planted shares p = 0.45 promoters, d = 0.20 detractors (true NPS 25). With 10 000
    replications the Monte Carlo standard error of a coverage near 0.95 is
    √(0.95·0.05/10 000) ≈ 0.0022, so the accepted band 0.93–0.97 is about ±9 standard
    errors around nominal: a correct interval cannot fail it by chance, while an
    interval whose coverage is off by 2 points or more (e.g. a wrong variance) does.
    The seed is fixed, so the test is deterministic.
    """
    promoter_share, detractor_share, n = 0.45, 0.20, 200
    true_nps = 100 * (promoter_share - detractor_share)
    rng = np.random.default_rng(20160701)
    shares = [promoter_share, 1 - promoter_share - detractor_share, detractor_share]
    draws = rng.multinomial(n, shares, size=10_000)
    covered = 0
    for promoters, passives, detractors in draws:
        estimate = nps_estimate(int(promoters), int(passives), int(detractors))
        assert estimate.lower is not None
        assert estimate.upper is not None
        covered += estimate.lower <= true_nps <= estimate.upper
    coverage = covered / len(draws)
    assert 0.93 <= coverage <= 0.97, coverage
