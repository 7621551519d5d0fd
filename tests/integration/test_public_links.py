"""Anonymous public links over HTTP: reusable, no person stored, rate-limited submits."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from rapport.domain.org import SYSTEM
from rapport.services import invitations
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org

MINIMAL = {
    "key": "kiosk",
    "title": "How was your visit?",
    "audience": "customer",
    "pages": [
        {
            "id": "p",
            "questions": [
                {"id": "csat", "type": "csat", "required": True, "text": "How satisfied are you?"}
            ],
        }
    ],
}


def _submit(client: httpx.Client, token: str, score: str) -> httpx.Response:
    page = client.get(f"/s/{token}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text
    return client.post(
        f"/s/{token}",
        data={
            "csrf_token": csrf.group(1),
            "page": "0",
            "lang": "en",
            "shown": "csat",
            "q.csat": score,
            "action": "submit",
        },
    )


def test_public_link_is_reusable_and_rate_limited(tmp_path: Path, sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db, MINIMAL)
    with sqlite_db.unit_of_work() as uow:
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    settings = make_settings(tmp_path, sqlite_db, public_submit_per_minute=2)
    with LiveServer(settings, sqlite_db) as server, httpx.Client(base_url=server.url) as client:
        assert _submit(client, token, "5").status_code == 200
        assert _submit(client, token, "4").status_code == 200
        third = _submit(client, token, "3")
        assert third.status_code == 429
        invalid = client.get(f"/s/{token}")
        assert invalid.status_code == 200  # the form itself is never throttled
        qr = client.get(f"/qr/{token}.png")
        assert qr.status_code == 200 and qr.content[:8] == b"\x89PNG\r\n\x1a\n"
        svg = client.get(f"/qr/{token}.svg")
        assert svg.headers["content-type"].startswith("image/svg+xml")
    with sqlite_db.unit_of_work() as uow:
        rows = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=10)
    assert len(rows) == 2
    assert all(r["person_id"] is None and r["channel"] == "link" for r in rows)


def test_out_of_range_form_value_is_reported_not_stored(
    tmp_path: Path, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db, MINIMAL)
    with sqlite_db.unit_of_work() as uow:
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    with (
        LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        r = _submit(client, token, "9")
        assert r.status_code == 422
        assert "Please choose a number from 1 to 5." in r.text  # plain words, not the API's
        assert "expected an integer" not in r.text
        r = _submit(client, token, "five")
        assert r.status_code == 422
        assert "Please choose a number from 1 to 5." in r.text
    with sqlite_db.unit_of_work() as uow:
        assert uow.responses.count(sid) == 0
