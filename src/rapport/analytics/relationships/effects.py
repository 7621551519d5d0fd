"""Effects of actions: difference in differences with two-way fixed effects, an event
study of leads and lags, and a pre-trend test (``docs/relationship-health.md``).

The panel is one value per unit × period (a metric of the unit in that month). Treated
units are those an action covers, from its first period on; every other unit of the panel
is a comparison unit. The model is

    y_ut = α_u + λ_t + β · D_ut + ε_ut,     D_ut = treated_u · (t ≥ start)

fitted by OLS after the unit and period effects are partialled out (Frisch–Waugh–Lovell:
the same β). Errors are clustered by unit, so a unit's months may be correlated in any way.
Units are few (an action covers a handful of stores), and cluster-robust standard errors
are then too small (MacKinnon & Webb 2017), so inference is by the **wild cluster
restricted bootstrap** with Webb weights (:mod:`.wild_bootstrap`): the interval is the set
of effects the bootstrap test does not reject (test inversion), the p-value that of β = 0.

The event study replaces ``D`` by one indicator per period relative to the start (leads
``< −1``, lags ``≥ 0``; ``−1`` is the reference), each shown with a CR1 ``t(G−1)`` interval
(OLS clustered by unit, :mod:`.cluster_ols`: a picture, narrow when treated units are few). The
**pre-trend test** is the joint Wald test that all leads are zero, its p-value from the same
wild cluster restricted bootstrap; when it rejects at 5 % the treated units were already
moving apart, and the verdict says the data cannot tell.

>>> rng = np.random.default_rng(3)
>>> units, periods = [f"u{i}" for i in range(30)], list(range(12))
>>> rows = [(u, t, rng.normal() + 0.5 * t + (2.0 if i < 15 and t >= 6 else 0.0))
...         for i, u in enumerate(units) for t in periods]
>>> panel = pd.DataFrame(rows, columns=["unit", "period", "value"])
>>> effect = did_effect(panel, set(units[:15]), start=6)
>>> effect.verdict, effect.lower < 2.0 < effect.upper, effect.n_treated, effect.n_control
('effect', True, 15, 15)
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.relationships.cluster_ols import cluster_ols
from rapport.analytics.relationships.wild_bootstrap import (
    Array,
    group_sums,
    wild_cluster_interval,
    wild_cluster_wald,
)

MIN_UNITS: Final = 2
"""Treated and comparison units needed at the least (one of either cannot be clustered)."""
MIN_PRE_PERIODS: Final = 3
"""Periods before the start needed at the least: two leads for the pre-trend test."""
PRE_TREND_ALPHA: Final = 0.05
METHOD: Final = (
    "two-way fixed effects DiD (OLS), wild cluster restricted bootstrap by unit "
    "(Webb weights, {draws} draws), interval by test inversion"
)


@dataclass(frozen=True)
class EventPeriod:
    """The treated − comparison difference ``relative_period`` periods from the start,
    relative to the period before it (−1, fixed at 0)."""

    relative_period: int
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class DidEffect:
    """An action's estimated effect; ``estimate`` is None when the data are too few."""

    estimate: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    method: str
    pre_trend_p: float | None
    n_treated: int
    n_control: int
    pre_periods: int
    post_periods: int
    event_study: list[EventPeriod]
    verdict: str  # effect | no_detectable_effect | pre_trend_fails | insufficient_data
    message: str


def did_effect(
    panel: pd.DataFrame,
    treated: Collection[str],
    start: Any,
    *,
    confidence: float = 0.95,
    draws: int = 1999,
    seed: int = 0,
) -> DidEffect:
    """Difference in differences of ``panel`` (columns ``unit``, ``period``, ``value``;
    NaN values are missing cells) for the ``treated`` units from period ``start`` on."""
    data = panel.dropna(subset=["value"])
    data = data.assign(post=data["period"] >= start)
    spans = data.groupby("unit")["post"].agg(["min", "max"])
    usable = spans.index[~spans["min"] & spans["max"]]  # units seen before and after
    data = data[data["unit"].isin(usable)].reset_index(drop=True)
    is_treated = data["unit"].isin(set(treated)).to_numpy()
    n_treated = int(data.loc[is_treated, "unit"].nunique())
    n_control = int(data.loc[~is_treated, "unit"].nunique())
    periods = np.sort(data["period"].unique())
    pre = int((periods < start).sum()) if len(periods) else 0
    post = len(periods) - pre
    short = _too_few(n_treated, n_control, pre, post)
    if short:
        return DidEffect(
            None,
            None,
            None,
            None,
            "",
            None,
            n_treated,
            n_control,
            pre,
            post,
            [],
            "insufficient_data",
            short,
        )
    unit_idx = pd.factorize(data["unit"])[0]
    period_idx = np.searchsorted(periods, data["period"].to_numpy())
    within = _within_transform(unit_idx, period_idx)
    y = within(data["value"].to_numpy(dtype=float)[:, None])[:, 0]
    d = within((is_treated & data["post"].to_numpy()).astype(float)[:, None])[:, 0]
    beta = float(d @ y) / float(d @ d)
    groups = n_treated + n_control
    p, lower, upper = wild_cluster_interval(
        y,
        d,
        unit_idx,
        period_idx,
        correction=groups / (groups - 1),
        confidence=confidence,
        draws=draws,
        seed=seed,
    )
    events, pre_trend_p = _event_study(
        data, is_treated, periods, start, within, unit_idx, period_idx, confidence, draws, seed
    )
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return DidEffect(
            beta,
            None,
            None,
            p,
            METHOD.format(draws=draws),
            pre_trend_p,
            n_treated,
            n_control,
            pre,
            post,
            events,
            "insufficient_data",
            "The interval is unbounded: the data are too few to tell.",
        )
    verdict, message = _verdict(beta, lower, upper, pre_trend_p, n_treated, n_control)
    method = METHOD.format(draws=draws)
    return DidEffect(
        beta,
        lower,
        upper,
        p,
        method,
        pre_trend_p,
        n_treated,
        n_control,
        pre,
        post,
        events,
        verdict,
        message,
    )


