"""Alert rules and cases on both engines: every store path opens cases in the response's
transaction, owners are found up the tree, escalation is safe to run twice at once, and an
employee-survey case never says who answered (over real HTTP)."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.domain.org import SYSTEM, Role
from rapport.errors import ValidationFailed
from rapport.services import alerts, auth, case_sweeper, cases, invitations, responses, surveys
from rapport.services.response_import import import_responses
from rapport.storage.models import CaseEventRow, CommentAnalysisRow
from rapport.storage.repositories.cases import CaseFilter, CaseRecord
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, PASSWORD, seed_org
from tests.integration._web_login import login
from tests.integration.test_invitations import Sink, smtp_sink  # noqa: F401 - a fixture

PROBLEM = "application/problem+json"
DETRACTOR = {"question": "nps", "op": "<=", "value": 6}
ANGRY = "I am furious, the staff were rude and I am angry about it."
PROMOTER = {k: v for k, v in GOOD_ANSWERS.items() if k != "why"} | {"nps": 9}


def _rule(db: Database, condition: dict[str, Any], **kw: Any) -> int:
    with db.unit_of_work() as uow:
        rule = alerts.RuleInput(name=kw.pop("name", "Follow up"), condition=condition, **kw)
        return alerts.create_rule(uow, SYSTEM, rule).id


def _cases(db: Database) -> list[CaseRecord]:
    with db.unit_of_work(readonly=True) as uow:
        return uow.cases.find(CaseFilter(limit=1000))


def _token(db: Database, role: Role = Role.ADMIN, unit: str | None = None) -> dict[str, str]:
    with db.unit_of_work() as uow:
        return {"Authorization": f"Bearer {auth.create_token(uow, 't', role, unit)}"}


def _submit(db: Database, sid: int, answers: dict[str, Any], unit: str = "north-1") -> int:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        target = uow.units.one(unit)
        sub = responses.Submission(answers=answers, unit_id=target.id)
        return responses.submit(uow, published, sub).response_id


def test_api_submit_opens_one_case_owned_by_the_manager_up_the_tree(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    admin = _token(db)
    body = {"name": "Detractor", "condition": DETRACTOR, "survey": "every-type", "priority": "high"}
    made = httpx.post(f"{live_server.url}/api/v1/alert-rules", json=body, headers=admin)
    assert made.status_code == 201, made.text
    url = f"{live_server.url}/api/v1/surveys/{sid}/responses"
    key = {**admin, "Idempotency-Key": "k-1"}
    low = httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=key)
    assert low.status_code == 201, low.text
    again = httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=key)
    assert again.json()["id"] == low.json()["id"]
    high = httpx.post(url, json={"answers": PROMOTER, "unit": "north-1"}, headers=admin)
    assert high.status_code == 201, high.text
    [case] = _cases(db)
    assert case.response_id == low.json()["id"]
    assert case.rule_id == made.json()["id"]
    assert case.priority == "high"
    assert case.due_at - case.opened_at == timedelta(hours=24)
    # north-1 has no manager; its parent "north" has one: the owner is found up the tree.
    with db.unit_of_work(readonly=True) as uow:
        owner = uow.users.get(case.owner_id or 0)
    assert owner is not None and owner.email == "north@example.com"
    with httpx.Client(base_url=live_server.url) as manager:
        login(manager, "north@example.com")
        mine = manager.get("/api/v1/cases", params={"owner": "me"}).json()
        assert [c["id"] for c in mine] == [case.id]
        assert mine[0]["unit"] == "north-1" and mine[0]["owner"] == "north@example.com"


def test_a_form_submit_opens_a_case_for_anger_in_the_comment(
    tmp_path: Path, sqlite_db: Database
) -> None:
    sid = seed_org(
        sqlite_db,
        {
            "key": "visit",
            "title": "Visit",
            "audience": "customer",
            "pages": [
                {
                    "id": "p",
                    "questions": [
                        {"id": "nps", "type": "nps", "required": True, "text": "Recommend?"},
                        {"id": "comment", "type": "text", "text": "Why?"},
                    ],
                }
            ],
        },
    )
    _rule(sqlite_db, {"any": [DETRACTOR, {"question": "emotion:anger", "op": "answered"}]})
    with sqlite_db.unit_of_work() as uow:
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    with (
        LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        for comment in ("Lovely visit, thank you.", ANGRY):
            page = client.get(f"/s/{token}")
            csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            data = {"csrf_token": csrf, "page": "0", "lang": "en", "shown": "nps,comment"}
            data |= {"action": "submit", "q.nps": "9", "q.comment": comment}
            assert "Thank you" in client.post(f"/s/{token}", data=data).text
    with sqlite_db.unit_of_work(readonly=True) as uow:
        angry = {
            a.response_id
            for a in uow.session.query(CommentAnalysisRow)
            if "anger" in a.ekman.split()
        }
    [case] = _cases(sqlite_db)
    assert angry == {case.response_id}  # the promoter with the angry comment, only


CSV_HEADER = "unit,nps,csat,minds.ease,comment"


def test_csv_import_opens_cases_and_a_failing_import_opens_none(db: Database) -> None:
    sid = seed_org(db)
    _rule(db, DETRACTOR, survey="every-type")
    good = "\n".join([CSV_HEADER, "north-1,9,5,4,Fine", "acme/south,3,1,1,Slow"]) + "\n"
    with db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, good.encode())
    [case] = _cases(db)
    with db.unit_of_work(readonly=True) as uow:
        assert uow.units.get(case.unit_id).code == "south"  # type: ignore[union-attr]
    assert case.owner_id is None  # no manager in south nor above it
    bad = "\n".join([CSV_HEADER, "north-1,2,5,4,Bad", "north-1,11,5,4,Nope"]) + "\n"
    with pytest.raises(ValidationFailed), db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, bad.encode())
    assert len(_cases(db)) == 1
    with db.unit_of_work(readonly=True) as uow:
        assert uow.responses.count(sid) == 2


def test_a_hearts_index_below_a_level(db: Database) -> None:
    sid = seed_org(db)
    _rule(db, {"question": "index:hearts", "op": "<", "value": 40})
    # "delight" is the only heart.* item (likert 1-5): score = (answer - 1) / 4 * 100.
    low = _submit(db, sid, PROMOTER | {"delight": 2})  # 25
    _submit(db, sid, PROMOTER | {"delight": 3})  # 50
    _submit(db, sid, {k: v for k, v in PROMOTER.items() if k != "delight"})  # no hearts score
    assert [c.response_id for c in _cases(db)] == [low]


def test_rules_are_scoped_by_survey_audience_and_unit_and_open_once(db: Database) -> None:
    sid = seed_org(db)
    _rule(db, DETRACTOR, unit="south", name="south only")
    _rule(db, DETRACTOR, audience="employee", name="employees only")
    inside = _rule(db, DETRACTOR, unit="north", name="north")
    rid = _submit(db, sid, GOOD_ANSWERS)
    [case] = _cases(db)
    assert (case.rule_id, case.response_id) == (inside, rid)
    with db.unit_of_work() as uow:  # evaluating the same response again opens nothing
        published = surveys.get_published(uow, sid)
        values = [("nps", "", 4.0, None)]
        assert (
            alerts.on_stored(uow, published, [alerts.Stored(rid, case.unit_id, values, [])]) == []
        )
    assert len(_cases(db)) == 1


def test_bad_rules_are_problems_naming_the_field(live_server: LiveServer, db: Database) -> None:
    seed_org(db)
    url = f"{live_server.url}/api/v1/alert-rules"
    bad_op = {"name": "x", "condition": {"any": [{"question": "nps", "op": "~", "value": 1}]}}
    r = httpx.post(url, json=bad_op, headers=_token(db))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert [e["location"] for e in r.json()["errors"]] == ["condition.any[0].op"]
    typo = {
        "name": "x",
        "survey": "every-type",
        "condition": {"question": "npss", "op": "answered"},
    }
    r = httpx.post(url, json=typo, headers=_token(db))
    assert r.status_code == 422
    assert r.json()["errors"][0]["location"] == "condition.question"
    denied = httpx.post(
        url, json={"name": "x", "condition": DETRACTOR}, headers=_token(db, Role.MANAGER, "north")
    )
    assert denied.status_code == 403 and denied.headers["content-type"] == PROBLEM


def _managers(db: Database) -> None:
    with db.unit_of_work() as uow:
        auth.create_user(uow, "store@example.com", PASSWORD, Role.MANAGER, "north-1")
        auth.create_user(uow, "boss@example.com", PASSWORD, Role.MANAGER, "acme")


def test_escalation_moves_each_overdue_case_once_under_concurrent_sweeps(db: Database) -> None:
    seed_org(db)
    _managers(db)
    past = datetime.now(UTC) - timedelta(hours=10)
    with db.unit_of_work() as uow:
        store = uow.units.one("north-1")
        ids = [
            cases.open_case(uow, unit=store, audience="customer", title=f"c{i}", priority="urgent",
                            actor="test", now=past)
            for i in range(12)
        ]  # fmt: skip
        fresh = cases.open_case(
            uow, unit=store, audience="customer", title="new", priority="low", actor="t"
        )
    barrier = threading.Barrier(4)
    moved: list[int] = []

    def sweep() -> None:
        barrier.wait()
        moved.append(case_sweeper.escalate_overdue(db))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(moved) == 12, moved
    with db.unit_of_work(readonly=True) as uow:
        north = uow.users.by_email("north@example.com")
        for case_id in ids:
            case = uow.cases.get(case_id)
            assert case is not None and case.escalation_level == 1
            assert case.owner_id == north.id  # type: ignore[union-attr]
            kinds = [e["kind"] for e in uow.cases.events(case_id)]
            assert kinds == ["opened", "escalated"]
        assert uow.cases.get(fresh).escalation_level == 0  # type: ignore[union-attr]
    assert case_sweeper.escalate_overdue(db) == 0  # a new due time came with the move
    later = datetime.now(UTC) + timedelta(hours=5)
    assert case_sweeper.escalate_overdue(db, later) == 12
    assert case_sweeper.escalate_overdue(db, later + timedelta(hours=5)) == 0  # the root: stays
    with db.unit_of_work(readonly=True) as uow:
        boss = uow.users.by_email("boss@example.com")
        assert {uow.cases.get(i).owner_id for i in ids} == {boss.id}  # type: ignore[union-attr]


class Outbox:
    """Collects what would be e-mailed (a Notifier), for the services layer's test."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject))


