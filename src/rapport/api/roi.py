"""The ROI simulator: ``GET /api/v1/roi`` (query) and ``POST /api/v1/roi`` (JSON body),
issue 16 item 6.

Every figure comes from :func:`rapport.services.roi.simulate`: the linkage of the principal's
units (employee cells only as the anonymity policy shows them), the chosen units' stored
revenue, the costs the caller enters.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rapport.api.deps import DbDep, PrincipalDep, get_policy
from rapport.api.metrics import analytics_engine
from rapport.services import linkage
from rapport.services import roi as service

router = APIRouter(prefix="/api/v1", tags=["linkage"])


class RoiIn(BaseModel):
    employee_survey: str = Field(max_length=200, description="Employee survey id or key.")
    customer_survey: str = Field(max_length=200, description="Customer survey id or key.")
    rise: float = Field(5.0, ge=-100, le=100, description="Points the lever index rises.")
    lever: str = Field(
        "employee", pattern="^(employee|customer)$", description="employee or customer hearts."
    )
    horizon: int = Field(12, ge=1, le=120, description="Periods counted.")
    one_off_cost: float = Field(0.0, ge=0, le=1e15)
    per_period_cost: float = Field(0.0, ge=0, le=1e15)
    margin: float = Field(1.0, gt=0, le=1, description="Share of revenue that is profit.")
    units: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Unit codes or paths whose subtrees invest; empty: all you see.",
    )
    revenue: float | None = Field(
        None, ge=0, le=1e15, description="Their revenue per period; none: stored outcomes."
    )
    lag: int = Field(1, ge=0, le=linkage.MAX_LAG)
    period: str = Field("month", pattern="^(month|quarter)$")
    confidence: float = Field(0.95, gt=0, lt=1)


class FigureOut(BaseModel):
    value: float | None
    lower: float | None
    upper: float | None


class PathUsedOut(BaseModel):
    name: str
    level: str = Field(description="within, or pooled when within has no estimate.")
    estimate: float | None
    lower: float | None
    upper: float | None
    se: float | None
    n_units: int
    note: str | None


class RoiOut(BaseModel):
    estimable: bool = Field(description="False when a path has no estimate (see note).")
    note: str | None
    statement: str
    units: list[str]
    revenue: float = Field(description="The units' revenue per period the ROI starts from.")
    revenue_source: str
    cost: float
    confidence: float
    customer_rise: FigureOut = Field(description="Customer hearts points.")
    revenue_pct: FigureOut = Field(description="% per period once it lasts.")
    revenue_change: FigureOut = Field(description="Over the horizon.")
    benefit: FigureOut = Field(description="Revenue change × margin.")
    roi: FigureOut = Field(description="(benefit − cost) / cost: 0.25 is 25 %.")
    payback: FigureOut = Field(description="Periods; value null: never.")
    churn_change: FigureOut | None = Field(description="Churn per period, as stored.")
    probability_positive: float | None = Field(description="P(ROI > 0), by simulation.")
    delta_lower: float | None = Field(description="Delta-method ROI interval.")
    delta_upper: float | None
    method: str
    paths: list[PathUsedOut]
    notes: list[str]


METHOD = (
    "parametric simulation from the fitted paths (t draws, independent paths); "
    "delta method beside it (docs/linkage.md, ROI)"
)


def _figure(figure: object) -> FigureOut | None:
    if figure is None:
        return None
    return FigureOut(**vars(figure))


def _out(found: service.RoiOutcome) -> RoiOut:
    r = found.result
    return RoiOut(
        estimable=r.estimable,
        note=r.note,
        statement=found.statement,
        units=found.units,
        revenue=found.revenue,
        revenue_source=found.revenue_source,
        cost=r.cost,
        confidence=r.confidence,
        customer_rise=FigureOut(**vars(r.customer_rise)),
        revenue_pct=FigureOut(**vars(r.revenue_pct)),
        revenue_change=FigureOut(**vars(r.revenue_change)),
        benefit=FigureOut(**vars(r.benefit)),
        roi=FigureOut(**vars(r.roi)),
        payback=FigureOut(**vars(r.payback)),
        churn_change=_figure(r.churn_change),
        probability_positive=r.probability_positive,
        delta_lower=r.delta_lower,
        delta_upper=r.delta_upper,
        method=METHOD,
        paths=[PathUsedOut(**vars(p)) for p in found.paths],
        notes=found.notes,
    )


def _run(request: Request, principal: PrincipalDep, db: DbDep, body: RoiIn) -> RoiOut:
    ask = service.RoiRequest(
        body.employee_survey,
        body.customer_survey,
        rise=body.rise,
        horizon=body.horizon,
        one_off_cost=body.one_off_cost,
        per_period_cost=body.per_period_cost,
        units=tuple(body.units),
        lever=body.lever,
        margin=body.margin,
        lag=body.lag,
        period=body.period,
        revenue=body.revenue,
        confidence=body.confidence,
    )
    with db.unit_of_work(readonly=True) as uow:
        found = service.simulate(
            analytics_engine(request), uow, principal, ask, get_policy(request)
        )
    return _out(found)


@router.post("/roi", response_model=RoiOut, summary="ROI of raising experience")
def post_roi(request: Request, principal: PrincipalDep, db: DbDep, body: RoiIn) -> RoiOut:
    """Revenue, churn, ROI and payback, with intervals, of some units raising their
    employee (or customer hearts) index, from the fitted linkage paths."""
    return _run(request, principal, db, body)


@router.get("/roi", response_model=RoiOut, summary="ROI of raising experience (query)")
def get_roi(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    query: Annotated[RoiIn, Query()],
) -> RoiOut:
    """The same as ``POST /api/v1/roi`` with the fields as query parameters (``units``
    repeated)."""
    return _run(request, principal, db, query)
