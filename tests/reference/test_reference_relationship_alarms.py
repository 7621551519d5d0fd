"""Decline alarms: their false-alarm rate on stable units and their power on planted declines.

Simulated units (fixed seeds) follow the shape of monthly store results: n drawn from 10…40
responses a period, answers with sd 20 on the 0–100 scale (standard errors 3.2–6.3 points),
and a true level that moves from period to period with sd 1.5 points (which the detector
estimates from the frame). NPS is simulated alongside with sd 70 per answer.

- Stable units: over 600 units × 24 periods the share alarming on hearts is at most the
  stated FALSE_ALARM_RATE (2.5 %) plus a one-sided 99 % binomial margin (2.33 binomial
  standard errors: 4.0 %); on hearts *or* NPS at most 5 % plus its margin (7.1 %).
- Planted declines (each on 400 units): steps of 4, 8 and 12 hearts points from period 6 and
  a drift of −2 points a period from period 3 (the demo's "taken for granted"). Floors on the
  detection rate within 24 periods (an alarm at or after the change's start) and ceilings on
  the median delay, each about three binomial standard errors (or two periods) short of
  the measured figures, which docs/relationship-health.md reports.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.relationships.alarms import (
    FALSE_ALARM_RATE,
    decline_alarms,
    first_alarms,
)

PERIODS = 24
Z_ONE_SIDED_99 = 2.326


def simulate(units: int, seed: int, decline: np.ndarray | None = None) -> pd.DataFrame:
    """A long signal frame of hearts and NPS; ``decline`` (points per period) is subtracted."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(units):
        level = rng.normal(60, 5) + rng.normal(0, 1.5, PERIODS)
        if decline is not None:
            level = level - decline
        n = rng.integers(10, 41, size=PERIODS)
        hearts_se = 20 / np.sqrt(n)
        hearts = rng.normal(level, hearts_se)
        nps_se = 70 / np.sqrt(n)
        nps = rng.normal(1.2 * (level - 50), nps_se)
        for t in range(PERIODS):
            for signal, value, se in (("hearts", hearts, hearts_se), ("nps", nps, nps_se)):
                rows.append((f"u{u:04d}", t, signal, value[t], se[t], int(n[t])))
    frame = pd.DataFrame(rows, columns=["unit", "period", "signal", "estimate", "se", "n"])
    frame["lower"] = frame["estimate"] - 1.96 * frame["se"]
    frame["upper"] = frame["estimate"] + 1.96 * frame["se"]
    return frame


def margin(rate: float, units: int) -> float:
    return rate + Z_ONE_SIDED_99 * math.sqrt(rate * (1 - rate) / units)


def test_stable_units_rarely_alarm() -> None:
    units = 600
    alarms = decline_alarms(simulate(units, seed=2026))
    first = first_alarms(alarms)
    hearts_share = first["first_alarm_hearts"].notna().mean()
    any_share = first["first_alarm"].notna().mean()
    print(f"stable: hearts {hearts_share:.4f}, hearts or NPS {any_share:.4f}")
    assert hearts_share <= margin(FALSE_ALARM_RATE, units)
    assert any_share <= margin(2 * FALSE_ALARM_RATE, units)


STEP = np.where(np.arange(PERIODS) >= 6, 1.0, 0.0)
DRIFT = 2.0 * np.clip(np.arange(PERIODS) - 2, 0, None)


@pytest.mark.parametrize(
    ("name", "decline", "start", "min_rate", "max_delay"),
    [
        ("step 4", 4 * STEP, 6, 0.18, 11),
        ("step 8", 8 * STEP, 6, 0.70, 7),
        ("step 12", 12 * STEP, 6, 0.95, 4),
        ("drift 2/period", DRIFT, 3, 0.97, 8),
    ],
)
def test_planted_declines_are_detected(
    name: str, decline: np.ndarray, start: int, min_rate: float, max_delay: int
) -> None:
    units = 400
    alarms = decline_alarms(simulate(units, seed=77, decline=decline), signals=("hearts",))
    after = alarms[alarms["alarm"] & (alarms["period"] >= start)]
    first = after.groupby("unit")["period"].min().reindex(alarms["unit"].unique())
    detected = first.notna()
    delay = (first[detected] - start).median()
    print(f"{name}: detected {detected.mean():.3f}, median delay {delay:.1f} periods")
    assert detected.mean() >= min_rate
    assert delay <= max_delay
