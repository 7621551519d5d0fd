"""The HTTP edge over a real uvicorn server: health, OpenAPI, problem+json everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from rapport.domain.org import Role, UnitKind
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings

PROBLEM = "application/problem+json"


def test_healthz_reports_ok_with_the_database(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/healthz")
    assert r.status_code == 200
    assert r.json() == {
        "status": "ok",
        "database": "ok",
        "warm_up": "off",
        "refresh": "off",
        "refreshes": 0,
    }


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # Nothing listens on port 1: the database is unreachable, the app must still answer.
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    with LiveServer(make_settings(tmp_path, db), db) as server:
        r = httpx.get(server.url + "/healthz", timeout=10)
    assert r.status_code == 503
    assert r.json()["database"] == "unreachable"


def test_openapi_and_docs_are_served(sqlite_live_server: LiveServer) -> None:
    spec = httpx.get(sqlite_live_server.url + "/openapi.json").json()
    assert spec["info"]["title"] == "Rapport"
    assert "/api/v1/units" in spec["paths"]
    assert "swagger" in httpx.get(sqlite_live_server.url + "/docs").text.lower()


def test_unauthenticated_api_call_is_a_401_problem(sqlite_live_server: LiveServer) -> None:
    r = httpx.get(sqlite_live_server.url + "/api/v1/units")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"].endswith("/authentication")
    assert body["status"] == 401


def test_unknown_route_is_a_404_problem(sqlite_live_server: LiveServer) -> None:
    r = httpx.get(sqlite_live_server.url + "/api/v1/nope")
    assert (r.status_code, r.headers["content-type"]) == (404, PROBLEM)


def _admin_token(db: Database) -> str:
    with db.unit_of_work() as uow:
        if uow.units.count() == 0:
            uow.units.add("acme", "Acme", UnitKind.COMPANY)
        return auth.create_token(uow, "test", Role.ADMIN)


def test_malformed_json_to_every_api_route_is_4xx_problem_never_500(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    token = _admin_token(sqlite_db)
    spec = httpx.get(sqlite_live_server.url + "/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method in operations:
            if method not in {"post", "put", "patch"}:
                continue
            url = sqlite_live_server.url + path.replace("{", "").replace("}", "")
            for body in (b"{not json", b"[1, 2", b"\xff\xfe", b'{"a": }'):
                r = httpx.request(
                    method,
                    url,
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                assert 400 <= r.status_code < 500, (method, path, body, r.text)
                assert r.headers["content-type"] == PROBLEM, (method, path)
                assert "type" in json.loads(r.text)
                checked += 1
    assert checked >= 8  # two JSON routes today, four bodies each; grows with the API


def test_bearer_token_identifies_the_caller(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    token = _admin_token(sqlite_db)
    r = httpx.get(
        sqlite_live_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200
    assert r.json()["role"] == "admin"
    bad = httpx.get(
        sqlite_live_server.url + "/api/v1/me", headers={"Authorization": "Bearer rpt_forged"}
    )
    assert bad.status_code == 401


def test_units_api_on_both_engines(live_server: LiveServer, db: Database) -> None:
    token = _admin_token(db)
    r = httpx.get(live_server.url + "/api/v1/units", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert [u["code"] for u in r.json()] == ["acme"]
