"""Large CSV imports as background jobs: a spooled file, a worker thread, a report.

The web edge streams an upload to a file under ``<data_dir>/imports`` and calls
:func:`create`; a worker thread (never the event loop) calls :func:`run`, which imports
all or nothing exactly as the synchronous route does and stores the same report (the 201
result or the 422 problem). Progress lives in a small file beside the upload, so any
worker process of the server can show it while the import's transaction is open. A job
whose process died (restart, crash) is reported ``interrupted``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rapport.domain.jobs import ImportJob, JobStatus
from rapport.domain.org import Permission, Principal, Role
from rapport.errors import PROBLEM_BASE, NotFound, RapportError
from rapport.services import response_import
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.services.surveys import get_published
from rapport.storage.uow import Database, UnitOfWork

logger = logging.getLogger("rapport.jobs")
INTERRUPTED_DETAIL = "The server stopped before the import finished; nothing was imported."


def runner_id() -> str:
    """This process, as ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_alive(runner: str) -> bool:
    """Whether the process named ``host:pid`` still runs (another host's: assumed so).

    >>> runner_alive(runner_id())
    True
    """
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def create(uow: UnitOfWork, principal: Principal, survey_id: int, file_bytes: int) -> ImportJob:
    """A queued job importing ``file_bytes`` of CSV into the survey, owned by the caller."""
    require(principal, Permission.IMPORT_DATA)
    published = get_published(uow, survey_id)
    owner = (principal.kind, principal.id or 0, principal.name)
    return uow.import_jobs.add(published.survey.id, owner, runner_id(), file_bytes, utcnow())


def problem_report(exc: RapportError) -> dict[str, Any]:
    """The problem document the synchronous route answers with for ``exc``."""
    return {
        "type": PROBLEM_BASE + exc.slug,
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "errors": [
            {"location": e.location, "message": e.message, "code": e.code} for e in exc.errors
        ],
    }


def success_report(result: response_import.ImportResult) -> dict[str, Any]:
    return {"survey": result.survey_key, "imported": result.rows, "encoding": result.encoding}


class _Progress:
    """Rows done and the total, in a file other processes can read (rewritten whole)."""

    def __init__(self, path: Path) -> None:
        self.path, self.done, self.total = path, 0, 0

    def set_total(self, total: int) -> None:
        self.total = total
        self._write()

    def advance(self, rows: int) -> None:
        self.done += rows
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{self.done} {self.total}")
        tmp.replace(self.path)


def progress_path(upload: Path) -> Path:
    return upload.with_suffix(".progress")


def run(
    db: Database, job_id: int, principal: Principal, upload: Path, *, keep_original: bool
) -> JobStatus:
    """Import the spooled ``upload`` for job ``job_id`` (in a worker thread); the file is
    removed afterwards. Returns the final status."""
    progress = _Progress(progress_path(upload))
    status, report = JobStatus.FAILED, {}
    try:
        with db.unit_of_work() as uow:
            uow.import_jobs.start(job_id, utcnow())
            job = uow.import_jobs.get(job_id)
        if job is None:
            raise RuntimeError("internal error: expected job is not None")
        with db.unit_of_work() as uow:
            result = response_import.import_responses(
                uow,
                principal,
                job.survey_id,
                upload.read_bytes(),
                progress.advance,
                keep_original=keep_original,
                total=progress.set_total,
                pause_gc=False,  # the server goes on answering other requests
            )
        status, report = JobStatus.DONE, success_report(result)
    except RapportError as exc:
        report = problem_report(exc)
    except Exception as exc:
        logger.exception("import job %s failed", job_id, exc_info=exc)
        report = problem_report(RapportError("The import failed on our side; it was logged."))
    finally:
        rows = (progress.done // 2, progress.total // 2 if progress.total else None)
        try:
            with db.unit_of_work() as uow:
                uow.import_jobs.finish(job_id, status, report, rows, utcnow())
        finally:
            for path in (upload, progress_path(upload)):
                path.unlink(missing_ok=True)
    return status


def get(
    uow: UnitOfWork,
    principal: Principal,
    job_id: int,
    folder: Path,
    alive: Callable[[str], bool] = runner_alive,
) -> ImportJob:
    """The job as its owner (or an admin) sees it, with live progress while it runs."""
    job = uow.import_jobs.get(job_id)
    mine = job is not None and (job.owner_kind, job.owner_id) == (principal.kind, principal.id or 0)
    if job is None or not (mine or principal.role is Role.ADMIN):
        raise NotFound(f"No import job {job_id} of yours.")
    if job.status.finished:
        return job
    if not alive(job.runner):
        return _interrupt(uow, job, folder)
    done, total = _read_progress(folder / f"{job_id}.progress")
    if total:
        job = replace(job, rows_done=done // 2, rows_total=total // 2)
    return job


def recover(db: Database, folder: Path) -> int:
    """Mark open jobs whose process is gone as interrupted (at start-up); how many."""
    with db.unit_of_work() as uow:
        orphans = [j for j in uow.import_jobs.open_jobs() if not runner_alive(j.runner)]
        for job in orphans:
            _interrupt(uow, job, folder)
    return len(orphans)


def _interrupt(uow: UnitOfWork, job: ImportJob, folder: Path) -> ImportJob:
    report = problem_report(RapportError(INTERRUPTED_DETAIL))
    report.update(type=PROBLEM_BASE + "interrupted", title="Interrupted", status=500)
    now = utcnow()
    uow.defer(
        lambda w: w.import_jobs.finish(
            job.id, JobStatus.INTERRUPTED, report, (0, job.rows_total), now
        )
    )
    for suffix in (".csv", ".progress", ".tmp"):
        (folder / f"{job.id}{suffix}").unlink(missing_ok=True)
    return replace(job, status=JobStatus.INTERRUPTED, report=report, finished_at=now)


def _read_progress(path: Path) -> tuple[int, int]:
    try:
        done, total = path.read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, 0
