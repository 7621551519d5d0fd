"""The relationships page: an organisation map of unit stages over time, the units that
need attention now, with why, and the honeymoon curve of hearts by tenure
(``docs/relationship-health.md``).

Every row comes from :func:`rapport.services.relationships.relationship_health` (metrics
through the metrics service: suppression and manager scope included); this module only
draws it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine
from rapport.domain.org import Principal, Role
from rapport.errors import ValidationFailed
from rapport.exporters import charts, tenure_charts
from rapport.services import relationships, surveys, tenure
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
DECLINE = ("taken_for_granted", "at_risk")
SEVERITY = {"at_risk": 0, "taken_for_granted": 1}


def attention(frame: pd.DataFrame) -> pd.DataFrame:
    """Each unit's latest period when it is alarmed or staged down: most severe first."""
    if frame.empty:
        return frame
    latest = frame.sort_values("period").groupby("unit").tail(1)
    needs = latest[latest["alarm"] | latest["stage"].isin(DECLINE)].copy()
    needs["severity"] = [SEVERITY.get(s, 2) - (3 if a else 0) for s, a in
                         zip(needs["stage"], needs["alarm"], strict=True)]  # fmt: skip
    return needs.sort_values(["severity", "hearts"], na_position="last").drop(columns="severity")


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
        listed = surveys.list_surveys(uow, principal)
    key = survey or _default_survey(listed)
    context: dict[str, Any] = {"surveys": listed, "survey": key, "period": period}
    if key is None:
        return render(request, "relationships.html", {**context, "health": None})
    health = relationships.relationship_health(engine, principal, key, policy, period)
    frame = relationships.as_frame(health.rows)
    link = "/dashboard?" + urlencode({"survey": health.survey_key, "period": period}) + "&unit="
    spec = None
    if not frame.empty:
        chart = charts.stage_map(frame, title="Stage of every unit over time", link=link)
        # Validated in tests (tests/unit/exporters/test_charts.py); validating the ~600
        # inline rows on every request took 0.2 s of the page's 0.5 s.
        spec = json.dumps(chart.to_dict(validate=False)).replace("<", "\\u003c")
    return render(
        request,
        "relationships.html",
        {
            **context,
            **honeymoon(engine, principal, policy, health.survey_key),
            "health": health,
            "attention": attention(frame),
            "spec_json": spec,
            "units": frame["unit"].nunique() if not frame.empty else 0,
            "link": link,
        },
    )


def honeymoon(
    engine: AnalyticsEngine, principal: Principal, policy: SuppressionPolicy, survey: str
) -> dict[str, Any]:
    """The honeymoon curve of hearts for what ``principal`` sees (the organisation, or a
    manager's unit): its bands, fall, fresher units and chart; ``tenure_error`` when the
    survey has no hearts items to draw it from."""
    try:
        found = tenure.tenure_curve(engine, principal, survey, policy, "hearts")
    except ValidationFailed as error:
        return {"tenure": None, "tenure_error": f"No honeymoon curve: {error.detail}."}
    frame = tenure.as_frame(found)
    spec = None
    if (frame["n"] > 0).any():
        fall = found.fall.band if found.fall else None
        chart = tenure_charts.tenure_curve(
            frame, metric="hearts", fall_band=fall, title="Hearts by tenure"
        )
        spec = json.dumps(chart.to_dict(validate=False)).replace("<", "\\u003c")  # tested
    manager = principal.role is Role.MANAGER and principal.unit_path
    scope = principal.unit_path.rsplit("/", 1)[-1] if manager and principal.unit_path else None
    return {"tenure": found, "tenure_spec": spec, "tenure_scope": scope}


def _default_survey(listed: list[dict[str, Any]]) -> str | None:
    """The first customer survey (relationships are read from the customer side first)."""
    customer = [s for s in listed if s.get("audience") == "customer"]
    chosen = customer or listed
    return str(chosen[0]["key"]) if chosen else None
