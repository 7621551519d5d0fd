"""CSRF on the API: a cookie-authenticated write must carry the session's token.

The attack from issue 11: another site makes the browser POST a ``text/plain`` CSV to the
import route. The browser attaches the session cookie; nothing else proves the user meant it.
"""

from __future__ import annotations

import httpx
import pytest

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import login, page_csrf_token

PROBLEM = "application/problem+json"
CSV = b"unit,nps\nnorth-1,9\n"


def _count(db: Database, sid: int) -> int:
    with db.unit_of_work() as uow:
        return uow.responses.count(sid)


def test_cross_origin_text_plain_import_with_only_the_cookie_is_refused(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    url = f"/api/v1/surveys/{sid}/responses/import"
    with httpx.Client(base_url=sqlite_live_server.url) as client:
        login(client, "admin@example.com")
        attack = client.post(
            url,
            content=CSV,
            headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
        )
        assert attack.status_code == 403, attack.text
        assert attack.headers["content-type"] == PROBLEM
        assert attack.json()["type"] == "https://rapport.dev/problems/csrf"
        assert _count(sqlite_db, sid) == 0

        forged = client.post(url, content=CSV, headers={"X-CSRF-Token": "not-the-token"})
        assert forged.status_code == 403
        assert _count(sqlite_db, sid) == 0

        token = page_csrf_token(client)
        ok = client.post(
            url, content=CSV, headers={"Content-Type": "text/csv", "X-CSRF-Token": token}
        )
        assert ok.status_code == 201, ok.text
        assert _count(sqlite_db, sid) == 1
        # Reads need no token: they change nothing.
        assert client.get(f"/api/v1/surveys/{sid}/responses").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_every_unsafe_method_needs_the_token_with_a_cookie(
    sqlite_live_server: LiveServer, sqlite_db: Database, method: str
) -> None:
    seed_org(sqlite_db)
    with httpx.Client(base_url=sqlite_live_server.url) as client:
        login(client, "admin@example.com")
        r = client.request(method, "/api/v1/surveys", json={})
    assert r.status_code == 403
    assert r.json()["type"].endswith("/csrf")


def test_bearer_token_requests_are_exempt(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "etl", Role.ANALYST)
    r = httpx.post(
        f"{sqlite_live_server.url}/api/v1/surveys/{sid}/responses/import",
        content=CSV,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
