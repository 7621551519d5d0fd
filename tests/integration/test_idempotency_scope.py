"""Idempotency keys: the hash covers every field of the request, and a key belongs to the
caller that sent it (another caller's same key is a different request)."""

from __future__ import annotations

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org


def _headers(db: Database, name: str, key: str) -> dict[str, str]:
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, name, Role.ANALYST)
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


def test_every_field_of_the_body_is_covered_by_the_key(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    headers = _headers(db, "etl", "order-7")
    body = {
        "answers": GOOD_ANSWERS,
        "unit": "north-1",
        "person": "c1",
        "language": "en",
        "started_at": "2026-10-01T09:00:00Z",
    }
    first = httpx.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert httpx.post(url, json=body, headers=headers).status_code == 200  # a true replay
    for field, other in (
        ("person", "c2"),
        ("started_at", "2026-10-01T09:05:00Z"),
        ("language", "es"),
        ("unit", "north"),
    ):
        r = httpx.post(url, json={**body, field: other}, headers=headers)
        assert r.status_code == 409, (field, r.status_code, r.text)


def test_a_key_is_scoped_to_its_caller(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    body = {"answers": GOOD_ANSWERS, "unit": "north-1"}
    mine = httpx.post(url, json=body, headers=_headers(db, "mine", "shared-key"))
    theirs = httpx.post(url, json=body, headers=_headers(db, "theirs", "shared-key"))
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert mine.json()["id"] != theirs.json()["id"]  # no one sees another caller's response
    with db.unit_of_work() as uow:
        assert uow.responses.count(sid) == 2
