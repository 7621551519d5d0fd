"""The input of relationship health: signals per unit and period, checked and made wide.

Every function of :mod:`rapport.analytics.relationships` takes a *long* frame with one row per
unit × period × signal, as the metrics engine produces them (one :class:`MetricRow` of a
``hearts``, ``minds`` or ``nps`` metric grouped by unit and period):

========== =========================================================================
column     meaning
========== =========================================================================
unit       the unit (its code); any hashable
period     the period (a date or a sortable label such as ``2025-07``)
signal     ``hearts``, ``minds`` or ``nps`` (other signals are carried along unused)
estimate   the estimate on its own scale (0–100 index points; NPS −100…100); NaN if none
lower      lower end of its confidence interval (NaN if none)
upper      upper end (NaN if none)
n          the number of responses it rests on
se         *optional*: its standard error; without it, ``(upper − lower) / (2 z)`` with z
           the normal quantile of ``confidence``
region     *optional*: the unit's region (for :mod:`.consistency`)
========== =========================================================================

A period with ``n`` below ``min_n`` (default 10, ``MIN_N_FOR_ESTIMATE``) or without an
estimate or standard error counts as *missing*: the models skip it and say
``insufficient_data`` for it.

>>> import pandas as pd
>>> frame = pd.DataFrame({"unit": ["a"], "period": ["2025-07"], "signal": ["hearts"],
...                       "estimate": [60.0], "lower": [56.08], "upper": [63.92], "n": [40]})
>>> round(float(standard_errors(frame).iloc[0]), 3)
2.0
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE

SIGNALS = ("hearts", "minds", "nps")
REQUIRED_COLUMNS = ("unit", "period", "signal", "estimate", "lower", "upper", "n")


def check_signals(frame: pd.DataFrame, needed: Iterable[str] = ()) -> None:
    """Raise ``ValueError`` naming what is wrong with a signal frame.

    ``needed`` lists the signals that must occur at least once.

    >>> check_signals(pd.DataFrame({"unit": []}))
    Traceback (most recent call last):
    ...
    ValueError: signal frame: missing column(s) period, signal, estimate, lower, upper, n \
