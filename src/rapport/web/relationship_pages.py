"""The relationships page: an organisation map of unit stages over time, the units that
need attention now, with why, and the honeymoon curve of hearts by tenure; and the actions
page beside it: fresh-experience actions, a form to log one and the chosen action's effect
with its event study (``docs/relationship-health.md``).

Every row comes from :func:`rapport.services.relationships.relationship_health` (metrics
through the metrics service: suppression and manager scope included); this module only
draws it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import altair as alt
import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine
from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Principal, Role
from rapport.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from rapport.exporters import charts, effect_charts, stage_charts, tenure_charts
from rapport.exporters.csv_safety import frame_to_csv
from rapport.services import actions, audit, relationship_map, relationships, surveys, tenure
from rapport.services.metric_memo import MetricMemo
from rapport.storage.uow import Database
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.kept_pages import KeptPages, asker, page_version
from rapport.web.pages import PagePrincipal
from rapport.web.relationship_unit_pages import router as unit_router
from rapport.web.templating import format_number, records, render, render_with

router = APIRouter(include_in_schema=False)
router.include_router(unit_router)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
MAP_FORMATS = ("png", "svg", "csv")


@router.get("/relationships", response_class=HTMLResponse)
def relationships_page(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    survey: str | None = None,
    period: Annotated[str, Query(pattern="^(month|quarter)$")] = "month",
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        listed = surveys.list_surveys(uow, principal, counted=False)  # the menu: no counts
    key = _listed_key(listed, survey) or relationship_map.default_survey(listed)
    context: dict[str, Any] = {"surveys": listed, "survey": key, "period": period}
    if key is None:
        return render(request, "relationships.html", {**context, "page": None})
    page = map_page(request.app.state, engine, principal, policy, db, key, period)
    return render_with(request, "relationships.html", {**context, "page": page}, page.parts)


def _listed_key(listed: list[dict[str, Any]], survey: str | None) -> str | None:
    """``survey`` (a key or an id) as the key of the listed survey it names, so the map
    asked for by id and by key is one kept page; as given when no listed survey has it."""
    for s in listed:
        if survey in (str(s["key"]), str(s["id"])):
            return str(s["key"])
    return survey


def map_page(
    state: Any,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    db: Database,
    key: str,
    period: str,
) -> MapPage:
    """The map, its table and the honeymoon curve of survey ``key`` as ``principal`` sees
    them, drawn once per data version for this survey, period and asker (thousands of
    cells at 400 units) and kept in ``state`` (the application's: ``relationship_maps``,
    ``relationship_map_drawings``, ``templates``). The page asks for it, and the warm-up
    for the organisation's own view, which is an administrator's (``kept_pages.asker``)."""
    kept: KeptPages[MapPage] = state.relationship_maps
    slot = ("map", key, period, asker(principal, policy))
    return kept.get_or_compute(
        slot,
        page_version(engine),
        lambda: _map_page(state, engine, principal, policy, db, slot, key, period),
    )


@dataclass(frozen=True)
class MapPage:
    """The map page's title and its drawn sections (attention, map, honeymoon curve) as
    UTF-8 HTML in parts, sent as they are kept (:func:`~rapport.web.templating.render_with`):
    at 400 units the data table's rows are 6 MB, and the part that holds them is the one
    :class:`MapRows` keeps for the next drawing, not a copy."""

    title: str
    parts: tuple[bytes, ...]


def _map_page(
    state: Any,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    db: Database,
    slot: Hashable,
    key: str,
    period: str,
) -> MapPage:
    """Read the map's figures and draw them, unless they are the ones last drawn for
    ``slot``: most commits (a session's last-seen time, a response to another survey)
    change none of them, and drawing is most of the page."""
    memo = MetricMemo()  # one per request: the stages and the honeymoon curve share it
    health = relationships.relationship_health(engine, principal, key, policy, period, memo=memo)
    frame = relationship_map.organisation_map(db, health)
    query = urlencode({"survey": health.survey_key, "period": period})
    link = f"/relationships/unit?{query}&unit="
    curve = _honeymoon_curve(engine, principal, policy, health.survey_key, memo)
    # Everything the sections show follows from these and the slot (who asks: a
    # manager's scope); the attention list, the charts and the counts are drawn from them.
    figures = (
        charts.frame_key(frame),
        repr(curve),
        health.survey_title,
        health.anonymity_threshold,
        period,
        link,
    )
    drawn: KeptPages[MapPage] = state.relationship_map_drawings
    templates: Jinja2Templates = state.templates
    return drawn.get_or_compute(
        slot,
        figures,
        lambda: _draw_map(templates, principal, health, frame, curve, period, query, link, slot),
    )


def _draw_map(
    templates: Jinja2Templates,
    principal: Principal,
    health: relationships.RelationshipHealth,
    frame: pd.DataFrame,
    curve: tenure.TenureCurve | str,
    period: str,
    query: str,
    link: str,
    slot: Hashable,
) -> MapPage:
    spec = None
    if not frame.empty:
        # Validated in tests (tests/unit/exporters/test_stage_charts.py); validating the
        # ~600 inline rows on every request took 0.2 s of the page's 0.5 s.
        spec = _spec(lambda: _map_chart(frame, link))
    context = {
        "period": period,
        **honeymoon(curve, principal),
        "health": health,
        "attention": relationship_map.needs_attention(frame),
        "map_rows": ROWS_MARK,
        "spec_json": SPEC_MARK if spec is not None else None,
        "units": frame["unit"].nunique() if not frame.empty else 0,
        "link": link,
        "query": query,
    }
    # The sections drawn around the two large parts, which are put in their places after:
    # through the template each was copied twice more (a safe string, then escaped), and
    # the text gathered, joined and encoded whole (at 400 units 50 MB of memory at once).
    shell = templates.get_template("relationships_body.html").render(context)
    large: dict[str, bytes] = {ROWS_MARK: MAP_ROWS.html(slot, records(frame))}
    if spec is not None:
        large[SPEC_MARK] = spec.encode()
    return MapPage(health.survey_title, _placed(shell, large))


def _placed(shell: str, large: dict[str, bytes]) -> tuple[bytes, ...]:
    """``shell`` as UTF-8 parts, each mark of ``large`` (met once) its part, as it is.

    >>> _placed("a<!--rapport:map-rows-->b", {ROWS_MARK: b""})
    (b'a', b'', b'b')
    >>> _placed("a", {ROWS_MARK: b"<tr>"})
    Traceback (most recent call last):
    RuntimeError: internal error: the map's sections lost a large part's place
    """
    pieces = _MARKS.split(shell)
    if sorted(p for p in pieces if p in large) != sorted(large):
        raise RuntimeError("internal error: the map's sections lost a large part's place")
    return tuple(large[p] if p in large else p.encode() for p in pieces)


ROWS_MARK: Final = Markup("<!--rapport:map-rows-->")
SPEC_MARK: Final = Markup("<!--rapport:map-spec-->")
_MARKS: Final = re.compile(f"({re.escape(ROWS_MARK)}|{re.escape(SPEC_MARK)})")


class MapRows:
    """The rows of the map's data table as UTF-8 HTML, kept per slot (a survey by period as
    one asker sees it) while the next drawing has them: after a response only the changed
    unit's rows are written again, not the 10,560 rows of 400 units (a template loop over
    them was an eighth of the map's drawing). A slot keeps the rows it drew as one string
    of bytes, the one the page sends, and each row's place in it. Written as the template
    wrote them (``tests/unit/web/test_map_rows.py`` renders that loop and compares)."""

    SLOTS = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: OrderedDict[Hashable, tuple[bytes, dict[tuple[Any, ...], slice]]] = (
            OrderedDict()
        )

    def html(self, slot: Hashable, rows: Sequence[Any]) -> bytes:
        """The table rows of ``rows`` (the map frame's :func:`records`)."""
        with self._lock:
            last, places = self._slots.get(slot, (b"", {}))
        drawn: dict[tuple[Any, ...], slice] = {}
        parts, at = [], 0
        for r in rows:
            shown = (r.unit, r.region, r.period_label, r.stage, r.probability, r.alarm,
                     r.hearts, r.minds, r.n, r.evidence)  # fmt: skip
            key = tuple(None if v != v else v for v in shown)  # NaN: one key, not a new one
            place = places.get(key)
            found = last[place] if place is not None else _map_row(shown).encode()
            drawn[key] = slice(at, at + len(found))
            at += len(found)
            parts.append(found)
        joined = b"".join(parts)
        with self._lock:
            self._slots[slot] = (joined, drawn)
            self._slots.move_to_end(slot)
            while len(self._slots) > self.SLOTS:
                self._slots.popitem(last=False)
        return joined


def _map_row(cells: tuple[Any, ...]) -> str:
    unit, region, period_label, stage, probability, alarm, hearts, minds, n, evidence = cells
    shown = (
        unit,
        region,
        period_label,
        stage,
        "%.2f" % probability if probability == probability else "–",  # noqa: UP031 - as the template's format filter
        "yes" if alarm else "no",
        format_number(hearts, 1) if hearts == hearts else "–",
        format_number(minds, 1) if minds == minds else "–",
        n,
        evidence,
    )
    return "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in shown) + "</tr>"


MAP_ROWS = MapRows()
"""The map pages' table rows (:class:`MapRows`), one per process."""

INLINE = "rows"


def _map_chart(frame: pd.DataFrame, link: str | None) -> alt.TopLevelMixin:
    return stage_charts.stage_map(frame, title="Stage of every unit over time", link=link)


def _spec(build: Callable[[], alt.TopLevelMixin]) -> str:
    """The chart ``build`` makes, as JSON for the page (validated in the chart tests).

    The chart's inline rows are set aside while altair writes the spec and put back
    after: altair walks every value it writes (a protocol check per value), a quarter of
    the map page's CPU for its 9,600 cells. The spec is the same."""
    chart = build()
    data = chart.data
    given = {k: v for k, v in getattr(data, "_kwds", {}).items() if v is not alt.Undefined}
    values = given.get("values")
    if not isinstance(data, alt.Data) or set(given) != {"values"} or not isinstance(values, list):
        return charts.embed_json(charts.spec(chart))
    chart.data = alt.NamedData(name=INLINE)  # built for this call: nothing else holds it
    found = charts.spec(chart)
    found["data"] = {"values": values}
    return charts.embed_json(found)


@router.get("/relationships/map.{fmt}")
def relationships_map_download(
    fmt: str,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    survey: Annotated[str | None, Query(max_length=200)] = None,
    period: Annotated[str, Query(pattern="^(month|quarter)$")] = "month",
) -> Response:
    """The organisation map as PNG or SVG (drawn offline by vl-convert) or its data as
    CSV, like the dashboard's chart downloads; every download is audited."""
    if fmt not in MAP_FORMATS:
        raise NotFound(f"no organisation map as {fmt!r}: expected png, svg or csv")
    with db.unit_of_work(readonly=True) as uow:
        key = survey or relationship_map.default_survey(surveys.list_surveys(uow, principal))
    if key is None:
        raise NotFound("no survey to read relationships from")
    memo = MetricMemo()  # one per request: the stages and the honeymoon curve share it
    health = relationships.relationship_health(engine, principal, key, policy, period, memo=memo)
    frame = relationship_map.organisation_map(db, health)
    with db.unit_of_work() as uow:  # per-unit figures leave Rapport: recorded
        detail = {"format": fmt, "survey": health.survey_key, "period": period, "rows": len(frame)}
        audit.record(uow, principal, AuditAction.CHART_EXPORT, "relationship-map", detail)
    headers = {"Content-Disposition": f'attachment; filename="rapport-relationship-map.{fmt}"'}
    if fmt == "csv":
        table = frame.reindex(columns=list(relationship_map.MAP_COLUMNS))
        return Response(frame_to_csv(table), media_type="text/csv; charset=utf-8", headers=headers)
    if frame.empty:
        raise NotFound("nothing to draw: no unit has responses to this survey")
    chart = _map_chart(frame, None)
    if fmt == "svg":
        return Response(charts.to_svg(chart), media_type="image/svg+xml", headers=headers)
    return Response(charts.to_png(chart), media_type="image/png", headers=headers)


def _honeymoon_curve(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey: str,
    memo: MetricMemo | None = None,
) -> tenure.TenureCurve | str:
    """The honeymoon curve of hearts for what ``principal`` sees (the organisation, or a
    manager's unit), or why there is none (the survey has no hearts items)."""
    try:
        return tenure.tenure_curve(engine, principal, survey, policy, "hearts", memo=memo)
    except ValidationFailed as error:
        return f"No honeymoon curve: {error.detail}."


def honeymoon(curve: tenure.TenureCurve | str, principal: Principal) -> dict[str, Any]:
    """The honeymoon curve's part of the page: its bands, fall, fresher units and chart,
    and whose curve it is (a manager's unit); ``tenure_error`` when there is none."""
    if isinstance(curve, str):
        return {"tenure": None, "tenure_error": curve}
    frame = tenure.as_frame(curve)
    spec = None
    if (frame["n"] > 0).any():
        fall = curve.fall.band if curve.fall else None
        spec = _spec(
            lambda: tenure_charts.tenure_curve(
                frame, metric="hearts", fall_band=fall, title="Hearts by tenure"
            )
        )
    manager = principal.role is Role.MANAGER and principal.unit_path
    scope = principal.unit_path.rsplit("/", 1)[-1] if manager and principal.unit_path else None
    return {"tenure": curve, "tenure_spec": spec, "tenure_scope": scope}


@router.get("/relationships/actions", response_class=HTMLResponse)
def actions_page(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    survey: Annotated[str | None, Query(max_length=200)] = None,
    metric: Annotated[str, Query(pattern="^(hearts|minds|nps)$")] = "hearts",
    action: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """Fresh-experience actions of the units the principal sees, a form to log one, and the
    effect of the chosen action (the newest by default) with its event study."""
    return _actions_page(request, principal, engine, policy, db, survey, metric, action)


@router.post("/relationships/actions", dependencies=[Depends(verify_csrf)])
def log_action_form(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    unit: Annotated[str, Form(max_length=1000)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    started_on: Annotated[str, Form(max_length=20)] = "",
    ended_on: Annotated[str, Form(max_length=20)] = "",
    intended_effect: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        new = actions.NewAction(
            unit,
            title,
            _form_date(started_on, "started_on"),
            description,
            intended_effect,
            _form_date(ended_on, "ended_on") if ended_on.strip() else None,
        )
        with db.unit_of_work() as uow:
            made = actions.log_action(uow, principal, new)
    except (ValidationFailed, PermissionDenied) as exc:
        report: dict[str, object] = {
            "message": exc.detail,
            "errors": [(e.location, e.message) for e in exc.errors],
        }
        return _actions_page(
            request,
            principal,
            engine,
            policy,
            db,
            None,
            "hearts",
            None,
            report=report,
            status=exc.status,
        )
    flash(request, f"Logged “{made.title}” for {made.unit_name}.")
    return RedirectResponse(f"/relationships/actions?action={made.id}", status_code=303)


def _form_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        message = f"expected a date such as 2026-01-01, got {value!r}"
        raise ValidationFailed("the action is not valid", [FieldError(field, message)]) from None


def _actions_page(
    request: Request,
    principal: Principal,
    engine: AnalyticsEngine,
    policy: SuppressionPolicy,
    db: Database,
    survey: str | None,
    metric: str,
    chosen: int | None,
    *,
    report: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        listed = actions.list_actions(uow, principal)
        known = surveys.list_surveys(uow, principal)
        units = [u.code for u in uow.units.all() if principal.sees_unit(u.path)]
    key = survey or relationship_map.default_survey(known)
    selected = next((a for a in listed if a.id == chosen), listed[0] if listed else None)
    found, spec = None, None
    if selected is not None and key is not None:
        found = actions.action_effect(db, engine, principal, selected.id, key, policy, metric)
        events = pd.DataFrame([vars(p) for p in found.effect.event_study])
        if not events.empty:
            chart = effect_charts.event_study(events, metric=metric)
            spec = json.dumps(chart.to_dict()).replace("<", "\\u003c")
    context = {
        "actions": listed,
        "selected": selected,
        "found": found,
        "spec_json": spec,
        "surveys": known,
        "survey": key,
        "metric": metric,
        "units": units,
        "may_log": principal.can(Permission.LOG_ACTIONS),
        "report": report,
    }
    return render(request, "relationship_actions.html", context, status_code=status)
