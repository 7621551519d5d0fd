"""Metric statements are run again only after a commit that wrote data, and every change
shows at once.

``services.metrics`` keeps the table a metric's statements built under the database's data
generation (``storage.generation``, SQLite and PostgreSQL): a repeated request runs none of
them; every commit that writes a table analytics read moves the generation, so the next
request reads afresh. Proved over real HTTP with the writes a user makes: a new response, a
resolved case, a moved unit and an erasure each show in the very next request. Writes that
change no figure (a login, a failed login, a logout) keep what was read.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rapport.services import auth, metrics
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, PASSWORD, seed_org
from tests.integration._web_login import form_token, login

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


def _admin(db: Database) -> dict[str, str]:
    """The headers of an admin API token."""
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "kept-reads", auth.Role.ADMIN)
    return {"Authorization": f"Bearer {token}"}


def _n_at(rows: list[dict[str, Any]], path: str) -> int:
    return next((int(r["n"]) for r in rows if r["unit_path"] == path), 0)


def test_a_repeat_reads_nothing_and_every_write_shows_at_once(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = seed_org(db)
    reads = Reads(monkeypatch)
    headers = _admin(db)
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
        assert reads.count == before, "a repeat runs no statement"

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


def test_writes_that_change_no_figure_keep_what_was_read(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = seed_org(db)
    reads = Reads(monkeypatch)
    headers = _admin(db)
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url, headers=headers) as api,
        httpx.Client(base_url=server.url) as browser,
    ):
        r = api.post(
            f"/api/v1/surveys/{sid}/responses",
            json={"answers": GOOD_ANSWERS, "unit": "north-1"},
            headers={"Idempotency-Key": "k-1"},
        )
        assert r.status_code == 201, r.text
        by_unit = {"survey": str(sid), "metric": "nps", "by": "unit"}
        first = _rows(api, **by_unit)
        login(browser, "admin@example.com")
        home = browser.get("/")
        assert home.status_code == 200
        before = reads.count

        # A logout, a failed login and a login (sessions, audit entries): each commits.
        r = browser.post("/logout", data={"csrf_token": form_token(home.text)})
        assert r.status_code in (200, 303), r.status_code
        page = browser.get("/login")
        wrong = {"email": "admin@example.com", "password": PASSWORD + "x"}
        r = browser.post("/login", data={**wrong, "csrf_token": form_token(page.text)})
        assert r.status_code in (400, 401, 422), r.status_code
        login(browser, "admin@example.com")

        assert _rows(api, **by_unit) == first
        assert browser.get("/").status_code == 200
        assert reads.count == before, "a write that changes no figure made metrics read again"

        # The same test fails when writes leave the generation alone: a response shows.
        r = api.post(
            f"/api/v1/surveys/{sid}/responses",
            json={"answers": GOOD_ANSWERS, "unit": "north-1"},
            headers={"Idempotency-Key": "k-2"},
        )
        assert r.status_code == 201, r.text
        assert _n_at(_rows(api, **by_unit), "acme/north/north-1") == 2
        assert reads.count > before


def test_a_response_that_opens_no_case_keeps_the_closed_loop_figures_read(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed-loop metric is read at the version of wide writes alone: a new response
    that opens no case leaves it kept, one that opens a case shows at once."""
    sid = seed_org(db)
    reads = Reads(monkeypatch)
    headers = _admin(db)
    promoter = {k: v for k, v in GOOD_ANSWERS.items() if k != "why"} | {"nps": 9}
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url, headers=headers) as api,
    ):
        rule = {"name": "Detractor", "condition": {"question": "nps", "op": "<=", "value": 6}}
        made = api.post("/api/v1/alert-rules", json=rule | {"survey": "every-type"})
        assert made.status_code == 201, made.text

        def respond(answers: dict[str, Any]) -> None:
            body = {"answers": answers, "unit": "north-1"}
            r = api.post(f"/api/v1/surveys/{sid}/responses", json=body)
            assert r.status_code == 201, r.text

        respond(GOOD_ANSWERS)  # a detractor: a case
        repeats = {"survey": str(sid), "metric": "cases.repeat_issue_rate"}
        first = _rows(api, **repeats)
        assert [r["n"] for r in first] == [1]
        before = reads.count

        respond(promoter)  # no case
        assert _rows(api, **repeats) == first
        assert reads.count == before, "a response without a case read the case metric again"
        by_unit = {"survey": str(sid), "metric": "nps", "by": "unit"}
        assert _n_at(_rows(api, **by_unit), "acme/north/north-1") == 2  # the response is seen

        respond(GOOD_ANSWERS)  # a second case of the unit and rule: a repeat
        again = _rows(api, **repeats)
        assert [(r["n"], r["value"]) for r in again] == [(2, 50.0)]
