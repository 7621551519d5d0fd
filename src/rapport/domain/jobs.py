"""Background jobs (large CSV imports): their states and what a caller sees of one."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    #: The process running it stopped (restart, crash) before it finished; nothing of an
    #: interrupted import was stored (imports are all or nothing).
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        """>>> JobStatus.RUNNING.finished, JobStatus.FAILED.finished
        (False, True)
        """
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True)
class ImportJob:
    """One import job; ``report`` is the body the synchronous import answers with (the
    201 result or the 422 problem listing rows and columns) once the job has finished."""

    id: int
    survey_id: int
    owner_kind: str
    owner_id: int
    owner_name: str
    status: JobStatus
    runner: str
    file_bytes: int
    rows_done: int
    rows_total: int | None
    report: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
