"""Metric statements are run again only after a commit, and every change shows at once.

On a SQLite file ``services.metrics`` keeps what a metric's statements returned under the
file's commit counter (``storage.db.CommitCounter``): a repeated request runs none of them,
and any write that can change a figure is a commit, so the next request reads afresh.
Proved over real HTTP with the writes a user makes: a new response, a resolved case, a
moved unit and an erasure each show in the very next request. On PostgreSQL (no counter)
the statements run on every request and the same figures show.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rapport.services import auth, metrics
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

PEOPLE_CSV = (
    "external_id,kind,unit,name,email,segment,loyalty_card\n"
    "cust-a,customer,north-1,Ann Example,ann@example.net,premium,LC-1\n"
)


class Reads:
    """How many times the metric statements were run (``fetch_metric`` calls)."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = metrics.fetch_metric

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        patch.setattr(metrics, "fetch_metric", counted)


def _rows(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    r = api.get("/api/v1/metrics", params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


def _n_at(rows: list[dict[str, Any]], path: str) -> int:
    return next((int(r["n"]) for r in rows if r["unit_path"] == path), 0)


def test_a_repeat_reads_nothing_and_every_write_shows_at_once(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = seed_org(db)
    reads = Reads(monkeypatch)
    cached = db.dialect == "sqlite"
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "kept-reads", auth.Role.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url, headers=headers) as api,
    ):
        r = api.post(
            "/api/v1/people/import", content=PEOPLE_CSV, headers={"Content-Type": "text/csv"}
        )
        assert r.status_code == 200, r.text

        def respond(person: str | None, key: str) -> None:
            body = {"answers": GOOD_ANSWERS, "unit": "north-1", "person": person}
            r = api.post(
                f"/api/v1/surveys/{sid}/responses", json=body, headers={"Idempotency-Key": key}
            )
            assert r.status_code == 201, r.text

        respond("cust-a", "a-1")
        respond(None, "anonymous-1")

        by_unit = {"survey": str(sid), "metric": "nps", "by": "unit"}
        first = _rows(api, **by_unit)
        assert _n_at(first, "acme/north/north-1") == 2
        before = reads.count
        assert _rows(api, **by_unit) == first
        assert reads.count == before + (0 if cached else 1), "a repeat runs no statement"

        # A new response.
        respond(None, "anonymous-2")
        assert _n_at(_rows(api, **by_unit), "acme/north/north-1") == 3

        # A case resolved in place (no new id anywhere).
        resolution = {"audience": "customer", "metric": "cases.time_to_resolution"}
        assert [r["n"] for r in _rows(api, **resolution)] in ([], [0])
        r = api.post("/api/v1/cases", json={"unit": "north-1", "title": "Called in"})
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        assert [r["n"] for r in _rows(api, **resolution)] in ([], [0])
        r = api.patch(
            f"/api/v1/cases/{case_id}",
            json={"status": "resolved", "resolution_code": "contacted_resolved"},
        )
        assert r.status_code == 200, r.text
        assert [r["n"] for r in _rows(api, **resolution)] == [1]

        # A unit moved to another region.
        r = api.patch("/api/v1/units/north-1", json={"parent": "south"})
        assert r.status_code == 200, r.text
        moved = _rows(api, **by_unit)
        assert _n_at(moved, "acme/south/north-1") == 3
        assert _n_at(moved, "acme/south") == 3 and _n_at(moved, "acme/north") == 0

        # An erasure: her person attributes leave the counts.
        by_card = {"survey": str(sid), "metric": "responses", "attribute": "loyalty_card"}
        assert {r["attribute"]: r["n"] for r in _rows(api, **by_card)}.get("LC-1") == 1
        erased = api.delete("/api/v1/people/customer/cust-a")
        assert erased.status_code == 200, erased.text
        assert "LC-1" not in {r["attribute"] for r in _rows(api, **by_card)}
