"""The learning log: ``/api/v1/learnings`` (write, list, read, edit) and closing a case with
a learning, ``POST /api/v1/cases/{id}/close`` (``docs/closed-loop.md`` "Learning log").

A learning names cases, customer responses, comment themes and units; an employee's
response is never named (422: link its case or unit)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from rapport.api.cases import CaseDetailOut, ResolutionCode
from rapport.api.deps import MAX_ID, PolicyDep, PrincipalDep, ReadUowDep, UowDep
from rapport.api.types import ApiDate, UtcDateTime
from rapport.domain.learnings import Learning, LearningChange
from rapport.errors import FieldError, ValidationFailed
from rapport.services import cases, learnings

router = APIRouter(prefix="/api/v1", tags=["closed loop"])
LearningId = Annotated[int, Path(ge=1, le=MAX_ID)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AreaName = Literal["people", "policies", "processes", "channels", "technology"]
Ids = list[Annotated[int, Field(ge=1, le=MAX_ID)]]


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: AreaName
    description: str = Field(min_length=1, max_length=5000)
    changed_on: ApiDate | None = Field(
        None, description="When the change took effect; with units, its effect is a DiD"
    )


class LearningFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    impact: str | None = Field(None, max_length=10000, description="What it cost, and whom")
    learnt: str | None = Field(None, max_length=10000, description="What was learnt")
    owner: str | None = Field(None, max_length=320, description="Who sees the changes through")
    review_on: ApiDate | None = None
    survey: str | None = Field(
        None, max_length=120, description="The survey (key) whose metric the changes should move"
    )
    metric: str | None = Field(None, max_length=60, description="hearts (default), minds, nps…")
    changes: list[ChangeIn] | None = Field(None, max_length=50)
    cases: Ids | None = Field(None, max_length=200)
    responses: Ids | None = Field(None, max_length=200, description="Customer responses only")
    units: list[Annotated[str, Field(max_length=1000)]] | None = Field(None, max_length=200)
    themes: list[Annotated[str, Field(max_length=120)]] | None = Field(None, max_length=50)

    def as_input(self) -> learnings.LearningInput:
        data = self.model_dump(exclude_unset=True)
        data.pop("changes", None)
        changes = (
            None
            if self.changes is None
            else [LearningChange(c.area, c.description, c.changed_on) for c in self.changes]
        )
        return learnings.LearningInput(**data, changes=changes)


class LearningIn(LearningFields):
    title: str = Field(min_length=1, max_length=300, examples=["Queues at the tills on Saturdays"])
    what_happened: str = Field(min_length=1, max_length=10000)


class LearningPatch(LearningFields):
    title: str | None = Field(None, min_length=1, max_length=300)
    what_happened: str | None = Field(None, min_length=1, max_length=10000)


class ChangeOut(BaseModel):
    area: str
    description: str
    changed_on: date | None


class LearningOut(BaseModel):
    id: int
    title: str
    what_happened: str
    impact: str
    learnt: str
    owner: str
    review_on: date | None
    survey: str | None
    metric: str | None
    changes: list[ChangeOut]
    cases: list[int]
    responses: list[int]
    units: list[str]
    themes: list[str]
    created_by: str
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def of(cls, x: Learning) -> LearningOut:
        return cls(
            id=x.id,
            title=x.title,
            what_happened=x.what_happened,
            impact=x.impact,
            learnt=x.learnt,
            owner=x.owner,
            review_on=x.review_on,
            survey=x.survey_key,
            metric=x.metric,
            changes=[ChangeOut(**vars(c)) for c in x.changes],
            cases=x.case_ids,
            responses=x.response_ids,
            units=x.units,
            themes=x.themes,
            created_by=x.created_by,
            created_at=x.created_at,
            updated_at=x.updated_at,
        )


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution_code: ResolutionCode
    note: str | None = Field(None, max_length=10000)
    learning: LearningIn | None = Field(
        None, description="A learning linked to the case, its unit and (customers) response"
    )


class ClosedOut(BaseModel):
    case: CaseDetailOut
    learning: LearningOut | None


@router.post("/learnings", response_model=LearningOut, status_code=201, summary="Write a learning")
def create_learning(
    body: LearningIn, principal: PrincipalDep, uow: UowDep, policy: PolicyDep
) -> LearningOut:
    """A blameless entry: what happened, impact, what was learnt, changes by area."""
    return LearningOut.of(learnings.create(uow, principal, body.as_input(), policy))


@router.get("/learnings", response_model=list[LearningOut], summary="The learning log")
def list_learnings(
    principal: PrincipalDep,
    uow: ReadUowDep,
    theme: Annotated[str | None, Query(max_length=120)] = None,
    unit: Annotated[str | None, Query(max_length=1000, description="Unit and subtree")] = None,
) -> list[LearningOut]:
    found = learnings.find(uow, principal, theme=theme, unit=unit)
    return [LearningOut.of(x) for x in found]


@router.get("/learnings/{learning_id}", response_model=LearningOut, summary="One learning")
def get_learning(learning_id: LearningId, principal: PrincipalDep, uow: ReadUowDep) -> LearningOut:
    return LearningOut.of(learnings.get(uow, principal, learning_id))


@router.patch("/learnings/{learning_id}", response_model=LearningOut, summary="Edit a learning")
def update_learning(
    learning_id: LearningId,
    body: LearningPatch,
    principal: PrincipalDep,
    uow: UowDep,
    policy: PolicyDep,
) -> LearningOut:
    """Fields given replace the stored ones; lists (changes, links) are replaced whole."""
    if not body.model_fields_set:
        raise ValidationFailed(
            "nothing to change", [FieldError("body", "expected at least one field", "required")]
        )
    return LearningOut.of(learnings.update(uow, principal, learning_id, body.as_input(), policy))


@router.post("/cases/{case_id}/close", response_model=ClosedOut, summary="Close a case")
def close_case(
    case_id: CaseId, body: CloseIn, principal: PrincipalDep, uow: UowDep, policy: PolicyDep
) -> ClosedOut:
    """Close with a resolution code and, optionally, a learning written in the same
    transaction (a refused learning leaves the case as it was)."""
    made = learnings.close_case(
        uow,
        principal,
        case_id,
        resolution_code=body.resolution_code,
        note=body.note,
        learning=None if body.learning is None else body.learning.as_input(),
        policy=policy,
    )
    return ClosedOut(
        case=CaseDetailOut(**cases.detail(uow, principal, case_id, policy)),
        learning=None if made is None else LearningOut.of(made),
    )
