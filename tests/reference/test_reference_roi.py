"""The ROI simulator's intervals on panels with planted linkage paths (issue 16, item 6).

200 panels (seeds 0–199) from the linkage reference simulation (30 units × 12 months; employee
→ next-month customer hearts 0.5, customer hearts → revenue 0.8 % per point; sampling error
as in the demo, tests/reference/test_reference_linkage.py). Each panel's within-unit paths
are fitted as the linkage fits them and fed to :func:`rapport.analytics.roi.roi` for one
scenario; the true ROI is the same arithmetic at the planted slopes. The 95 % simulation
interval must cover the true ROI in 92–98 % of panels (nominal 95 %, Monte Carlo s.e. 1.5
points), the delta-method interval too, and P(ROI > 0) must be calibrated in the sense that
the mean estimate is unbiased for the true ROI within 3 Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.reference.test_reference_linkage import BETA, GAMMA, simulate_panel
from threadpoolctl import threadpool_limits

from rapport.analytics.linkage import slope
from rapport.analytics.roi import PathEstimate, Scenario, roi

pytestmark = pytest.mark.slow

PANELS = 200
SCENARIO = Scenario(
    rise=5, horizon=12, revenue=3e6, one_off_cost=200_000, per_period_cost=20_000, lag=1
)


def _true_roi() -> float:
    growth = np.expm1(SCENARIO.rise * BETA * GAMMA / 100)
    benefit = SCENARIO.revenue * growth * (SCENARIO.horizon - SCENARIO.lag)
    return float((benefit - SCENARIO.cost) / SCENARIO.cost)


def _path(fit_name: str, panel: pd.DataFrame, source: str, target: str, error: str) -> PathEstimate:
    fit = slope(panel, source, target, "within", source_error=error)
    return PathEstimate(fit_name, fit.estimate, fit.se, fit.n_units, "within", fit.note)


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    rows = []
    with threadpool_limits(1):
        for seed in range(PANELS):
            employee, customer, revenue = simulate_panel(seed)
            ex = employee.rename(columns={"hearts": "ex", "hearts_var": "ex_var"})
            lagged = customer.merge(ex.assign(period=ex["period"] + 1), on=["unit", "period"])
            joined = customer.merge(revenue, on=["unit", "period"])
            joined["revenue"] = 100 * np.log(joined["revenue"])
            a = _path("ex → cx", lagged, "ex", "hearts", "ex_var")
            b = _path("cx → revenue", joined, "hearts", "revenue", "hearts_var")
            found = roi(SCENARIO, b, a, draws=4000, seed=seed)
            rows.append(
                {
                    "estimable": found.estimable,
                    "roi": found.roi.value,
                    "lower": found.roi.lower,
                    "upper": found.roi.upper,
                    "delta_lower": found.delta_lower,
                    "delta_upper": found.delta_upper,
                    "p_positive": found.probability_positive,
                }
            )
    return pd.DataFrame(rows)


def test_simulation_interval_covers_the_true_roi_at_the_nominal_rate(results: pd.DataFrame) -> None:
    truth = _true_roi()
    assert truth == pytest.approx(0.515, abs=0.001)  # it pays, but not by a mile
    assert results.estimable.mean() >= 0.97
    lower = results.lower.astype(float).fillna(-np.inf)
    upper = results.upper.astype(float).fillna(np.inf)
    covered = ((lower <= truth) & (truth <= upper)).mean()
    print(f"ROI simulation interval coverage: {covered:.3f}")
    assert 0.92 <= covered <= 0.98, covered


def test_delta_interval_covers_too(results: pd.DataFrame) -> None:
    truth = _true_roi()
    rows = results[results.estimable]
    covered = ((rows.delta_lower <= truth) & (truth <= rows.delta_upper)).mean()
    print(f"ROI delta-method interval coverage: {covered:.3f}")
    assert 0.92 <= covered <= 0.98, covered


def test_roi_estimate_is_unbiased(results: pd.DataFrame) -> None:
    truth = _true_roi()
    estimates = results.roi.dropna().astype(float)
    mc_se = estimates.std(ddof=1) / np.sqrt(len(estimates))
    print(f"ROI mean {estimates.mean():.3f} (true {truth:.3f}, MC s.e. {mc_se:.3f})")
    assert abs(estimates.mean() - truth) <= 3 * mc_se
