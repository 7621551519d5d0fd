"""The ROI simulator page and its one-page PDF: "if these units raise their employee index
by X, what revenue and churn change follows, and does it pay?" (issue 16, items 6 and 7).

Every figure comes from :func:`rapport.services.roi.simulate` and every string the page and
the PDF show from :func:`rapport.services.roi.report`, so the two carry the same numbers.
The form is a GET form: it works without JavaScript and its address is the PDF's too.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator, Field

from rapport.analytics.engines import AnalyticsEngine
from rapport.api.deps import DbDep, PolicyDep
from rapport.api.metrics import analytics_engine
from rapport.domain.org import Principal
from rapport.errors import Confidential, NotFound, ValidationFailed
from rapport.exporters import roi_report
from rapport.services import org, roi, surveys
from rapport.storage.uow import Database
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]


def _blank(value: object) -> object:
    """An empty form field is no value (the browser sends ``one_off_cost=``)."""
    return None if isinstance(value, str) and not value.strip() else value


Amount = Annotated[float, Field(ge=0, le=1e15)]
Money = Annotated[Amount | None, BeforeValidator(_blank), Query()]


class RoiForm:
    """The page's query: what the form sends and the PDF link repeats."""

    def __init__(
        self,
        employee_survey: Annotated[str | None, Query(max_length=200)] = None,
        customer_survey: Annotated[str | None, Query(max_length=200)] = None,
        units: Annotated[list[str] | None, Query(max_length=500)] = None,
        lever: Annotated[str, Query(pattern="^(employee|customer)$")] = "employee",
        rise: Annotated[float, Query(ge=-100, le=100)] = 5.0,
        horizon: Annotated[int, Query(ge=1, le=120)] = 12,
        one_off_cost: Money = None,
        per_period_cost: Money = None,
        margin: Annotated[float, Query(gt=0, le=100)] = 100.0,
        revenue: Money = None,
    ) -> None:
        self.employee_survey = employee_survey
        self.customer_survey = customer_survey
        self.units = [u for u in units or [] if u]
        self.lever = lever
        self.rise = rise
        self.horizon = horizon
        self.one_off_cost = one_off_cost
        self.per_period_cost = per_period_cost
        self.margin = margin
        self.revenue = revenue

    @property
    def submitted(self) -> bool:
        return self.one_off_cost is not None or self.per_period_cost is not None

    def query(self) -> str:
        fields: list[tuple[str, object]] = [
            (k, v)
            for k, v in vars(self).items()
            if k != "units" and v is not None and not isinstance(v, list)
        ]
        fields += [("units", u) for u in self.units]
        return urlencode(fields)


FormDep = Annotated[RoiForm, Depends()]


def _simulate(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: Any,
    form: RoiForm,
    listed: list[dict[str, Any]],
) -> tuple[roi.RoiOutcome | None, str | None]:
    employee = form.employee_survey or _first(listed, "employee")
    customer = form.customer_survey or _first(listed, "customer")
    form.employee_survey, form.customer_survey = employee, customer
    if not (employee and customer):
        return None, "The ROI needs an employee survey and a customer survey with responses."
    if not form.submitted:
        return None, None
    ask = roi.RoiRequest(
        employee,
        customer,
        rise=form.rise,
        horizon=form.horizon,
        one_off_cost=form.one_off_cost or 0.0,
        per_period_cost=form.per_period_cost or 0.0,
        units=tuple(form.units),
        lever=form.lever,
        margin=form.margin / 100,
        revenue=form.revenue,
    )
    try:
        with db.unit_of_work(readonly=True) as uow:
            return roi.simulate(engine, uow, principal, ask, policy), None
    except (ValidationFailed, Confidential, NotFound) as error:  # said beside the form
        details = getattr(error, "errors", [])
        return None, "; ".join([str(error), *(f"{e.location}: {e.message}" for e in details)])


@router.get("/roi", response_class=HTMLResponse)
def roi_page(
    request: Request,
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    form: FormDep,
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        listed = surveys.list_surveys(uow, principal)
        units = org.list_units(uow, principal)
    found, problem = _simulate(db, engine, principal, policy, form, listed)
    spec, shown = None, None
    if found is not None:
        shown = roi.report(found)
        if found.result.estimable:
            chart = roi_report.payback_chart(found.result.timeline, found.request.period)
            spec = json.dumps(json.loads(chart.to_json())).replace("<", "\\u003c")
    return render(
        request,
        "roi.html",
        {
            "r": found,
            "report": shown,
            "problem": problem,
            "spec_json": spec,
            "surveys": listed,
            "units": units,
            "form": form,
            "pdf_query": form.query(),
        },
    )


@router.get("/roi.pdf")
def roi_pdf(
    principal: PagePrincipal,
    engine: EngineDep,
    policy: PolicyDep,
    db: DbDep,
    form: FormDep,
) -> Response:
    with db.unit_of_work(readonly=True) as uow:
        listed = surveys.list_surveys(uow, principal)
    if not form.submitted:
        form.one_off_cost = form.one_off_cost or 0.0
    found, problem = _simulate(db, engine, principal, policy, form, listed)
    if found is None:
        raise ValidationFailed(problem or "no ROI to print", [])
    chart = None
    if found.result.estimable:
        chart = roi_report.payback_chart(found.result.timeline, found.request.period)
    return Response(
        roi_report.pdf(roi.report(found), chart),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="rapport-roi.pdf"'},
    )


def _first(listed: list[dict[str, Any]], audience: str) -> str | None:
    chosen = [s for s in listed if s.get("audience") == audience]
    return str(chosen[0]["key"]) if chosen else None
