"""Closed-loop pages: ``/cases`` (a manager's cases, one case with its notes form) and
``/alert-rules`` (the rules, and a new one from JSON).

Pages only draw: :mod:`rapport.services.cases` decides what a case shows (employee cases
without respondent traces) and :mod:`rapport.services.alerts` checks rules. Forms carry the
session's CSRF token; success redirects (303), a refused change shows the page again (422).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from rapport.api.deps import MAX_ID, DbDep, PolicyDep, SettingsDep
from rapport.domain.alerts import RESOLUTION_CODES, TRANSITIONS, CaseStatus, Priority
from rapport.domain.learnings import LearningChange
from rapport.errors import FieldError, ValidationFailed
from rapport.services import alerts, case_follow_up, cases, learnings
from rapport.services.notify import SmtpNotifier
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
CsrfChecked = [Depends(verify_csrf)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
RuleId = Annotated[int, Path(ge=1, le=MAX_ID)]
STATUSES = [s.value for s in CaseStatus]


class CloseForm(BaseModel):
    """The case page's close form: a resolution and, when titled, one learning."""

    model_config = ConfigDict(extra="ignore")
    resolution_code: str = Field(max_length=60)
    title: str = Field("", max_length=300)
    what_happened: str = Field("", max_length=10000)
    impact: str = Field("", max_length=10000)
    learnt: str = Field("", max_length=10000)
    change_area: str = Field("", max_length=20)
    change: str = Field("", max_length=5000)
    changed_on: str = Field("", max_length=10)
    survey: str = Field("", max_length=120)
    metric: str = Field("", max_length=60)
    themes: str = Field("", max_length=1000)
    owner: str = Field("", max_length=320)
    review_on: str = Field("", max_length=10)

    def learning(self) -> learnings.LearningInput | None:
        """The learning to write, or None without a title; bad dates name their field."""
        if not self.title.strip():
            return None
        changes = []
        if self.change_area or self.change.strip():
            changes.append(
                LearningChange(self.change_area, self.change, _date(self.changed_on, "changed_on"))
            )
        return learnings.LearningInput(
            title=self.title,
            what_happened=self.what_happened,
            impact=self.impact,
            learnt=self.learnt,
            owner=self.owner,
            review_on=_date(self.review_on, "review_on"),
            survey=self.survey or None,
            metric=self.metric or None,
            changes=changes,
            themes=[t for t in self.themes.split(",") if t.strip()],
        )


