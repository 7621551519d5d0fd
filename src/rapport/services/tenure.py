"""Honeymoon curves for a principal: a metric by tenure band, its fall, and fresher units.

Every figure is read through :func:`rapport.services.metrics.compute` grouped by the
``tenure_band`` attribute each response carries (customers: time since
``relationship_start``; employees: job tenure), so permissions, manager scope and the
anonymity rules of employee surveys apply unchanged: a band of a protected survey below the
threshold is hidden (its estimate is never read, so it feeds neither the fall test nor the
fresher-unit rule), and employee figures are those of the latest closed period
(``services/confidentiality.py``). The analytics are
:mod:`rapport.analytics.relationships.tenure` (``docs/relationship-health.md``).

Fresher units are decided over the whole organisation's units of the same depth (stores with
stores, regions with regions), then narrowed to the units the principal may see — as the
stages and alarms of :mod:`rapport.services.relationships` are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.relationships.tenure import (
    BAND_LABELS,
    CURVE_COLUMNS,
    TENURE_BANDS,
    Fall,
    fresher_units,
    tenure_fall,
)
from rapport.analytics.suppression import SuppressionPolicy
from rapport.analytics.suppression.cache import DecisionCache
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import FieldError, ValidationFailed
from rapport.services.metric_memo import MetricMemo
from rapport.services.metrics import MetricRequest, MetricResult, ResultRow, compute

METRICS = ("hearts", "minds", "nps")
FRESHER_COLUMNS = (
    "unit", "unit_name", "depth", "fall", "organisation_fall", "difference", "lower", "upper", "n",
)  # fmt: skip
ATTRIBUTE = "tenure_band"


@dataclass(frozen=True)
class BandRow:
    """One tenure band: its day limits (``upper_days`` None: open) and the metric's
    estimate with its interval; estimate and interval None when hidden or absent."""

    band: str
    lower_days: int
    upper_days: int | None
    estimate: float | None
    lower: float | None
    upper: float | None
    n: int
    suppressed: bool


@dataclass(frozen=True)
class FresherUnit:
    """A unit whose tenure fall (late − early level) is shallower than the organisation's:
    ``difference`` is the shrunk difference of the falls, with its interval."""

    unit: str
    unit_name: str
    depth: int
    fall: float
    organisation_fall: float
    difference: float
    lower: float
    upper: float
    n: int


@dataclass(frozen=True)
class TenureCurve:
    survey_key: str
    survey_title: str
    audience: str
    metric: str
    unit: str | None
    segment: str | None
    period_label: str | None
    engine: str
    anonymity_threshold: int | None
    bands: list[BandRow]
    fall: Fall | None
    fresher_units: list[FresherUnit]


def tenure_curve(
    engine: AnalyticsEngine,
    principal: Principal,
    survey: int | str,
    policy: SuppressionPolicy,
    metric: str = "hearts",
    *,
    unit: str | None = None,
    segment: str | None = None,
    memo: MetricMemo | None = None,
) -> TenureCurve:
    """``metric`` of ``survey`` by tenure band for the organisation, ``unit`` (code or path)
    or the manager's own unit, with the largest significant fall and the fresher units;
    ``memo``: the page's (its catalog reads and tables shared with the page's other parts).

    Raises what :func:`~rapport.services.metrics.compute` raises (PermissionDenied, NotFound,
    ValidationFailed naming the field), and ValidationFailed for another metric.
    """
    chosen = (metric or "").strip().lower()
    if chosen not in METRICS:
        raise ValidationFailed(
            "honeymoon curves are drawn for hearts, minds or NPS",
            [FieldError("metric", f"expected one of {', '.join(METRICS)}, got {metric!r}")],
        )
    if survey is None or str(survey).strip() == "":
        raise ValidationFailed(
            "a honeymoon curve is drawn for one survey",
            [FieldError("survey", "name the survey (its key or id)")],
        )
    memo = memo or MetricMemo()
    request = MetricRequest(
        survey=survey, metric=chosen, attribute=ATTRIBUTE, unit=unit or None, within=segment
    )
    # Fresher units are decided over the whole organisation and shown within the curve's
    # scope; a unit's (or a manager's) curve is a row of the same unit × band table.
    by_unit = replace(request, by=["unit"], unit=None)
    mine = compute(engine, principal, replace(by_unit, unit=unit or None), policy, memo=memo)
    whole = compute(engine, SYSTEM, by_unit, policy, memo=memo)
    if mine.survey is None:
        raise RuntimeError("internal error: expected a survey")
    visible = {r.unit_code for r in mine.rows if r.unit_code is not None}
    fresher = [f for f in _kept_freshness(whole) if f.unit in visible]
    rows = _organisation_rows(mine, principal, unit)
    if rows is None:
        rows = compute(engine, principal, request, policy, memo=memo).rows
    bands = _bands(rows)
    shown = pd.DataFrame([vars(b) for b in bands])
    fall = tenure_fall(shown.astype({"estimate": float, "lower": float, "upper": float}))
    periods = {r.period_label for r in rows if r.period_label}
    return TenureCurve(
        survey_key=mine.survey.key,
        survey_title=mine.survey.title,
        audience=mine.survey.audience,
        metric=chosen,
        unit=unit or None,
        segment=segment or None,
        period_label=min(periods) if len(periods) == 1 else None,
        engine=mine.engine,
        anonymity_threshold=mine.anonymity_threshold,
        bands=bands,
        fall=fall,
        fresher_units=fresher,
    )


def _organisation_rows(
    table: MetricResult, principal: Principal, unit: str | None
) -> list[ResultRow] | None:
    """The curve's bands read off the unit × band table: the rolled-up rows of its top
    unit (the organisation's root, or ``unit``: the table was narrowed to its subtree),
    when no anonymity rule applies (a protected table decides a unit's rows against its
    siblings; a curve is decided on its own) and a manager is not narrowed to their
    part implicitly. None: compute the curve."""
    if table.anonymity_threshold is not None or (principal.role is Role.MANAGER and not unit):
        return None
    depths = [r.unit_depth for r in table.rows if r.unit_depth is not None]
    if not depths:
        return None
    least = min(depths)
    top = [r for r in table.rows if r.unit_depth == least]
    return top if len({r.unit_code for r in top}) == 1 else None


def _bands(rows: list[ResultRow]) -> list[BandRow]:
    """The four bands in tenure order (a band nobody answered in: n = 0, no estimate);
    responses without a recorded tenure (no band) are left out."""
    found = {r.attribute: r for r in rows if r.attribute in BAND_LABELS}
    out = []
    for band in TENURE_BANDS:
        row = found.get(band.label)
        out.append(
            BandRow(
                band=band.label,
                lower_days=band.lower_days,
                upper_days=band.upper_days,
                estimate=None if row is None else row.value,
                lower=None if row is None else row.lower,
                upper=None if row is None else row.upper,
                n=0 if row is None else row.n,
                suppressed=False if row is None else row.suppressed,
            )
        )
    return out


FRESHER = DecisionCache(max_bytes=8 * 1024 * 1024)
"""The fresher units of a whole organisation's unit × band table, by the table's digest (the
rows it shows): every unit's page asks for the same table (0.08 s at 400 units)."""


def _kept_freshness(whole: MetricResult) -> list[FresherUnit]:
    if whole.digest is None:
        return unit_freshness(whole.rows)
    kept: list[FresherUnit] | None = FRESHER.get(whole.digest)
    if kept is None:
        kept = unit_freshness(whole.rows)
        FRESHER.put(whole.digest, kept, entries=len(kept))
    return kept


def unit_freshness(rows: list[ResultRow]) -> list[FresherUnit]:
    """The fresher units among metric rows grouped by unit and tenure band, units compared
    with the units of their own depth; hidden cells are missing (never read)."""
    records = [
        (r.unit_code, r.unit_name or r.unit_code, r.unit_depth or 0, r.attribute,
         np.nan if r.value is None or r.suppressed else r.value,
         np.nan if r.lower is None or r.suppressed else r.lower,
         np.nan if r.upper is None or r.suppressed else r.upper, r.n)
        for r in rows
        if r.unit_code is not None and r.attribute in BAND_LABELS
    ]  # fmt: skip
    columns = ["unit", "unit_name", "depth", "band", "estimate", "lower", "upper", "n"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    if frame.empty:
        return []
    frame = frame.astype({"estimate": float, "lower": float, "upper": float})
    names = dict(zip(frame["unit"], frame["unit_name"], strict=True))
    found = []
    for depth, part in frame.groupby("depth"):
        decided = fresher_units(part.drop(columns=["unit_name", "depth"]))
        for row in decided[decided["fresher"]].to_dict("records"):
            found.append(
                FresherUnit(
                    unit=str(row["unit"]),
                    unit_name=str(names[row["unit"]]),
                    depth=int(str(depth)),
                    fall=float(row["fall"]),
                    organisation_fall=float(row["organisation_fall"]),
                    difference=float(row["difference"]),
                    lower=float(row["lower"]),
                    upper=float(row["upper"]),
                    n=int(row["n"]),
                )
            )
    return sorted(found, key=lambda f: (f.depth, -f.difference))


def as_frame(result: TenureCurve) -> pd.DataFrame:
    """The bands as a DataFrame with the curve's columns (``band``, ``lower_days``,
    ``upper_days``, ``estimate``, ``lower``, ``upper``, ``n``) plus ``suppressed``."""
    frame = pd.DataFrame([vars(b) for b in result.bands], columns=[*CURVE_COLUMNS, "suppressed"])
    frame["upper_days"] = frame["upper_days"].astype("Int64")
    return frame.astype({"estimate": float, "lower": float, "upper": float, "n": int})
