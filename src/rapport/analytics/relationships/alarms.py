"""Decline alarms: a one-sided standardised CUSUM per unit on hearts and NPS.

For each unit and signal the first ``baseline_periods`` usable periods fix a baseline ``b``
(their precision-weighted mean, standard error ``se_b``). Every later usable period gives
a standardised fall

    z_t = (b − x_t) / sqrt(se_t² + se_b² + σ²·(1 + 1/k_b))

where ``se_t`` is the period's standard error, ``σ`` the period-to-period variation of a
stable unit's true level (estimated from the frame, see :func:`process_sd`) and ``k_b`` the
number of baseline periods. The CUSUM ``S_t = max(0, S_{t−1} + z_t − REFERENCE)`` starts at
0 after the baseline and the unit is *alarmed* while ``S_t > THRESHOLD``. Periods with too
few responses are skipped (``S`` carries over) and reported as ``insufficient_data``; a unit
with fewer usable periods than the baseline needs is ``insufficient_data`` throughout.

``THRESHOLD`` is calibrated by simulation (``tools/calibrate_relationship_alarms.py``,
200,000 stable units with n drawn from 10…40 each period): a stable unit followed for
``HORIZON`` = 24 periods (3 baseline + 21 monitored) alarms on one signal with probability
``FALSE_ALARM_RATE`` = 2.5 %, so on hearts *or* NPS with at most 5 %. The reference tests
(``tests/reference/test_reference_relationship_alarms.py``) hold it and measure detection.

>>> import pandas as pd
>>> hearts = [60, 61, 59, 60, 58, 55, 52, 50, 47, 45]
>>> frame = pd.DataFrame({"unit": "a", "period": range(10), "signal": "hearts",
...                       "estimate": hearts, "se": 2.0, "lower": 0, "upper": 0, "n": 30})
>>> alarms = decline_alarms(frame, signals=("hearts",), process=0.0)
>>> alarms["status"].tolist()[:3], int(alarms["period"][alarms["alarm"]].min())
(['baseline', 'baseline', 'baseline'], 7)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE
from rapport.analytics.relationships.signals import (
    SignalGrid,
    baseline_means,
    first_usable,
    signal_grid,
    wide_signals,
)

REFERENCE: Final = 1.0
"""CUSUM reference value k, in standard errors: the fastest detector of a two-se fall (a
smaller k needs a much higher limit because the 3-period baseline's error is shared by
every z, and then detects no faster)."""

THRESHOLD: Final = 4.40
"""CUSUM decision limit h, calibrated so that FALSE_ALARM_RATE holds over HORIZON."""

FALSE_ALARM_RATE: Final = 0.025
"""Probability that a stable unit alarms on one signal within HORIZON periods."""

HORIZON: Final = 24
"""Periods (baseline included) over which FALSE_ALARM_RATE is calibrated."""

BASELINE_PERIODS: Final = 3
"""Usable periods that fix a unit's baseline before monitoring starts."""

ALARM_SIGNALS: Final = ("hearts", "nps")

Array = npt.NDArray[np.float64]


def cusum(z: Array, reference: float = REFERENCE) -> Array:
    """The one-sided CUSUM of standardised falls ``z`` along the last axis (NaN: skipped).

    >>> cusum(np.array([1.0, 2.0, np.nan, -3.0, 1.0])).tolist()
    [0.0, 1.0, 1.0, 0.0, 0.0]
    """
    out = np.empty_like(z, dtype=float)
    running = np.zeros(z.shape[:-1])
    for t in range(z.shape[-1]):
        step = z[..., t]
        running = np.where(np.isnan(step), running, np.maximum(0.0, running + step - reference))
        out[..., t] = running
    return out


def process_sd(grid: SignalGrid, signal: str, rows: npt.NDArray[np.bool_] | None = None) -> float:
    """How much a stable unit's true level moves from period to period, beyond sampling.

    Method of moments on consecutive usable periods of each unit: ``E[(x_t − x_{t−1})²] =
    se_t² + se_{t−1}² + 2σ²``; the mean of the per-unit estimates (units with at least
    three differences), floored at 0. (A median would be biased low: the estimates are
    skewed. A drifting unit adds only its squared slope, 4 for 2 points a period.) Returns
    0 when no unit has enough periods. ``rows`` (one flag per unit of the grid): only the
    units it marks.
    """
    x, se, ok = grid.values(signal), grid.values(f"{signal}_se"), grid.flags(f"{signal}_ok")
    estimates = []
    for row in range(len(x)) if rows is None else np.flatnonzero(rows).tolist():
        values, errors = x[row, ok[row]], se[row, ok[row]]
        if len(values) < 4:
            continue
        excess = np.diff(values) ** 2 - errors[1:] ** 2 - errors[:-1] ** 2
        estimates.append(float(excess.mean()) / 2)
    if not estimates:
        return 0.0
    return float(np.sqrt(max(0.0, float(np.mean(estimates)))))


