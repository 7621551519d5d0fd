"""The event study's clustered OLS (``analytics.relationships.cluster_ols``) gives
statsmodels' figures: ``OLS(...).fit(cov_type="cluster", use_correction=True, use_t=True)``
is the oracle, on balanced and unbalanced within-transformed panels, a rank-deficient
design (a month without treated data) and plain designs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from rapport.analytics.relationships import effects
from rapport.analytics.relationships.cluster_ols import cluster_ols

CONFIDENCE = 0.95


def oracle(y: np.ndarray, x: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(y, x).fit(
            cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": True}, use_t=True
        )
        return np.asarray(fit.params), np.asarray(fit.conf_int(1 - CONFIDENCE))


def assert_same(y: np.ndarray, x: np.ndarray, clusters: np.ndarray) -> None:
    params, bounds = oracle(y, x, clusters)
    fit = cluster_ols(y, x, clusters, confidence=CONFIDENCE)
    np.testing.assert_allclose(fit.params, params, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fit.lower, bounds[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fit.upper, bounds[:, 1], rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isfinite(fit.lower), np.isfinite(bounds[:, 0]))


@pytest.mark.parametrize("seed", range(5))
def test_plain_designs_match_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(3, 40))
    clusters = np.sort(rng.integers(0, groups, 300))
    clusters = pd.factorize(clusters)[0]
    x = np.column_stack([np.ones(300), rng.normal(size=(300, 3))])
    y = x @ rng.normal(size=4) + rng.normal(size=300) + rng.normal(size=groups)[clusters]
    assert_same(y, x, clusters)


@pytest.mark.parametrize(("seed", "missing"), [(0, 0.0), (1, 0.1), (2, 0.0), (3, 0.15)])
def test_event_study_designs_match_statsmodels(seed: int, missing: float) -> None:
    """The within-transformed event-study design of a DiD panel, as ``effects`` builds it;
    in the panels with treated cells missing, a month has no treated data (a zero column)."""
    rng = np.random.default_rng(seed)
    units, months, start, treated = 30, 14, 6, 6
    frame = pd.DataFrame(
        [(u, t, rng.normal() + 0.3 * t) for u in range(units) for t in range(months)],
        columns=["unit", "period", "value"],
    )
    if missing:
        keep = rng.random(len(frame)) >= missing
        keep &= ~((frame["unit"] < treated) & (frame["period"] == 9))  # no treated data
        frame = frame[keep].reset_index(drop=True)
    is_treated = (frame["unit"] < treated).to_numpy()
    unit_idx = pd.factorize(frame["unit"])[0]
    periods = np.sort(frame["period"].unique())
    period_idx = np.searchsorted(periods, frame["period"].to_numpy())
    within = effects._within_transform(unit_idx, period_idx)
    relative = period_idx - start
    offsets = [r for r in range(-start, months - start) if r != -1]
    design = np.column_stack([(is_treated & (relative == r)).astype(float) for r in offsets])
    y = within(frame["value"].to_numpy(dtype=float)[:, None])[:, 0]
    assert_same(y, within(design), unit_idx)
