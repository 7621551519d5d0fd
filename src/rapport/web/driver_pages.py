"""The key-drivers page of a survey: drivers ranked with intervals, importance × performance.

Every figure comes from :func:`rapport.services.drivers.key_drivers` (scope, closed periods
and the anonymity threshold for employee surveys); this module only draws it. The charts
have a data table beside them (the accessible and no-JavaScript view).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics.catalog import find_survey
from rapport.api.deps import DbDep, PolicyDep, SurveyId
from rapport.api.metrics import analytics_engine
from rapport.errors import Confidential, ValidationFailed
from rapport.exporters import driver_charts
from rapport.services import drivers, org, risk
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]

#: What the page offers as drivers: the two indices, or every hearts and minds item.
DRIVER_SETS = {"items": (), "indices": ("hearts", "minds")}


@router.get("/surveys/{survey_id}/drivers", response_class=HTMLResponse)
def drivers_page(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    outcome: Annotated[str, Query(max_length=200)] = "nps",
    show: Annotated[str, Query(pattern="^(items|indices)$")] = "items",
    method: Annotated[str, Query(pattern="^(relative_weights|lmg)$")] = "relative_weights",
    unit: Annotated[str | None, Query(max_length=500)] = None,
    risk_target: Annotated[str | None, Query(max_length=200)] = None,
    risk_model: Annotated[str, Query(pattern="^(logistic|gradient_boosting)$")] = "logistic",
) -> HTMLResponse:
    ask = drivers.DriverRequest(
        survey_id, outcome.strip() or "nps", DRIVER_SETS[show], method, unit or None
    )
    found, problem = None, None
    try:
        found = drivers.key_drivers(engine, principal, ask, policy)
    except (ValidationFailed, Confidential) as error:  # said on the page, beside the form
        problem = "; ".join([str(error), *(e.message for e in error.errors)])
    with db.unit_of_work(readonly=True) as uow:
        units = org.list_units(uow, principal)
    risk_found, risk_problem = None, None
    survey = find_survey(engine, survey_id)
    if risk_target and risk_target.strip() and survey is not None:
        ask_risk = risk.RiskRequest(
            survey.audience, risk_target.strip(), survey_id, risk_model, unit or None, top=20
        )
        try:
            risk_found = risk.person_risk(engine, principal, ask_risk, policy)
        except (ValidationFailed, Confidential) as error:
            risk_problem = "; ".join([str(error), *(e.message for e in error.errors)])
    specs: dict[str, Any] = {}
    table = pd.DataFrame()
    if found is not None and found.rows:
        table = pd.DataFrame([vars(r) for r in found.rows])
        specs["ranked"] = driver_charts.ranked_drivers(table, outcome=found.outcome)
        if table["mean"].notna().any():
            specs["matrix"] = driver_charts.importance_performance(table)
    specs_json = {
        name: json.dumps(json.loads(chart.to_json())).replace("<", "\\u003c")
        for name, chart in specs.items()
    }
    return render(
        request,
        "drivers.html",
        {
            "survey_id": survey_id,
            "r": found,
            "problem": problem,
            "table": table,
            "specs_json": specs_json,
            "units": units,
            "form": {"outcome": ask.outcome, "show": show, "method": method, "unit": unit or ""},
            "risk": risk_found,
            "risk_problem": risk_problem,
            "risk_form": {"target": (risk_target or "").strip(), "model": risk_model},
            "audience": None if survey is None else survey.audience,
        },
    )
