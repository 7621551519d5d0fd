"""Organisation overview dashboard: KPI tiles, heatmap, trends, hearts-vs-minds quadrant.

Every number comes from :func:`rapport.services.metrics.compute` (suppression and manager
scope included). Charts are Vega-Lite specs embedded with the vendored vega-embed; each has
a data table beside it (the accessible and no-JavaScript view) and PNG/SVG/CSV downloads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from rapport.analytics.engines import AnalyticsEngine
from rapport.api.deps import DbDep, SettingsDep
from rapport.api.metrics import analytics_engine
from rapport.domain.audit import AuditAction
from rapport.domain.org import Principal
from rapport.errors import NotFound
from rapport.exporters import charts
from rapport.exporters.csv_safety import frame_to_csv
from rapport.services import audit, metrics, org, surveys
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
KPIS = (("nps", "NPS"), ("hearts", "Hearts"), ("minds", "Minds"))
#: Person attributes offered as segments (customers: segment; employees: role, contract).
SEGMENT_ATTRIBUTES = ("segment", "role", "contract", "tenure_band")
CHARTS = ("heatmap", "trend", "quadrant", "emotions")


@dataclass(frozen=True)
class View:
    survey: dict[str, Any]
    focus: str | None
    period: str
    segment: str | None
    segments: list[str]
    tiles: list[dict[str, Any]]
    heatmap: pd.DataFrame
    trend: pd.DataFrame
    quadrant: pd.DataFrame
    emotions: pd.DataFrame
    threshold: int | None


#: Every survey of one audience together; employee results are only ever shown one survey
#: at a time (docs/confidentiality.md), so only customers have this choice.
AUDIENCE_CHOICES = {
    f"audience:{kind}": {
        "id": None,
        "key": f"audience:{kind}",
        "title": f"All {kind} surveys",
        "audience": kind,
    }
    for kind in ("customer",)
}


def _request(
    survey: dict[str, Any],
    metric: str,
    by: list[str],
    period: str | None,
    unit: str | None,
    segment: str | None = None,
) -> metrics.MetricRequest:
    """A request for the chosen survey, or for every survey of one audience."""
    return metrics.MetricRequest(
        survey=survey["id"],
        metric=metric,
        by=by,
        period=period,
        unit=unit,
        segment=segment,
        audience=survey["audience"],
    )


def segment_options(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: Any,
    survey: dict[str, Any],
    unit: str | None,
) -> list[str]:
    """``attribute=value`` of every segment with shown results in the viewer's scope."""
    options = []
    for name in SEGMENT_ATTRIBUTES:
        request = replace(_request(survey, "responses", [], None, unit), attribute=name)
        for row in metrics.compute(engine, principal, request, policy).rows:
            if row.attribute is not None and row.n > 0 and not row.suppressed:
                options.append(f"{name}={row.attribute}")
    return options


def _rows(result: metrics.MetricResult) -> list[metrics.ResultRow]:
    return [r for r in result.rows if not r.suppressed]


def build_view(
    engine: AnalyticsEngine,
    principal: Principal,
    settings: Any,
    db: Any,
    survey: str | None,
    period: str,
    unit: str | None,
    segment: str | None = None,
) -> View:
    policy = metrics.policy_from_settings(settings)
    with db.unit_of_work() as uow:
        listed = surveys.list_surveys(uow, principal)
    if not listed:
        raise NotFound("No surveys yet: import one with `rapport survey import`.")
    chosen = AUDIENCE_CHOICES.get(survey or "") or next(
        (s for s in listed if survey in (s["key"], str(s["id"]))), listed[0]
    )
    if policy.protects(str(chosen["audience"])):
        period = policy.period  # employee results: closed periods of one grain only
    focus = unit or principal.unit_path
    segments = segment_options(engine, principal, policy, chosen, focus)
    segment = segment or None
    tiles, trend_frames = [], []
    for name, label in KPIS:
        result = metrics.compute(
            engine,
            principal,
            _request(chosen, name, ["period"], period, focus, segment),
            policy,
        )
        rows = [r for r in result.rows if r.period is not None]
        last = rows[-1] if rows else None
        arrow, p_value = None, None
        if len(rows) >= 2 and not rows[-1].suppressed and not rows[-2].suppressed:
            cmp = metrics.compare(
                engine,
                principal,
                _request(chosen, name, [], period, focus, segment),
                {"period": rows[-1].period_label or ""},
                {"period": rows[-2].period_label or ""},
                policy,
            )
            if cmp.difference is not None and cmp.difference.estimate is not None:
                p_value = cmp.difference.p_value
                if cmp.difference.significant:
                    arrow = "up" if cmp.difference.estimate > 0 else "down"
        tiles.append(
            {
                "name": name,
                "label": label,
                "row": last,
                "arrow": arrow,
                "p_value": p_value,
                "previous": rows[-2] if len(rows) >= 2 else None,
            }
        )
        trend_frames.append(
            pd.DataFrame(
                [
                    {
                        "series": label,
                        "period": pd.Timestamp(r.period) if r.period else None,
                        "value": r.value,
                        "lower": r.lower,
                        "upper": r.upper,
                        "n": r.n,
                    }
                    for r in rows
                    if r.value is not None
                ]
            )
        )
    heat: list[dict[str, Any]] = []
    quad: dict[str | None, dict[str, float]] = {}
    for name, label in KPIS:
        result = metrics.compute(
            engine,
            principal,
            _request(chosen, name, ["unit"], None, focus, segment),
            policy,
        )
        depths = [r.unit_depth for r in result.rows if r.unit_depth is not None]
        top = min(depths) if depths else 0
        for r in result.rows:
            if r.unit_depth is None or r.unit_depth > top + 1:
                continue
            heat.append(
                {
                    "unit": r.unit_name,
                    "metric": label,
                    "value": None if r.suppressed else r.value,
                    "n": r.n,
                    "hidden": r.suppressed,
                }
            )
        if name in ("hearts", "minds"):
            leaf_depth = max(depths) if depths else 0
            for r in _rows(result):
                if r.unit_depth == leaf_depth and r.value is not None:
                    quad.setdefault(r.unit_name, {})[name] = r.value
    threshold = result.anonymity_threshold
    quadrant = pd.DataFrame(
        [{"unit": k, **v} for k, v in quad.items() if "hearts" in v and "minds" in v]
    )
    trend = (
        pd.concat([f for f in trend_frames if not f.empty], ignore_index=True)
        if any(not f.empty for f in trend_frames)
        else pd.DataFrame()
    )
    emotions = comment_emotions(engine, principal, policy, chosen, period, focus, segment)
    return View(
        chosen,
        focus,
        period,
        segment,
        segments,
        tiles,
        pd.DataFrame(heat),
        trend,
        quadrant,
        emotions,
        threshold,
    )


