"""Tags edited before an import, through ``POST /api/v1/imports`` (the ``tags`` field) on
real SQLite and PostgreSQL over real HTTP: the dry run reports them, the import stores them,
and a bad id, tag or JSON is a problem+json naming it, with nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from rapport.domain.org import Role, UnitKind
from rapport.services import auth, surveys
from rapport.storage.uow import Database

QT = Path(__file__).parents[1] / "data" / "formats" / "qualtrics"
FILES = {
    "definition": ("qt_nps_store_visit.qsf", (QT / "qt_nps_store_visit.qsf").read_bytes()),
    "responses": ("qt_nps_store_visit.csv", (QT / "qt_nps_store_visit.csv").read_bytes()),
}


def _client(live_server, db: Database) -> httpx.Client:
    with db.unit_of_work() as uow:
        uow.units.add("acme", "Acme", UnitKind.COMPANY)
        token = auth.create_token(uow, "analyst-token", Role.ANALYST)
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=live_server.url, headers=headers, timeout=60)


def test_tags_are_reported_stored_and_checked(live_server, db: Database) -> None:
    tags = json.dumps({"q2": ["satisfaction.overall"], "q5": ["loyalty.recommend", "mind.ease"]})
    with _client(live_server, db) as api:
        dry = api.post(
            "/api/v1/imports",
            data={"format": "qualtrics", "dry_run": "true", "tags": tags},
            files=FILES,
        )
        assert dry.status_code == 200, dry.text
        mapping = {m["question_id"]: m["tags"] for m in dry.json()["mapping"]}
        assert mapping["q2"] == ["satisfaction.overall"]
        assert mapping["q5"] == ["loyalty.recommend", "mind.ease"]
        assert mapping["q3"] == []
        for bad, location, says in [
            ({"q2": ["satisfaction.overal"]}, "tags.q2", "unknown construct tag"),
            ({"q99": ["mind.ease"]}, "tags.q99", "no question 'q99'"),
            ({"q2": "mind.ease"}, "tags.q2", "expected a list of tags"),
        ]:
            r = api.post(
                "/api/v1/imports",
                data={"format": "qualtrics", "tags": json.dumps(bad)},
                files=FILES,
            )
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["errors"][0]["location"] == location
            assert says in r.json()["errors"][0]["message"]
        r = api.post("/api/v1/imports", data={"format": "qualtrics", "tags": "{"}, files=FILES)
        assert (r.status_code, r.json()["errors"][0]["location"]) == (422, "tags")
        with db.unit_of_work() as uow:
            assert uow.surveys.by_key("store-visit-nps") is None  # nothing written so far
        r = api.post("/api/v1/imports", data={"format": "qualtrics", "tags": tags}, files=FILES)
        assert r.status_code == 201, r.text
        assert r.json()["imported"]["responses"] == 26
    with db.unit_of_work() as uow:
        definition = surveys.get_published(uow, "store-visit-nps").definition
    assert definition.question("q2").tags == ("satisfaction.overall",)
    assert definition.question("q5").tags == ("loyalty.recommend", "mind.ease")
