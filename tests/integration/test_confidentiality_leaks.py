"""The five ways release 0.1 let a curious analyst or manager read employee answers below the
anonymity threshold, each replayed through the public HTTP surface (issue 11).

Each test performs the attack as it worked and asserts that it no longer does. The policy they
exercise is ``docs/confidentiality.md`` ("The policy for protected surveys").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rapport.domain.org import SYSTEM, Role, UnitKind
from rapport.services import auth, invitations, responses, surveys
from rapport.services.clock import utcnow
from rapport.services.survey_definitions import load_template
from rapport.storage.models import AuditRow
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration.test_metrics_data import answers

PASSWORD = "a-long-test-password"
#: Employee responses per store in January 2026 (a closed month); the 5th-threshold groups
#: north-2 and north-3 are small on purpose.
JANUARY = {"north-1": 12, "north-2": 4, "north-3": 2, "south-1": 20}
JAN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _seed(db: Database) -> dict[str, Any]:
    with db.unit_of_work() as uow:
        acme = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, acme)
        south = uow.units.add("south", "South", UnitKind.REGION, acme)
        units = {
            c: uow.units.add(c, c.title(), UnitKind.STORE, north)
            for c in ("north-1", "north-2", "north-3")
        }
        units["south-1"] = uow.units.add("south-1", "South-1", UnitKind.STORE, south)
        ids: dict[str, Any] = {}
        for key in ("employee-relationship", "readiness", "customer-relationship"):
            version = surveys.save_definition(uow, SYSTEM, load_template(key))
            ids[key] = version.survey_id
        employee = surveys.get_published(uow, ids["employee-relationship"])
        subs, times = [], {}
        for code, count in JANUARY.items():
            for i in range(count):
                given = answers(i)
                given["comment"] = f"Comment {i} from {code}: my manager never listens."
                at = JAN + timedelta(days=i, hours=i)
                times[(code, i)] = at
                subs.append(
                    responses.Submission(
                        answers=given, unit_id=units[code].id, channel="link",
                        submitted_at=at, attributes={"role": "cashier" if i % 3 else "advisor"},
                    )
                )  # fmt: skip
        # Three answers in the current, still open month.
        for i in range(3):
            given = answers(100 + i)
            subs.append(
                responses.Submission(
                    answers=given, unit_id=units["north-1"].id, channel="link",
                    submitted_at=utcnow() - timedelta(minutes=5 + i),
                )
            )  # fmt: skip
        responses.store_many(uow, employee, subs, validate=True)
        readiness = surveys.get_published(uow, ids["readiness"])
        ready_answers = _readiness_answers(readiness.definition)
        responses.store_many(
            uow,
            readiness,
            [
                responses.Submission(
                    answers={**ready_answers, "biggest_obstacle": "Awful, I hate this."},
                    unit_id=units["north-1"].id, channel="link", submitted_at=JAN + timedelta(days=2),
                )
                for _ in range(3)
            ],
            validate=False,
        )  # fmt: skip
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.ADMIN)
        auth.create_user(uow, "analyst@example.com", PASSWORD, Role.ANALYST)
        auth.create_user(uow, "north@example.com", PASSWORD, Role.MANAGER, "north")
        tokens = {
            "admin": auth.create_token(uow, "admin", Role.ADMIN),
            "analyst": auth.create_token(uow, "analyst", Role.ANALYST),
            "manager": auth.create_token(uow, "manager", Role.MANAGER, "north"),
        }
        ids["times"] = times
        ids["tokens"] = tokens
    return ids


def _readiness_answers(definition: Any) -> dict[str, Any]:
    """Any valid answer to every scored question of the readiness template."""
    out: dict[str, Any] = {}
    for q in definition.questions:
        kind = q.type.value
        if kind in ("likert", "csat", "ces"):
            out[q.id] = 3
        elif kind == "nps":
            out[q.id] = 5
        elif kind == "matrix":
            out[q.id] = {row.id: 3 for row in q.rows}
    return out


@pytest.fixture
def attack(live_server: LiveServer, db: Database) -> dict[str, Any]:
    ids = _seed(db)
    ids["server"] = live_server
    ids["db"] = db
    return ids


def _get(ids: dict[str, Any], role: str, path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {ids['tokens'][role]}"}
    return httpx.get(ids["server"].url + path, params=params, headers=headers, timeout=60)


def _post(ids: dict[str, Any], role: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {ids['tokens'][role]}", **kwargs.pop("headers", {})}
    return httpx.post(ids["server"].url + path, headers=headers, timeout=60, **kwargs)


# --- 1. raw listing filtered by unit ------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_raw_rows_of_an_employee_survey_are_not_listed_or_exported(attack, role) -> None:
    sid = attack["employee-relationship"]
    listing = _get(attack, role, f"/api/v1/surveys/{sid}/responses", unit="north-3")
    assert listing.status_code == 403, listing.text
    assert listing.headers["content-type"].startswith("application/problem+json")
    assert listing.json()["type"].endswith("/confidential")
    for fmt in ("csv", "parquet", "json", "sav"):  # every format reads through one gate
        path = f"/api/v1/surveys/{sid}/responses/export"
        export = _get(attack, role, path, unit="north-3", format=fmt)
        assert export.status_code == 403, fmt
        assert export.headers["content-type"].startswith("application/problem+json")
    assert _get(attack, role, f"/api/v1/surveys/{sid}/responses").status_code == 403


def test_an_admin_may_read_raw_rows_and_every_read_is_audited(attack) -> None:
    sid = attack["employee-relationship"]
    listing = _get(attack, "admin", f"/api/v1/surveys/{sid}/responses", unit="north-3")
    assert listing.status_code == 200
    assert len(listing.json()["items"]) == JANUARY["north-3"]
    export = _get(attack, "admin", f"/api/v1/surveys/{sid}/responses/export")
    assert export.status_code == 200
    with attack["db"].unit_of_work() as uow:
        actions = uow.session.scalars(select(AuditRow.action)).all()
    assert actions.count("responses.list") == 1
    assert actions.count("responses.export") == 1


def test_customer_raw_rows_stay_listable_by_analysts(attack) -> None:
    sid = attack["customer-relationship"]
    assert _get(attack, "analyst", f"/api/v1/surveys/{sid}/responses").status_code == 200


# --- 2. differencing through arbitrary time windows ---------------------------------------------


def _hearts(ids: dict[str, Any], role: str, **params: Any) -> list[dict[str, Any]]:
    r = _get(
        ids, role, "/api/v1/metrics", survey="employee-relationship", metric="hearts", **params
    )
    assert r.status_code == 200, r.text
    return r.json()["rows"]


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_windows_a_second_apart_give_the_same_figures(attack, role) -> None:
    """Before: n 12 → 11 between ``since=T`` and ``since=T+1s`` gave one person's index."""
    t = attack["times"][("north-1", 5)]
    for unit in ("north-1", "north"):
        before = _hearts(attack, role, unit=unit, since=t.isoformat())
        after = _hearts(attack, role, unit=unit, since=(t + timedelta(seconds=1)).isoformat())
        assert before == after
        until = _hearts(attack, role, unit=unit, until=(t + timedelta(seconds=1)).isoformat())
        until_before = _hearts(attack, role, unit=unit, until=t.isoformat())
        assert until == until_before


