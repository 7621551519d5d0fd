"""Response capture over real HTTP on both engines: validation, idempotency, listing."""

from __future__ import annotations

import concurrent.futures

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

PROBLEM = "application/problem+json"


def _token(db: Database, role: Role = Role.ANALYST, unit: str | None = None) -> dict[str, str]:
    with db.unit_of_work() as uow:
        return {"Authorization": f"Bearer {auth.create_token(uow, 't', role, unit)}"}


def test_submit_validates_and_stores(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    headers = _token(db)
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    r = httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=headers)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    listing = httpx.get(url, headers=headers).json()
    assert [i["id"] for i in listing["items"]] == [rid]
    stored = {(a["question_id"], a["item"]): a for a in listing["items"][0]["answers"]}
    assert stored[("minds", "fast")]["value_num"] == 2
    assert stored[("feelings", "frustrated")]["value_num"] == 3
    assert stored[("comment", "")]["value_text"] == "Nice staff"


def test_invalid_answers_name_every_failing_question(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    bad = {**GOOD_ANSWERS, "nps": 11, "csat": "great", "channel": "fax"}
    del bad["why"]
    bad.pop("nps")
    bad["nps"] = 11
    r = httpx.post(
        f"{live_server.url}/api/v1/surveys/{sid}/responses",
        json={"answers": bad, "unit": "north-1"},
        headers=_token(db),
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    locations = {e["location"] for e in r.json()["errors"]}
    assert {"nps", "csat", "channel"} <= locations
    missing = httpx.post(
        f"{live_server.url}/api/v1/surveys/{sid}/responses",
        json={"answers": {"csat": 3}, "unit": "north-1"},
        headers=_token(db),
    )
    assert missing.status_code == 422
    assert [e["location"] for e in missing.json()["errors"]] == ["nps"]
    unknown_unit = httpx.post(
        f"{live_server.url}/api/v1/surveys/{sid}/responses",
        json={"answers": GOOD_ANSWERS, "unit": "mars"},
        headers=_token(db),
    )
    assert unknown_unit.status_code == 422
    assert unknown_unit.json()["errors"][0]["location"] == "unit"


def test_same_idempotency_key_fifty_times_concurrently_stores_one(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    headers = {**_token(db), "Idempotency-Key": "order-42"}
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    body = {"answers": GOOD_ANSWERS, "unit": "north-1"}

    def post(_: int) -> httpx.Response:
        return httpx.post(url, json=body, headers=headers, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(post, range(50)))
    assert {r.status_code for r in results} <= {200, 201}, {r.text for r in results}
    assert sum(r.status_code == 201 for r in results) == 1
    assert len({r.json()["id"] for r in results}) == 1
    with db.unit_of_work() as uow:
        assert uow.responses.count(sid) == 1
    changed = httpx.post(
        url, json={**body, "answers": {**GOOD_ANSWERS, "nps": 10}}, headers=headers
    )
    assert changed.status_code == 409
    assert changed.headers["content-type"] == PROBLEM


def test_manager_cannot_submit_or_list_outside_subtree(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    headers = _token(db, Role.MANAGER, "north")
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    assert (
        httpx.post(
            url, json={"answers": GOOD_ANSWERS, "unit": "south"}, headers=headers
        ).status_code
        == 403
    )
    assert (
        httpx.post(
            url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=headers
        ).status_code
        == 201
    )
    assert httpx.get(url, params={"unit": "south"}, headers=headers).status_code == 403
    viewer = _token(db, Role.VIEWER)
    assert httpx.get(url, headers=viewer).status_code == 403


def test_pagination_walks_every_response_once(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    headers = _token(db)
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    for _ in range(7):
        httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=headers)
    seen, after = [], 0
    while True:
        page = httpx.get(url, params={"limit": 3, "after": after}, headers=headers).json()
        seen += [i["id"] for i in page["items"]]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert len(seen) == len(set(seen)) == 7


def test_csv_upload_and_export_over_http(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    headers = _token(db)
    base = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    csv_body = "unit,nps,csat,comment\nnorth-1,9,5,Great\nnorth-1,3,2,Slow\n"
    r = httpx.post(
        base + "/import", content=csv_body.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2
    bad = "unit,nps\nnorth-1,9\nnorth-1,12\n"
    r = httpx.post(
        base + "/import", content=bad.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["location"] == "row 3, column nps"
    exported = httpx.get(base + "/export", headers=headers)
    assert exported.status_code == 200
    lines = exported.text.strip().splitlines()
    assert len(lines) == 3 and "comment" in lines[0]
    parquet = httpx.get(base + "/export", params={"format": "parquet"}, headers=headers)
    assert parquet.content[:4] == b"PAR1"
