"""Response-rate trends and share shifts (``analytics/relationships/trend.py``, ``shares.py``).

Trends are held to statsmodels' OLS (slope and t interval, 1e-9); share shifts to an
independent two-proportion z test (statsmodels' ``test_proportions_2indep`` with the pooled
score variance), and to simulations with fixed seeds: a planted rise in one unit's annoyance
share is seen, stable units rarely are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import test_proportions_2indep as two_proportion_test

from rapport.analytics.relationships.shares import share_shifts
from rapport.analytics.relationships.trend import slope_trend


def _panel(rng: np.random.Generator, units: int, periods: int) -> pd.DataFrame:
    rows = []
    for u in range(units):
        level, slope = rng.normal(60, 10), rng.normal(0, 1)
        for t in range(periods):
            if rng.random() < 0.15:
                continue  # a period the unit has no figure for
            rows.append((f"u{u}", f"2025-{t + 1:02d}", level + slope * t + rng.normal(0, 3), 30))
    return pd.DataFrame(rows, columns=["unit", "period", "estimate", "n"])


def test_slopes_and_intervals_equal_statsmodels_ols() -> None:
    frame = _panel(np.random.default_rng(15), units=12, periods=12)
    out = slope_trend(frame, window=6)
    periods = sorted(frame["period"].unique())
    compared = 0
    for row in out.itertuples(index=False):
        end = periods.index(row.period)
        window = periods[max(0, end - 5) : end + 1]
        mine = frame[(frame["unit"] == row.unit) & frame["period"].isin(window)]
        x = np.array([periods.index(p) for p in mine["period"]], dtype=float)
        assert row.periods == len(mine)
        if len(mine) < 4:
            assert np.isnan(row.slope)
            continue
        fit = sm.OLS(mine["estimate"].to_numpy(), sm.add_constant(x)).fit()
        low, high = fit.conf_int(0.05)[1]
        assert row.slope == pytest.approx(fit.params[1], abs=1e-9)
        assert (row.lower, row.upper) == pytest.approx((low, high), abs=1e-9)
        assert row.se == pytest.approx(fit.bse[1], abs=1e-9)
        compared += 1
    assert compared > 80


def test_trend_skips_small_and_hidden_periods_and_names_bad_input() -> None:
    frame = pd.DataFrame(
        {
            "unit": "a",
            "period": [1, 2, 3, 4, 5],
            "estimate": [50.0, np.nan, 46.0, 44.0, 42.0],
            "n": [40, 40, 3, 40, 40],
        }
    )
    out = slope_trend(frame, min_n=10)
    assert out["periods"].tolist() == [1, 1, 1, 2, 3]  # the hidden and the n = 3 period skipped
    assert out["slope"].isna().all()  # never 4 usable periods
    with pytest.raises(ValueError, match=r"missing column.*estimate"):
        slope_trend(frame.drop(columns="estimate"))


def test_shift_z_equals_the_pooled_two_proportion_test() -> None:
    frame = pd.DataFrame(
        {
            "unit": "a",
            "period": [1, 2, 3, 4, 5],
            "signal": "comment.annoyance",
            "estimate": [10.0, 5.0, 15.0, 30.0, 12.5],
            "n": [40, 40, 20, 30, 16],
        }
    )
    out = share_shifts(frame)
    assert out["period"].tolist() == [4, 5]
    base_successes, base_n = 4 + 2 + 3, 100
    for row in out.itertuples(index=False):
        n = int(frame.loc[frame["period"] == row.period, "n"].iloc[0])
        count = round(row.estimate / 100 * n)
        ref = two_proportion_test(
            count, n, base_successes, base_n, method="score", compare="diff", correction=False
        )
        assert row.baseline == pytest.approx(9.0)
        # statsmodels' score test uses the restricted MLE variance, which for a difference
        # of 0 is the pooled variance with n/(n−1)-free denominators: equal z.
        assert row.z == pytest.approx(ref.statistic, rel=1e-9)
        assert row.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert out["significant"].tolist() == [True, False]


def test_a_planted_rise_in_annoyance_is_seen_and_stable_units_rarely_are() -> None:
    """200 units × 15 months, comments n 15–40 a month, annoyance 8 %; 50 units' rise to
    30 % from month 8 (seed 15). Measured (docs, 400 units): a rising unit is flagged in 58 %
    of its later months, 77 % within two months of the rise; a stable month in 0.97 %
    (α = 1 %). Floors: 50 %, 65 %; stable months at most 1.55 % (1 % plus a one-sided 99 %
    binomial margin)."""
    rng = np.random.default_rng(15)
    rows = []
    for u in range(200):
        for t in range(15):
            n = int(rng.integers(15, 41))
            p = 0.30 if u < 50 and t >= 7 else 0.08
            rows.append((f"u{u:03d}", t, "comment.annoyance", 100.0 * rng.binomial(n, p) / n, n))
    frame = pd.DataFrame(rows, columns=["unit", "period", "signal", "estimate", "n"])
    out = share_shifts(frame)
    rising = out["unit"] < "u050"
    planted = out[rising & (out["period"] >= 7)]
    assert planted["significant"].mean() >= 0.50, planted["significant"].mean()
    early = planted[planted["period"] <= 8].groupby("unit")["significant"].any()
    assert len(early) == 50 and early.mean() >= 0.65, early.mean()
    stable = out[~rising]
    assert len(stable) == 150 * 12
    assert stable["significant"].mean() <= 0.0155, stable["significant"].mean()


def test_empty_and_hidden_only_frames_give_empty_answers() -> None:
    empty = pd.DataFrame(columns=["unit", "period", "signal", "estimate", "n"])
    assert share_shifts(empty).empty
    hidden = pd.DataFrame(
        {"unit": ["a"], "period": [1], "signal": ["x"], "estimate": [np.nan], "n": [0]}
    )
    assert share_shifts(hidden).empty
    assert slope_trend(hidden.drop(columns="signal"))["slope"].isna().all()