def test_owners_are_mailed_once_on_open_and_on_escalation(db: Database) -> None:
    sid = seed_org(db)
    _managers(db)
    _rule(db, DETRACTOR, priority="urgent")
    _submit(db, sid, GOOD_ANSWERS)
    outbox = Outbox()
    assert case_sweeper.send_notifications(db, outbox) == 1
    assert case_sweeper.send_notifications(db, outbox) == 0
    assert outbox.sent[0][0] == "store@example.com"
    moved, sent = case_sweeper.sweep(db, outbox, now=datetime.now(UTC) + timedelta(hours=5))
    assert (moved, sent) == (1, 1)
    assert outbox.sent[1][0] == "north@example.com"
    with db.unit_of_work(readonly=True) as uow:
        pending = uow.session.query(CaseEventRow).filter(CaseEventRow.notified_at.is_(None))
        assert all(e.notify_user_id is None for e in pending)


PULSE = {
    "key": "pulse",
    "title": "Pulse",
    "audience": "employee",
    "pages": [
        {
            "id": "p",
            "questions": [
                {"id": "enps", "type": "nps", "required": True, "text": "Recommend working here?"},
                {"id": "comment", "type": "text", "text": "Why?"},
            ],
        }
    ],
}


def test_an_employee_case_never_reveals_who_answered(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db, PULSE)
    _rule(db, {"question": "enps", "op": "<=", "value": 6}, survey="pulse")
    _submit(db, sid, {"enps": 2, "comment": "My manager never listens."})
    for _ in range(3):
        _submit(db, sid, {"enps": 9})
    [case] = _cases(db)
    with httpx.Client(base_url=live_server.url) as manager:
        login(manager, "north@example.com")
        listing = manager.get("/api/v1/cases").json()
        shown = manager.get(f"/api/v1/cases/{case.id}").json()
        assert set(listing[0]) >= {"unit", "title"}
        for found in (listing[0], shown):
            assert not {"person", "person_id", "submitted_at", "answers"} & set(found)
        assert shown["response_id"] is None
        assert shown["unit"] == "north-1"
        opened = datetime.fromisoformat(shown["opened_at"])
        assert (opened.hour, opened.minute, opened.second) == (0, 0, 0)  # the day only
        assert shown["comments"] == [] and "Fewer than 10 responses" in shown["comment_withheld"]
        for _ in range(6):  # ten responses in north-1 now: the comment's group is big enough
            _submit(db, sid, {"enps": 8})
        shown = manager.get(f"/api/v1/cases/{case.id}").json()
        assert shown["comments"] == ["My manager never listens."]
        assert shown["comment_withheld"] is None and shown["response_id"] is None