def _date(value: str, name: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed(
            "Not a date.", [FieldError(name, f"expected YYYY-MM-DD, got {value!r}")]
        ) from exc


def _report(exc: ValidationFailed) -> dict[str, object]:
    return {"message": exc.detail, "errors": [(e.location, e.message) for e in exc.errors]}


@router.get("/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    status: Annotated[str, Query(max_length=20)] = "",
    mine: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """Cases the user may see; ``mine`` keeps those they own."""
    query = cases.CaseQuery(status=status or None, owner_me=mine, limit=cases.MAX_PAGE)
    with db.unit_of_work(readonly=True) as uow:
        found = cases.find(uow, principal, query)
    context = {"cases": found, "status": status, "mine": mine, "statuses": STATUSES}
    return render(request, "cases.html", context)


def _case_page(
    request: Request,
    principal: Any,
    db: DbDep,
    policy: Any,
    case_id: int,
    report: dict[str, object] | None = None,
    status_code: int = 200,
    given: dict[str, str] | None = None,
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        case = cases.detail(uow, principal, case_id, policy)
        case["learnings"] = uow.learnings.for_cases([case_id]).get(case_id, [])
        survey_keys = sorted(s.key for s in uow.surveys.all())
    context = {
        "case": case,
        "next_statuses": sorted(TRANSITIONS[CaseStatus(case["status"])]),
        "codes": RESOLUTION_CODES,
        "report": report,
        "areas": learnings.AREAS,
        "survey_keys": survey_keys,
        "given": given or {},
    }
    return render(request, "case.html", context, status_code=status_code)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, principal: PagePrincipal, db: DbDep, policy: PolicyDep, case_id: CaseId
) -> HTMLResponse:
    return _case_page(request, principal, db, policy, case_id)


@router.post("/cases/{case_id}", dependencies=CsrfChecked)
def work_case(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    policy: PolicyDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    case_id: CaseId,
    status: Annotated[str, Form(max_length=20)] = "",
    resolution_code: Annotated[str, Form(max_length=60)] = "",
    note: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    """Add a note and/or change the status (and resolution code) of a case."""
    change = cases.CaseChange(
        status=status or None, resolution_code=resolution_code or None, note=note or None
    )
    try:
        if change == cases.CaseChange():
            raise ValidationFailed(
                "Nothing to save.", [FieldError("note", "write a note or choose a status")]
            )
        secret = settings.resolved_secret_key()
        with db.unit_of_work() as uow:
            invited = case_follow_up.update(uow, principal, case_id, change, link_secret=secret)
        if invited is not None:  # mailed once the redirect is on its way
            background.add_task(
                case_follow_up.send_pending,
                db,
                SmtpNotifier.from_settings(settings),
                base_url=settings.link_base(),
                link_secret=secret,
            )
    except ValidationFailed as exc:
        report = _report(exc)
        return _case_page(request, principal, db, policy, case_id, report, 422)
    flash(request, f"Case {case_id} saved.")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/close", dependencies=CsrfChecked)
def close_case(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    policy: PolicyDep,
    case_id: CaseId,
    form: Annotated[CloseForm, Form()],
) -> Response:
    """Close a case; with a title, write its learning in the same transaction."""
    try:
        learning = form.learning()
        with db.unit_of_work() as uow:
            made = learnings.close_case(
                uow,
                principal,
                case_id,
                resolution_code=form.resolution_code,
                learning=learning,
                policy=policy,
            )
    except ValidationFailed as exc:
        given = form.model_dump(mode="json")
        return _case_page(request, principal, db, policy, case_id, _report(exc), 422, given)
    done = f" with learning {made.id}" if made else ""
    flash(request, f"Case {case_id} closed{done}.")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _rules_page(
    request: Request,
    principal: Any,
    db: DbDep,
    report: dict[str, object] | None = None,
    given: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        rules = alerts.list_rules(uow, principal)
        surveys = {s.id: s.key for s in uow.surveys.all()}
    context = {
        "rules": [(r, json.dumps(r.condition), surveys.get(r.survey_id or 0, "")) for r in rules],
        "survey_keys": sorted(surveys.values()),
        "priorities": [p.value for p in Priority],
        "report": report,
        "given": given or {},
    }
    return render(request, "alert_rules.html", context, status_code=status_code)


@router.post("/alert-rules/{rule_id}/active", dependencies=CsrfChecked)
def toggle_rule(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    rule_id: RuleId,
    active: Annotated[bool, Form()],
) -> Response:
    """Deactivate (or activate again) a rule: an inactive rule opens no cases."""
    with db.unit_of_work() as uow:
        rule = alerts.update_rule(uow, principal, rule_id, alerts.RuleChange(active=active))
    flash(request, f"Alert rule {rule.name} is {'active' if rule.active else 'inactive'}.")
    return RedirectResponse("/alert-rules", status_code=303)


@router.get("/alert-rules", response_class=HTMLResponse)
def rules_page(request: Request, principal: PagePrincipal, db: DbDep) -> HTMLResponse:
    return _rules_page(request, principal, db)


@router.post("/alert-rules", dependencies=CsrfChecked)
def add_rule(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    name: Annotated[str, Form(max_length=200)],
    condition: Annotated[str, Form(max_length=20000)],
    survey: Annotated[str, Form(max_length=120)] = "",
    priority: Annotated[str, Form(max_length=20)] = "normal",
) -> Response:
    """A rule from a name, a survey (or every survey) and a JSON condition."""
    given = {"name": name, "condition": condition, "survey": survey, "priority": priority}
    try:
        try:
            parsed = json.loads(condition)
        except ValueError as exc:
            raise ValidationFailed(
                "The condition is not JSON.", [FieldError("condition", str(exc))]
            ) from exc
        rule = alerts.RuleInput(
            name=name, condition=parsed, survey=survey or None, priority=priority
        )
        with db.unit_of_work() as uow:
            made = alerts.create_rule(uow, principal, rule)
    except ValidationFailed as exc:
        report = _report(exc)
        return _rules_page(request, principal, db, report, given, 422)
    flash(request, f"Added alert rule {made.name}.")
    return RedirectResponse("/alert-rules", status_code=303)
