"""Relationship health: ``GET /api/v1/relationships`` (stages and decline alarms per unit).

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
from rapport.services import relationships

router = APIRouter(prefix="/api/v1", tags=["relationships"])


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
) -> RelationshipsOut:
    found = relationships.relationship_health(
        analytics_engine(request), principal, survey, get_policy(request), period
    )
    return RelationshipsOut(
        survey=found.survey_key,
        title=found.survey_title,
        audience=found.audience,
        period=found.period,
        engine=found.engine,
        anonymity_threshold=found.anonymity_threshold,
        rows=[HealthRowOut(**vars(r)) for r in found.rows],
    )