def _too_few(n_treated: int, n_control: int, pre: int, post: int) -> str | None:
    if n_treated < MIN_UNITS:
        return (
            f"{n_treated} treated unit(s) with data before and after the start: need {MIN_UNITS}."
        )
    if n_control < MIN_UNITS:
        return f"{n_control} comparison unit(s) with data before and after: need {MIN_UNITS}."
    if pre < MIN_PRE_PERIODS:
        return f"{pre} period(s) before the start: need {MIN_PRE_PERIODS} to test pre-trends."
    if post < 1:
        return "No period after the start yet."
    return None


def _within_transform(unit_idx: npt.NDArray[np.int64], period_idx: npt.NDArray[np.int64]) -> Any:
    """``M``: partial unit and period effects out of each column (alternating projections,
    exact after one sweep on a balanced panel, converging geometrically otherwise)."""
    n_units, n_periods = int(unit_idx.max()) + 1, int(period_idx.max()) + 1
    unit_count = np.bincount(unit_idx, minlength=n_units)[:, None].astype(float)
    period_count = np.bincount(period_idx, minlength=n_periods)[:, None].astype(float)
    balanced = len(unit_idx) == n_units * n_periods

    def demean(values: Array, index: npt.NDArray[np.int64], count: Array) -> Array:
        return np.asarray(values - (group_sums(values, index) / count)[index], dtype=float)

    def within(values: Array) -> Array:
        out = np.asarray(values, dtype=float)
        for _ in range(1 if balanced else 500):
            before = out
            out = demean(demean(out, unit_idx, unit_count), period_idx, period_count)
            if balanced or np.max(np.abs(out - before)) < 1e-10 * (1 + np.max(np.abs(out))):
                break
        return out

    return within


def _event_study(
    data: pd.DataFrame,
    is_treated: npt.NDArray[np.bool_],
    periods: npt.NDArray[Any],
    start: Any,
    within: Any,
    unit_idx: npt.NDArray[np.int64],
    period_idx: npt.NDArray[np.int64],
    confidence: float,
    draws: int,
    seed: int,
) -> tuple[list[EventPeriod], float | None]:
    start_idx = int(np.searchsorted(periods, start))
    relative = np.searchsorted(periods, data["period"].to_numpy()) - start_idx
    offsets = [r for r in range(-start_idx, len(periods) - start_idx) if r != -1]
    design = np.column_stack([(is_treated & (relative == r)).astype(float) for r in offsets])
    y = within(data["value"].to_numpy(dtype=float)[:, None])[:, 0]
    x = within(design)
    fit = cluster_ols(y, x, unit_idx, confidence=confidence)
    events = [
        EventPeriod(r, float(fit.params[i]), float(fit.lower[i]), float(fit.upper[i]))
        for i, r in enumerate(offsets)
        # a month without treated data has no difference
        if np.isfinite(fit.lower[i]) and np.isfinite(fit.upper[i])
    ]
    events.append(EventPeriod(-1, 0.0, 0.0, 0.0))
    events.sort(key=lambda e: e.relative_period)
    leads = [i for i, r in enumerate(offsets) if r < -1]
    p = wild_cluster_wald(y, x, leads, unit_idx, period_idx, draws=draws, seed=seed)
    return events, p


def _verdict(
    beta: float, lower: float, upper: float, pre_p: float | None, n_t: int, n_c: int
) -> tuple[str, str]:
    units = f"{n_t} treated against {n_c} comparison units"
    if pre_p is not None and pre_p < PRE_TREND_ALPHA:
        return "pre_trend_fails", (
            f"The data cannot tell: the treated units were already moving apart from the "
            f"comparison units before the action (pre-trend test p = {pre_p:.3f}), so the "
            f"difference of {beta:+.1f} cannot be credited to it ({units})."
        )
    if lower > 0 or upper < 0:
        return "effect", (
            f"Effect {beta:+.1f} points (95 % interval {lower:+.1f} to {upper:+.1f}), "
            f"{units}; no pre-trend (p = {pre_p:.2f})."
        )
    return "no_detectable_effect", (
        f"No detectable effect: {beta:+.1f} points, interval {lower:+.1f} to {upper:+.1f} "
        f"includes zero ({units})."
    )
