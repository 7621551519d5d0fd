"""Closed loop: alert rules (``/api/v1/alert-rules``) and cases (``/api/v1/cases``).

An employee-survey case never names its response: ``response_id`` is null and the comment
is shown only when the unit holds enough responses (``comment_withheld`` says why not)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, BackgroundTasks, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from rapport.api.deps import (
    MAX_ID,
    DbDep,
    PolicyDep,
    PrincipalDep,
    ReadUowDep,
    SettingsDep,
    UowDep,
)
from rapport.api.types import UtcDateTime
from rapport.domain.alerts import RESOLUTION_CODES, CaseStatus, Priority
from rapport.errors import FieldError, ValidationFailed
from rapport.services import alerts, case_follow_up, cases
from rapport.services.notify import SmtpNotifier
from rapport.storage.repositories.cases import AlertRuleRecord

router = APIRouter(prefix="/api/v1", tags=["closed loop"])
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
RuleId = Annotated[int, Path(ge=1, le=MAX_ID)]
PriorityName = Literal["urgent", "high", "normal", "low"]
StatusName = Literal["open", "in_progress", "resolved", "closed"]
ResolutionCode = Literal[
    "contacted_resolved",
    "contacted_unresolved",
    "no_contact_possible",
    "no_action_needed",
    "duplicate",
]
assert set(get_args(ResolutionCode)) == set(RESOLUTION_CODES)  # noqa: S101 - one vocabulary
assert set(get_args(PriorityName)) == set(Priority)  # noqa: S101
assert set(get_args(StatusName)) == set(CaseStatus)  # noqa: S101


class AlertRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["Detractor or anger"])
    condition: dict[str, Any] = Field(
        description="A display-logic condition over the answers, with the pseudo-fields "
        "emotion:<name> and index:hearts / index:minds (docs/closed-loop.md)",
        examples=[
            {
                "any": [
                    {"question": "nps", "op": "<=", "value": 6},
                    {"question": "emotion:anger", "op": "answered"},
                ]
            }
        ],
    )
    survey: str | None = Field(None, max_length=120, description="Survey key; none for all")
    audience: Literal["customer", "employee"] | None = None
    unit: str | None = Field(None, max_length=1000, description="Unit code; its subtree")
    priority: PriorityName = "normal"
    active: StrictBool = True
    follow_up_survey: str | None = Field(
        None,
        max_length=120,
        description="Key of a customer survey sent to the respondent when a case of this "
        'rule is closed ("did we put it right?"); its answer is linked to the case',
    )


class AlertRuleOut(BaseModel):
    id: int
    name: str
    condition: dict[str, Any]
    survey_id: int | None
    audience: str | None
    unit_id: int | None
    priority: str
    active: bool
    created_by: str
    created_at: UtcDateTime
    follow_up_survey_id: int | None = None

    @classmethod
    def of(cls, r: AlertRuleRecord) -> AlertRuleOut:
        return cls(
            id=r.id,
            name=r.name,
            condition=r.condition,
            survey_id=r.survey_id,
            audience=r.audience,
            unit_id=r.unit_id,
            priority=r.priority,
            active=r.active,
            created_by=r.created_by,
            created_at=r.created_at,
            follow_up_survey_id=r.follow_up_survey_id,
        )


class AlertRulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    condition: dict[str, Any] | None = Field(
        None, description="A new condition (checked as on creation)"
    )
    priority: PriorityName | None = None
    active: StrictBool | None = Field(
        None, description="false: the rule opens no cases from now on"
    )


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(min_length=1, max_length=1000, examples=["north-1"])
    title: str = Field(min_length=1, max_length=300, examples=["Complaint by phone"])
    priority: PriorityName = "normal"
    note: str = Field("", max_length=10000)


class CasePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: StatusName | None = None
    owner: str | None = Field(None, max_length=320, description="The new owner's e-mail")
    note: str | None = Field(None, max_length=10000)
    resolution_code: ResolutionCode | None = None


class CaseOut(BaseModel):
    id: int
    title: str
    unit: str
    audience: str
    rule_id: int | None
    owner: str | None = Field(description="The owner's e-mail; null when no one is found")
    status: str
    priority: str
    opened_at: UtcDateTime = Field(description="Employee cases: the day only (00:00 UTC)")
    due_at: UtcDateTime
    overdue: bool
    first_contact_at: UtcDateTime | None
    resolved_at: UtcDateTime | None
    resolution_code: str | None
    escalation_level: int


class NoteOut(BaseModel):
    author: str
    at: UtcDateTime
    text: str


class EventOut(BaseModel):
    at: UtcDateTime
    actor: str
    kind: str
    from_value: str | None
    to_value: str | None


class FollowUpAnswerOut(BaseModel):
    question: str
    item: str
    value: float | None
    text: str | None


class FollowUpOut(BaseModel):
    status: Literal["sent", "answered"] = Field(
        description="sent: the invitation went out; answered: its response is linked"
    )
    response_id: int | None
    answers: list[FollowUpAnswerOut]


class CaseDetailOut(CaseOut):
    response_id: int | None = Field(description="Customer cases only; null for employee cases")
    comments: list[str]
    comment_withheld: str | None
    notes: list[NoteOut]
    events: list[EventOut]
    follow_up: FollowUpOut | None = Field(
        None, description="The follow-up survey sent on closing, and its answer"
    )


@router.post(
    "/alert-rules", response_model=AlertRuleOut, status_code=201, summary="Add an alert rule"
)
def create_rule(body: AlertRuleIn, principal: PrincipalDep, uow: UowDep) -> AlertRuleOut:
    """A rule opens a case for each stored response its condition is true for."""
    rule = alerts.RuleInput(
        name=body.name,
        condition=body.condition,
        survey=body.survey,
        audience=body.audience,
        unit=body.unit,
        priority=body.priority,
        active=body.active,
        follow_up_survey=body.follow_up_survey,
    )
    return AlertRuleOut.of(alerts.create_rule(uow, principal, rule))


@router.get("/alert-rules", response_model=list[AlertRuleOut], summary="The alert rules")
def list_rules(principal: PrincipalDep, uow: ReadUowDep) -> list[AlertRuleOut]:
    return [AlertRuleOut.of(r) for r in alerts.list_rules(uow, principal)]


@router.patch(
    "/alert-rules/{rule_id}", response_model=AlertRuleOut, summary="Edit or deactivate a rule"
)
def update_rule(
    rule_id: RuleId, body: AlertRulePatch, principal: PrincipalDep, uow: UowDep
) -> AlertRuleOut:
    """Change the condition or priority, or set ``active``; an inactive rule opens no cases."""
    change = alerts.RuleChange(condition=body.condition, priority=body.priority, active=body.active)
    return AlertRuleOut.of(alerts.update_rule(uow, principal, rule_id, change))


@router.post("/cases", response_model=CaseDetailOut, status_code=201, summary="Open a case")
def create_case(
    body: CaseIn, principal: PrincipalDep, uow: UowDep, policy: PolicyDep
) -> CaseDetailOut:
    case_id = cases.create(
        uow, principal, unit=body.unit, title=body.title, priority=body.priority, note=body.note
    )
    return CaseDetailOut(**cases.detail(uow, principal, case_id, policy))


@router.get("/cases", response_model=list[CaseOut], summary="Cases the caller may see")
def list_cases(
    principal: PrincipalDep,
    uow: ReadUowDep,
    status: Annotated[StatusName | None, Query()] = None,
    unit: Annotated[str | None, Query(max_length=1000, description="Unit and subtree")] = None,
    owner: Annotated[Literal["me"] | None, Query(description="'me': my cases")] = None,
    overdue: bool | None = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=cases.MAX_PAGE)] = 100,
) -> list[CaseOut]:
    query = cases.CaseQuery(
        status=status,
        unit=unit,
        owner_me=owner == "me",
        overdue=overdue,
        after=after,
        limit=limit,
    )
    return [CaseOut(**c) for c in cases.find(uow, principal, query)]


@router.get("/cases/{case_id}", response_model=CaseDetailOut, summary="One case")
def get_case(
    case_id: CaseId, principal: PrincipalDep, uow: ReadUowDep, policy: PolicyDep
) -> CaseDetailOut:
    return CaseDetailOut(**cases.detail(uow, principal, case_id, policy))


@router.patch("/cases/{case_id}", response_model=CaseDetailOut, summary="Work on a case")
def update_case(
    case_id: CaseId,
    body: CasePatch,
    principal: PrincipalDep,
    uow: UowDep,
    policy: PolicyDep,
    db: DbDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> CaseDetailOut:
    """Change status (resolved/closed need a resolution code), owner, or add a note."""
    if body == CasePatch():
        raise ValidationFailed(
            "nothing to change",
            [FieldError("body", "expected status, owner, note or resolution_code", "required")],
        )
    change = cases.CaseChange(
        status=body.status, owner=body.owner, note=body.note, resolution_code=body.resolution_code
    )
    secret = settings.resolved_secret_key()
    if case_follow_up.update(uow, principal, case_id, change, link_secret=secret) is not None:
        # E-mailed after the transaction commits (the unit of work closes before the
        # response is sent; background tasks run after it).
        background.add_task(
            case_follow_up.send_pending,
            db,
            SmtpNotifier.from_settings(settings),
            base_url=settings.link_base(),
            link_secret=secret,
        )
    return CaseDetailOut(**cases.detail(uow, principal, case_id, policy))
