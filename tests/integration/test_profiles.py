"""A person's profile over real HTTP, on SQLite and PostgreSQL: a customer's responses with
scores equal to an independent computation from the stored answers, an employee's
confidential answers nowhere in the JSON, managers kept to their subtree (404), viewers
refused, and every view in the audit log."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rapport.domain.org import SYSTEM, PersonKind, Role, UnitKind
from rapport.services import alerts, auth, invitations, people, responses, surveys
from rapport.services.survey_definitions import load_template
from rapport.storage.models import AnswerRow, AuditRow, CaseRow, PersonRow
from rapport.storage.uow import Database
from tests.conftest import LiveServer

SECRET = "profile-test-link-secret"
PEOPLE = (
    "external_id,kind,unit,name,email,relationship_start,segment\n"
    "cust-1,customer,north-1,Cara Client,cara@example.com,2021-03-01,premium\n"
    "cust-2,customer,south-1,Sol Other,sol@example.com,,everyday\n"
    "emp-1,employee,north-1,Eli Staff,eli@example.com,2019-06-01,\n"
    "emp-2,employee,north-1,Ada Staff,ada@example.com,2020-02-01,\n"
)
SECRET_COMMENT = "Zanzibar-7 my supervisor shouts at the night shift"
CUSTOMER_COMMENT = "Lovely staff, they remembered my name"


def customer_answers(nps: int, level: int, comment: str | None = None) -> dict[str, Any]:
    given: dict[str, Any] = {
        "nps": nps,
        "csat": level,
        "heart_delight": level,
        "heart_special": 6 - level,
        "heart_about_me": level,
        "heart_exceeded": 3,
        "heart_cared": level,
        "minds": {"needs": level, "ease": 6 - level, "fast": 2},
        "ces": 7,
        "fresh": level,
        "taken_for_granted": 2,
    }
    if comment:
        given["comment"] = comment
    return given


def employee_answers() -> dict[str, Any]:
    return {
        "enps": 3,
        "heart_delight": 2,
        "heart_special": 1,
        "heart_about_me": 2,
        "heart_exceeded": 2,
        "heart_cared": 1,
        "challenge": 2,
        "minds": {"needs": 2, "ease": 2, "fast": 2},
        "ces": 2,
        "fresh": 1,
        "taken_for_granted": 5,
        "comment": SECRET_COMMENT,
    }


def seed(db: Database) -> dict[str, Any]:
    with db.unit_of_work() as uow:
        acme = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, acme)
        south = uow.units.add("south", "South", UnitKind.REGION, acme)
        uow.units.add("north-1", "North store 1", UnitKind.STORE, north)
        uow.units.add("south-1", "South store 1", UnitKind.STORE, south)
        people.import_people(uow, SYSTEM, PEOPLE.encode())
        customer = surveys.save_definition(uow, SYSTEM, load_template("customer-relationship"))
        anonymous = surveys.save_definition(uow, SYSTEM, load_template("employee-relationship"))
        # The same employee survey, not anonymous: its responses link to the person.
        named = dataclasses.replace(
            load_template("employee-relationship"), key="pulse-named", anonymous=False
        )
        pulse = surveys.save_definition(uow, SYSTEM, named)
        tokens = {
            role: auth.create_token(uow, role, Role(role), "north" if role == "manager" else None)
            for role in ("admin", "analyst", "manager", "viewer")
        }
    with db.unit_of_work() as uow:  # an invitation answered through the form's path
        [issued] = invitations.distribute(
            uow, SYSTEM, customer.survey_id, unit="north-1", external_ids=["cust-1"],
            link_secret=SECRET, channel="email",
        )  # fmt: skip
        ctx = invitations.resolve(uow, issued.token)
        invitations.complete(uow, ctx, customer_answers(9, 4, CUSTOMER_COMMENT), language="en")
    with db.unit_of_work() as uow:  # a second response, by the API's path
        person = uow.people.by_key(PersonKind.CUSTOMER, "cust-1")
        unit = uow.units.by_code("north-1")
        assert person is not None and unit is not None
        published = surveys.get_published(uow, customer.survey_id)
        sub = responses.Submission(
            answers=customer_answers(3, 2), unit_id=unit.id, person=person, channel="api",
            submitted_at=datetime(2026, 1, 10, 12, tzinfo=UTC),
        )  # fmt: skip
        responses.store_many(uow, published, [sub], validate=True)
    with db.unit_of_work() as uow:  # cust-2 opened the link and saved the first page
        [issued] = invitations.distribute(
            uow, SYSTEM, customer.survey_id, unit="south-1", external_ids=["cust-2"],
            link_secret=SECRET, channel="email",
        )  # fmt: skip
        ctx = invitations.resolve(uow, issued.token)
        assert ctx.invitation_id is not None
        uow.distribution.save_partial(ctx.invitation_id, {"nps": 5}, "relationship")
    for survey_id, invited in (
        (pulse.survey_id, "emp-1"),
        (anonymous.survey_id, "emp-1"),
        (anonymous.survey_id, "emp-2"),
    ):
        with db.unit_of_work() as uow:
            [issued] = invitations.distribute(
                uow, SYSTEM, survey_id, unit="north-1", external_ids=[invited],
                link_secret=SECRET, channel="email",
            )  # fmt: skip
            ctx = invitations.resolve(uow, issued.token)
            invitations.complete(uow, ctx, employee_answers(), language="en")
    return {"tokens": tokens, "customer": customer.survey_id, "pulse": pulse.survey_id}


def independent_scores(db: Database, response_id: int) -> tuple[float, float, float]:
    """Hearts, minds and the NPS answer from the stored answers, by the documented rule:
    each heart.*/mind.* item rescaled (v − min)/(max − min)·100, averaged per response."""
    likert5 = {"heart_delight", "heart_special", "heart_about_me", "heart_exceeded", "heart_cared"}
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(AnswerRow.question_id, AnswerRow.item, AnswerRow.value_num).where(
                AnswerRow.response_id == response_id
            )
        ).all()
    hearts = [(v - 1) / 4 * 100 for q, _, v in rows if q in likert5]
    minds = [(v - 1) / 4 * 100 for q, _, v in rows if q == "minds"]
    minds += [(v - 1) / 6 * 100 for q, _, v in rows if q == "ces"]
    [nps] = [v for q, _, v in rows if q == "nps"]
    assert len(hearts) == 5 and len(minds) == 4
    return sum(hearts) / len(hearts), sum(minds) / len(minds), nps


def _client(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_a_customer_profile_shows_the_timeline_with_independently_checked_scores(
    live_server: LiveServer, db: Database
) -> None:
    ids = seed(db)
    with _client(live_server, ids["tokens"]["analyst"]) as api:
        r = api.get("/api/v1/people/customer/cust-1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["person"]["name"] == "Cara Client"
    assert body["person"]["attributes"] == {"segment": "premium"}
    assert (body["person"]["consent_email"], body["person"]["consent_sms"]) == (True, False)
    assert body["unit"] == {
        "code": "north-1",
        "name": "North store 1",
        "path": "acme/north/north-1",
    }
    assert body["person"]["relationship_start"] == "2021-03-01"
    assert body["tenure_days"] == (datetime.now(UTC).date() - date(2021, 3, 1)).days
    assert body["cases"] == [] and body["confidential_withheld"] is False
    kinds = [e["kind"] for e in body["timeline"]]
    assert sorted(kinds) == ["invitation", "response", "response"]
    stamps = [e["at"] for e in body["timeline"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    [invitation] = [e for e in body["timeline"] if e["kind"] == "invitation"]
    assert invitation["state"] == "answered" and invitation["channel"] == "email"
    answered = {e["response_id"]: e for e in body["timeline"] if e["kind"] == "response"}
    for rid, event in answered.items():
        hearts, minds, nps = independent_scores(db, rid)
        assert event["hearts"] == pytest.approx(hearts, abs=1e-9)
        assert event["minds"] == pytest.approx(minds, abs=1e-9)
        assert event["recommend"] == nps
        assert event["nps_category"] == ("promoter" if nps >= 9 else "detractor")
    with_comment = [e for e in answered.values() if e["comments"]]
    [comment] = with_comment[0]["comments"]
    assert comment["text"] == CUSTOMER_COMMENT and comment["question_id"] == "comment"
    assert comment["question"] == "What would make this relationship feel new again?"
    assert comment["sentiment"] is not None  # the emotion model read it on ingest
    # heart_special was answered 6 - level: 2 (level 4) and 4 (level 2), newest first
    assert [(s["value"], s["label"]) for s in body["special"]] == [
        (2.0, "Disagree"),
        (4.0, "Agree"),
    ]
    assert body["special"][0]["question"] == "I am treated as unique and special"


def test_an_employee_profile_never_carries_confidential_answers(
    live_server: LiveServer, db: Database
) -> None:
    ids = seed(db)
    for role in ("admin", "analyst", "manager"):
        with _client(live_server, ids["tokens"][role]) as api:
            r = api.get("/api/v1/people/employee/emp-1")
        assert r.status_code == 200, (role, r.text)
        text = r.text
        body = r.json()
        assert SECRET_COMMENT not in text and "Zanzibar" not in text
        for key in ("hearts", "minds", "recommend", "response_id", "comments", "emotions"):
            assert f'"{key}"' not in text, (role, key)
        assert body["special"] == [] and body["confidential_withheld"] is True
        # The named pulse: sent and used, nothing else; the anonymous survey: not at all.
        assert [(e["kind"], e["survey"]["key"], e["state"]) for e in body["timeline"]] == [
            ("invitation", "pulse-named", "answered")
        ]
    with _client(live_server, ids["tokens"]["admin"]) as api:
        only_anonymous = api.get("/api/v1/people/employee/emp-2")
    assert SECRET_COMMENT not in only_anonymous.text
    body = only_anonymous.json()
    assert body["timeline"] == [] and body["confidential_withheld"] is False
    with db.unit_of_work(readonly=True) as uow:  # the answers are stored and linked
        employee = uow.people.by_key(PersonKind.EMPLOYEE, "emp-1")
        assert employee is not None
        linked = uow.profiles.responses(employee.id)
    assert len(linked) == 1


def test_scope_roles_and_audit(live_server: LiveServer, db: Database) -> None:
    ids = seed(db)
    tokens = ids["tokens"]
    with _client(live_server, tokens["manager"]) as api:
        inside = api.get("/api/v1/people/customer/cust-1")
        outside = api.get("/api/v1/people/customer/cust-2")
        missing = api.get("/api/v1/people/customer/nobody")
    assert inside.status_code == 200
    assert outside.status_code == missing.status_code == 404
    assert outside.headers["content-type"] == "application/problem+json"
    assert outside.json()["type"] == missing.json()["type"]  # the same answer: no existence
    with _client(live_server, tokens["viewer"]) as api:
        assert api.get("/api/v1/people/customer/cust-1").status_code == 403
    with _client(live_server, tokens["analyst"]) as api:
        bad = api.get("/api/v1/people/visitor/cust-1")
        assert bad.status_code == 422 and "kind" in bad.text
        other = api.get("/api/v1/people/customer/cust-2").json()
        assert [(e["kind"], e["state"]) for e in other["timeline"]] == [("invitation", "opened")]
        found = api.get("/api/v1/people", params={"search": "sol"}).json()["items"]
        assert [p["external_id"] for p in found] == ["cust-2"]  # part of the name, any case
        found = api.get("/api/v1/people", params={"search": "cust-"}).json()["items"]
        assert [p["external_id"] for p in found] == ["cust-1", "cust-2"]  # an id prefix
        found = api.get("/api/v1/people", params={"search": "%"}).json()["items"]
        assert found == []  # wildcards are plain characters
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(AuditRow.actor, AuditRow.target).where(AuditRow.action == "person.view")
        ).all()
        ids = dict(
            uow.session.execute(
                select(PersonRow.external_id, PersonRow.id).where(PersonRow.kind == "customer")
            ).all()
        )
    assert sorted(rows) == [
        ("analyst", f"person:{ids['cust-2']}"),
        ("manager", f"person:{ids['cust-1']}"),
    ]


def test_cases_on_a_customer_show_and_on_a_confidential_answer_never(
    live_server: LiveServer, db: Database
) -> None:
    """Rules exist before the responses: the customer's detractor answer (NPS 3) and the
    employees' answers (taken for granted 5) each open a case. The customer's
    profile lists its case in the timeline and under cases; the employee's shows neither
    (the case would tell that, and how, they answered)."""
    with db.unit_of_work() as uow:
        detractor = {"question": "nps", "op": "<=", "value": 6}
        alerts.create_rule(uow, SYSTEM, alerts.RuleInput(name="Detractor", condition=detractor))
        neglected = {"question": "taken_for_granted", "op": ">=", "value": 4}
        rule = alerts.RuleInput(name="Neglected", condition=neglected, audience="employee")
        alerts.create_rule(uow, SYSTEM, rule)
    ids = seed(db)
    with db.unit_of_work(readonly=True) as uow:
        opened = uow.session.execute(
            select(CaseRow.id, CaseRow.response_id, CaseRow.audience).order_by(CaseRow.id)
        ).all()
    # cust-1's NPS 9 opens none, their NPS 3 one; the three employee answers (the named
    # pulse and two anonymous ones) one each.
    assert sorted(a for _, _, a in opened) == ["customer", "employee", "employee", "employee"]
    [(case_id, response_id, _)] = [c for c in opened if c[2] == "customer"]
    with _client(live_server, ids["tokens"]["analyst"]) as api:
        customer = api.get("/api/v1/people/customer/cust-1").json()
        employee = api.get("/api/v1/people/employee/emp-1")
    [case] = customer["cases"]
    assert (case["case_id"], case["response_id"], case["status"]) == (case_id, response_id, "open")
    assert [e for e in customer["timeline"] if e["kind"] == "case"] == [case]
    assert response_id in {
        e["response_id"] for e in customer["timeline"] if e["kind"] == "response"
    }
    assert employee.status_code == 200
    assert employee.json()["cases"] == []
    assert '"case"' not in employee.text and "Neglected" not in employee.text
