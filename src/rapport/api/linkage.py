"""Service-profit linkage: ``GET /api/v1/linkage`` (issue 16, item 4).

Every figure comes from :func:`rapport.services.linkage.linkage`: the principal's scope, and
employee cells only as the anonymity policy shows them; ``outcome`` names stored outcomes
(``revenue``) for the customer → outcome paths.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rapport.api.deps import DbDep, PrincipalDep, get_policy
from rapport.api.metrics import SurveyRef, analytics_engine
from rapport.services import linkage

router = APIRouter(prefix="/api/v1", tags=["linkage"])


class PathOut(BaseModel):
    source: str = Field(description="e.g. 'employee hearts' (period t − lag).")
    target: str = Field(description="e.g. 'customer hearts' (period t).")
    level: str = Field(
        description="within (unit and period effects) | pooled (period effects) | between "
        "(unit means)."
    )
    lag: int
    estimate: float | None = Field(
        description="Target points per source point, corrected for sampling error; none when "
        "the data are too few (see note)."
    )
    lower: float | None = Field(description="Interval (Fieller, clustered by unit).")
    upper: float | None
    standardised: float | None = Field(description="SDs of the target per SD of the source.")
    n_units: int
    n_periods: int
    n_cells: int = Field(description="Unit-periods with both measures.")
    p_value: float | None
    naive: float | None = Field(description="The uncorrected OLS slope.")
    naive_lower: float | None
    naive_upper: float | None
    reliability: float | None = Field(
        description="Share of the source's variation (net of the effects) that is not "
        "sampling error; the naive slope is attenuated by it."
    )
    within_r2: float | None
    scale: str = Field(description="points | percent | value: how the estimate reads.")
    note: str | None = Field(description="Why there is no estimate, or a caution.")
    statement: str
    se: float | None = Field(
        None, description="Cluster-robust standard error of the estimate (Wald; the ROI uses it)."
    )


class LinkageOut(BaseModel):
    employee_survey: SurveyRef
    customer_survey: SurveyRef
    lag: int
    period: str
    confidence: float
    anonymity_threshold: int | None
    suppressed_cells: int = Field(
        description="Employee unit-periods withheld for anonymity and left out of the panel."
    )
    statement: str = Field(description="The headline, employee → customer, in plain words.")
    paths: list[PathOut]


@router.get("/linkage", response_model=LinkageOut, summary="Employee → customer linkage")
def get_linkage(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    employee_survey: Annotated[str, Query(description="Employee survey id or key.")],
    customer_survey: Annotated[str, Query(description="Customer survey id or key.")],
    lag: Annotated[int, Query(ge=0, le=linkage.MAX_LAG, description="Periods.")] = 1,
    period: Annotated[str, Query(pattern="^(month|quarter)$")] = "month",
    unit: Annotated[str | None, Query(description="Unit code or path: its subtree only.")] = None,
    confidence: Annotated[float, Query(gt=0, lt=1)] = 0.95,
    outcome: Annotated[
        str | None,
        Query(description="Comma-separated stored outcomes (revenue, …); none: no outcome paths."),
    ] = None,
) -> LinkageOut:
    ask = linkage.LinkageRequest(
        employee_survey,
        customer_survey,
        lag=lag,
        period=period,
        unit=unit or None,
        confidence=confidence,
    )
    names = [n.strip() for n in (outcome or "").split(",") if n.strip()]
    stored = None
    if names:
        with db.unit_of_work(readonly=True) as uow:
            stored = linkage.stored_outcomes(uow, principal, names, period)
    found = linkage.linkage(analytics_engine(request), principal, ask, get_policy(request), stored)
    e, c = found.employee_survey, found.customer_survey
    return LinkageOut(
        employee_survey=SurveyRef(id=e.id, key=e.key, title=e.title, audience=e.audience),
        customer_survey=SurveyRef(id=c.id, key=c.key, title=c.title, audience=c.audience),
        lag=found.lag,
        period=found.period,
        confidence=found.confidence,
        anonymity_threshold=found.anonymity_threshold,
        suppressed_cells=found.suppressed_cells,
        statement=found.statement,
        paths=[PathOut(**vars(p)) for p in found.paths],
    )
