"""CSV imports of responses and their background jobs.

``POST /api/v1/surveys/{id}/responses/import`` streams the body to a file under
``<data_dir>/imports`` (never whole in memory, never read before the caller is known).
Bodies up to ``RAPPORT_IMPORT_SYNC_MAX_BYTES`` are imported at once (201, or 422 listing
rows and columns); larger ones answer 202 with ``Location: /api/v1/jobs/{id}``, and
``GET /api/v1/jobs/{id}`` tells the status, the progress and, at the end, the same report.
Every import runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import MAX_ID, DbDep, PrincipalDep, SettingsDep, SurveyId, get_policy
from rapport.api.limits import BodyTooLarge
from rapport.api.types import UtcDateTime
from rapport.domain.jobs import ImportJob
from rapport.domain.org import Permission, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.services import confidentiality, import_jobs, response_import
from rapport.services.access import require
from rapport.services.surveys import get_published
from rapport.settings import Settings
from rapport.storage.uow import Database

router = APIRouter(prefix="/api/v1", tags=["imports"])
WRITE_BLOCK = 1024 * 1024
JobId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="Import job id")]


class ImportOut(BaseModel):
    survey: str
    imported: int
    encoding: str


class JobOut(BaseModel):
    id: int
    kind: str = "responses.import"
    survey_id: int
    status: str = Field(description="queued, running, done, failed or interrupted")
    rows_done: int
    rows_total: int | None = Field(description="Known once the file is parsed.")
    report: dict[str, Any] | None = Field(
        description="When finished: the import result (as the 201 body) or the problem "
        "(as the 422 body, listing row, column and reason)."
    )
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None

    @classmethod
    def of(cls, job: ImportJob) -> JobOut:
        return cls(
            id=job.id,
            survey_id=job.survey_id,
            status=job.status.value,
            rows_done=job.rows_done,
            rows_total=job.rows_total,
            report=job.report,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


def spool_folder(settings: Settings) -> Path:
    return settings.data_dir / "imports"


async def spool(chunks: AsyncIterator[bytes], folder: Path, limit: int) -> tuple[Path, int]:
    """Write a streamed body to a new file in ``folder`` (writes off the event loop);
    refuse it past ``limit`` bytes or when it holds a NUL byte (no CSV does)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".upload")
    path, size, block = Path(name), 0, bytearray()
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                if b"\x00" in chunk:
                    raise ValidationFailed(
                        "the file contains a NUL character",
                        [FieldError("body", "expected CSV text without NUL bytes", "nul")],
                    )
                block += chunk
                if len(block) >= WRITE_BLOCK:
                    await anyio.to_thread.run_sync(out.write, bytes(block))
                    block.clear()
            await anyio.to_thread.run_sync(out.write, bytes(block))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


def runner(request: Request) -> ThreadPoolExecutor:
    """The app's import worker (one thread, built by ``create_app``)."""
    executor: ThreadPoolExecutor = request.app.state.import_runner
    return executor


def check_allowed(
    db: Database, principal: Principal, survey_id: int, policy: SuppressionPolicy
) -> None:
    """Refuse before the upload is read: the role, the survey, an employee survey's rule."""
    require(principal, Permission.IMPORT_DATA)
    with db.unit_of_work(readonly=True) as uow:
        published = get_published(uow, survey_id)
    confidentiality.check_import(principal, policy, audience=published.survey.audience)


def import_now(db: Database, principal: Principal, survey_id: int, data: bytes, keep: bool) -> Any:
    """The synchronous import (call it in a worker thread)."""
    with db.unit_of_work() as uow:
        return response_import.import_responses(
            uow, principal, survey_id, data, keep_original=keep, pause_gc=False
        )


def start_job(
    request: Request, db: Database, principal: Principal, survey_id: int, upload: Path, size: int
) -> ImportJob:
    """Create the job, move the upload to ``<id>.csv`` and queue it on the import worker."""
    settings: Settings = request.app.state.settings
    with db.unit_of_work() as uow:
        job = import_jobs.create(uow, principal, survey_id, size)
    path = upload.rename(upload.with_name(f"{job.id}.csv"))
    keep = settings.keep_original_comments
    runner(request).submit(import_jobs.run, db, job.id, principal, path, keep_original=keep)
    return job


@router.post(
    "/surveys/{survey_id}/responses/import",
    response_model=ImportOut,
    status_code=201,
    summary="Import responses from a CSV body (all or nothing; large files as a job)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
    responses={202: {"model": JobOut, "description": "Accepted as a background job"}},
)
async def import_responses_csv(
    survey_id: SurveyId, request: Request, principal: PrincipalDep, db: DbDep, settings: SettingsDep
) -> JSONResponse:
    """Columns are mapped to questions by id or text; any invalid row imports nothing and
    the problem lists every row, column and reason."""
    policy = get_policy(request)
    await run_in_threadpool(check_allowed, db, principal, survey_id, policy)
    folder = spool_folder(settings)
    upload, size = await spool(request.stream(), folder, settings.max_import_bytes)
    if size > settings.import_sync_max_bytes:
        job = await run_in_threadpool(start_job, request, db, principal, survey_id, upload, size)
        return JSONResponse(
            JobOut.of(job).model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/api/v1/jobs/{job.id}"},
        )
    try:
        data = upload.read_bytes()
    finally:
        upload.unlink(missing_ok=True)
    keep = settings.keep_original_comments
    result = await run_in_threadpool(import_now, db, principal, survey_id, data, keep)
    out = ImportOut(survey=result.survey_key, imported=result.rows, encoding=result.encoding)
    return JSONResponse(out.model_dump(), status_code=201)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="An import job: status and report")
def get_job(job_id: JobId, principal: PrincipalDep, db: DbDep, settings: SettingsDep) -> JobOut:
    with db.unit_of_work(readonly=True) as uow:
        job = import_jobs.get(uow, principal, job_id, spool_folder(settings))
    return JobOut.of(job)
