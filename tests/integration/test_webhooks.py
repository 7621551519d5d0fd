"""Webhooks on both engines, against a real HTTP receiver that checks every signature with
its own implementation of the Standard Webhooks scheme (``_webhook_receiver.verify``).

The outbox is written in the event's transaction, the app's deliverer thread sends it, a
receiver that fails and recovers gets each message once, dead letters can be replayed, and
deliverers running at once never send a message twice.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.domain.org import SYSTEM, Role
from rapport.errors import ValidationFailed
from rapport.services import alerts, auth, cases, responses, surveys, webhooks
from rapport.services.webhooks.deliverer import DeliveryPolicy, Outcome, deliver_due, post
from rapport.storage.models import WebhookDeliveryRow
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration._webhook_receiver import receiver
from tests.integration.test_closed_loop import PULSE

FAST = DeliveryPolicy(max_attempts=3, retry_base_seconds=0.01, retry_cap_seconds=0.02)
EVENTS = ["response.created", "case.created", "case.updated", "case.escalated", "case.closed"]


def _endpoint(db: Database, url: str, events: list[str] | None = None) -> tuple[int, str]:
    with db.unit_of_work() as uow:
        made = webhooks.create(uow, SYSTEM, webhooks.EndpointInput(url, events or EVENTS))
    return made.id, made.secret


def _submit(db: Database, sid: int, n: int = 1) -> list[int]:
    with db.unit_of_work() as uow:
        return [
            responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1").response_id
            for _ in range(n)
        ]


def _deliver_until_settled(db: Database, policy: DeliveryPolicy = FAST) -> None:
    """Run the deliverer as cron would, until no message waits (retries included)."""
    for _ in range(200):
        deliver_due(db, policy, rng=random.Random(3))
        with db.unit_of_work(readonly=True) as uow:
            waiting = [
                d for d in uow.webhooks.deliveries(None, limit=10**6) if d.status == "pending"
            ]
        if not waiting:
            return
    raise AssertionError("messages still waiting")


def _recorded(api: httpx.Client, webhook: int, count: int) -> list[dict[str, Any]]:
    """The webhook's deliveries once ``count`` are recorded as delivered (the receiver may
    have a message a moment before the deliverer commits its answer)."""
    deadline = time.monotonic() + 15
    while True:
        found = api.get(f"/api/v1/webhooks/{webhook}/deliveries").json()
        if sum(d["status"] == "delivered" for d in found) >= count or time.monotonic() > deadline:
            return list(found)
        time.sleep(0.05)


def test_a_rule_response_over_http_sends_one_case_created_and_one_response_created(
    tmp_path: Path, db: Database
) -> None:
    """The acceptance path: subscribe and add a rule over the API, submit a detractor over
    the API; the app's own deliverer sends exactly two signed messages."""
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        admin = {"Authorization": f"Bearer {auth.create_token(uow, 'a', Role.ADMIN)}"}
    settings = make_settings(tmp_path, db, webhook_deliver_seconds=0.1)
    with (
        receiver() as hook,
        LiveServer(settings, db) as server,
        httpx.Client(base_url=server.url, headers=admin, timeout=30) as api,
    ):
        made = api.post(
            "/api/v1/webhooks",
            json={"url": hook.url, "events": ["response.created", "case.created"]},
        )
        assert made.status_code == 201, made.text
        hook.secret = made.json()["secret"]
        assert hook.secret.startswith("whsec_")
        assert "secret" not in api.get("/api/v1/webhooks").json()[0]  # shown once
        rule = {"name": "Detractor", "condition": {"question": "nps", "op": "<=", "value": 6}}
        assert api.post("/api/v1/alert-rules", json=rule).status_code == 201
        sent = api.post(
            f"/api/v1/surveys/{sid}/responses", json={"answers": GOOD_ANSWERS, "unit": "north-1"}
        )
        assert sent.status_code == 201, sent.text
        got = hook.wait_for(2)
        deliveries = _recorded(api, made.json()["id"], 2)
    assert len(hook.got) == 2, [r.payload["type"] for r in hook.got]
    assert all(r.verified for r in got)
    by_type = {r.payload["type"]: r.payload for r in got}
    assert sorted(by_type) == ["case.created", "response.created"]
    response_id = sent.json()["id"]
    assert by_type["response.created"]["data"]["id"] == response_id
    assert by_type["response.created"]["data"]["answers"]["nps"] == GOOD_ANSWERS["nps"]
    case = by_type["case.created"]["data"]
    assert (case["response_id"], case["unit"], case["status"]) == (response_id, "north-1", "open")
    assert case["owner"] == "north@example.com"
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("delivered", 1)] * 2
    assert {d["msg_id"] for d in deliveries} == {r.headers["webhook-id"] for r in got}


