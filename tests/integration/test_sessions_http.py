"""Server-side sessions over real HTTP: logout, role change and expiry end a session even
for someone who kept a copy of the cookie."""

from __future__ import annotations

import httpx

from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import form_token, login

COOKIE = "rapport_session"


def test_a_copied_cookie_no_longer_works_after_logout(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    seed_org(sqlite_db)
    with httpx.Client(base_url=sqlite_live_server.url) as client:
        login(client, "admin@example.com")
        copied = client.cookies[COOKIE]
        assert client.get("/api/v1/me").status_code == 200
        r = client.post("/logout", data={"csrf_token": form_token(client.get("/").text)})
        assert r.status_code == 303
    thief = httpx.get(sqlite_live_server.url + "/api/v1/me", cookies={COOKIE: copied})
    assert thief.status_code == 401
    page = httpx.get(sqlite_live_server.url + "/", cookies={COOKIE: copied})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