(expected unit, period, signal, estimate, lower, upper, n[, se, region])
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"signal frame: missing column(s) {', '.join(missing)} "
            f"(expected {', '.join(REQUIRED_COLUMNS)}[, se, region])"
        )
    duplicated = frame.duplicated(["unit", "period", "signal"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise ValueError(
            f"signal frame: row {frame.index[duplicated][0]!r} repeats unit {row['unit']!r}, "
            f"period {row['period']!r}, signal {row['signal']!r} (expected one row each)"
        )
    present = set(frame["signal"].unique().tolist())  # not iterated: Arrow strings, slow
    absent = [s for s in needed if s not in present]
    if absent:
        raise ValueError(
            f"signal frame: no rows for signal(s) {', '.join(absent)} "
            f"(column 'signal' has {', '.join(sorted(map(str, present))) or 'nothing'})"
        )
    negative = frame["n"] < 0
    if negative.any():
        raise ValueError(
            f"signal frame: row {frame.index[negative][0]!r} has n = "
            f"{frame.loc[negative, 'n'].iloc[0]} (expected a count ≥ 0)"
        )


def standard_errors(frame: pd.DataFrame, confidence: float = 0.95) -> pd.Series:
    """Each row's standard error: the ``se`` column, else the interval's half-width / z.

    The metrics engine's index intervals use Student's t; for n ≥ 10 reading them with z
    overstates the standard error by at most 15 % (n = 10) and 2 % at n = 40, which only
    makes the detectors more cautious.
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if {"lower", "upper"} <= set(frame.columns):
        from_interval = (frame["upper"] - frame["lower"]) / (2 * z)
    else:
        from_interval = pd.Series(np.nan, index=frame.index)
    if "se" in frame.columns:
        se = frame["se"].astype(float).where(frame["se"].notna(), from_interval)
    else:
        se = from_interval.astype(float)
    return se.where(se > 0)


def wide_signals(
    frame: pd.DataFrame,
    signals: Iterable[str],
    min_n: int = MIN_N_FOR_ESTIMATE,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per unit × period (sorted), columns ``{signal}``, ``{signal}_se``,
    ``{signal}_lower``, ``{signal}_upper``, ``{signal}_n`` and ``{signal}_ok`` (usable: n ≥
    ``min_n`` with an estimate and a standard error) for each wanted signal."""
    wanted = list(signals)
    check_signals(frame, wanted)
    data = frame[frame["signal"].isin(wanted)].copy()
    data["se"] = standard_errors(data, confidence)
    data["ok"] = (data["n"] >= min_n) & data["estimate"].notna() & data["se"].notna()
    wide = data.pivot(
        index=["unit", "period"],
        columns="signal",
        values=["estimate", "se", "lower", "upper", "n", "ok"],
    )
    out = pd.DataFrame(index=wide.index)
    for signal in wanted:
        out[signal] = wide[("estimate", signal)].astype(float)
        for field in ("se", "lower", "upper"):
            out[f"{signal}_{field}"] = wide[(field, signal)].astype(float)
        out[f"{signal}_n"] = wide[("n", signal)].fillna(0).astype(int)
        out[f"{signal}_ok"] = wide[("ok", signal)].astype("boolean").fillna(False).astype(bool)
    return out.sort_index()


@dataclass(frozen=True)
class SignalGrid:
    """A wide signal frame on the full unit × period grid, for array arithmetic.

    ``present`` marks the cells the frame had; arrays are units × periods, in the sorted
    order of ``units`` and ``periods``.
    """

    units: pd.Index
    periods: pd.Index
    present: npt.NDArray[np.bool_]
    wide: pd.DataFrame

    def values(self, column: str) -> npt.NDArray[np.float64]:
        """A column as a units × periods float array (NaN where absent)."""
        return self.wide[column].to_numpy(float).reshape(len(self.units), len(self.periods))

    def flags(self, column: str) -> npt.NDArray[np.bool_]:
        """A boolean column as a units × periods array (False where absent)."""
        flat = self.wide[column].astype("boolean").fillna(False).to_numpy(bool)
        return flat.reshape(len(self.units), len(self.periods))

    def cells(self) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
        """The unit and period of each present cell, row by row."""
        units = np.repeat(self.units.to_numpy(), len(self.periods))
        periods = np.tile(self.periods.to_numpy(), len(self.units))
        mask = self.present.ravel()
        return units[mask], periods[mask]


def signal_grid(wide: pd.DataFrame, periods: pd.Index | None = None) -> SignalGrid:
    """Put a frame of :func:`wide_signals` on the full unit × period grid (its own
    periods, or ``periods``: sorted, holding every period of the frame)."""
    units = wide.index.get_level_values("unit").unique()
    if periods is None:
        periods = wide.index.get_level_values("period").unique().sort_values()
    full = pd.MultiIndex.from_product([units, periods], names=["unit", "period"])
    present = full.isin(wide.index).reshape(len(units), len(periods))
    return SignalGrid(units, periods, present, wide.reindex(full))


def first_usable(
    ok: npt.NDArray[np.bool_], count: int
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per row of ``ok`` (units × periods): the first ``count`` usable cells (the baseline)
    and every cell after them (monitored), both empty for a row with fewer usable cells.

    >>> base, after = first_usable(np.array([[True, False, True, True, False, True]]), 2)
    >>> base.astype(int).tolist(), after.astype(int).tolist()
    ([[1, 0, 1, 0, 0, 0]], [[0, 0, 0, 1, 1, 1]])
    """
    cumulative = np.cumsum(ok, axis=1)
    enough = (cumulative[:, -1:] >= count) if ok.shape[1] else np.zeros((len(ok), 1), bool)
    base = ok & (cumulative <= count) & enough
    after = (cumulative >= count) & ~base & enough
    return base, after


def baseline_means(
    x: npt.NDArray[np.float64], se: npt.NDArray[np.float64], base: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per row, the precision-weighted mean of the ``base`` cells and its standard error
    (NaN for a row without any).

    >>> mean, se = baseline_means(np.array([[1.0, 3.0, 9.0]]), np.ones((1, 3)),
    ...                           np.array([[True, True, False]]))
    >>> float(mean[0]), round(float(se[0]), 4)
    (2.0, 0.7071)
    """
    weights = np.where(base, 1.0 / np.where(base, se, 1.0) ** 2, 0.0)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weights * np.where(base, x, 0.0)).sum(axis=1) / total
        return np.where(total > 0, mean, np.nan), np.where(total > 0, np.sqrt(1.0 / total), np.nan)