def test_a_receiver_that_fails_then_recovers_gets_each_message_once(db: Database) -> None:
    sid = seed_org(db)
    with receiver(script=[500, 503]) as hook:
        endpoint, hook.secret = _endpoint(db, hook.url, ["response.created"])
        [rid] = _submit(db, sid)
        _deliver_until_settled(db)
    assert [r.answered for r in hook.got] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in hook.got}) == 1  # one message, retried
    assert all(r.verified for r in hook.got)
    assert [r.payload["data"]["id"] for r in hook.accepted()] == [rid]
    with db.unit_of_work(readonly=True) as uow:
        [found] = webhooks.deliveries(uow, SYSTEM, endpoint)
    assert (found["status"], found["attempts"], found["last_status"]) == ("delivered", 3, 200)
    assert [a["status_code"] for a in found["log"]] == [500, 503, 200]


def test_dead_letters_and_replay(tmp_path: Path, db: Database) -> None:
    """Every attempt fails → a dead letter; replayed over the API once the receiver is back
    → delivered with the same webhook-id; a waiting message cannot be replayed (409). The
    test delivers as cron would (the app's own deliverer is off)."""
    settings = make_settings(tmp_path, db, webhook_deliver_seconds=0)
    with LiveServer(settings, db) as live_server:
        _dead_letter_and_replay(live_server, db)


def _dead_letter_and_replay(live_server: LiveServer, db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        admin = {"Authorization": f"Bearer {auth.create_token(uow, 'a', Role.ADMIN)}"}
    with receiver(script=[500, 500, 500]) as hook:
        endpoint, hook.secret = _endpoint(db, hook.url, ["response.created"])
        _submit(db, sid)
        _deliver_until_settled(db)
        base = f"{live_server.url}/api/v1/webhooks/{endpoint}/deliveries"
        [dead] = httpx.get(base, params={"status": "dead"}, headers=admin).json()
        assert (dead["attempts"], dead["last_status"]) == (3, 500)
        replayed = httpx.post(f"{base}/{dead['id']}/replay", headers=admin)
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["status"] == "pending"
        again = httpx.post(f"{base}/{dead['id']}/replay", headers=admin)
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
        _deliver_until_settled(db)
        [done] = httpx.get(base, headers=admin).json()
    assert [r.answered for r in hook.got] == [500, 500, 500, 200]
    assert len({r.headers["webhook-id"] for r in hook.got}) == 1
    assert (done["status"], done["msg_id"]) == ("delivered", dead["msg_id"])


def test_deliverers_running_at_once_send_each_message_once(db: Database) -> None:
    """Four deliverers (two app processes and two cron runs, say) over 24 messages."""
    sid = seed_org(db)
    with receiver() as hook:
        _, hook.secret = _endpoint(db, hook.url, ["response.created"])
        _submit(db, sid, 24)
        policy = DeliveryPolicy(batch=5, workers=2)
        runs = [threading.Thread(target=deliver_due, args=(db, policy)) for _ in range(4)]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    counts = Counter(r.headers["webhook-id"] for r in hook.got)
    assert len(counts) == 24
    assert set(counts.values()) == {1}
    assert all(r.verified for r in hook.got)


def test_results_are_recorded_once_the_database_is_back_not_sent_again(
    sqlite_db: Database,
) -> None:
    """The database goes away between the POSTs and recording them (another process holds
    SQLite's write lock for 1.5 s here; a PostgreSQL restart in
    tests/acceptance/test_fault_load.py): the deliverer records the results when it is
    back instead of leaving the batch to be sent again when its lease ends."""
    sid = seed_org(sqlite_db)
    path = str(sqlite_db.engine.url.database)
    db = Database(f"sqlite:///{path}", busy_timeout_ms=200)
    taken = threading.Lock()
    holders: list[threading.Timer] = []

    def sender(url: str, body: bytes, sent: Mapping[str, str], timeout: float) -> Outcome:
        outcome = post(url, body, sent, timeout)
        if taken.acquire(blocking=False):  # the first POST: the database goes away
            holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            holder.execute("BEGIN EXCLUSIVE")
            holders.append(threading.Timer(1.5, holder.close))  # closing rolls back
            holders[0].start()
        return outcome

    with receiver() as hook:
        _, hook.secret = _endpoint(db, hook.url, ["response.created"])
        _submit(db, sid, 3)
        began = time.monotonic()
        report = deliver_due(db, DeliveryPolicy(lease_seconds=30), sender=sender)
        seconds = time.monotonic() - began
    holders[0].join()
    assert (report.delivered, report.retrying, report.lost_leases) == (3, 0, 0)
    assert seconds >= 1.5  # it waited for the lock to go
    counts = Counter(r.headers["webhook-id"] for r in hook.got)
    assert (len(counts), set(counts.values())) == (3, {1})
    with db.unit_of_work(readonly=True) as uow:
        found = uow.webhooks.deliveries(None)
    assert [(d.status, d.attempts) for d in found] == [("delivered", 1)] * 3
    db.dispose()


def test_a_rolled_back_store_sends_nothing(db: Database) -> None:
    """The outbox is in the event's transaction: a store that fails leaves no message."""
    sid = seed_org(db)
    _endpoint(db, "http://127.0.0.1:9/hook")
    detractor = {"question": "nps", "op": "<=", "value": 6}
    with db.unit_of_work() as uow:
        alerts.create_rule(uow, SYSTEM, alerts.RuleInput(name="r", condition=detractor))
    with pytest.raises(ValidationFailed), db.unit_of_work() as uow:
        responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1")
        responses.submit_as(uow, SYSTEM, sid, {"nps": 11}, unit="north-1")
    with db.unit_of_work(readonly=True) as uow:
        assert uow.webhooks.deliveries(None) == []
    _submit(db, sid)
    with db.unit_of_work(readonly=True) as uow:
        types = sorted(d.event_type for d in uow.webhooks.deliveries(None))
    assert types == ["case.created", "response.created"]


def test_employee_answers_are_never_sent_and_their_cases_name_no_response(
    db: Database,
) -> None:
    sid = seed_org(db, PULSE)
    _endpoint(db, "http://127.0.0.1:9/hook")
    low = {"question": "enps", "op": "<=", "value": 6}
    with db.unit_of_work() as uow:
        alerts.create_rule(uow, SYSTEM, alerts.RuleInput(name="r", condition=low))
        published = surveys.get_published(uow, sid)
        unit = uow.units.one("north-1")
        sub = responses.Submission(answers={"enps": 2, "comment": "No"}, unit_id=unit.id)
        rid = responses.submit(uow, published, sub).response_id
    with db.unit_of_work(readonly=True) as uow:
        [only] = uow.webhooks.deliveries(None)
        body = json.loads(uow.session.get(WebhookDeliveryRow, only.id).body)  # type: ignore[union-attr]
    assert only.event_type == "case.created"
    assert body["data"]["response_id"] is None and rid
    assert body["data"]["opened_at"].endswith("T00:00:00Z")  # the day only, as the API shows


def test_bad_subscriptions_are_refused_naming_the_field(sqlite_db: Database) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"url": "ftp://x/y", "events": ["case.created"]}, "url"),
        ({"url": "https://x.example/h", "events": ["case.deleted"]}, "events"),
        (
            {"url": "https://x.example/h", "events": ["case.created"], "secret": "whsec_AAAA"},
            "secret",
        ),
    ]
    for given, field in cases:
        with pytest.raises(ValidationFailed) as error, sqlite_db.unit_of_work() as uow:
            webhooks.create(uow, SYSTEM, webhooks.EndpointInput(**given))
        assert [e.location for e in error.value.errors] == [field]