def _spreads(grid: SignalGrid, signal: str, groups: npt.NDArray[Any]) -> Array:
    """:func:`process_sd` of each group's units apart, one per unit of the grid (a column
    to broadcast along periods); ``groups`` holds each unit's group."""
    sigma = np.zeros(len(groups))
    for value in pd.unique(groups):
        mine = groups == value
        sigma[mine] = process_sd(grid, signal, mine)
    return sigma[:, None]


def decline_alarms(
    frame: pd.DataFrame,
    signals: Iterable[str] = ALARM_SIGNALS,
    *,
    baseline_periods: int = BASELINE_PERIODS,
    threshold: float = THRESHOLD,
    reference: float = REFERENCE,
    process: float | dict[str, float] | None = None,
    min_n: int = MIN_N_FOR_ESTIMATE,
    confidence: float = 0.95,
    within: str | None = None,
) -> pd.DataFrame:
    """Run the decline detector on every unit and signal of a signal frame.

    ``frame`` is the long signal frame of :mod:`.signals`. ``process`` is the period-to-period
    sd of stable units' true levels, per signal or for all; ``None`` estimates it from the
    frame (:func:`process_sd`), over all units, or with ``within`` (a column of the frame,
    one value per unit: its depth) over the units of each value apart — the rows are those
    of running the detector on each value's part of the frame alone, in one pass.

    Returns one row per unit × period × signal with ``estimate``, ``se``, ``n``,
    ``baseline``, ``baseline_se``, ``z`` (standardised fall), ``cusum``, ``threshold``,
    ``alarm`` (bool: ``cusum > threshold``; it stays on over a skipped period) and
    ``status``: ``baseline`` (a period fixing the baseline), ``monitoring``, ``alarm`` or
    ``insufficient_data``.
    """
    wanted = list(signals)
    grid = signal_grid(wide_signals(frame, wanted, min_n=min_n, confidence=confidence))
    units, periods = grid.cells()
    groups = None
    if within is not None:  # each unit's value, in the grid's order of units
        values = frame.drop_duplicates("unit").set_index("unit")[within]
        groups = values.reindex(grid.units).to_numpy()
    parts = []
    for signal in wanted:
        if isinstance(process, dict):
            sigma: float | Array = process[signal]
        elif process is not None:
            sigma = float(process)
        elif groups is None:
            sigma = process_sd(grid, signal)
        else:
            sigma = _spreads(grid, signal, groups)
        x, se, ok = grid.values(signal), grid.values(f"{signal}_se"), grid.flags(f"{signal}_ok")
        base, after = first_usable(ok, baseline_periods)
        baseline, baseline_se = baseline_means(x, se, base)
        spread = np.sqrt(se**2 + baseline_se[:, None] ** 2 + sigma**2 * (1 + 1 / baseline_periods))
        with np.errstate(invalid="ignore"):
            z = np.where(ok & after, (baseline[:, None] - x) / spread, np.nan)
        path = np.where(after, cusum(z, reference), np.nan)
        alarm = np.nan_to_num(path, nan=0.0) > threshold
        status = np.where(
            base,
            "baseline",
            np.where(ok & after, np.where(alarm, "alarm", "monitoring"), "insufficient_data"),
        )
        cells = grid.present
        parts.append(
            pd.DataFrame(
                {
                    "unit": units,
                    "period": periods,
                    "signal": signal,
                    "estimate": x[cells],
                    "se": se[cells],
                    "n": grid.values(f"{signal}_n")[cells].astype(int),
                    "baseline": np.broadcast_to(baseline[:, None], x.shape)[cells],
                    "baseline_se": np.broadcast_to(baseline_se[:, None], x.shape)[cells],
                    "z": z[cells],
                    "cusum": path[cells],
                    "threshold": threshold,
                    "alarm": alarm[cells],
                    "status": status[cells].astype(object),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def first_alarms(alarms: pd.DataFrame) -> pd.DataFrame:
    """Per unit: the first alarmed period of each signal (NaN: none), ``first_alarm`` (the
    earliest of them) and ``alarmed`` (any signal alarmed in the last period)."""
    alarmed = alarms[alarms["alarm"]]
    first = alarmed.groupby(["unit", "signal"])["period"].min().unstack("signal")
    units = pd.Index(alarms["unit"].unique(), name="unit")
    first = first.reindex(units)
    out = pd.DataFrame(index=units)
    for signal in alarms["signal"].unique():
        column = first[signal] if signal in first.columns else pd.Series(np.nan, index=units)
        out[f"first_alarm_{signal}"] = column
    out["first_alarm"] = first.min(axis=1) if len(first.columns) else np.nan
    last = alarms.sort_values("period").groupby(["unit", "signal"]).tail(1)
    out["alarmed"] = last.groupby("unit")["alarm"].any().reindex(units).fillna(False)
    return out.reset_index()