def comment_emotions(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: Any,
    survey: dict[str, Any],
    period: str,
    unit: str | None,
    segment: str | None,
) -> pd.DataFrame:
    """Share of comments showing each emotion (neutral left out), per period; hidden
    periods (fewer comments than the comment threshold) are left out."""
    request = _request(survey, "comment_emotions", ["period"], period, unit, segment)
    rows = metrics.compute(engine, principal, request, policy).rows
    return pd.DataFrame(
        [
            {
                "series": r.emotion,
                "period": pd.Timestamp(r.period),
                "value": r.value,
                "lower": r.lower,
                "upper": r.upper,
                "n": r.n,
            }
            for r in rows
            if r.period and r.emotion != "neutral" and not r.suppressed and r.value is not None
        ]
    )


def _chart(view: View, name: str) -> Any:
    if name == "heatmap":
        return charts.heatmap(view.heatmap, title="Units × metrics")
    if name == "trend":
        indices = view.trend[view.trend["series"] != "NPS"] if not view.trend.empty else view.trend
        return charts.trend(
            indices, series="series", title="Hearts and minds over time", y_title="Index (0–100)"
        )
    if name == "emotions":
        return charts.trend(
            view.emotions,
            series="series",
            title="Emotions in comments",
            y_title="% of comments read",
        )
    return charts.quadrant(view.quadrant)


def _frame(view: View, name: str) -> pd.DataFrame:
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
    settings: SettingsDep,
    db: DbDep,
    survey: str | None = None,
    period: Annotated[str, Query(pattern="^(week|month|quarter|year)$")] = "month",
    unit: str | None = None,
    segment: str | None = None,
) -> HTMLResponse:
    view = build_view(engine, principal, settings, db, survey, period, unit, segment)
    with db.unit_of_work() as uow:
        listed = surveys.list_surveys(uow, principal)
        units = org.list_units(uow, principal)
    specs = {}
    for name in CHARTS:
        if not _frame(view, name).empty:
            specs[name] = json.loads(_chart(view, name).to_json())
    query = request.url.query
    return render(
        request,
        "dashboard.html",
        {
            "v": view,
            "surveys": listed,
            "units": units,
            "audiences": AUDIENCE_CHOICES,
            "specs": specs,
            "specs_json": {k: json.dumps(s).replace("<", "\\u003c") for k, s in specs.items()},
            "query": query,
        },
    )


@router.get("/dashboard/chart/{name}.{fmt}")
def dashboard_chart(
    name: str,
    fmt: str,
    principal: PagePrincipal,
    engine: EngineDep,
    settings: SettingsDep,
    db: DbDep,
    survey: str | None = None,
    period: str = "month",
    unit: str | None = None,
    segment: str | None = None,
) -> Response:
    if name not in CHARTS or fmt not in ("png", "svg", "csv"):
        raise NotFound(f"no chart {name}.{fmt}")
    view = build_view(engine, principal, settings, db, survey, period, unit, segment)
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
    if frame.empty:
        raise NotFound("nothing to draw: no visible data")
    chart = _chart(view, name)
    if fmt == "svg":
        return Response(charts.to_svg(chart), media_type="image/svg+xml", headers=headers)
    return Response(charts.to_png(chart), media_type="image/png", headers=headers)
