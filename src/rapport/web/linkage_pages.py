"""The linkage page: employee → customer paths, a path diagram, effects and the statement.

Every figure comes from :func:`rapport.services.linkage.linkage` (scope and the anonymity
policy for the employee side); this module only draws it, with a table beside the chart
(the accessible and no-JavaScript view).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from rapport.analytics.engines import AnalyticsEngine
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine
from rapport.errors import Confidential, NotFound, ValidationFailed
from rapport.exporters import linkage_charts
from rapport.services import linkage, surveys
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
PAGE_OUTCOMES = ("revenue",)
"""Stored outcomes the page links customer hearts to, when there are any."""


@router.get("/linkage", response_class=HTMLResponse)
def linkage_page(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    employee_survey: Annotated[str | None, Query(max_length=200)] = None,
    customer_survey: Annotated[str | None, Query(max_length=200)] = None,
    lag: Annotated[int, Query(ge=0, le=linkage.MAX_LAG)] = 1,
    period: Annotated[str, Query(pattern="^(month|quarter)$")] = "month",
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        listed = surveys.list_surveys(uow, principal)
        stored = linkage.stored_outcomes(uow, principal, PAGE_OUTCOMES, period)
    employee = employee_survey or _first(listed, "employee")
    customer = customer_survey or _first(listed, "customer")
    found, problem = None, None
    if employee and customer:
        ask = linkage.LinkageRequest(employee, customer, lag=lag, period=period)
        try:
            found = linkage.linkage(engine, principal, ask, policy, stored)
        except (ValidationFailed, Confidential, NotFound) as error:  # said beside the form
            details = getattr(error, "errors", [])
            problem = "; ".join([str(error), *(e.message for e in details)])
    else:
        problem = "Linkage needs an employee survey and a customer survey with responses."
    spec = None
    diagram: list[dict[str, Any]] = []
    if found is not None:
        frame = pd.DataFrame([vars(p) for p in found.paths])
        if frame["estimate"].notna().any():
            chart = linkage_charts.path_effects(frame)
            spec = json.dumps(json.loads(chart.to_json())).replace("<", "\\u003c")
        diagram = [vars(p) for p in found.paths if p.level == "within"]
    return render(
        request,
        "linkage.html",
        {
            "r": found,
            "problem": problem,
            "spec_json": spec,
            "diagram": diagram,
            "surveys": listed,
            "form": {
                "employee_survey": employee or "",
                "customer_survey": customer or "",
                "lag": lag,
                "period": period,
            },
        },
    )


def _first(listed: list[dict[str, Any]], audience: str) -> str | None:
    chosen = [s for s in listed if s.get("audience") == audience]
    return str(chosen[0]["key"]) if chosen else None
