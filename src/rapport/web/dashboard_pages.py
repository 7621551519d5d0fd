"""Organisation overview dashboard: KPI tiles, heatmap, trends, hearts-vs-minds quadrant.

What the page shows is decided by :mod:`rapport.services.org_dashboard` (every number from
:func:`rapport.services.metrics.compute`, suppression and manager scope included); this
module only draws it. Charts are Vega-Lite specs embedded with the vendored vega-embed; each
has a data table beside it (the accessible and no-JavaScript view) and PNG/SVG/CSV downloads.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine, live_engine
from rapport.domain.audit import AuditAction
from rapport.domain.org import Principal
from rapport.errors import NotFound
from rapport.exporters import charts
from rapport.exporters.csv_safety import frame_to_csv
from rapport.services import audit
from rapport.services.dashboard_frames import has_values
from rapport.services.org_dashboard import AUDIENCE_CHOICES, OrgDashboard
from rapport.services.org_dashboard import organisation_dashboard as build
from rapport.services.versioned_cache import VersionedCache
from rapport.storage.uow import Database
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
LiveDep = Annotated[AnalyticsEngine, Depends(live_engine)]
CHARTS = ("heatmap", "trend", "quadrant", "emotions")


def build_view(
    engine: AnalyticsEngine,
    live: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    db: Database,
    survey: str | None,
    period: str,
    unit: str | None,
    segment: str | None = None,
) -> OrgDashboard:
    """The page's view; ``live`` is the operational database as an engine, whose data
    version, read before the unit of work's first statement, keeps what is read there."""
    version = live.data_version()
    with db.unit_of_work(readonly=True) as uow:
        return build(
            uow,
            engine,
            principal,
            policy,
            survey=survey,
            period=period,
            unit=unit,
            segment=segment,
            version=version,
        )


def _drill(view: OrgDashboard) -> str:
    """The dashboard's own address for a unit: a chart's point links to ``<this>&unit=…``."""
    params = {"survey": view.survey["key"], "period": view.period}
    if view.segment:
        params["segment"] = view.segment
    return "/dashboard?" + urlencode(params) + "&unit="


def _chart(view: OrgDashboard, name: str) -> Any:
    if name == "heatmap":
        return charts.heatmap(view.heatmap, title="Units × metrics", link=_drill(view))
    if name == "trend":
        return charts.trend(
            _indices(view.trend),
            series="series",
            title="Hearts and minds over time",
            y_title="Index (0–100)",
        )
    if name == "emotions":
        return charts.trend(
            view.emotions,
            series="series",
            title="Emotions in comments",
            y_title="% of comments read",
        )
    return charts.quadrant(view.quadrant, link=_drill(view))


def chart_specs(kept: VersionedCache[str], view: OrgDashboard) -> dict[str, str]:
    """Each chart's spec the view has something to draw for, as JSON for the page, drawn
    once per distinct data: a chart is a function of its frame and its links only, so the
    spec is kept under their digest (``kept``: ``app.state.chart_specs``) and a page whose
    figures did not change draws nothing. The page asks, and the warm-up for each survey's
    dashboard (``services/warm_up.py``)."""
    specs = {}
    for name in CHARTS:
        drawn = _indices(view.trend) if name == "trend" else _frame(view, name)
        if has_values(drawn) or (name == "quadrant" and not drawn.empty):
            key = (name, _drill(view), charts.frame_key(drawn))
            specs[name] = kept.get_or_compute(key, partial(_spec_json, view, name))
    return specs


def _spec_json(view: OrgDashboard, name: str) -> str:
    return charts.embed_json(charts.spec(_chart(view, name)))


def _indices(trend: pd.DataFrame) -> pd.DataFrame:
    """The trend chart draws the 0–100 indices (NPS has its own scale and tile)."""
    return trend[trend["series"].isin(("Hearts", "Minds"))] if not trend.empty else trend


def _frame(view: OrgDashboard, name: str) -> pd.DataFrame:
    frames = {
        "heatmap": view.heatmap,
        "trend": view.trend,
        "quadrant": view.quadrant,
        "emotions": view.emotions,
    }
    return frames[name]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    live: LiveDep,
    policy: PolicyDep,
    db: DbDep,
    survey: str | None = None,
    period: Annotated[str, Query(pattern="^(week|month|quarter|year)$")] = "month",
    unit: str | None = None,
    segment: str | None = None,
) -> HTMLResponse:
    view = build_view(engine, live, principal, policy, db, survey, period, unit, segment)
    specs = chart_specs(request.app.state.chart_specs, view)
    query = request.url.query
    return render(
        request,
        "dashboard.html",
        {
            "v": view,
            "surveys": view.surveys,
            "units": view.units,
            "audiences": AUDIENCE_CHOICES,
            "specs": specs,
            "query": query,
        },
    )


@router.get("/dashboard/chart/{name}.{fmt}")
def dashboard_chart(
    name: str,
    fmt: str,
    principal: PagePrincipal,
    engine: EngineDep,
    live: LiveDep,
    policy: PolicyDep,
    db: DbDep,
    survey: str | None = None,
    period: str = "month",
    unit: str | None = None,
    segment: str | None = None,
) -> Response:
    if name not in CHARTS or fmt not in ("png", "svg", "csv"):
        raise NotFound(f"no chart {name}.{fmt}")
    view = build_view(engine, live, principal, policy, db, survey, period, unit, segment)
    frame = _frame(view, name)
    with db.unit_of_work() as uow:  # per-group figures leave Rapport: recorded
        detail = {
            "format": fmt,
            "survey": view.survey["key"],
            "unit": view.focus,
            "segment": view.segment,
            "period": view.period,
            "rows": len(frame),
        }
        audit.record(uow, principal, AuditAction.CHART_EXPORT, name, detail)
    headers = {"Content-Disposition": f'attachment; filename="rapport-{name}.{fmt}"'}
    if fmt == "csv":
        return Response(frame_to_csv(frame), media_type="text/csv; charset=utf-8", headers=headers)
    if frame.empty or (name != "quadrant" and not has_values(frame)):
        raise NotFound("nothing to draw: no visible data")
    chart = _chart(view, name)
    if fmt == "svg":
        return Response(charts.to_svg(chart), media_type="image/svg+xml", headers=headers)
    return Response(charts.to_png(chart), media_type="image/png", headers=headers)