def test_the_open_month_is_never_shown(attack) -> None:
    """Responses arriving now would otherwise move a live figure one person at a time."""
    now = utcnow()
    rows = _hearts(attack, "analyst", by="unit,period", period="month")
    assert rows, "closed months must be shown"
    assert all(r["period"] < f"{now:%Y-%m}-01" for r in rows)
    later = _hearts(attack, "analyst", unit="north-1", until=(now + timedelta(days=40)).isoformat())
    assert all(r["period"] < f"{now:%Y-%m}-01" for r in later)


def test_a_window_cannot_cut_a_period_into_pieces(attack) -> None:
    # Every row shown is one whole closed month: the same n whatever the window's edges.
    whole = {r["period"]: r["n"] for r in _hearts(attack, "analyst", period="month")}
    t = attack["times"][("north-1", 5)]
    for since in (t, t + timedelta(hours=1), t + timedelta(days=3)):
        cut = _hearts(attack, "analyst", period="month", since=since.isoformat())
        assert {r["period"]: r["n"] for r in cut}.items() <= whole.items()


def test_weeks_are_not_offered_for_employee_results(attack) -> None:
    r = _get(
        attack, "analyst", "/api/v1/metrics", survey="employee-relationship", metric="hearts",
        period="week",
    )  # fmt: skip
    assert r.status_code == 422
    assert any(e["location"] == "period" for e in r.json()["errors"])


