"""Metrics endpoints: ``GET /api/v1/metrics`` and ``/metrics/compare``, ``/metrics/definitions``.

Every figure comes from :func:`rapport.services.metrics.compute`, so employee results are
suppressed exactly as on the pages; hidden rows carry ``suppressed: true`` and a ``reason``
and no values.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, create_model

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics import BUILTIN_METRICS
from rapport.api.deps import DbDep, PrincipalDep, SettingsDep, get_policy
from rapport.api.types import IsoDateTime
from rapport.services import metrics

router = APIRouter(prefix="/api/v1", tags=["metrics"])


class MetricRowOut(BaseModel):
    n: int = Field(description="Respondents behind the figure (shown even when hidden).")
    value: float | None
    lower: float | None
    upper: float | None
    method: str
    sufficiency: str = Field(
        description="no_responses | not_enough_responses | interval_required | enough"
    )
    suppressed: bool
    reason: str | None = Field(
        description="below_threshold | complementary | cross_survey | undecided when suppressed"
    )
    unit_id: int | None = None
    unit_path: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    unit_depth: int | None = None
    period: date | None = None
    period_label: str | None = None
    audience: str | None = None
    attribute: str | None = None
    survey_version: int | None = None
    emotion: str | None = None
    detail: dict[str, float] = Field(default_factory=dict)


class SurveyRef(BaseModel):
    id: int
    key: str
    title: str
    audience: str


class MetricRef(BaseModel):
    name: str
    title: str
    statistic: str
    scale: str
    description: str


class MetricsOut(BaseModel):
    survey: SurveyRef | None
    metric: MetricRef
    by: list[str]
    period: str | None
    attribute: str | None
    engine: str
    confidence: float
    anonymity_threshold: int | None = Field(
        description="Employee groups below this many respondents are hidden."
    )
    rows: list[MetricRowOut]


_WIRE = create_model("MetricsWire", __base__=MetricsOut, rows=(list[metrics.ResultRow], ...))
""":class:`MetricsOut` as sent: its rows are the service's own
(:class:`~rapport.services.metrics.ResultRow`, typed by their builder), written as they are
instead of each validated again into a :class:`MetricRowOut` first — the same JSON
(``survey_version_id`` left out), the schema the documentation shows. At 400 units the
employee unit × month table has 9,200 rows: 0.066 s to validate them and 0.013 s to write
them, against 0.018 s to write the rows as they are."""
_NOT_SENT = {"rows": {"__all__": {"survey_version_id"}}}


class DifferenceOut(BaseModel):
    first: MetricRowOut
    second: MetricRowOut
    estimate: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    significant: bool
    method: str | None
    suppressed: bool
    reason: str | None


def analytics_engine(request: Request) -> AnalyticsEngine:
    """The configured engine (``RAPPORT_ANALYTICS_ENGINE``), built by ``create_app``."""
    engine: AnalyticsEngine = request.app.state.analytics_engine
    return engine


def live_engine(request: Request) -> AnalyticsEngine:
    """The operational database as an analytics engine, built by ``create_app``: pages that
    must count a response the moment it is stored read through it, whatever engine
    ``RAPPORT_ANALYTICS_ENGINE`` names."""
    engine: AnalyticsEngine = request.app.state.live_engine
    return engine


def _split(values: list[str] | None) -> list[str]:
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


@router.get("/metrics", response_model=MetricsOut, summary="A metric, grouped, with intervals")
def get_metrics(
    request: Request,
    principal: PrincipalDep,
    settings: SettingsDep,
    db: DbDep,
    survey: Annotated[
        str | None, Query(description="Survey id or key; none: every survey of the audience.")
    ] = None,
    metric: Annotated[str, Query(description="See /api/v1/metrics/definitions.")] = "nps",
    by: Annotated[
        list[str] | None,
        Query(
            description="unit, period, audience, attribute, "
            "survey_version; repeat or comma-separate"
        ),
    ] = None,
    period: Annotated[str | None, Query(description="week | month | quarter | year")] = None,
    audience: Annotated[str | None, Query(description="customer | employee")] = None,
    attribute: Annotated[str | None, Query(description="Person attribute to group by.")] = None,
    unit: Annotated[str | None, Query(description="Unit code or path: its subtree only.")] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    question: str | None = None,
    item: str | None = None,
    confidence: Annotated[float, Query(gt=0, lt=1)] = 0.95,
    segment: Annotated[
        str | None, Query(description="attribute=value: only respondents in that segment.")
    ] = None,
) -> Response:
    engine = analytics_engine(request)
    ask = metrics.MetricRequest(
        survey=survey,
        metric=metric,
        by=_split(by),
        period=period or None,
        attribute=attribute or None,
        audience=audience or None,
        unit=unit or None,
        since=since,
        until=until,
        question=question or None,
        item=item,
        confidence=confidence,
        segment=segment or None,
    )
    result = metrics.compute(engine, principal, ask, get_policy(request))
    m = result.metric
    fields: dict[str, Any] = {
        "survey": None
        if result.survey is None
        else SurveyRef(
            id=result.survey.id,
            key=result.survey.key,
            title=result.survey.title,
            audience=result.survey.audience,
        ),
        "metric": MetricRef(
            name=m.name,
            title=m.title,
            statistic=m.statistic.value,
            scale=m.scale,
            description=m.description,
        ),
        "by": [d.value for d in result.grouping.by],
        "period": result.grouping.period.value if result.grouping.period else None,
        "attribute": result.grouping.attribute,
        "engine": result.engine,
        "confidence": result.confidence,
        "anonymity_threshold": result.anonymity_threshold,
        "rows": result.rows,
    }
    sent = _WIRE.model_construct(**fields)
    return Response(sent.model_dump_json(exclude=_NOT_SENT), media_type="application/json")


@router.get(
    "/metrics/compare",
    response_model=DifferenceOut,
    summary="Is the difference between two groups significant?",
)
def compare_groups(
    request: Request,
    principal: PrincipalDep,
    settings: SettingsDep,
    db: DbDep,
    survey: Annotated[str, Query(description="Survey id or key.")],
    metric: str = "nps",
    period: Annotated[str | None, Query(description="week | month | quarter | year")] = None,
    attribute: str | None = None,
    unit_a: str | None = None,
    unit_b: str | None = None,
    period_a: Annotated[str | None, Query(description="Period label, e.g. 2026-01")] = None,
    period_b: str | None = None,
    attribute_a: str | None = None,
    attribute_b: str | None = None,
    emotion: str | None = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> DifferenceOut:
    engine = analytics_engine(request)
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    for key, a, b in (
        ("unit", unit_a, unit_b),
        ("period", period_a, period_b),
        ("attribute", attribute_a, attribute_b),
        ("emotion", emotion, emotion),
    ):
        if a:
            first[key] = a
        if b:
            second[key] = b
    ask = metrics.MetricRequest(
        survey=survey, metric=metric, period=period or None, attribute=attribute or None
    )
    found = metrics.compare(engine, principal, ask, first, second, get_policy(request), alpha)
    d = found.difference
    return DifferenceOut(
        first=_row(found.first),
        second=_row(found.second),
        estimate=d.estimate if d else None,
        lower=d.lower if d else None,
        upper=d.upper if d else None,
        p_value=d.p_value if d else None,
        significant=bool(d and d.significant),
        method=d.method if d else None,
        suppressed=found.suppressed,
        reason=found.reason,
    )


@router.get("/metrics/definitions", response_model=list[MetricRef], summary="The metrics available")
def definitions(principal: PrincipalDep) -> list[MetricRef]:
    return [
        MetricRef(
            name=m.name,
            title=m.title,
            statistic=m.statistic.value,
            scale=m.scale,
            description=m.description,
        )
        for m in BUILTIN_METRICS.values()
    ]


def _row(row: metrics.ResultRow) -> MetricRowOut:
    return MetricRowOut(
        n=row.n,
        value=row.value,
        lower=row.lower,
        upper=row.upper,
        method=row.method,
        sufficiency=row.sufficiency,
        suppressed=row.suppressed,
        reason=row.reason,
        unit_id=row.unit_id,
        unit_path=row.unit_path,
        unit_code=row.unit_code,
        unit_name=row.unit_name,
        unit_depth=row.unit_depth,
        period=row.period,
        period_label=row.period_label,
        audience=row.audience,
        attribute=row.attribute,
        survey_version=row.survey_version,
        emotion=row.emotion,
        detail=row.detail,
    )
