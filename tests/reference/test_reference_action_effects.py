"""Difference in differences on simulated panels with a planted effect: the 95 % intervals
cover it at their nominal rate and the pre-trend test rejects at its level when there is no
pre-trend (``docs/relationship-health.md`` "Effects of actions").

The panels look like the demo organisation's stores: 27 units, 5 treated (one region),
15 months, the action from month 6; unit levels (sd 5), common month shocks (sd 2), AR(1)
unit-month deviations (ρ = 0.5, innovation sd 1.5) and the sampling error of a monthly
index of about 30 responses (sd 2.5). Seeds are fixed, so the figures are exact; the bands
are about ±1.5 binomial standard errors of the nominal rate over 300 panels.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.relationships.effects import did_effect

PANELS = 300
EFFECT = 4.0
UNITS, TREATED, MONTHS, START = 27, 5, 15, 6
DRAWS = 399


def simulated_panel(seed: int, effect: float = EFFECT) -> tuple[pd.DataFrame, set[str]]:
    """One panel with ``effect`` added to the treated units from month START on."""
    rng = np.random.default_rng(seed)
    level = rng.normal(60, 5, UNITS)[:, None]
    month = rng.normal(0, 2, MONTHS)[None, :]
    rho, sd = 0.5, 1.5
    ar = np.zeros((UNITS, MONTHS))
    ar[:, 0] = rng.normal(0, sd / np.sqrt(1 - rho**2), UNITS)
    for t in range(1, MONTHS):
        ar[:, t] = rho * ar[:, t - 1] + rng.normal(0, sd, UNITS)
    value = level + month + ar + rng.normal(0, 2.5, (UNITS, MONTHS))
    value[:TREATED, START:] += effect
    units = [f"store-{i:02d}" for i in range(UNITS)]
    frame = pd.DataFrame(
        {
            "unit": np.repeat(units, MONTHS),
            "period": np.tile(np.arange(MONTHS), UNITS),
            "value": value.ravel(),
        }
    )
    return frame, set(units[:TREATED])


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    started = time.perf_counter()
    rows = []
    for seed in range(PANELS):
        panel, treated = simulated_panel(20_000 + seed)
        found = did_effect(panel, treated, START, draws=DRAWS, seed=seed)
        assert found.lower is not None and found.upper is not None
        rows.append((found.estimate, found.lower, found.upper, found.pre_trend_p))
    frame = pd.DataFrame(rows, columns=["estimate", "lower", "upper", "pre_trend_p"])
    frame.attrs["seconds_per_panel"] = (time.perf_counter() - started) / PANELS
    return frame


@pytest.mark.slow
def test_intervals_cover_the_planted_effect(runs: pd.DataFrame) -> None:
    covered = ((runs["lower"] <= EFFECT) & (runs["upper"] >= EFFECT)).mean()
    bias = runs["estimate"].mean() - EFFECT
    print(f"coverage {covered:.3f}, bias {bias:+.3f}, {runs.attrs['seconds_per_panel']:.2f} s")
    assert 0.93 <= covered <= 0.97
    assert abs(bias) < 0.15  # 3 standard errors of the mean of 300 estimates (sd ≈ 0.8)


@pytest.mark.slow
def test_pre_trend_test_rejects_at_its_level(runs: pd.DataFrame) -> None:
    rejected = (runs["pre_trend_p"] < 0.05).mean()
    print(f"pre-trend rejections {rejected:.3f}")
    assert 0.025 <= rejected <= 0.08


def test_a_planted_pre_trend_is_caught() -> None:
    """Treated units drifting up by 1 point a month before the start: the test rejects."""
    panel, treated = simulated_panel(7, effect=0.0)
    drift = panel["unit"].isin(treated) * panel["period"].clip(upper=START) * 1.0
    found = did_effect(panel.assign(value=panel["value"] + drift), treated, START, draws=DRAWS)
    assert found.verdict == "pre_trend_fails" and found.pre_trend_p is not None
    assert found.pre_trend_p < 0.05


def test_too_few_units_or_months_say_so() -> None:
    panel, treated = simulated_panel(3)
    one = did_effect(panel, {"store-00"} & treated, START)
    assert one.verdict == "insufficient_data" and one.estimate is None
    assert "1 treated unit" in one.message
    early = did_effect(panel[panel["period"] >= 4], treated, START)
    assert early.verdict == "insufficient_data" and "2 period(s) before" in early.message
