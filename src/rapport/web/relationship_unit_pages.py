"""One unit's relationship page: stage history with probabilities, the evidence, customer-
and employee-side signals side by side, alarms, the honeymoon curve, actions with their
estimated effects, and what to try next (``docs/relationship-health.md``, "Pages").

:func:`rapport.services.relationship_unit.unit_relationship` decides what is shown (and
enforces scope and the anonymity rules through the services it reads); this module draws it.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine, live_engine
from rapport.domain.org import Permission, Principal
from rapport.errors import NotFound
from rapport.exporters import charts, effect_charts, stage_charts, tenure_charts
from rapport.services import relationship_map, relationship_unit, surveys, tenure
from rapport.storage.uow import Database
from rapport.web.kept_pages import KeptPages, asker, page_version
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
LiveDep = Annotated[AnalyticsEngine, Depends(live_engine)]


@router.get("/relationships/unit", response_class=HTMLResponse)
def unit_page(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    live: LiveDep,
    policy: PolicyDep,
    db: DbDep,
    unit: Annotated[str, Query(min_length=1, max_length=1000)],
    survey: Annotated[str | None, Query(max_length=200)] = None,
    period: Annotated[str, Query(pattern="^(month|quarter)$")] = "month",
    effect: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    version = live.data_version()  # before the unit of work's first statement: keeps its reads
    with db.unit_of_work(readonly=True) as uow:
        key = survey or relationship_map.default_survey(
            surveys.list_surveys(uow, principal, version=version)
        )
    if key is None:
        raise NotFound("no survey to read relationships from")
    # Computed once per data version (for this unit, survey, period, effect and asker):
    # about thirty whole-organisation tables are read for it.
    kept: KeptPages[dict[str, Any]] = request.app.state.relationship_units
    slot = ("unit", unit, key, period, effect, asker(principal, policy))
    context = kept.get_or_compute(
        slot,
        page_version(engine),
        lambda: _unit_context(db, engine, principal, policy, unit, key, period, effect, version),
    )
    return render(request, "relationship_unit.html", context)


def _unit_context(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    unit: str,
    key: str,
    period: str,
    effect: int | None,
    version: Hashable | None = None,
) -> dict[str, Any]:
    found = relationship_unit.unit_relationship(
        db, engine, principal, unit, key, policy, period, effect_of=effect, version=version
    )
    history = pd.DataFrame([vars(r) for r in found.history])
    specs: dict[str, str] = {}
    if not history.empty:
        history = history.astype({"probability": float})
        specs["history"] = _spec(stage_charts.stage_history(history))
    if found.tenure is not None:
        bands = tenure.as_frame(found.tenure)
        if (bands["n"] > 0).any():
            fall = found.tenure.fall.band if found.tenure.fall else None
            specs["tenure"] = _spec(
                tenure_charts.tenure_curve(bands, metric="hearts", fall_band=fall)
            )
    estimated = next((a.effect for a in found.actions if a.effect is not None), None)
    if estimated is not None and estimated.effect.event_study:
        events = pd.DataFrame([vars(p) for p in estimated.effect.event_study])
        specs["effect"] = _spec(effect_charts.event_study(events, metric="hearts"))
    sides: dict[str, dict[str, Any]] = {}
    for s in found.signals:
        sides.setdefault(s.name, {"label": s.label})[s.side] = s
    query = urlencode({"survey": found.survey_key, "period": found.period})
    here = "/relationships/unit?" + urlencode(
        {"unit": found.unit, "survey": found.survey_key, "period": found.period}
    )
    return {
        "r": found,
        "sides": sides,
        "extra_signals": _extra_signals(found.current),
        "specs": specs,
        "query": query,
        "here": here,
        "may_log": principal.can(Permission.LOG_ACTIONS),
    }


def _extra_signals(row: object) -> list[Any]:
    """The health row's additive ``signals`` list, when the API gives one (each with name,
    side, value, lower, upper, n, suppressed); an empty list when it does not."""
    extra = getattr(row, "signals", None)
    return list(extra) if extra else []


def _spec(chart: alt.TopLevelMixin) -> str:
    return charts.embed_json(charts.spec(chart))  # validated in the chart tests
