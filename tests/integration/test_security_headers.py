"""Security headers on every kind of response: pages, API, exports, static files."""

from __future__ import annotations

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import login


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_pages_send_a_strict_csp_and_are_not_cached(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    seed_org(sqlite_db)
    with httpx.Client(base_url=sqlite_live_server.url) as client:
        login(client, "admin@example.com")
        for path in ("/", "/dashboard", "/surveys", "/login"):
            r = client.get(path)
            assert r.status_code == 200, path
            csp = _directives(r.headers["content-security-policy"])
            assert csp["default-src"] == ["'self'"]
            assert csp["script-src"] == ["'self'"]  # no inline script, no eval
            assert csp["frame-ancestors"] == ["'none'"]
            assert csp["base-uri"] == ["'self'"]
            assert csp["form-action"] == ["'self'"]
            assert csp["object-src"] == ["'none'"]
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"] == "same-origin"
            assert r.headers["cache-control"] == "no-store", path


def test_api_and_exports_are_not_cached_static_files_may_be(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        headers = {"Authorization": f"Bearer {auth.create_token(uow, 't', Role.ADMIN)}"}
    base = sqlite_live_server.url
    for path in (
        f"/api/v1/surveys/{sid}/responses",
        f"/api/v1/surveys/{sid}/responses/export",
        f"/api/v1/surveys/{sid}/responses/export?format=parquet",
    ):
        r = httpx.get(base + path, headers=headers)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
        assert r.headers["x-content-type-options"] == "nosniff"
    static = httpx.get(base + "/static/rapport.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")
    assert static.headers["x-content-type-options"] == "nosniff"


def test_errors_carry_the_headers_too(sqlite_live_server: LiveServer) -> None:
    r = httpx.get(sqlite_live_server.url + "/api/v1/nope")
    assert r.status_code == 404
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
