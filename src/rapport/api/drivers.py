"""Key drivers: ``GET /api/v1/drivers`` (issue 16, items 2–3).

Every figure comes from :func:`rapport.services.drivers.key_drivers`: the principal's scope,
closed periods and the anonymity threshold for employee surveys (which get weights only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rapport.api.deps import PrincipalDep, get_policy
from rapport.api.metrics import SurveyRef, analytics_engine
from rapport.services import drivers

router = APIRouter(prefix="/api/v1", tags=["drivers"])


class DriverOut(BaseModel):
    driver: str = Field(description="Item id (question or question:row) or index name.")
    construct_name: str = Field(  # ``construct`` would shadow BaseModel.construct
        alias="construct", description="hearts | minds | other, from the construct tag"
    )
    weight: float = Field(description="Raw weight: the part of R² the driver accounts for.")
    lower: float = Field(description="Bootstrap interval of the weight (percentile).")
    upper: float
    share: float = Field(description="weight / R²: the driver's share of what is explained.")
    mean: float | None = Field(
        description="Current mean score 0–100 (performance); none for employee surveys."
    )
    mean_lower: float | None
    mean_upper: float | None


class DriversOut(BaseModel):
    survey: SurveyRef
    outcome: str
    method: str
    unit: str | None
    n: int = Field(description="Respondents with the outcome and every driver answered.")
    n_dropped: int = Field(description="Respondents left out for a missing answer.")
    r_squared: float
    confidence: float
    n_boot: int = Field(description="Bootstrap resamples the intervals rest on.")
    anonymity_threshold: int | None
    drivers: list[DriverOut] = Field(description="Ranked by weight, largest first.")


@router.get("/drivers", response_model=DriversOut, summary="Key drivers of an outcome")
def get_drivers(
    request: Request,
    principal: PrincipalDep,
    survey: Annotated[str, Query(description="Survey id or key.")],
    outcome: Annotated[
        str, Query(description="Item id (nps, csat, …) or index (hearts, minds, index:<tag>).")
    ] = "nps",
    drivers_: Annotated[
        str | None,
        Query(
            alias="drivers",
            description="Comma-separated item ids or indices; none: the hearts and minds items.",
        ),
    ] = None,
    method: Annotated[str, Query(description="relative_weights | lmg")] = "relative_weights",
    unit: Annotated[str | None, Query(description="Unit code or path: its subtree only.")] = None,
    confidence: Annotated[float, Query(gt=0, lt=1)] = 0.95,
) -> DriversOut:
    names = [p.strip() for p in (drivers_ or "").split(",") if p.strip()]
    ask = drivers.DriverRequest(
        survey=survey,
        outcome=outcome,
        drivers=names,
        method=method,
        unit=unit or None,
        confidence=confidence,
    )
    found = drivers.key_drivers(analytics_engine(request), principal, ask, get_policy(request))
    s = found.survey
    return DriversOut(
        survey=SurveyRef(id=s.id, key=s.key, title=s.title, audience=s.audience),
        outcome=found.outcome,
        method=found.method,
        unit=found.unit,
        n=found.n,
        n_dropped=found.n_dropped,
        r_squared=found.r_squared,
        confidence=found.confidence,
        n_boot=found.n_boot,
        anonymity_threshold=found.anonymity_threshold,
        drivers=[DriverOut(**vars(row)) for row in found.rows],
    )
