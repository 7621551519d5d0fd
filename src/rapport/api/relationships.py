"""Relationship health: ``GET /api/v1/relationships`` (stages and decline alarms per unit) and
``GET /api/v1/relationships/tenure`` (honeymoon curves, ``services/tenure.py``).

Every figure comes from :func:`rapport.services.relationships.relationship_health`, which
reads hearts, minds and NPS through the metrics service: a manager sees their subtree only,
and a hidden employee group feeds no model and reads ``insufficient_data``.
See ``docs/relationship-health.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rapport.api.deps import PrincipalDep, get_policy
from rapport.api.metrics import analytics_engine
from rapport.services import relationships, tenure

router = APIRouter(prefix="/api/v1", tags=["relationships"])


class SignalOut(BaseModel):
    name: str = Field(
        description="comment.care | comment.delight | comment.annoyance | "
        "comment.disappointment | picked.care | picked.delight | picked.annoyance | "
        "picked.disappointment | picked.taken_for_granted | response_rate | "
        "response_rate_trend | repeat_complaints (docs/relationship-health.md)"
    )
    side: str = Field(description="customer | employee: the audience of the survey read.")
    value: float | None = Field(
        description="% (shares, rates) or points per period (trend); null when hidden/unknown."
    )
    lower: float | None = Field(description="Lower end of the 95 % interval.")
    upper: float | None = Field(description="Upper end of the 95 % interval.")
    n: int = Field(
        description="Comments, answers, invitations or people, complaints; periods (trend)."
    )
    suppressed: bool = Field(description="Hidden: an employee group below the threshold.")
    note: str | None = Field(
        description="Why hidden or unknown, or what a rate is of (invitations or people)."
    )


class HealthRowOut(BaseModel):
    unit: str = Field(description="Unit code.")
    unit_name: str
    period: date = Field(description="First day of the period.")
    period_label: str = Field(description="e.g. 2026-03 or 2026-Q1")
    stage: str = Field(
        description="new | fresh | settled | taken_for_granted | at_risk | insufficient_data"
    )
    probability: float | None = Field(
        description="Probability of the stage (filtered HMM); null for insufficient_data."
    )
    alarm: bool = Field(description="Decline alarm (CUSUM) on hearts or NPS this period.")
    hearts: float | None = Field(description="Hearts index 0–100; null when hidden or absent.")
    minds: float | None = Field(description="Minds index 0–100; null when hidden or absent.")
    n: int = Field(description="Hearts responses behind the period.")
    evidence: str = Field(description="The numbers that put the unit in its stage.")
    signals: list[SignalOut] = Field(
        description="Further signals of the unit and period, both sides (empty with signals=false)."
    )


class RelationshipsOut(BaseModel):
    survey: str
    title: str
    audience: str
    period: str
    engine: str
    anonymity_threshold: int | None = Field(
        description="Employee groups below this many respondents are hidden (and not modelled)."
    )
    rows: list[HealthRowOut]
    counterpart: str | None = Field(
        description="The other side's survey whose signals the rows carry (null: none)."
    )


@router.get(
    "/relationships",
    response_model=RelationshipsOut,
    summary="Relationship stage and decline alarm of every unit, per period",
)
def get_relationships(
    request: Request,
    principal: PrincipalDep,
    survey: Annotated[str, Query(description="Survey id or key.")],
    period: Annotated[str, Query(description="month | quarter")] = "month",
    signals: Annotated[
        bool, Query(description="Add the further signals of both sides to every row.")
    ] = True,
) -> RelationshipsOut:
    found = relationships.relationship_health(
        analytics_engine(request),
        principal,
        survey,
        get_policy(request),
        period,
        signals=signals,
    )
    return RelationshipsOut(
        survey=found.survey_key,
        title=found.survey_title,
        audience=found.audience,
        period=found.period,
        engine=found.engine,
        anonymity_threshold=found.anonymity_threshold,
        rows=[
            HealthRowOut(**{**vars(r), "signals": [SignalOut(**vars(s)) for s in r.signals]})
            for r in found.rows
        ],
        counterpart=found.counterpart,
    )


class TenureBandOut(BaseModel):
    band: str = Field(description="0-3m | 3-12m | 1-3y | 3y+")
    lower_days: int = Field(description="Tenure of the band from this many days (inclusive).")
    upper_days: int | None = Field(description="Up to this many days (exclusive); null: open.")
    estimate: float | None = Field(description="The metric in the band; null when hidden/absent.")
    lower: float | None = Field(description="Lower end of the 95 % interval.")
    upper: float | None = Field(description="Upper end of the 95 % interval.")
    n: int = Field(description="Responses in the band (shown even when hidden).")
    suppressed: bool = Field(description="Hidden: an employee group below the threshold.")


class FallOut(BaseModel):
    band: str = Field(description="The band the curve falls to (the largest significant fall).")
    from_band: str = Field(description="The band before it.")
    difference: float = Field(description="band − from_band (negative).")
    lower: float = Field(description="Bonferroni-adjusted interval of the difference.")
    upper: float
    p_value: float
    p_adjusted: float = Field(description="p × adjacent pairs tested (Bonferroni), at most 1.")
    comparisons: int = Field(description="Adjacent pairs tested.")


class FresherUnitOut(BaseModel):
    unit: str
    unit_name: str
    depth: int = Field(description="Compared with the units of this depth.")
    fall: float = Field(description="The unit's late − early level (bands ≥ 1 y vs < 1 y).")
    organisation_fall: float = Field(description="The organisation's (random-effects mean).")
    difference: float = Field(description="Shrunk (empirical Bayes) fall − organisation's.")
    lower: float = Field(description="95 % interval of the difference: above 0 = fresher.")
    upper: float
    n: int


class TenureOut(BaseModel):
    survey: str
    title: str
    audience: str
    metric: str
    unit: str | None = Field(description="The unit the curve is of; null: the organisation.")
    segment: str | None
    period_label: str | None = Field(
        description="Employee surveys: the closed period the curve is of; null: all responses."
    )
    engine: str
    anonymity_threshold: int | None
    bands: list[TenureBandOut]
    fall: FallOut | None = Field(description="Null when no adjacent pair falls significantly.")
    fresher_units: list[FresherUnitOut]


@router.get(
    "/relationships/tenure",
    response_model=TenureOut,
    summary="Honeymoon curve: a metric by relationship (or job) tenure band",
)
def get_tenure_curve(
    request: Request,
    principal: PrincipalDep,
    survey: Annotated[str, Query(description="Survey id or key.")],
    metric: Annotated[str, Query(description="hearts | minds | nps")] = "hearts",
    unit: Annotated[str | None, Query(description="Unit code or path (default: all).")] = None,
    segment: Annotated[
        str | None,
        Query(description="attribute=value, e.g. segment=premium (customer surveys only)."),
    ] = None,
) -> TenureOut:
    found = tenure.tenure_curve(
        analytics_engine(request),
        principal,
        survey,
        get_policy(request),
        metric,
        unit=unit,
        segment=segment,
    )
    fall = found.fall
    return TenureOut(
        survey=found.survey_key,
        title=found.survey_title,
        audience=found.audience,
        metric=found.metric,
        unit=found.unit,
        segment=found.segment,
        period_label=found.period_label,
        engine=found.engine,
        anonymity_threshold=found.anonymity_threshold,
        bands=[TenureBandOut(**vars(b)) for b in found.bands],
        fall=None if fall is None else FallOut(**_without(vars(fall), "significant")),
        fresher_units=[FresherUnitOut(**vars(f)) for f in found.fresher_units],
    )


def _without(fields: dict[str, object], name: str) -> dict[str, object]:
    return {k: v for k, v in fields.items() if k != name}
