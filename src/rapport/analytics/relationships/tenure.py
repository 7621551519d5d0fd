"""Honeymoon curves: a metric by relationship tenure, where it falls, and who stays fresh longer.

Customers (tenure from ``relationship_start``, "customer since") and employees (job tenure
from the hire date) are grouped into four **tenure bands**, the ``tenure_band`` attribute each
response carries (``services/responses.py``):

========= ============ =====================================================================
band      days         why
========= ============ =====================================================================
0-3m      [0, 90)      the honeymoon: the first quarter of a relationship (Boswell et al.
                       2005 see the job-satisfaction peak in the first months)
3-12m     [90, 365)    the hangover, within the first year
1-3y      [365, 1095)  settled
3y+       [1095, ∞)    long-standing relationships
========= ============ =====================================================================

Three analyses over a frame with one row per band (and unit): ``band``, ``estimate``,
``lower``, ``upper`` (or ``se``) and ``n``, as the metrics engine returns them.

- :func:`tenure_curve` orders the bands and adds their day limits.
- :func:`tenure_fall` tests each pair of adjacent bands (z test of the difference of two
  independent estimates, ``se = √(se₁² + se₂²)``) with a Bonferroni correction over the
  pairs tested, and reports the largest *significant fall* (the band it falls *to*).
- :func:`fresher_units` says which units keep relationships fresh longer than the
  organisation. A unit's **tenure fall** is its late level minus its early level, each the
  plain mean of two bands (``(1-3y + 3y+)/2 − (0-3m + 3-12m)/2``, so a unit's tenure mix
  does not move it). Units' falls are compared with a random-effects model (REML, as in
  :mod:`.consistency`): ``fall_i = μ + u_i + e_i``. The unit's difference from the
  organisation is shrunk by empirical Bayes, ``d_i = B_i (fall_i − μ)`` with
  ``B_i = τ² / (τ² + se_i²)`` and ``var d_i = B_i se_i² + B_i² var μ``; a unit is *fresher*
  when the interval of ``d_i`` lies above 0. With no real difference between units
  (``τ² = 0``) nothing is flagged; a small unit is pulled towards the organisation.

>>> curve = pd.DataFrame({"band": ["3-12m", "0-3m", "1-3y", "3y+"],
...                       "estimate": [63.0, 70.0, 58.0, 57.5], "se": [0.8, 1.0, 0.6, 0.5],
...                       "n": [400, 300, 900, 1500]})
>>> fall = tenure_fall(curve)
>>> fall.band, fall.from_band, round(fall.difference, 1), fall.significant
('3-12m', '0-3m', -7.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE
from rapport.analytics.relationships.consistency import random_effects
from rapport.analytics.relationships.signals import standard_errors


@dataclass(frozen=True)
class TenureBand:
    """One tenure band: responses with ``lower_days ≤ tenure < upper_days`` (None: open)."""

    label: str
    lower_days: int
    upper_days: int | None


TENURE_BANDS: Final = (
    TenureBand("0-3m", 0, 90),
    TenureBand("3-12m", 90, 365),
    TenureBand("1-3y", 365, 3 * 365),
    TenureBand("3y+", 3 * 365, None),
)
BAND_LABELS: Final = tuple(b.label for b in TENURE_BANDS)
EARLY: Final = ("0-3m", "3-12m")
"""The first year: its two bands' mean is a unit's early level."""
LATE: Final = ("1-3y", "3y+")
"""After the first year: its two bands' mean is a unit's late level."""
CURVE_COLUMNS: Final = ("band", "lower_days", "upper_days", "estimate", "lower", "upper", "n")


def band_of(days: int) -> str:
    """The band of a tenure in days.

    >>> band_of(0), band_of(89), band_of(90), band_of(400), band_of(5000)
    ('0-3m', '0-3m', '3-12m', '1-3y', '3y+')
    """
    if days < 0:
        raise ValueError(f"tenure must not be negative, got {days} days")
    return next(b.label for b in TENURE_BANDS if b.upper_days is None or days < b.upper_days)


def _checked(frame: pd.DataFrame, keys: tuple[str, ...] = ()) -> pd.DataFrame:
    needed = ["band", "estimate", "n", *keys]
    missing = [c for c in needed if c not in frame.columns]
    if missing or not ({"se"} <= set(frame.columns) or {"lower", "upper"} <= set(frame.columns)):
        raise ValueError(
            "tenure frame: expected columns " + ", ".join(needed) + " and se (or lower and "
            f"upper); missing {', '.join(missing) or 'se or lower/upper'}"
        )
    unknown = sorted(set(frame["band"].dropna()) - set(BAND_LABELS))
    if unknown:
        raise ValueError(
            f"tenure frame: unknown band {unknown[0]!r} (expected one of {', '.join(BAND_LABELS)})"
        )
    repeated = frame.duplicated([*keys, "band"])
    if repeated.any():
        raise ValueError(
            f"tenure frame: band {frame.loc[repeated, 'band'].iloc[0]!r} appears twice"
            + (f" for one {', '.join(keys)}" if keys else "")
        )
    data = frame.copy()
    data["se"] = standard_errors(data)
    return data


def tenure_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per band in tenure order with :data:`CURVE_COLUMNS` (plus ``se``).

    A band without responses is listed with ``n = 0`` and no estimate, so a curve always has
    the four bands.
    """
    data = _checked(frame)
    limits = pd.DataFrame(
        {
            "band": BAND_LABELS,
            "lower_days": [b.lower_days for b in TENURE_BANDS],
            "upper_days": [b.upper_days for b in TENURE_BANDS],
        }
    )
    kept = [c for c in ("estimate", "lower", "upper", "n", "se") if c in data.columns]
    out = limits.merge(data[["band", *kept]], on="band", how="left")
    for column in ("lower", "upper"):
        if column not in out.columns:
            out[column] = np.nan
    out["n"] = out["n"].fillna(0).astype(int)
    out["upper_days"] = out["upper_days"].astype("Int64")
    return out[[*CURVE_COLUMNS, "se"]]


