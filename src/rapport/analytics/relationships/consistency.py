"""Consistency across the business: how much units truly differ, shrunk unit results, outliers.

Each unit's result ``x_i`` (its estimate for one signal and period) has a known sampling
error ``se_i``. The random-effects model ``x_i = μ + u_i + e_i``, ``u_i ~ N(0, τ²)``,
``e_i ~ N(0, se_i²)`` separates real differences between units (``τ``, index points) from
noise:

- ``tau`` by REML (the fixed-point iteration of Viechtbauer 2005, started at the
  DerSimonian–Laird moment estimate, which ``method="dl"`` returns as is);
- ``reliability = τ² / (τ² + s²)`` with ``s²`` the typical sampling variance of Higgins &
  Thompson (2002) — with the DL ``τ²`` this is their I²: the share of the observed spread of
  unit results that is real difference; ``consistency = 1 − reliability`` is the share that
  is noise. 1 means the units are as alike as their samples can tell; near 0, most of the
  spread is real. ``tau`` says how large the real differences are in points;
- empirical-Bayes unit estimates ``μ + B_i (x_i − μ)``, ``B_i = τ² / (τ² + se_i²)``, with
  variance ``B_i se_i² + (1 − B_i)² var(μ)`` (Morris 1983): a small unit is pulled towards
  the mean, so it is not flagged on noise;
- outliers by the leave-one-out standardised residual ``(x_i − μ₍₋ᵢ₎) / sqrt(τ²₍₋ᵢ₎ + se_i²
  + var μ₍₋ᵢ₎)`` (metafor's ``rstudent``): how surprising the unit is for a business whose
  units differ by ``τ``; flagged beyond the Bonferroni limit over the units compared.

>>> est = consistency_index(pd.DataFrame({"unit": list("abcd"), "estimate": [50.0, 60, 55, 65],
...                                       "se": [2.0, 2, 2, 2]}))
>>> round(float(est["tau"].iloc[0]), 3), round(float(est["consistency"].iloc[0]), 3)
(6.137, 0.096)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE
from rapport.analytics.relationships.signals import standard_errors

Array = npt.NDArray[np.float64]
Method = Literal["reml", "dl"]
ORGANISATION: Final = "organisation"
"""The ``group`` label of the whole organisation's row."""


@dataclass(frozen=True)
class RandomEffects:
    """A random-effects fit of unit results: mean, between-unit variance and heterogeneity."""

    units: int
    mean: float
    mean_se: float
    tau2: float
    q: float
    q_p_value: float
    typical_variance: float

    @property
    def reliability(self) -> float:
        total = self.tau2 + self.typical_variance
        return self.tau2 / total if total > 0 else 0.0


def dersimonian_laird(x: Array, se: Array) -> float:
    """The moment estimate of the between-unit variance τ² (floored at 0)."""
    w = 1.0 / se**2
    mean = float((w * x).sum() / w.sum())
    q = float((w * (x - mean) ** 2).sum())
    c = float(w.sum() - (w**2).sum() / w.sum())
    return max(0.0, (q - (len(x) - 1)) / c) if c > 0 else 0.0


def reml_tau2(x: Array, se: Array, tolerance: float = 1e-10, max_iter: int = 500) -> float:
    """The REML estimate of τ² by fixed-point iteration from the DL estimate."""
    tau2 = dersimonian_laird(x, se)
    for _ in range(max_iter):
        w = 1.0 / (se**2 + tau2)
        mean = (w * x).sum() / w.sum()
        updated = float(((w**2) * ((x - mean) ** 2 - se**2)).sum() / (w**2).sum() + 1 / w.sum())
        updated = max(0.0, updated)
        if abs(updated - tau2) < tolerance * (1 + tau2):
            return updated
        tau2 = updated
    return tau2


def random_effects(x: Array, se: Array, method: Method = "reml") -> RandomEffects:
    """Fit the random-effects model to unit results ``x`` with standard errors ``se``.

    >>> fit = random_effects(np.array([1.0, 2, 5, 3, 0]), np.sqrt([1.0, .5, 2, 1, .3]), "dl")
    >>> round(fit.tau2, 4), round(fit.mean, 4)
    (2.2121, 1.9484)
    """
    if len(x) < 2:
        raise ValueError(f"random effects need at least 2 units with results (got {len(x)})")
    tau2 = reml_tau2(x, se) if method == "reml" else dersimonian_laird(x, se)
    w_fixed = 1.0 / se**2
    fixed_mean = (w_fixed * x).sum() / w_fixed.sum()
    q = float((w_fixed * (x - fixed_mean) ** 2).sum())
    df = len(x) - 1
    typical = df * w_fixed.sum() / (w_fixed.sum() ** 2 - (w_fixed**2).sum())
    w = 1.0 / (se**2 + tau2)
    return RandomEffects(
        units=len(x),
        mean=float((w * x).sum() / w.sum()),
        mean_se=float(np.sqrt(1.0 / w.sum())),
        tau2=tau2,
        q=q,
        q_p_value=float(stats.chi2.sf(q, df)),
        typical_variance=float(typical),
    )


def _usable(frame: pd.DataFrame, min_n: int, confidence: float) -> pd.DataFrame:
    missing = [c for c in ("unit", "estimate") if c not in frame.columns]
    if missing or not ({"se"} <= set(frame.columns) or {"lower", "upper"} <= set(frame.columns)):
        raise ValueError(
            "consistency frame: expected columns unit, estimate and se (or lower and upper)"
            f"[, n, region]; missing {', '.join(missing) or 'se or lower/upper'}"
        )
    repeated = frame["unit"].duplicated()
    if repeated.any():
        raise ValueError(
            f"consistency frame: unit {frame.loc[repeated, 'unit'].iloc[0]!r} appears twice "
            "(expected one row per unit: select one signal and period first)"
        )
    data = frame.copy()
    data["se"] = standard_errors(data, confidence)
    keep = data["estimate"].notna() & data["se"].notna()
    if "n" in data.columns:
        keep &= data["n"] >= min_n
    return data[keep]