def test_working_a_case_over_http(live_server: LiveServer, db: Database) -> None:
    seed_org(db)
    _managers(db)
    admin = _token(db)
    url = f"{live_server.url}/api/v1/cases"
    made = httpx.post(
        url, json={"unit": "north-1", "title": "Phone complaint", "note": "Called"}, headers=admin
    )
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["owner"] == "store@example.com" and case["notes"][0]["text"] == "Called"
    one = f"{url}/{case['id']}"
    r = httpx.patch(one, json={"status": "resolved"}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["location"] == "resolution_code"
    r = httpx.patch(one, json={"status": "in_progress", "note": "Rang back"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["first_contact_at"] is not None and len(r.json()["notes"]) == 2
    r = httpx.patch(
        one, json={"status": "closed", "resolution_code": "contacted_resolved"}, headers=admin
    )
    assert r.json()["status"] == "closed" and r.json()["resolved_at"] is not None
    r = httpx.patch(one, json={"status": "open"}, headers=admin)
    assert r.status_code == 422 and "cannot become open" in r.text
    assert httpx.patch(one, json={}, headers=admin).status_code == 422
    r = httpx.patch(one, json={"owner": "nobody@example.com"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["location"] == "owner"
    south = _token(db, Role.MANAGER, "south")
    assert httpx.get(one, headers=south).status_code == 404
    assert httpx.get(url, headers=_token(db, Role.VIEWER)).status_code == 403
    assert httpx.get(url, params={"status": "closed"}, headers=admin).json()[0]["id"] == case["id"]
    assert httpx.get(url, params={"status": "open"}, headers=admin).json() == []
    assert httpx.get(url, params={"status": "nope"}, headers=admin).status_code == 422
    kinds = [e["kind"] for e in httpx.get(one, headers=admin).json()["events"]]
    assert kinds == ["opened", "status", "resolution", "status"]


def test_the_app_escalates_on_its_own_and_mails_by_smtp(
    tmp_path: Path, sqlite_db: Database, request: pytest.FixtureRequest
) -> None:
    sink: Sink
    sink, port = request.getfixturevalue("smtp_sink")  # a local SMTP server (aiosmtpd)
    seed_org(sqlite_db)
    _managers(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        store = uow.units.one("north-1")
        late = datetime.now(UTC) - timedelta(hours=5)
        case_id = cases.open_case(
            uow,
            unit=store,
            audience="customer",
            title="Late",
            priority="urgent",
            actor="t",
            now=late,
        )
    settings = make_settings(
        tmp_path, sqlite_db, case_sweep_seconds=1, smtp_port=port, base_url="https://cx.example.com"
    )
    with LiveServer(settings, sqlite_db):
        deadline = time.monotonic() + 20
        while len(sink.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
    with sqlite_db.unit_of_work(readonly=True) as uow:
        assert uow.cases.get(case_id).escalation_level == 1  # type: ignore[union-attr]
    assert sorted(m["To"] for m in sink.messages) == ["north@example.com", "store@example.com"]
    escalated = next(m for m in sink.messages if m["To"] == "north@example.com")
    assert f"https://cx.example.com/cases/{case_id}" in escalated.get_content()
    assert "escalated to you" in escalated.get_content()


def test_a_seeded_import_opens_exactly_the_cases_counted_independently(db: Database) -> None:
    sid = seed_org(db)
    _rule(db, DETRACTOR, name="detractor")
    _rule(db, {"question": "index:hearts", "op": "<", "value": 40}, name="low hearts")
    rng = random.Random(7)
    rows = [(rng.randint(0, 10), rng.randint(1, 5), rng.randint(1, 5)) for _ in range(400)]
    body = "\n".join(["unit,nps,csat,delight", *(f"north-1,{n},{c},{d}" for n, c, d in rows)])
    with db.unit_of_work() as uow:
        import_responses(uow, SYSTEM, sid, (body + "\n").encode())
    found = _cases(db)
    # hearts = (delight - 1) / 4 * 100 < 40  <=>  delight <= 2
    assert sum(c.rule_id == 1 for c in found) == sum(n <= 6 for n, _, _ in rows)
    assert sum(c.rule_id == 2 for c in found) == sum(d <= 2 for _, _, d in rows)
    assert len({(c.rule_id, c.response_id) for c in found}) == len(found)
