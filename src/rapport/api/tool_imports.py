"""``POST /api/v1/imports``: a survey and its responses from another survey tool.

Multipart form: ``format``, ``definition`` (file), optional ``responses`` (file),
``dry_run``, ``survey_key``, ``unit``, ``audience``, ``timezone``, ``tags`` (JSON: question
id → construct tags, replacing the importer's). The answer is the report
of ``rapport import … --dry-run --json`` (200); without ``dry_run`` the survey is created
(published) and the responses imported, all or nothing (201, the report plus ``imported``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rapport.api.deps import DbDep, PrincipalDep, SettingsDep, get_policy
from rapport.domain.org import Principal
from rapport.importers.formats import ReadOptions
from rapport.services import tool_import
from rapport.storage.uow import Database

router = APIRouter(prefix="/api/v1", tags=["imports"])


class SurveySummary(BaseModel):
    key: str
    title: str
    languages: list[str]
    questions: int = Field(description="Questions of the Rapport survey (display text too).")
    pages: int


class MappingOut(BaseModel):
    source: str
    question_id: str
    type: str
    tags: list[str]


class UnsupportedOut(BaseModel):
    source: str
    feature: str
    what_happens: str


class ImportedOut(BaseModel):
    survey: str
    version: int
    responses: int = Field(description="Responses added by this import.")
    skipped: int = Field(description="Responses imported before (same source id).")


class ToolImportOut(BaseModel):
    format: str
    survey: SurveySummary
    mapping: list[MappingOut]
    responses: int = Field(description="Responses found in the files.")
    unsupported: list[UnsupportedOut]
    warnings: list[str]
    imported: ImportedOut | None = Field(None, description="Absent in a dry run.")


FormatName = Literal[
    "surveyjs",
    "google-forms",
    "qualtrics",
    "limesurvey",
    "surveymonkey",
]
"""The keys of :data:`rapport.importers.formats.FORMATS` (a unit test holds them equal)."""


def _run(
    db: Database,
    principal: Principal,
    fmt: str,
    files: tuple[bytes, bytes | None],
    options: ReadOptions,
    dry_run: bool,
    unit: str | None,
    request: Request,
    keep: bool,
    tags: str | None,
) -> dict[str, Any]:
    overrides = tool_import.read_tag_overrides(tags) if tags else None
    plan = tool_import.plan_files(principal, fmt, files[0], files[1], options, overrides)
    report = plan.summary()
    if not dry_run:
        with db.unit_of_work() as uow:
            result = tool_import.import_plan(
                uow, principal, plan, unit=unit, policy=get_policy(request), keep_original=keep
            )
        report["imported"] = tool_import.imported_report(result)
    return report


@router.post(
    "/imports",
    response_model=ToolImportOut,
    summary="Import a survey and its responses from another survey tool (or preview it)",
    responses={201: {"model": ToolImportOut, "description": "Imported"}},
)
async def import_from_tool(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    settings: SettingsDep,
    format: Annotated[FormatName, Form(description="The tool the files come from.")],
    definition: Annotated[
        UploadFile,
        File(
            description="The survey file (Google Forms, SurveyMonkey: the responses export, "
            "which holds the questions; SurveyMonkey as .csv or .xlsx)."
        ),
    ],
    responses: Annotated[
        UploadFile | None,
        File(
            description="The responses file (SurveyJS: a JSON list of results or the CSV/.xlsx "
            "table SurveyJS Dashboard downloads; Qualtrics, LimeSurvey: their response export)."
        ),
    ] = None,
    dry_run: Annotated[bool, Form(description="Report only; write nothing.")] = False,
    survey_key: Annotated[str | None, Form(max_length=120)] = None,
    unit: Annotated[str | None, Form(max_length=500)] = None,
    audience: Annotated[Literal["customer", "employee"], Form()] = "customer",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
    tags: Annotated[
        str | None,
        Form(
            max_length=100_000,
            description='Construct tags replacing the importer\'s, as JSON: {"q1": '
            '["loyalty.recommend"], "grid.row1": ["mind.ease"]} (question ids of the '
            "mapping; tags from docs/surveys.md). An unknown id or tag is a 422 naming it.",
        ),
    ] = None,
) -> JSONResponse:
    """Mapping rules and the unsupported list: docs/importers.md. Analysts and admins."""
    files = (await definition.read(), await responses.read() if responses else None)
    name = (definition.filename or "Imported survey").rsplit("/", 1)[-1]
    options = ReadOptions(name.rsplit(".", 1)[0] or name, survey_key, audience, timezone)
    report = await run_in_threadpool(
        _run,
        db,
        principal,
        format,
        files,
        options,
        dry_run,
        unit,
        request,
        settings.keep_original_comments,
        tags,
    )
    out = ToolImportOut.model_validate(report).model_dump(mode="json", exclude_none=True)
    return JSONResponse(out, status_code=200 if dry_run else 201)
