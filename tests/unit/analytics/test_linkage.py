"""The linkage estimator against independent computations and its plain-language output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from rapport.analytics.linkage import MIN_UNITS, link, period_number, slope


def _panel(units: int = 20, periods: int = 8, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat([f"u{i}" for i in range(units)], periods)
    period = np.tile(np.arange(periods), units)
    x = rng.normal(60, 8, units * periods) + np.repeat(rng.normal(0, 5, units), periods)
    y = 0.4 * x + np.repeat(rng.normal(0, 3, units), periods) + rng.normal(0, 2, units * periods)
    return pd.DataFrame({"unit": unit, "period": period, "x": x, "y": y})


@pytest.mark.parametrize(
    ("level", "formula"),
    [("within", "y ~ x + C(unit) + C(period)"), ("pooled", "y ~ x + C(period)")],
)
def test_without_sampling_error_it_is_ols_with_effects(level: str, formula: str) -> None:
    """No error variances: the slope is statsmodels' OLS slope with the same indicators
    (the jackknife moves it by O(1/G²) at most here), and the naive slope is exactly it."""
    panel = _panel()
    fit = slope(panel, "x", "y", level)
    ols = smf.ols(formula, panel).fit(cov_type="cluster", cov_kwds={"groups": panel["unit"]})
    assert fit.naive == pytest.approx(ols.params["x"], abs=1e-10)
    assert fit.estimate == pytest.approx(ols.params["x"], abs=0.01)
    assert fit.reliability == pytest.approx(1.0)
    assert fit.lower is not None and fit.upper is not None
    assert fit.lower < ols.params["x"] < fit.upper


def test_known_sampling_error_is_corrected() -> None:
    """Noise of known variance added to x: the naive slope falls by the reliability, the
    corrected one does not."""
    rng = np.random.default_rng(5)
    panel = _panel(units=60, periods=10)
    panel["x_var"] = 64.0
    panel["x"] = panel["x"] + rng.normal(0, 8, len(panel))
    fit = slope(panel, "x", "y", "within", source_error="x_var")
    assert fit.naive is not None and fit.estimate is not None
    assert fit.naive < 0.3
    assert fit.estimate == pytest.approx(0.4, abs=0.08)
    assert 0.4 < (fit.reliability or 0) < 0.6


def test_stated_error_above_the_variation_reads_below_zero_not_a_negative_share() -> None:
    """A stated sampling variance larger than the whole within-unit variance makes the
    estimated reliability negative: no estimate, and the note says "below 0"."""
    panel = _panel(units=30, periods=8)
    panel["x_var"] = 400.0  # the within-unit variance of x is about 64
    fit = slope(panel, "x", "y", "within", source_error="x_var")
    assert fit.reliability is not None and fit.reliability < 0
    assert fit.estimate is None
    assert fit.note is not None and "(reliability below 0)" in fit.note


def test_too_few_units_gives_no_estimate_and_says_so() -> None:
    panel = _panel(units=MIN_UNITS - 1)
    fit = slope(panel, "x", "y", "within")
    assert fit.estimate is None and fit.lower is None
    assert fit.note is not None and f"needs at least {MIN_UNITS} units" in fit.note


def test_link_lags_the_employee_side_and_states_the_effect() -> None:
    panel = _panel(units=25, periods=10)
    employee = panel[["unit", "period"]].assign(hearts=panel["x"])
    customer = panel[["unit", "period"]].assign(hearts=panel["y"])
    customer = customer.assign(period=customer["period"] + 1)  # y follows x a month later
    paths = link(employee, customer, indices=("hearts",), lag=1)
    within = paths[paths.level == "within"].iloc[0]
    assert within.n_periods == 10 and within.estimate == pytest.approx(0.4, abs=0.1)
    assert within.statement.startswith(
        "Units whose employee hearts index rose 5 points saw their customer hearts index rise"
    )
    assert "the next month" in within.statement
    unlagged = link(employee, customer, indices=("hearts",), lag=0)
    assert abs(unlagged[unlagged.level == "within"].iloc[0].estimate) < 0.2


def test_period_numbers_are_consecutive() -> None:
    from datetime import date

    assert period_number(date(2026, 1, 1), "month") - period_number(date(2025, 12, 1), "month") == 1
    assert (
        period_number(date(2026, 4, 1), "quarter") - period_number(date(2026, 3, 1), "quarter") == 1
    )
    with pytest.raises(ValueError, match="period"):
        period_number(date(2026, 1, 1), "fortnight")
