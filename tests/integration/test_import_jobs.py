"""Large CSV imports as background jobs over HTTP: 202 + Location, progress, the same
report as the synchronous route, all or nothing, and a server that stays responsive."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import PASSWORD, seed_org


@pytest.fixture
def job_server(tmp_path: Path, db: Database) -> Iterator[LiveServer]:
    """Every import above 1 KiB runs as a job."""
    with LiveServer(make_settings(tmp_path, db, import_sync_max_bytes=1024), db) as live:
        yield live


def _headers(db: Database, role: Role = Role.ADMIN, name: str = "t") -> dict[str, str]:
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, name, role)
    return {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}


def _csv(rows: int, bad_row: int | None = None, comment: str = "Great") -> bytes:
    lines = ["unit,nps,csat,comment"]
    for i in range(rows):
        nps = 12 if bad_row is not None and i + 2 == bad_row else i % 11
        lines.append(f"north-1,{nps},{1 + i % 5},{comment} {i % 97}")
    return ("\n".join(lines) + "\n").encode()


def _wait_finished(url: str, headers: dict[str, str], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(url, headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.1)
    raise AssertionError(f"job not finished after {timeout} s: {job}")


def _count(db: Database, sid: int) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return uow.responses.count(sid)


def test_large_import_is_a_job_that_reaches_done(job_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    headers = _headers(db)
    r = httpx.post(
        f"{job_server.url}/api/v1/surveys/{sid}/responses/import",
        content=_csv(3000),
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 202, r.text
    location = r.headers["location"]
    assert location == f"/api/v1/jobs/{r.json()['id']}"
    job = _wait_finished(job_server.url + location, headers)
    assert job["status"] == "done", job
    assert job["report"] == {"survey": "every-type", "imported": 3000, "encoding": "utf-8-sig"}
    assert (job["rows_done"], job["rows_total"]) == (3000, 3000)
    assert job["finished_at"].endswith(("Z", "+00:00"))
    assert _count(db, sid) == 3000
    assert not list((job_server.settings.data_dir / "imports").glob("*"))


def test_failing_job_reports_row_and_column_and_imports_nothing(
    job_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    headers = _headers(db)
    r = httpx.post(
        f"{job_server.url}/api/v1/surveys/{sid}/responses/import",
        content=_csv(2000, bad_row=1500),
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 202, r.text
    job = _wait_finished(job_server.url + r.headers["location"], headers)
    assert job["status"] == "failed"
    report = job["report"]
    assert report["status"] == 422 and report["type"].endswith("/validation")
    assert report["errors"][0]["location"] == "row 1500, column nps"
    assert "nothing was imported" in report["detail"]
    assert _count(db, sid) == 0


def test_a_job_is_visible_to_its_owner_and_admins_only(
    job_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    owner = _headers(db, Role.ANALYST, "owner")
    r = httpx.post(
        f"{job_server.url}/api/v1/surveys/{sid}/responses/import",
        content=_csv(100),
        headers=owner,
    )
    url = job_server.url + r.headers["location"]
    _wait_finished(url, owner)
    other = httpx.get(url, headers=_headers(db, Role.ANALYST, "other"))
    assert (other.status_code, other.headers["content-type"]) == (404, "application/problem+json")
    assert httpx.get(url, headers=_headers(db, Role.ADMIN, "admin")).status_code == 200
    viewer = httpx.post(
        f"{job_server.url}/api/v1/surveys/{sid}/responses/import",
        content=_csv(100),
        headers=_headers(db, Role.VIEWER, "viewer"),
    )
    assert viewer.status_code == 403
    assert not list((job_server.settings.data_dir / "imports").glob("*"))


def test_a_job_whose_process_died_is_reported_interrupted(
    job_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    headers = _headers(db)
    with db.unit_of_work() as uow:
        job = uow.import_jobs.add(
            sid, ("token", 1, "gone"), f"{socket.gethostname()}:999999999", 10, datetime.now(UTC)
        )
        uow.import_jobs.start(job.id, datetime.now(UTC))
    body = httpx.get(f"{job_server.url}/api/v1/jobs/{job.id}", headers=headers).json()
    assert body["status"] == "interrupted"
    assert "nothing was imported" in body["report"]["detail"]
    with db.unit_of_work(readonly=True) as uow:
        stored = uow.import_jobs.get(job.id)
    assert stored is not None and stored.status.value == "interrupted"


def test_healthz_stays_fast_while_a_large_import_runs(tmp_path: Path, sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    headers = _headers(sqlite_db)
    data = _csv(40_000, comment="The queue was long but the staff were lovely")
    settings = make_settings(tmp_path, sqlite_db, import_sync_max_bytes=1024)
    with LiveServer(settings, sqlite_db) as live:
        posted: dict[str, httpx.Response] = {}
        upload = threading.Thread(
            target=lambda: posted.update(
                r=httpx.post(
                    f"{live.url}/api/v1/surveys/{sid}/responses/import",
                    content=data,
                    headers=headers,
                    timeout=120,
                )
            )
        )
        upload.start()
        timings: list[float] = []
        checks, running_seen = 0, 0
        with httpx.Client(base_url=live.url, timeout=10) as client:  # time the server only
            while upload.is_alive() or running_seen == 0 or _running(live, posted, headers):
                began = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                timings.append(time.perf_counter() - began)
                checks += 1
                running_seen += int(_running(live, posted, headers))
                if checks > 2000:
                    break
                time.sleep(0.05)
        upload.join()
        job = _wait_finished(live.url + posted["r"].headers["location"], headers, 300)
    assert job["status"] == "done" and job["report"]["imported"] == 40_000
    assert running_seen >= 3, "the import ended before /healthz could be timed during it"
    # Before, the import ran on the event loop and /healthz waited for all of it. The
    # machine is shared, so one slow sample is allowed for; nine in ten must be fast.
    timings.sort()
    p90 = timings[int(0.9 * (len(timings) - 1))]
    assert p90 < 0.5, f"/healthz p90 {p90:.2f} s while the import ran ({timings[-5:]})"
    assert timings[-1] < 3, f"/healthz took {timings[-1]:.2f} s while the import ran"


def _running(live: LiveServer, posted: dict[str, httpx.Response], headers: dict[str, str]) -> bool:
    if "r" not in posted:
        return False
    job = httpx.get(live.url + posted["r"].headers["location"], headers=headers).json()
    return bool(job["status"] in ("queued", "running"))


def test_large_page_upload_shows_a_progress_page_until_done(
    tmp_path: Path, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    settings = make_settings(tmp_path, sqlite_db, import_sync_max_bytes=1024)
    with (
        LiveServer(settings, sqlite_db) as live,
        httpx.Client(base_url=live.url, headers={"Accept": "text/html"}, timeout=60) as client,
    ):
        login = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf
        form = {"email": "admin@example.com", "password": PASSWORD, "csrf_token": csrf[1]}
        assert client.post("/login", data={**form, "next": "/"}).status_code == 303
        page = client.get(f"/surveys/{sid}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        r = client.post(
            f"/surveys/{sid}/import",
            data={"csrf_token": csrf[1]},
            files={"file": ("answers.csv", _csv(2000), "text/csv")},
        )
        assert r.status_code == 303, re.sub(r"\s+", " ", r.text)[-1500:]
        assert r.headers["location"].startswith("/jobs/")
        progress = client.get(r.headers["location"])
        assert progress.status_code == 200
        assert "<progress" in progress.text and 'src="/static/job.js"' in progress.text
        deadline = time.monotonic() + 120
        while 'http-equiv="refresh"' in progress.text and time.monotonic() < deadline:
            time.sleep(0.2)
            progress = client.get(r.headers["location"])
    assert "Imported 2000 responses" in progress.text
    assert "<script>" not in progress.text  # no inline script (CSP without unsafe-inline)
    assert _count(sqlite_db, sid) == 2000
