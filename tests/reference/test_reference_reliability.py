"""Cronbach's α and McDonald's ω against published values and independent computations.

Data and reference values: ``tests/data/reliability/PROVENANCE.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats
from sklearn.decomposition import FactorAnalysis

from rapport.analytics.reliability import cronbach_alpha, mcdonald_omega

DATA = Path(__file__).resolve().parent.parent / "data" / "reliability"
Matrix = npt.NDArray[np.float64]


def _read_csv(name: str) -> tuple[list[str], Matrix]:
    path = DATA / name
    header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    values = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=float)
    return header, values


def _attitude() -> Matrix:
    header, values = _read_csv("attitude.csv")
    assert header[0] == "rownames"
    return values[:, 1:]


def _sas_fish1() -> Matrix:
    """Weight3, Length3, Height, Width as derived in SAS Example 2.6's data step."""
    _, values = _read_csv("sas_fish1_bream.csv")
    weight, length3, height_pct, width_pct = values.T
    return np.column_stack(
        [weight ** (1 / 3), length3, height_pct * length3 / 100, width_pct * length3 / 100]
    )


def test_alpha_matches_sas_example_2_6() -> None:
    # SAS prints six decimals, so a correct value lies within 5e-7; tolerance 1e-6.
    items = _sas_fish1()
    result = cronbach_alpha(items)
    assert result.value == pytest.approx(0.822134, abs=1e-6)
    assert (result.n, result.n_items, result.n_dropped) == (34, 4, 1)


def test_standardized_alpha_matches_sas_example_2_6() -> None:
    # Cronbach's α of z-scored items is SAS's "Standardized" α; same tolerance.
    items = _sas_fish1()
    complete = items[~np.isnan(items).any(axis=1)]
    z_scores = (complete - complete.mean(axis=0)) / complete.std(axis=0, ddof=1)
    assert cronbach_alpha(z_scores).value == pytest.approx(0.985145, abs=1e-6)


def test_alpha_equals_hoyt_anova_reliability() -> None:
    """Hoyt (1941): α = 1 − MS_residual / MS_respondents from a two-way ANOVA.

    An algebraically independent route to α; tolerance 1e-9 (rounding only).
    """
    items = _attitude()
    n, k = items.shape
    grand = items.mean()
    ss_respondents = k * ((items.mean(axis=1) - grand) ** 2).sum()
    ss_items = n * ((items.mean(axis=0) - grand) ** 2).sum()
    ss_residual = ((items - grand) ** 2).sum() - ss_respondents - ss_items
    ms_respondents = ss_respondents / (n - 1)
    ms_residual = ss_residual / ((n - 1) * (k - 1))
    assert cronbach_alpha(items).value == pytest.approx(1 - ms_residual / ms_respondents, abs=1e-9)


def test_feldt_interval_by_hand() -> None:
    items = _attitude()
    result = cronbach_alpha(items, confidence=0.90)
    assert result.value is not None
    n, k = items.shape
    df1, df2 = n - 1, (n - 1) * (k - 1)
    expected_lower = 1 - (1 - result.value) * stats.f.ppf(0.95, df1, df2)
    expected_upper = 1 - (1 - result.value) * stats.f.ppf(0.05, df1, df2)
    assert result.lower == pytest.approx(expected_lower, abs=1e-9)
    assert result.upper == pytest.approx(expected_upper, abs=1e-9)


def test_omega_matches_mbess_on_attitude() -> None:
    # MBESS's estimate is printed to 7 decimals (±5e-8); both fits stop at an optimiser
    # tolerance, and the two ML optima agree to ~1e-8. Tolerance 1e-6.
    result = mcdonald_omega(_attitude())
    assert result.value == pytest.approx(0.8563268, abs=1e-6)
    assert result.method == "omega_total_ml_covariance"
    assert (result.n, result.n_items, result.n_dropped) == (30, 7, 0)


def _sklearn_omega(items: Matrix, standardized: bool) -> float:
    """ω from scikit-learn's ML factor analysis (an EM/SVD fit, independent code)."""
    z_scores = (items - items.mean(axis=0)) / items.std(axis=0)
    model = FactorAnalysis(n_components=1, tol=1e-12, max_iter=100_000, svd_method="lapack")
    model.fit(z_scores)
    loadings = model.components_[0]
    uniquenesses = model.noise_variance_
    if not standardized:
        spread = items.std(axis=0)
        loadings, uniquenesses = loadings * spread, uniquenesses * spread**2
    common = loadings.sum() ** 2
    return float(common / (common + uniquenesses.sum()))


@pytest.mark.parametrize("standardized", [False, True])
def test_omega_matches_sklearn_factor_analysis(standardized: bool) -> None:
    # Different algorithms for the same ML optimum: tolerance 1e-6.
    items = _sas_fish1()
    complete = items[~np.isnan(items).any(axis=1)]
    for data in (_attitude(), complete):
        expected = _sklearn_omega(data, standardized)
        result = mcdonald_omega(data, standardized=standardized)
        assert result.value == pytest.approx(expected, abs=1e-6)
