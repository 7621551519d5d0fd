"""Risk per unit where people are not known: next period's outcome rate from lagged indices.

Anonymous surveys and outcomes kept per unit (``staff_turnover_rate``,
``customer_churn_rate``, a survey's share of detractors) say nothing about a person, but a
unit × period panel of them does say how a unit's rate follows its experience indices.
:func:`fit_unit_risk` fits the rate of period ``t`` on the indices of period ``t − lag``:

    logit E[rate_ut] = α + Σ_k β_k · (x_k,u,t−lag − x̄_k) / per

a binomial GLM on the rates (statsmodels), quasi-likelihood: nothing assumes binomial
variance, because the interval is cluster-robust by unit (Liang & Zeger 1986: any
correlation of a unit's periods and any over-dispersion), with the small-sample factor
G/(G − 1) · (N − 1)/(N − K) and a t reference on G − 1 degrees of freedom (Cameron & Miller
2015). Rates with a known base (a share of ``n`` respondents) are weighted by it.

Each driver ``β_k`` is the change in the log-odds of the rate per ``per`` index points
(``odds_ratio`` = e^β); each unit's **risk** is the predicted rate of the period after its
latest indices, with the interval of the linear predictor transformed to the rate scale.
The indices are means of a few respondents: their sampling error pulls the slopes towards
zero (docs/drivers.md, "Risk per unit"), so a driver is a lower bound of the effect of the
true index; the reliability of each index is reported beside it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from rapport.analytics.estimates import validate_confidence

MIN_UNITS = 10
"""Fewer units than this: no model (a cluster-robust interval needs many clusters)."""
MIN_CELLS_PER_DRIVER = 5
"""Unit-periods needed per coefficient (intercept included)."""

UNIT_DRIVER_COLUMNS = ("driver", "estimate", "lower", "upper", "se", "p_value", "reliability")
UNIT_RISK_COLUMNS = ("unit", "period", "risk", "lower", "upper", "n", "observed", "cells")


@dataclass(frozen=True)
class UnitRiskFit:
    """What :func:`fit_unit_risk` found."""

    target: str
    lag: int
    per: float
    confidence: float
    n_units: int
    n_cells: int
    """Unit-periods in the fit (an outcome rate with the lagged indices beside it)."""
    n_periods: int
    drivers: pd.DataFrame
    """:data:`UNIT_DRIVER_COLUMNS`: log-odds per ``per`` points with the interval, the
    cluster-robust standard error and p-value, and the index's reliability (share of its
    variance that is not sampling error; NaN without sampling variances)."""
    units: pd.DataFrame
    """:data:`UNIT_RISK_COLUMNS`: per unit with indices, the predicted rate of period
    ``period + lag`` and its interval, the respondents behind its latest indices (``n``,
    NaN if not given), its latest observed rate and the unit-periods it gave the fit."""
    base_rate: float
    """The mean observed rate of the fit's unit-periods."""
    notes: tuple[str, ...] = ()


