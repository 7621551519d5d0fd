"""Schema honesty at the API edge: time zones on every returned datetime, ISO 8601 only
for datetimes sent in, and problem+json declared for every operation."""

from __future__ import annotations

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org

PROBLEMS = {"400", "401", "403", "404", "409", "413", "422", "429", "503"}


def _headers(db: Database) -> dict[str, str]:
    with db.unit_of_work() as uow:
        return {"Authorization": f"Bearer {auth.create_token(uow, 't', Role.ADMIN)}"}


def test_listed_responses_carry_a_time_zone(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    headers = _headers(db)
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    body = {"answers": {"nps": 9}, "unit": "north-1", "started_at": "2026-01-05T10:00:00"}
    assert httpx.post(url, json=body, headers=headers).status_code == 201
    item = httpx.get(url, headers=headers).json()["items"][0]
    assert item["submitted_at"].endswith(("Z", "+00:00")), item["submitted_at"]


def test_numbers_are_not_datetimes(sqlite_live_server: LiveServer, sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    headers = _headers(sqlite_db)
    url = f"{sqlite_live_server.url}/api/v1/surveys/{sid}/responses"
    r = httpx.get(url, params={"until": "0.5"}, headers=headers)
    assert r.status_code == 422
    assert [e["location"] for e in r.json()["errors"]] == ["query.until"]
    assert "ISO 8601" in r.json()["errors"][0]["message"]
    ok = httpx.get(
        url, params={"since": "2026-01-01", "until": "2026-02-01T00:00:00Z"}, headers=headers
    )
    assert ok.status_code == 200
    bad = {"answers": {"nps": 9}, "unit": "north-1", "started_at": 1767607200}
    r = httpx.post(url, json=bad, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["location"] == "started_at"


def test_every_operation_declares_problem_responses(sqlite_live_server: LiveServer) -> None:
    spec = httpx.get(sqlite_live_server.url + "/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert set(responses) >= PROBLEMS, (method, path)
            for status in PROBLEMS:
                assert list(responses[status]["content"]) == ["application/problem+json"]
            assert "Retry-After" in responses["503"]["headers"]