def test_working_a_case_sends_case_updated_then_case_closed(db: Database) -> None:
    """A note or a status change sends case.updated; the move to closed sends case.closed
    (not both); a subscriber of case.closed alone gets only that."""
    seed_org(db)
    _endpoint(db, "http://127.0.0.1:9/all")
    _endpoint(db, "http://127.0.0.1:9/closed", ["case.closed"])
    with db.unit_of_work() as uow:
        case_id = cases.create(uow, SYSTEM, unit="north-1", title="Phone", priority="high")
    steps = [
        cases.CaseChange(note="Called back"),
        cases.CaseChange(status="in_progress"),
        cases.CaseChange(status="closed", resolution_code="contacted_resolved"),
    ]
    for change in steps:
        with db.unit_of_work() as uow:
            cases.update(uow, SYSTEM, case_id, change)
    with db.unit_of_work(readonly=True) as uow:
        sent = [(d.endpoint_id, d.event_type) for d in reversed(uow.webhooks.deliveries(None))]
        [closed] = uow.webhooks.deliveries(2)
        body = json.loads(uow.session.get(WebhookDeliveryRow, closed.id).body)  # type: ignore[union-attr]
    assert sent == [
        (1, "case.created"), (1, "case.updated"), (1, "case.updated"), (1, "case.closed"),
        (2, "case.closed"),
    ]  # fmt: skip
    assert (body["data"]["status"], body["data"]["resolution_code"]) == (
        "closed",
        "contacted_resolved",
    )