def _groups(data: pd.DataFrame, by: str | None) -> list[tuple[str, pd.DataFrame]]:
    groups = [(ORGANISATION, data)]
    if by is not None:
        if by not in data.columns:
            raise ValueError(f"consistency frame: no column {by!r} to group units by")
        groups += [(str(g), part) for g, part in data.groupby(by, sort=True)]
    return groups


def consistency_index(
    frame: pd.DataFrame,
    by: str | None = None,
    *,
    method: Method = "reml",
    min_n: int = MIN_N_FOR_ESTIMATE,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The consistency of unit results for the organisation and each group (``by``: a column
    such as ``region``).

    ``frame`` has one row per unit: ``unit``, ``estimate`` and ``se`` (or ``lower``/``upper``),
    optionally ``n`` (rows below ``min_n`` are left out). Returns one row per group:
    ``group``, ``units``, ``mean``, ``mean_se``, ``tau``, ``typical_se``, ``reliability``,
    ``consistency``, ``q``, ``q_p_value``. A group with fewer than two usable units has NaN
    figures.
    """
    data = _usable(frame, min_n, confidence)
    rows = []
    for group, part in _groups(data, by):
        row: dict[str, object] = {"group": group, "units": len(part)}
        if len(part) >= 2:
            fit = random_effects(
                part["estimate"].to_numpy(float), part["se"].to_numpy(float), method
            )
            row |= {
                "mean": fit.mean,
                "mean_se": fit.mean_se,
                "tau": np.sqrt(fit.tau2),
                "typical_se": np.sqrt(fit.typical_variance),
                "reliability": fit.reliability,
                "consistency": 1 - fit.reliability,
                "q": fit.q,
                "q_p_value": fit.q_p_value,
            }
        rows.append(row)
    columns = ["group", "units", "mean", "mean_se", "tau", "typical_se", "reliability"]
    return pd.DataFrame(rows).reindex(columns=[*columns, "consistency", "q", "q_p_value"])


def shrunk_estimates(
    frame: pd.DataFrame,
    by: str | None = None,
    *,
    method: Method = "reml",
    min_n: int = MIN_N_FOR_ESTIMATE,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Empirical-Bayes unit estimates and a ranked list of outlier units.

    Units are shrunk towards, and compared with, their own group (``by``) or the whole
    organisation. Returns the usable rows of ``frame`` with ``group``, ``se``, ``shrunk``,
    ``shrunk_se``, ``shrunk_lower``, ``shrunk_upper`` (interval at ``confidence``),
    ``weight`` (``B_i``: 1 = own result kept, 0 = the group mean), ``group_mean``,
    ``residual_z`` (leave-one-out standardised residual), ``outlier`` (|z| beyond the
    Bonferroni limit at ``alpha`` over the group's units) and ``rank`` (1 = most unusual),
    sorted by rank within each group.
    """
    data = _usable(frame, min_n, confidence)
    z_interval = float(stats.norm.ppf(0.5 + confidence / 2))
    groups = _groups(data, by)
    parts = []
    for group, part in groups[1:] if by is not None else groups:
        out = part.copy()
        out["group"] = group
        x, se = out["estimate"].to_numpy(float), out["se"].to_numpy(float)
        if len(out) < 3:
            out["weight"] = out["shrunk_se"] = out["group_mean"] = np.nan
            out["shrunk"] = x
            out["residual_z"] = np.nan
        else:
            fit = random_effects(x, se, method)
            weight = fit.tau2 / (fit.tau2 + se**2)
            out["weight"] = weight
            out["group_mean"] = fit.mean
            out["shrunk"] = fit.mean + weight * (x - fit.mean)
            out["shrunk_se"] = np.sqrt(weight * se**2 + (1 - weight) ** 2 * fit.mean_se**2)
            out["residual_z"] = _leave_one_out_z(x, se, method)
        out["shrunk_lower"] = out["shrunk"] - z_interval * out["shrunk_se"]
        out["shrunk_upper"] = out["shrunk"] + z_interval * out["shrunk_se"]
        limit = float(stats.norm.ppf(1 - alpha / (2 * max(len(out), 1))))
        out["outlier"] = out["residual_z"].abs() > limit
        out["rank"] = out["residual_z"].abs().rank(ascending=False, method="first")
        parts.append(out.sort_values("rank"))
    return pd.concat(parts, ignore_index=True)


def outlier_units(
    frame: pd.DataFrame,
    by: str | None = None,
    *,
    method: Method = "reml",
    min_n: int = MIN_N_FOR_ESTIMATE,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """The flagged outliers of :func:`shrunk_estimates`, most unusual first (any group)."""
    shrunk = shrunk_estimates(frame, by, method=method, min_n=min_n, alpha=alpha)
    return (
        shrunk[shrunk["outlier"]]
        .sort_values("residual_z", key=lambda z: -z.abs())
        .reset_index(drop=True)
    )


def _leave_one_out_z(x: Array, se: Array, method: Method) -> Array:
    z = np.empty(len(x))
    for i in range(len(x)):
        others = np.arange(len(x)) != i
        fit = random_effects(x[others], se[others], method)
        z[i] = (x[i] - fit.mean) / np.sqrt(fit.tau2 + se[i] ** 2 + fit.mean_se**2)
    return z
