"""Trends of a signal per unit: the least-squares slope over each unit's last k periods.

Used for the response-rate trend (``docs/relationship-health.md``, "Response rate"): a
relationship that people stop answering is cooling, whatever the answers say. For every
unit and period the slope of the signal over the last ``window`` periods of the frame up to
and including that period (the unit's usable ones among them), in the signal's units per
period, with a Student t interval on ``m − 2`` degrees of freedom (``m`` the periods
used). The residual spread carries both the sampling error of each period and the
period-to-period wobble of the true level, so the interval is honest without a variance
model; it needs at least ``min_periods`` (4) usable periods.

Input: a long frame with ``unit``, ``period`` (sortable), ``estimate`` and ``n``; a row with
``n`` below ``min_n`` or no estimate is skipped (a hidden employee cell never enters).

>>> import pandas as pd
>>> frame = pd.DataFrame({"unit": ["a"] * 5, "period": [1, 2, 3, 4, 5],
...                       "estimate": [50.0, 48.0, 46.0, 44.0, 42.0], "n": [100] * 5})
>>> out = slope_trend(frame, window=5)
>>> float(out["slope"].iloc[-1]), int(out["periods"].iloc[-1])
(-2.0, 5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

WINDOW = 6
"""Periods a trend looks back (half a year of months, a year and a half of quarters)."""
MIN_PERIODS = 4
"""Fewer usable periods in the window: no trend (two degrees of freedom at least)."""


def slope_trend(
    frame: pd.DataFrame,
    window: int = WINDOW,
    min_periods: int = MIN_PERIODS,
    min_n: int = 1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per unit and period: ``slope``, ``lower``, ``upper``, ``se``, ``periods`` (used) and
    ``significant`` (the interval excludes 0); NaN slope where fewer than ``min_periods``
    usable periods fall in the window."""
    missing = [c for c in ("unit", "period", "estimate", "n") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"trend frame: missing column(s) {', '.join(missing)} (expected unit, period, "
            "estimate, n)"
        )
    if window < min_periods or min_periods < 3:
        raise ValueError(
            f"trend: window {window} and min_periods {min_periods} (expected window ≥ "
            "min_periods ≥ 3)"
        )
    # Every period of the frame is a column, even one hidden in every unit: x is the
    # period's position, so a gap must stay a gap.
    cells = frame.drop_duplicates(["unit", "period"]).astype({"estimate": float, "n": float})
    grid = cells.pivot(index="unit", columns="period", values="estimate").sort_index(axis=1)
    counts = cells.pivot(index="unit", columns="period", values="n").reindex_like(grid)
    values = grid.to_numpy(float)
    usable = np.isfinite(values) & (counts.fillna(0).to_numpy(float) >= min_n)
    units, periods = grid.index, grid.columns
    if not len(periods):
        return pd.DataFrame(
            columns=["unit", "period", "slope", "se", "lower", "upper", "periods", "significant"]
        )
    # One row per period (the window ending there) × unit, built as arrays and framed once.
    slopes = np.empty((len(periods), len(units)))
    ses = np.empty_like(slopes)
    used = np.empty(slopes.shape, dtype=int)
    for end in range(len(periods)):
        start = max(0, end - window + 1)
        y = values[:, start : end + 1]
        ok = usable[:, start : end + 1]
        x = np.broadcast_to(np.arange(start, end + 1, dtype=float), y.shape)
        m = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            x_bar = np.where(ok, x, 0.0).sum(axis=1) / m
            y_bar = np.where(ok, y, 0.0).sum(axis=1) / m
            dx = np.where(ok, x - x_bar[:, None], 0.0)
            dy = np.where(ok, y - y_bar[:, None], 0.0)
            sxx = (dx * dx).sum(axis=1)
            slope = (dx * dy).sum(axis=1) / sxx
            residual = np.where(ok, dy - slope[:, None] * dx, 0.0)
            se = np.sqrt((residual * residual).sum(axis=1) / (m - 2) / sxx)
        slopes[end], ses[end], used[end] = slope, se, m
    enough = used >= min_periods
    t = stats.t.ppf(0.5 + confidence / 2, np.maximum(used - 2, 1))
    slopes = np.where(enough, slopes, np.nan)
    ses = np.where(enough, ses, np.nan)
    result = pd.DataFrame(
        {
            "unit": np.tile(units.to_numpy(), len(periods)),
            "period": np.repeat(periods.to_numpy(), len(units)),
            "slope": slopes.ravel(),
            "se": ses.ravel(),
            "lower": (slopes - t * ses).ravel(),
            "upper": (slopes + t * ses).ravel(),
            "periods": used.ravel(),
        }
    )
    result["significant"] = (result["lower"] > 0) | (result["upper"] < 0)
    present = pd.MultiIndex.from_frame(frame[["unit", "period"]])
    keep = pd.MultiIndex.from_frame(result[["unit", "period"]]).isin(present)
    return result[keep].sort_values(["unit", "period"]).reset_index(drop=True)
