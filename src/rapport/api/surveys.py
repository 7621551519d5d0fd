"""Survey and response endpoints: ``/api/v1/surveys`` and ``/surveys/{id}/responses``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from rapport.api.deps import (
    MAX_ID,
    PolicyDep,
    PrincipalDep,
    ReadUowDep,
    SettingsDep,
    SurveyId,
    UowDep,
)
from rapport.api.types import IsoDateTime, UtcDateTime
from rapport.exporters.responses import FORMATS as export_formats
from rapport.exporters.responses import render
from rapport.services import responses, surveys

router = APIRouter(prefix="/api/v1", tags=["surveys"])


class SurveyOut(BaseModel):
    id: int
    key: str
    title: str
    audience: str
    anonymous: bool
    version: int | None
    status: str | None
    responses: int


class VersionOut(BaseModel):
    survey_id: int
    key: str
    version: int
    status: str
    definition: dict[str, Any]


class ResponseIn(BaseModel):
    """One response. ``answers`` maps question ids to values shaped as docs/surveys.md says."""

    answers: dict[str, Any] = Field(examples=[{"nps": 9, "comment": "Lovely staff"}])
    unit: str = Field(
        max_length=1000, description="Code or path of the unit the response belongs to."
    )
    person: str | None = Field(
        None, max_length=120, description="External id of the respondent, if known."
    )
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=10)
    started_at: IsoDateTime | None = None


class ResponseCreated(BaseModel):
    id: int
    survey_id: int
    created: bool


class AnswerOut(BaseModel):
    question_id: str
    item: str
    value_num: float | None
    value_text: str | None


class ResponseOut(BaseModel):
    id: int
    survey_version_id: int
    unit: str | None
    person_id: int | None
    channel: str
    language: str
    submitted_at: UtcDateTime
    attributes: dict[str, Any]
    answers: list[AnswerOut]


class ResponsePage(BaseModel):
    items: list[ResponseOut]
    next_after: int | None = Field(description="Pass as ?after= to get the next page.")


@router.get("/surveys", response_model=list[SurveyOut], summary="List surveys")
def list_surveys(principal: PrincipalDep, uow: ReadUowDep) -> list[SurveyOut]:
    return [SurveyOut(**s) for s in surveys.list_surveys(uow, principal)]


@router.post(
    "/surveys",
    response_model=VersionOut,
    status_code=201,
    summary="Create a survey or a new version of one (published unless draft=true)",
)
def create_version(
    definition: dict[str, Any], principal: PrincipalDep, uow: UowDep, draft: bool = False
) -> VersionOut:
    parsed = surveys.parse_definition(definition)
    version = surveys.save_definition(uow, principal, parsed, publish=not draft)
    return VersionOut(
        survey_id=version.survey_id,
        key=parsed.key,
        version=version.version,
        status=version.status,
        definition=version.definition,
    )


@router.get(
    "/surveys/{survey_id}",
    response_model=VersionOut,
    summary="The published definition of a survey",
)
def get_survey(survey_id: SurveyId, principal: PrincipalDep, uow: ReadUowDep) -> VersionOut:
    published = surveys.get_published(uow, survey_id, principal)
    return VersionOut(
        survey_id=published.survey.id,
        key=published.survey.key,
        version=published.version.version,
        status=published.version.status,
        definition=published.version.definition,
    )


@router.post(
    "/surveys/{survey_id}/responses",
    response_model=ResponseCreated,
    status_code=201,
    summary="Submit a response (idempotent with the Idempotency-Key header)",
    responses={
        200: {"description": "Replay of an earlier request with the same key"},
        409: {"description": "The key was used with a different body"},
    },
)
def submit_response(
    survey_id: SurveyId,
    body: ResponseIn,
    principal: PrincipalDep,
    uow: UowDep,
    settings: SettingsDep,
    policy: PolicyDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ResponseCreated:
    result = responses.submit_as(
        uow,
        principal,
        survey_id,
        body.answers,
        unit=body.unit,
        person=body.person,
        language=body.language,
        started_at=body.started_at,
        idempotency_key=idempotency_key,
        keep_original=settings.keep_original_comments,
        policy=policy,
    )
    uow.commit()  # durable before we answer 2xx
    if not result.created:
        response.status_code = 200
    return ResponseCreated(id=result.response_id, survey_id=survey_id, created=result.created)


@router.get(
    "/surveys/{survey_id}/responses",
    response_model=ResponsePage,
    summary="List responses (keyset pagination, filters); employee surveys: admins only",
)
def list_responses(
    survey_id: SurveyId,
    principal: PrincipalDep,
    uow: UowDep,
    settings: SettingsDep,
    policy: PolicyDep,
    unit: Annotated[
        str | None, Query(description="Unit code or path; includes its subtree")
    ] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ResponsePage:
    """Individual answers. Those of a protected (employee) survey are listed to admins only,
    and every listing is written to the audit log (docs/confidentiality.md)."""
    items, next_after = responses.list_for(
        uow,
        principal,
        survey_id,
        unit=unit,
        since=since,
        until=until,
        after=after,
        limit=limit,
        policy=policy,
    )
    uow.commit()  # the audit entry of this read
    return ResponsePage(items=[ResponseOut(**i) for i in items], next_after=next_after)


@router.get(
    "/surveys/{survey_id}/responses/export",
    summary="All responses the caller may see, one row each (CSV, Parquet, JSON or SPSS .sav); "
    "employee surveys: admins only",
    response_class=Response,
    responses={200: {"content": {f.media_type.split(";")[0]: {} for f in export_formats.values()}}},
)
def export_responses(
    survey_id: SurveyId,
    principal: PrincipalDep,
    uow: UowDep,
    settings: SettingsDep,
    policy: PolicyDep,
    format: Annotated[str, Query(pattern="^(csv|parquet|json|sav)$")] = "csv",
    unit: str | None = None,
) -> Response:
    """The responses as a file: ``csv`` and ``parquet`` one column per question or item,
    ``json`` one record per response with its answers as submitted, ``sav`` an SPSS file with
    variable and value labels (docs/surveys.md, "Exports"). Audited as ``responses.export``."""
    export = responses.export_for(uow, principal, survey_id, unit=unit, fmt=format, policy=policy)
    uow.commit()  # the audit entry of this export
    body = render(format, export.published.definition, export.rows, export.org_name)
    chosen = export_formats[format]
    filename = f"survey-{survey_id}{chosen.suffix}"
    return Response(
        body,
        media_type=chosen.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