@dataclass(frozen=True)
class Fall:
    """The largest significant fall between adjacent bands.

    ``band`` is where the curve has fallen *to* (``from_band`` the band before it);
    ``difference`` = band − from_band (negative), with its Bonferroni-adjusted interval
    (confidence ``1 − alpha/comparisons``) and p-values (raw and adjusted).
    """

    band: str
    from_band: str
    difference: float
    lower: float
    upper: float
    p_value: float
    p_adjusted: float
    comparisons: int
    significant: bool


def band_differences(
    frame: pd.DataFrame, *, alpha: float = 0.05, min_n: int = MIN_N_FOR_ESTIMATE
) -> pd.DataFrame:
    """Every adjacent pair of usable bands (estimate, se and ``n ≥ min_n``; a band without
    them is skipped, so the pair spans the gap): ``from_band``, ``band``, ``difference``,
    ``se``, ``lower``, ``upper`` (Bonferroni-adjusted), ``p_value``, ``p_adjusted``,
    ``significant`` (``p_adjusted < alpha``)."""
    curve = tenure_curve(frame)
    usable = curve[curve["estimate"].notna() & curve["se"].notna() & (curve["n"] >= min_n)]
    est, se = usable["estimate"].to_numpy(float), usable["se"].to_numpy(float)
    labels = usable["band"].tolist()
    m = max(len(labels) - 1, 0)
    columns = ["from_band", "band", "difference", "se", "lower", "upper", "p_value"]
    if m == 0:
        return pd.DataFrame(columns=[*columns, "p_adjusted", "significant"])
    difference = est[1:] - est[:-1]
    spread = np.sqrt(se[1:] ** 2 + se[:-1] ** 2)
    p = 2 * stats.norm.sf(np.abs(difference / spread))
    z = float(stats.norm.ppf(1 - alpha / (2 * m)))
    out = pd.DataFrame(
        {
            "from_band": labels[:-1],
            "band": labels[1:],
            "difference": difference,
            "se": spread,
            "lower": difference - z * spread,
            "upper": difference + z * spread,
            "p_value": p,
        }
    )
    out["p_adjusted"] = np.minimum(1.0, out["p_value"] * m)
    out["significant"] = out["p_adjusted"] < alpha
    return out


