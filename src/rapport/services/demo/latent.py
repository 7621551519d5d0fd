"""Latent unit-month scores with the planted effects, and the business outcomes they drive.

All latent scores live on the 0-100 index scale: the answers are generated so that a unit's
expected hearts (or minds) index equals its latent score (see ``demo_answers``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from rapport.services.demo.models import DemoOutcome

FloatArray = NDArray[np.float64]

# Retail seasonality of revenue by calendar month (December peak, January/February trough).
SEASONALITY = {
    1: 0.90, 2: 0.88, 3: 0.95, 4: 0.98, 5: 1.00, 6: 1.00,
    7: 1.02, 8: 1.00, 9: 0.97, 10: 1.00, 11: 1.08, 12: 1.25,
}  # fmt: skip


@dataclass(frozen=True)
class Effects:
    """True sizes of the planted effects and of the noise around them (index points, 0-100)."""

    # Employee experience (EX hearts): unit level + AR(1) month-to-month movement.
    ex_reference: float = 62.0
    ex_unit_sd: float = 6.0
    ex_month_sd: float = 2.0
    ex_autocorrelation: float = 0.5
    ex_minds_reference: float = 66.0
    ex_minds_unit_sd: float = 5.0
    ex_minds_month_sd: float = 1.5
    # 1. EX drives CX one month later.
    cx_hearts_reference: float = 58.0
    cx_hearts_unit_sd: float = 2.0
    cx_hearts_month_sd: float = 1.5
    ex_to_cx_hearts_beta: float = 0.5
    cx_minds_reference: float = 68.0
    cx_minds_unit_sd: float = 4.0
    cx_minds_month_sd: float = 1.0
    ex_to_cx_minds_beta: float = 0.3
    lag_months: int = 1
    # 2. Drift to taking customers for granted (month index, 0 = first generated month).
    drift_start_month: int = 3
    drift_hearts_per_month: float = -2.0
    drift_fresh_extra_per_month: float = -1.0
    # 3. Honeymoon: + H * exp(-tenure_months / tau) on customer hearts.
    honeymoon_points: float = 15.0
    honeymoon_tau_months: float = 6.0
    # 4. Fresh-experience programme for the employees of one region's stores.
    programme_start_month: int = 6
    programme_ex_hearts: float = 8.0
    # 6. Outcomes.
    revenue_base: float = 420_000.0
    revenue_store_log_sd: float = 0.35
    revenue_gamma: float = 0.8
    revenue_noise_log_sd: float = 0.02
    churn_base: float = 0.025
    churn_per_point: float = -0.0008
    churn_noise_sd: float = 0.002
    turnover_base: float = 0.03
    turnover_per_point: float = -0.001
    turnover_noise_sd: float = 0.004

    def as_dict(self) -> dict[str, float | int]:
        """The sizes as a plain dict (for ``truth``)."""
        return asdict(self)


@dataclass(frozen=True)
class Latent:
    """Latent monthly scores; EX arrays have ``months + 1`` entries (index 0 is month -1)."""

    ex_hearts: dict[str, FloatArray]
    ex_minds: dict[str, FloatArray]
    cx_hearts: dict[str, FloatArray]
    cx_minds: dict[str, FloatArray]
    fresh_shift: dict[str, FloatArray]


def _ar1(rng: np.random.Generator, length: int, sd: float, phi: float) -> FloatArray:
    innovations = rng.normal(0.0, sd * np.sqrt(1.0 - phi**2), length)
    series = np.empty(length)
    series[0] = rng.normal(0.0, sd)
    for i in range(1, length):
        series[i] = phi * series[i - 1] + innovations[i]
    return series


def drift_shift(effects: Effects, months: int) -> FloatArray:
    """Months since the drift began (0 before it), as a float array of length ``months``."""
    return np.maximum(0, np.arange(months) - effects.drift_start_month).astype(np.float64)


def simulate_latent(
    rng: np.random.Generator,
    effects: Effects,
    employee_units: list[str],
    stores: list[str],
    programme_stores: set[str],
    drifting_stores: set[str],
    months: int,
) -> Latent:
    """Draw EX for every unit with staff, then CX for every store from its lagged EX."""
    e = effects
    ex_hearts, ex_minds = {}, {}
    after_programme = np.arange(-1, months) >= e.programme_start_month
    for unit in employee_units:
        level = e.ex_reference + rng.normal(0.0, e.ex_unit_sd)
        hearts = level + _ar1(rng, months + 1, e.ex_month_sd, e.ex_autocorrelation)
        if unit in programme_stores:
            hearts = hearts + e.programme_ex_hearts * after_programme
        ex_hearts[unit] = hearts
        minds_level = e.ex_minds_reference + rng.normal(0.0, e.ex_minds_unit_sd)
        ex_minds[unit] = minds_level + _ar1(rng, months + 1, e.ex_minds_month_sd, 0.5)
    cx_hearts, cx_minds, fresh_shift = {}, {}, {}
    drift = drift_shift(e, months)
    for store in stores:
        lagged_ex = ex_hearts[store][:-1]  # EX(t - 1) for t = 0 .. months - 1
        lagged_minds = ex_minds[store][:-1]
        hearts = (
            e.cx_hearts_reference
            + rng.normal(0.0, e.cx_hearts_unit_sd)
            + e.ex_to_cx_hearts_beta * (lagged_ex - e.ex_reference)
            + rng.normal(0.0, e.cx_hearts_month_sd, months)
        )
        minds = (
            e.cx_minds_reference
            + rng.normal(0.0, e.cx_minds_unit_sd)
            + e.ex_to_cx_minds_beta * (lagged_minds - e.ex_minds_reference)
            + rng.normal(0.0, e.cx_minds_month_sd, months)
        )
        extra = np.zeros(months)
        if store in drifting_stores:
            hearts = hearts + e.drift_hearts_per_month * drift
            extra = e.drift_fresh_extra_per_month * drift
        cx_hearts[store], cx_minds[store], fresh_shift[store] = hearts, minds, extra
    return Latent(ex_hearts, ex_minds, cx_hearts, cx_minds, fresh_shift)


def simulate_outcomes(
    rng: np.random.Generator,
    effects: Effects,
    latent: Latent,
    periods: list[date],
    scale: float,
) -> list[DemoOutcome]:
    """Revenue and churn per store, staff turnover per unit with staff, one row per month."""
    e = effects
    months = len(periods)
    season = np.array([SEASONALITY[p.month] for p in periods])
    outcomes: list[DemoOutcome] = []
    for store, hearts in latent.cx_hearts.items():
        base = scale * e.revenue_base * np.exp(rng.normal(0.0, e.revenue_store_log_sd))
        # exp(x) ~ 1 + x: gamma is the log-revenue change per 100 hearts points, exactly.
        lift = np.exp(e.revenue_gamma * (hearts - e.cx_hearts_reference) / 100.0)
        noise = np.exp(rng.normal(0.0, e.revenue_noise_log_sd, months))
        revenue = base * lift * season * noise
        churn = e.churn_base + e.churn_per_point * (hearts - e.cx_hearts_reference)
        churn = np.clip(churn + rng.normal(0.0, e.churn_noise_sd, months), 0.002, 0.5)
        for i, period in enumerate(periods):
            outcomes.append(DemoOutcome(store, period, "revenue", round(float(revenue[i]), 2)))
            outcomes.append(
                DemoOutcome(store, period, "customer_churn_rate", round(float(churn[i]), 4))
            )
    for unit, ex in latent.ex_hearts.items():
        turnover = e.turnover_base + e.turnover_per_point * (ex[1:] - e.ex_reference)
        turnover = np.clip(turnover + rng.normal(0.0, e.turnover_noise_sd, months), 0.0, 0.5)
        for i, period in enumerate(periods):
            outcomes.append(
                DemoOutcome(unit, period, "staff_turnover_rate", round(float(turnover[i]), 4))
            )
    return outcomes
