"""A person's profile: ``GET /api/v1/people/{kind}/{external_id}``.

What it holds and hides is decided in :mod:`rapport.services.profiles`: an employee's
profile never carries the answers, scores or comments of a confidential survey, a manager
gets 404 for anyone outside their subtree, and every view is in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from rapport.api.deps import PolicyDep, PrincipalDep, UowDep
from rapport.api.org import PersonOut
from rapport.api.types import UtcDateTime
from rapport.domain.org import PersonKind
from rapport.services import profiles

router = APIRouter(prefix="/api/v1", tags=["organisation"])
ExternalId = Annotated[str, Path(min_length=1, max_length=120, description="External id")]


class UnitRef(BaseModel):
    code: str
    name: str
    path: str


class ProfileSurvey(BaseModel):
    id: int
    key: str
    title: str
    audience: str
    anonymous: bool
    confidential: bool = Field(description="Its answers are never shown on a profile")


class InvitationOut(BaseModel):
    kind: Literal["invitation"] = "invitation"
    at: UtcDateTime = Field(description="When it was sent (or issued)")
    survey: ProfileSurvey
    channel: str
    state: Literal["sent", "opened", "answered"]
    answered_at: UtcDateTime | None


class CommentOut(BaseModel):
    question_id: str
    question: str
    text: str = Field(description="As stored: personal data redacted")
    sentiment: str | None
    emotions: list[str] = Field(description="Ekman emotions the model read in it")
    labels: list[str]


class ResponseOut(BaseModel):
    kind: Literal["response"] = "response"
    at: UtcDateTime
    survey: ProfileSurvey
    channel: str
    response_id: int
    unit: str
    hearts: float | None = Field(description="Mean of the heart.* items rescaled to 0-100")
    minds: float | None = Field(description="Mean of the mind.* items rescaled to 0-100")
    recommend: float | None = Field(description="The 0-10 answer the NPS counts")
    nps_category: Literal["promoter", "passive", "detractor"] | None
    emotions_chosen: dict[str, float]
    comments: list[CommentOut]


class CaseOut(BaseModel):
    kind: Literal["case"] = "case"
    at: UtcDateTime = Field(description="When the case was opened")
    case_id: int
    response_id: int = Field(description="The response the case follows up")
    title: str
    status: str
    priority: str
    resolved_at: UtcDateTime | None
    resolution_code: str | None


class SpecialOut(BaseModel):
    at: UtcDateTime
    survey: ProfileSurvey
    response_id: int
    question_id: str
    question: str
    value: float | None
    label: str


class ProfileOut(BaseModel):
    person: PersonOut
    unit: UnitRef
    tenure_days: int | None = Field(description="Days since relationship_start")
    timeline: list[
        Annotated[InvitationOut | ResponseOut | CaseOut, Field(discriminator="kind")]
    ] = Field(description="Newest first")
    special: list[SpecialOut] = Field(
        description="Answers to items tagged heart.special (feeling unique and special)"
    )
    confidential_withheld: bool = Field(
        description="Answers to a confidential survey exist and are not shown"
    )
    cases: list[CaseOut] = Field(
        description="Follow-up cases opened on the responses shown (also in the timeline)"
    )


_OUT: dict[str, type[InvitationOut | ResponseOut | CaseOut]] = {
    "invitation": InvitationOut,
    "response": ResponseOut,
    "case": CaseOut,
}


def profile_out(p: profiles.Profile) -> ProfileOut:
    """The DTO of a profile (the page renders the same object)."""
    unit = p.unit
    return ProfileOut(
        person=PersonOut.of(p.person, {unit.id: unit.code}),
        unit=UnitRef(code=unit.code, name=unit.name, path=unit.path),
        tenure_days=p.tenure_days,
        timeline=[_OUT[e.kind].model_validate(e, from_attributes=True) for e in p.timeline],
        special=[SpecialOut.model_validate(s, from_attributes=True) for s in p.special],
        confidential_withheld=p.confidential_withheld,
        cases=[CaseOut.model_validate(c, from_attributes=True) for c in p.cases],
    )


@router.get(
    "/people/{kind}/{external_id}",
    response_model=ProfileOut,
    summary="A person's profile and timeline (audited; employees' confidential answers never)",
)
def get_profile(
    kind: PersonKind,
    external_id: ExternalId,
    principal: PrincipalDep,
    policy: PolicyDep,
    uow: UowDep,
) -> ProfileOut:
    """Relationship start and tenure, unit, attributes, consent, and a timeline newest
    first: invitations (sent, opened, answered), responses with hearts, minds and the NPS
    answer, comments with their emotions; and the answers to items tagged
    ``heart.special``. A confidential (employee) survey appears only as an invitation sent
    and whether it was used, and not at all if it is anonymous. Managers get 404 outside
    their subtree; viewers 403. Each view is written to the audit log (``person.view``)."""
    return profile_out(profiles.get_profile(uow, principal, policy, kind, external_id))