def fit_unit_risk(
    panel: pd.DataFrame,
    target: str,
    drivers: Sequence[str],
    *,
    lag: int = 1,
    weight: str | None = None,
    size: str | None = None,
    per: float = 10.0,
    confidence: float = 0.95,
) -> UnitRiskFit:
    """Fit next-period ``target`` rates (0–1) of a ``unit`` × ``period`` panel on the
    ``drivers`` columns of ``lag`` periods before.

    ``period`` is an integer count (consecutive periods differ by one); a driver column
    ``<name>_var`` holds its cell's sampling variance (for the reliability), ``weight`` the
    column of a rate's base (respondents behind a share) and ``size`` the respondents
    behind the indices. Raises ``ValueError`` naming the column (and row) for rates outside
    0–1, and when fewer than :data:`MIN_UNITS` units or too few unit-periods remain.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> hearts = rng.normal(60, 8, 240)
        >>> rate = expit(-1.5 - 0.04 * (hearts - 60))
        >>> frame = pd.DataFrame({"unit": np.repeat(np.arange(40), 6),
        ...                       "period": np.tile(np.arange(6), 40), "hearts": hearts})
        >>> frame["turnover"] = rng.binomial(50, rate) / 50
        >>> fit = fit_unit_risk(frame, "turnover", ["hearts"], lag=0)
        >>> bool(fit.drivers.loc[0, "upper"] < 0), len(fit.units)
        (True, 40)
    """
    import statsmodels.api as sm  # imported here: ~60 MB a server need not hold

    validate_confidence(confidence, "confidence")
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        raise ValueError(f"lag must be a whole number of periods, 0 or more; got {lag!r}")
    if not drivers:
        raise ValueError("name at least one driver column")
    if not per > 0:
        raise ValueError(f"per must be positive, got {per!r}")
    wanted = ["unit", "period", target, *drivers, *(c for c in (weight, size) if c)]
    missing = [c for c in wanted if c not in panel.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the panel")
    rates = _rates(panel, target)
    inputs = panel[["unit", "period", *drivers]].copy()
    inputs["n"] = panel[size].astype("float64") if size else np.nan
    variances = [f"{d}_var" for d in drivers if f"{d}_var" in panel.columns]
    inputs[variances] = panel[variances]
    inputs = inputs.dropna(subset=list(drivers))
    responses = panel[["unit", "period"]].assign(
        rate=rates, base=panel[weight].astype("float64") if weight else 1.0
    )
    data = responses.dropna().merge(
        inputs.assign(period=inputs["period"] + lag), on=["unit", "period"], how="inner"
    )
    data = data[data["base"] > 0]
    n_units, n_cells = int(data["unit"].nunique()), len(data)
    if n_units < MIN_UNITS:
        raise ValueError(
            f"a unit risk model of {target!r} needs at least {MIN_UNITS} units with a rate "
            f"beside their indices of {lag} period(s) before; found {n_units}"
        )
    needed = MIN_CELLS_PER_DRIVER * (len(drivers) + 1)
    if n_cells < needed:
        raise ValueError(
            f"a unit risk model of {target!r} on {len(drivers)} driver(s) needs at least "
            f"{needed} unit-periods with a rate and lagged indices; found {n_cells}"
        )
    centre = data[list(drivers)].mean()
    result = _fit(data, target, drivers, centre, per, confidence)
    level = 1 - confidence
    bounds = np.asarray(result.conf_int(alpha=level))
    params = np.asarray(result.params)
    table = pd.DataFrame(
        {
            "driver": list(drivers),
            "estimate": params[1:],
            "lower": bounds[1:, 0],
            "upper": bounds[1:, 1],
            "se": np.asarray(result.bse)[1:],
            "p_value": np.asarray(result.pvalues)[1:],
            "reliability": [_reliability(inputs, d) for d in drivers],
        }
    )
    latest = inputs.sort_values("period").groupby("unit").tail(1)
    design = sm.add_constant(
        ((latest[list(drivers)] - centre) / per).to_numpy(np.float64), has_constant="add"
    )
    linear = design @ params
    spread = np.sqrt(np.einsum("ij,jk,ik->i", design, np.asarray(result.cov_params()), design))
    critical = float(stats.t.ppf(1 - level / 2, result.df_resid_inference))
    observed = (
        responses.dropna().sort_values("period").groupby("unit")["rate"].last().rename("observed")
    )
    cells = data.groupby("unit").size().rename("cells")
    units = (
        pd.DataFrame(
            {
                "unit": latest["unit"].to_numpy(),
                "period": latest["period"].to_numpy(),
                "risk": expit(linear),
                "lower": expit(linear - critical * spread),
                "upper": expit(linear + critical * spread),
                "n": latest["n"].to_numpy(),
            }
        )
        .join(observed, on="unit")
        .join(cells, on="unit")
    )
    units["cells"] = units["cells"].fillna(0).astype(int)
    notes = []
    low = table[table["reliability"] < 0.7]
    if len(low):
        notes.append(
            f"{', '.join(low['driver'])}: reliability below 0.7 — the indices are means of few "
            "respondents, so the slopes understate the effect of the true index"
        )
    return UnitRiskFit(
        target=target,
        lag=lag,
        per=per,
        confidence=confidence,
        n_units=n_units,
        n_cells=n_cells,
        n_periods=int(data["period"].nunique()),
        drivers=table.sort_values(["p_value", "driver"], ignore_index=True)[
            list(UNIT_DRIVER_COLUMNS)
        ],
        units=units.sort_values(["risk", "unit"], ascending=[False, True], ignore_index=True)[
            list(UNIT_RISK_COLUMNS)
        ],
        base_rate=float(data["rate"].mean()),
        notes=tuple(notes),
    )


def _rates(panel: pd.DataFrame, target: str) -> pd.Series:
    rates = pd.to_numeric(panel[target], errors="coerce").astype("float64")
    bad = rates.notna() & ~rates.between(0.0, 1.0)
    bad |= rates.isna() & panel[target].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"column {target!r}, row {row}: expected a rate between 0 and 1 "
            f"(a share, not a percentage), got {panel[target].iloc[row]!r}"
        )
    return rates


def _fit(
    data: pd.DataFrame,
    target: str,
    drivers: Sequence[str],
    centre: pd.Series,
    per: float,
    confidence: float,
) -> Any:
    import statsmodels.api as sm  # imported here: ~60 MB a server need not hold
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    x = sm.add_constant(
        ((data[list(drivers)] - centre) / per).to_numpy(np.float64), has_constant="add"
    )
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        raise ValueError(
            f"the drivers {', '.join(drivers)} do not vary independently over the "
            "unit-periods (one is constant or a combination of the others)"
        )
    base = data["base"].to_numpy(np.float64)
    base = base / base.mean()
    rate = data["rate"].to_numpy(np.float64)
    # Successes and failures out of each rate's base (1 without one): binomial trials.
    trials = np.column_stack([rate * base, (1 - rate) * base])
    model = sm.GLM(trials, x, family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            return model.fit(
                cov_type="cluster",
                cov_kwds={"groups": pd.factorize(data["unit"])[0]},
                use_t=True,
            )
        except (ConvergenceWarning, PerfectSeparationWarning, np.linalg.LinAlgError) as error:
            raise ValueError(f"the model of {target!r} did not converge: {error}") from None


def _reliability(inputs: pd.DataFrame, driver: str) -> float:
    """1 − mean sampling variance / observed variance of the index over unit-periods."""
    column = f"{driver}_var"
    if column not in inputs.columns or inputs[column].isna().all():
        return float("nan")
    total = float(inputs[driver].var(ddof=1))
    if not total > 0:
        return float("nan")
    return float(max(0.0, 1.0 - inputs[column].mean() / total))
