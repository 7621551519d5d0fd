"""The relationships page: an organisation map of unit stages over time and the units that
need attention now, with why (``docs/relationship-health.md``).

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
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine
from rapport.exporters import charts
from rapport.services import relationships, surveys
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
            "health": health,
            "attention": attention(frame),
            "spec_json": spec,
            "units": frame["unit"].nunique() if not frame.empty else 0,
            "link": link,
        },
    )


def _default_survey(listed: list[dict[str, Any]]) -> str | None:
    """The first customer survey (relationships are read from the customer side first)."""
    customer = [s for s in listed if s.get("audience") == "customer"]
    chosen = customer or listed
    return str(chosen[0]["key"]) if chosen else None