# --- 3. the comment explorer --------------------------------------------------------------------


def _login(client: httpx.Client, email: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
    )
    assert r.status_code == 303, r.text


def test_employee_comments_show_no_score_and_no_date(attack) -> None:
    sid = attack["employee-relationship"]
    with httpx.Client(base_url=attack["server"].url, timeout=60) as client:
        _login(client, "analyst@example.com")
        page = client.get(f"/surveys/{sid}/comments")
        assert page.status_code == 200
        assert "my manager never listens" in page.text, "a big enough group shows its comments"
        assert not re.search(r"· score \d", page.text), "no per-comment score"
        assert 'name="band"' not in page.text, "no score-band filter"
        assert not re.search(r"\b\d{2} (Jan|Feb|Mar) 2026\b", page.text), "no exact dates"
        banded = client.get(f"/surveys/{sid}/comments", params={"band": "detractor"})
        assert banded.status_code == 422


def test_employee_comments_of_a_small_month_are_not_listed(attack) -> None:
    sid = attack["employee-relationship"]
    r = _get(attack, "analyst", f"/api/v1/surveys/{sid}/comments", unit="north")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == "2026-01" and body["threshold"] == 10
    # January: north has 18 comments (12 + 4 + 2). north-1's 12 reach the threshold, but
    # showing them apart would leave the 6 of north-2 and north-3 as north minus north-1,
    # so every comment of north is shown under north, none under a store.
    assert body["matching"] == 18
    assert {c["unit"] for c in body["comments"]} == {"north"}
    assert all(c["period"] == "2026-01" for c in body["comments"])
    assert all("score" not in c and "submitted_at" not in c for c in body["comments"])
    for small in ("north-1", "north-3"):
        assert (
            _get(attack, "analyst", f"/api/v1/surveys/{sid}/comments", unit=small).status_code
            == 403
        )


# --- 4. audience versus survey ------------------------------------------------------------------


def test_employee_results_across_surveys_are_refused(attack) -> None:
    """Before: audience=employee (n=39) minus survey=employee-relationship (n=36) gave the
    three readiness comments' sentiments."""
    r = _get(attack, "analyst", "/api/v1/metrics", audience="employee", metric="comment_sentiment")
    assert r.status_code == 422
    assert any(e["location"] == "survey" for e in r.json()["errors"])
    mixed = _get(attack, "analyst", "/api/v1/metrics", metric="responses", by="unit")
    assert mixed.status_code == 200
    employee_rows = [row for row in mixed.json()["rows"] if row["audience"] == "employee"]
    assert employee_rows and all(row["suppressed"] for row in employee_rows)


# --- 5. padding a small group with one's own responses ------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "manager", "admin"])
def test_staff_cannot_submit_to_an_employee_survey(attack, role) -> None:
    sid = attack["employee-relationship"]
    r = _post(
        attack, role, f"/api/v1/surveys/{sid}/responses",
        json={"answers": answers(1), "unit": "north-3"},
    )  # fmt: skip
    assert r.status_code == 403, r.text
    assert r.json()["type"].endswith("/confidential")


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_only_admins_import_into_an_employee_survey(attack, role) -> None:
    sid = attack["employee-relationship"]
    csv = "unit,enps\nnorth-3,5\n"
    r = _post(
        attack, role, f"/api/v1/surveys/{sid}/responses/import",
        content=csv.encode(), headers={"Content-Type": "text/csv"},
    )  # fmt: skip
    assert r.status_code == 403


def test_no_public_link_to_an_employee_survey(attack) -> None:
    db = attack["db"]
    manager = auth.principal_for_user
    with db.unit_of_work() as uow:
        user = uow.users.by_email("north@example.com")
        assert user is not None
        with pytest.raises(Exception, match="invitation"):
            invitations.create_public_link(
                uow, manager(user), attack["employee-relationship"], "north-3"
            )


def test_invitation_links_of_an_employee_survey_are_not_shown_to_a_manager(attack) -> None:
    sid = attack["employee-relationship"]
    with httpx.Client(base_url=attack["server"].url, timeout=60) as client:
        _login(client, "north@example.com")
        form = client.get(f"/surveys/{sid}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        r = client.post(
            f"/surveys/{sid}/links",
            data={"csrf_token": token.group(1), "unit": "north-3", "kind": "invitations"},
        )
        assert r.status_code == 403
        assert "/s/" not in r.text
