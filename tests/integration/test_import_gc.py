"""Imports through the web server never pause the garbage collector of the whole process
(the CLI and the demo loader do, for speed): the page upload, the API import and jobs."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import httpx
import pytest

from rapport.domain.org import SYSTEM, Role
from rapport.services import auth, response_import
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import form_token, login

CSV = ("unit,nps,csat\n" + "north-1,9,4\n" * 200).encode()


@pytest.fixture
def gc_pauses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of gc.disable / gc.freeze in this process, by name."""
    calls: list[str] = []
    for name in ("disable", "freeze"):
        monkeypatch.setattr(gc, name, lambda name=name: calls.append(name))
    return calls


def test_the_cli_path_pauses_it_so_the_probe_works(
    sqlite_db: Database, gc_pauses: list[str]
) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        response_import.import_responses(uow, SYSTEM, sid, CSV)
    assert gc_pauses == ["disable"]


def test_web_imports_leave_the_collector_running(
    tmp_path: Path, sqlite_db: Database, gc_pauses: list[str]
) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "t", Role.ADMIN)
    api = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    settings = make_settings(tmp_path, sqlite_db, import_sync_max_bytes=1024)
    with (
        LiveServer(settings, sqlite_db) as live,
        httpx.Client(base_url=live.url, timeout=60) as client,
    ):
        small = b"unit,nps\nnorth-1,7\n"
        assert (
            client.post(
                f"/api/v1/surveys/{sid}/responses/import", content=small, headers=api
            ).status_code
            == 201
        )
        job = client.post(f"/api/v1/surveys/{sid}/responses/import", content=CSV, headers=api)
        assert job.status_code == 202
        deadline = time.monotonic() + 60
        while client.get(job.headers["location"], headers=api).json()["status"] in (
            "queued",
            "running",
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        login(client, "admin@example.com")
        page = client.get(f"/surveys/{sid}")
        r = client.post(
            f"/surveys/{sid}/import",
            data={"csrf_token": form_token(page.text)},
            files={"file": ("a.csv", small, "text/csv")},
        )
        assert r.status_code == 303, r.text[-500:]
    assert gc_pauses == []
    assert gc.isenabled()