def tenure_fall(
    frame: pd.DataFrame, *, alpha: float = 0.05, min_n: int = MIN_N_FOR_ESTIMATE
) -> Fall | None:
    """The largest significant fall between adjacent bands, or None when no pair falls
    significantly (family-wise error ``alpha`` over the pairs, Bonferroni)."""
    pairs = band_differences(frame, alpha=alpha, min_n=min_n)
    falls = pairs[pairs["significant"] & (pairs["difference"] < 0)]
    if falls.empty:
        return None
    top = falls.sort_values("difference").to_dict("records")[0]
    return Fall(
        band=str(top["band"]),
        from_band=str(top["from_band"]),
        difference=float(top["difference"]),
        lower=float(top["lower"]),
        upper=float(top["upper"]),
        p_value=float(top["p_value"]),
        p_adjusted=float(top["p_adjusted"]),
        comparisons=len(pairs),
        significant=True,
    )


def unit_falls(
    frame: pd.DataFrame, *, min_n: int = MIN_N_FOR_ESTIMATE, unit: str = "unit"
) -> pd.DataFrame:
    """Each unit's early level, late level and tenure fall (late − early) with its se.

    A unit needs all four bands with an estimate, a standard error and ``n ≥ min_n``.
    """
    data = _checked(frame, (unit,))
    data = data[data["estimate"].notna() & data["se"].notna() & (data["n"] >= min_n)]
    if data.empty:
        return pd.DataFrame(columns=[unit, "early", "late", "fall", "fall_se", "n"])
    bands = list(BAND_LABELS)
    est, se, n = (
        data.pivot(index=unit, columns="band", values=v).reindex(columns=bands)
        for v in ("estimate", "se", "n")
    )
    complete = est.notna().all(axis="columns")
    est, se, n = est.loc[complete], se.loc[complete], n.loc[complete]
    out = pd.DataFrame(index=est.index)
    out["early"] = est[list(EARLY)].mean(axis=1)
    out["late"] = est[list(LATE)].mean(axis=1)
    out["fall"] = out["late"] - out["early"]
    out["fall_se"] = np.sqrt((se**2).sum(axis=1)) / 2
    out["n"] = n.sum(axis=1).astype(int)
    out.index.name = unit
    return out.reset_index()


def fresher_units(
    frame: pd.DataFrame,
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N_FOR_ESTIMATE,
    unit: str = "unit",
) -> pd.DataFrame:
    """Units whose tenure fall is shallower than the organisation's, shrunk (module doc).

    ``frame`` has one row per unit × band. Returns one row per unit with all four bands:
    ``unit``, ``early``, ``late``, ``fall``, ``fall_se``, ``n``, ``organisation_fall`` (μ),
    ``tau``, ``weight`` (B), ``difference`` (shrunk ``d``), ``lower``, ``upper`` and
    ``fresher`` (lower > 0), most fresher first. Fewer than three such units: no row is
    flagged (``weight`` NaN).
    """
    falls = unit_falls(frame, min_n=min_n, unit=unit)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if len(falls) < 3:
        falls["organisation_fall"] = falls["tau"] = falls["weight"] = np.nan
        falls["difference"] = falls["lower"] = falls["upper"] = np.nan
        falls["fresher"] = False
        return falls
    x, se = falls["fall"].to_numpy(float), falls["fall_se"].to_numpy(float)
    fit = random_effects(x, se)
    weight = fit.tau2 / (fit.tau2 + se**2)
    difference = weight * (x - fit.mean)
    spread = np.sqrt(weight * se**2 + weight**2 * fit.mean_se**2)
    falls["organisation_fall"] = fit.mean
    falls["tau"] = np.sqrt(fit.tau2)
    falls["weight"] = weight
    falls["difference"] = difference
    falls["lower"] = difference - z * spread
    falls["upper"] = difference + z * spread
    falls["fresher"] = falls["lower"] > 0
    return falls.sort_values("difference", ascending=False).reset_index(drop=True)
