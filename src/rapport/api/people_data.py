"""Data-subject requests over the API: export and erase one person (admins; audited).

``GET /api/v1/people/{kind}/{external_id}/export`` answers everything held about the
person as JSON; ``DELETE /api/v1/people/{kind}/{external_id}`` erases their identity and
keeps their responses as anonymous data (:mod:`rapport.services.personal_data`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from rapport.api.deps import PrincipalDep, UowDep
from rapport.domain.org import PersonKind
from rapport.services import personal_data

router = APIRouter(prefix="/api/v1", tags=["personal data"])
ExternalId = Annotated[str, Path(max_length=120, description="The person's external id")]


class ErasureOut(BaseModel):
    erased: bool
    responses: int
    invitations: int
    comments: int
    case_notes: int = Field(0, description="Notes on follow-up cases about the person, removed.")
    learnings: int = Field(
        0,
        description="Learnings linked to the person's responses or cases: their name, e-mail, "
        "phone and external id cut out of the text, the links to the responses removed.",
    )


@router.get(
    "/people/{kind}/{external_id}/export",
    summary="Everything held about a person, as JSON (GDPR access; admins)",
)
def export_person(
    kind: PersonKind, external_id: ExternalId, principal: PrincipalDep, uow: UowDep
) -> dict[str, Any]:
    """The directory row, attributes, consent, invitations and linked responses with their
    answers and comment emotions. Recorded in the audit log (``person.export``)."""
    return personal_data.export_person(uow, principal, kind, external_id)


@router.delete(
    "/people/{kind}/{external_id}",
    response_model=ErasureOut,
    summary="Erase a person: identity gone, responses kept as anonymous data (admins)",
)
def erase_person(
    kind: PersonKind, external_id: ExternalId, principal: PrincipalDep, uow: UowDep
) -> ErasureOut:
    """Deletes the person; their responses lose the person link, tenure in days, free-text
    answers and identifying attributes. Metric aggregates are unchanged. Recorded in the
    audit log (``person.erase``); a second call is a 404."""
    erased = personal_data.erase_person(uow, principal, kind, external_id)
    return ErasureOut(
        erased=True,
        responses=erased.responses,
        invitations=erased.invitations,
        comments=erased.comments,
        case_notes=erased.case_notes,
        learnings=erased.learnings,
    )
