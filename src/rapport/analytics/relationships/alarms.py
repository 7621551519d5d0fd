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
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE
from rapport.analytics.relationships.signals import inverse_variance_mean, wide_signals

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


def process_sd(wide: pd.DataFrame, signal: str) -> float:
    """How much a stable unit's true level moves from period to period, beyond sampling.

    Method of moments on consecutive usable periods of each unit: ``E[(x_t − x_{t−1})²] =
    se_t² + se_{t−1}² + 2σ²``; the mean of the per-unit estimates (units with at least
    three differences), floored at 0. (A median would be biased low: the estimates are
    skewed. A drifting unit adds only its squared slope, 4 for 2 points a period.) Returns
    0 when no unit has enough periods.
    """
    estimates = []
    for _, unit in wide.groupby(level="unit", sort=False):
        usable = unit[unit[f"{signal}_ok"]]
        x = usable[signal].to_numpy(float)
        se = usable[f"{signal}_se"].to_numpy(float)
        if len(x) < 4:
            continue
        excess = np.diff(x) ** 2 - se[1:] ** 2 - se[:-1] ** 2
        estimates.append(float(excess.mean()) / 2)
    if not estimates:
        return 0.0
    return float(np.sqrt(max(0.0, float(np.mean(estimates)))))


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
) -> pd.DataFrame:
    """Run the decline detector on every unit and signal of a signal frame.

    ``frame`` is the long signal frame of :mod:`.signals`. ``process`` is the period-to-period
    sd of stable units' true levels, per signal or for all; ``None`` estimates it from the
    frame (:func:`process_sd`).

    Returns one row per unit × period × signal with ``estimate``, ``se``, ``n``,
    ``baseline``, ``baseline_se``, ``z`` (standardised fall), ``cusum``, ``threshold``,
    ``alarm`` (bool: ``cusum > threshold``) and ``status``: ``baseline`` (a period fixing
    the baseline), ``monitoring``, ``alarm`` or ``insufficient_data``.
    """
    wanted = list(signals)
    wide = wide_signals(frame, wanted, min_n=min_n, confidence=confidence)
    parts = []
    for signal in wanted:
        if isinstance(process, dict):
            sigma = process[signal]
        elif process is None:
            sigma = process_sd(wide, signal)
        else:
            sigma = float(process)
        for unit, rows in wide.groupby(level="unit", sort=False):
            parts.append(
                _unit_alarms(unit, rows, signal, sigma, baseline_periods, threshold, reference)
            )
    return pd.concat(parts, ignore_index=True)


def _unit_alarms(
    unit: object,
    rows: pd.DataFrame,
    signal: str,
    sigma: float,
    baseline_periods: int,
    threshold: float,
    reference: float,
) -> pd.DataFrame:
    x = rows[signal].to_numpy(float)
    se = rows[f"{signal}_se"].to_numpy(float)
    ok = rows[f"{signal}_ok"].to_numpy(bool)
    out = pd.DataFrame(
        {
            "unit": unit,
            "period": rows.index.get_level_values("period"),
            "signal": signal,
            "estimate": x,
            "se": se,
            "n": rows[f"{signal}_n"].to_numpy(int),
        }
    )
    usable = np.flatnonzero(ok)
    status = np.full(len(x), "insufficient_data", dtype=object)
    z = np.full(len(x), np.nan)
    if len(usable) < baseline_periods:
        baseline = baseline_se = np.nan
        path = np.full(len(x), np.nan)
    else:
        base = usable[:baseline_periods]
        baseline, baseline_se = inverse_variance_mean(x[base], se[base])
        start = base[-1] + 1
        spread = np.sqrt(se**2 + baseline_se**2 + sigma**2 * (1 + 1 / baseline_periods))
        z = np.where(ok, (baseline - x) / spread, np.nan)
        z[:start] = np.nan
        path = cusum(z, reference)
        path[:start] = np.nan
        status[base] = "baseline"
        monitored = ok & (np.arange(len(x)) >= start)
        status[monitored] = np.where(path[monitored] > threshold, "alarm", "monitoring")
    out["baseline"] = baseline
    out["baseline_se"] = baseline_se
    out["z"] = z
    out["cusum"] = path
    out["threshold"] = threshold
    out["alarm"] = np.nan_to_num(path, nan=0.0) > threshold
    out["status"] = status
    return out


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
