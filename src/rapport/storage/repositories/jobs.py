"""Import jobs: created queued, moved through running to done/failed/interrupted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rapport.domain.jobs import ImportJob, JobStatus
from rapport.storage.models import ImportJobRow

_OPEN = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def _job(row: ImportJobRow) -> ImportJob:
    return ImportJob(
        id=row.id,
        survey_id=row.survey_id,
        owner_kind=row.owner_kind,
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        status=JobStatus(row.status),
        runner=row.runner,
        file_bytes=row.file_bytes,
        rows_done=row.rows_done,
        rows_total=row.rows_total,
        report=row.report,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class ImportJobRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self,
        survey_id: int,
        owner: tuple[str, int, str],
        runner: str,
        file_bytes: int,
        now: datetime,
    ) -> ImportJob:
        kind, owner_id, name = owner
        row = ImportJobRow(
            survey_id=survey_id,
            owner_kind=kind,
            owner_id=owner_id,
            owner_name=name,
            status=JobStatus.QUEUED.value,
            runner=runner,
            file_bytes=file_bytes,
            rows_done=0,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return _job(row)

    def get(self, job_id: int) -> ImportJob | None:
        row = self.s.get(ImportJobRow, job_id)
        return _job(row) if row else None

    def start(self, job_id: int, now: datetime) -> None:
        self.s.execute(
            update(ImportJobRow)
            .where(ImportJobRow.id == job_id)
            .values(status=JobStatus.RUNNING.value, started_at=now)
        )

    def finish(
        self,
        job_id: int,
        status: JobStatus,
        report: dict[str, Any],
        rows: tuple[int, int | None],
        now: datetime,
    ) -> None:
        done, total = rows
        self.s.execute(
            update(ImportJobRow)
            .where(ImportJobRow.id == job_id, ImportJobRow.status.in_(_OPEN))
            .values(
                status=status.value,
                report=report,
                rows_done=done,
                rows_total=total,
                finished_at=now,
            )
        )

    def open_jobs(self) -> list[ImportJob]:
        rows = self.s.scalars(select(ImportJobRow).where(ImportJobRow.status.in_(_OPEN)))
        return [_job(r) for r in rows]
