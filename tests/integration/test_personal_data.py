"""Data-subject requests over real HTTP on SQLite and PostgreSQL: export everything held
about a person, erase them (no name, e-mail, phone or external id left in any text column
of any table; every metric aggregate unchanged and equal to a rebuild), the unsubscribe
link of every e-mail, and retention."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from rapport.domain.org import SYSTEM, PersonKind, Role
from rapport.services import auth, cases, invitations, people, personal_data, responses
from rapport.services.clock import utcnow
from rapport.services.notify import SmtpNotifier
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, seed_org
from tests.integration.test_invitations import Sink, smtp_sink  # noqa: F401 - a fixture
from tests.integration.test_metric_aggregates import (
    aggregate_rows,
    page_rows,
    page_rows_rebuilt,
    rebuilt,
)

ZELDA = {
    "external_id": "cust-zq-7731",
    "name": "Zelda Quintessa",
    "email": "zelda.quintessa@example.net",
    "phone": "+44 20 7946 0999",
}
COMMENT = "The espresso machine was wonderful today"
NOTE = "Called Mrs Quintessa back on her mobile; she will visit on Friday"
LEARNT = "Mrs quintessa (+44 20 7946-0999) waited: the card reader at cust-zq-7731's till"
PEOPLE_CSV = (
    "external_id,kind,unit,name,email,phone,segment,loyalty_card\n"
    f"{ZELDA['external_id']},customer,north-1,{ZELDA['name']},{ZELDA['email']},"
    f"{ZELDA['phone']},premium,LC-99817\n"
    "cust-other-1,customer,north-1,Other Person,other@example.net,,premium,LC-00001\n"
)


def text_columns(db: Database) -> dict[str, list[str]]:
    """Every string, text and JSON column of every table, found by introspection."""
    inspector = sa.inspect(db.engine)
    found: dict[str, list[str]] = {}
    for table in inspector.get_table_names():
        names = [
            c["name"]
            for c in inspector.get_columns(table)
            if isinstance(c["type"], sa.String | sa.Text | sa.JSON)
        ]
        if names:
            found[table] = names
    return found


def leaks(db: Database, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every needle found in any text column (case-blind)."""
    wanted = [n.lower() for n in needles]
    found = []
    with db.engine.connect() as conn:
        for table, columns in text_columns(db).items():
            for column in columns:
                query = sa.select(sa.cast(sa.column(column), sa.Text)).select_from(sa.table(table))
                for (value,) in conn.execute(query):
                    text = (value or "").lower()
                    found.extend((table, column, n) for n in wanted if n in text)
    return sorted(set(found))


def _admin_api(db: Database, server: LiveServer) -> httpx.Client:
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "gdpr", Role.ADMIN)
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_export_then_erase_over_http_leaves_no_identity_and_the_same_aggregates(
    db: Database, tmp_path
) -> None:
    sid = seed_org(db)
    settings = make_settings(tmp_path, db, keep_original_comments=True)
    with LiveServer(settings, db) as server, _admin_api(db, server) as api:
        r = api.post(
            "/api/v1/people/import", content=PEOPLE_CSV, headers={"Content-Type": "text/csv"}
        )
        assert r.status_code == 200, r.text
        created = []
        for i, person in enumerate([ZELDA["external_id"], ZELDA["external_id"], "cust-other-1"]):
            body = {
                "answers": {**GOOD_ANSWERS, "comment": f"{COMMENT} {i}"},
                "unit": "north-1",
                "person": person,
            }
            key = {"Idempotency-Key": f"{person}-{i}"}
            r = api.post(f"/api/v1/surveys/{sid}/responses", json=body, headers=key)
            assert r.status_code == 201, r.text
            created.append(r.json()["id"])
        with db.unit_of_work() as uow:  # a follow-up case on her first response, with a note
            unit = uow.units.by_code("north-1")
            assert unit is not None
            case_id = cases.open_case(
                uow, unit=unit, audience="customer", title="Detractor", priority="normal",
                actor="test", response_id=created[0],
            )  # fmt: skip
            uow.cases.add_note(case_id, "store@example.com", utcnow(), NOTE)
        with db.unit_of_work() as uow:  # an unused invitation too
            invitations.distribute_wave(uow, SYSTEM, sid, unit="north-1", link_secret="k" * 32)
        learning = {  # a learning from her case and response that names her, and one that
            "title": f"Zelda Quintessa ({ZELDA['email']}) kept waiting",  # is not hers
            "what_happened": NOTE,
            "learnt": LEARNT,
            "changes": [
                {"area": "technology", "description": f"Reader fixed for Zelda {ZELDA['email']}"}
            ],
            "cases": [case_id],
            "responses": [created[0]],
            "units": ["north-1"],
        }
        r = api.post("/api/v1/learnings", json=learning)
        assert r.status_code == 201, r.text
        hers = r.json()["id"]
        other = {
            "title": "Queues",
            "what_happened": "Other Person queued",
            "responses": [created[2]],
        }
        assert api.post("/api/v1/learnings", json=other).status_code == 201

        exported = api.get(f"/api/v1/people/customer/{ZELDA['external_id']}/export")
        assert exported.status_code == 200, exported.text
        data = exported.json()
        assert data["person"]["email"] == ZELDA["email"]
        assert data["person"]["attributes"] == {"segment": "premium", "loyalty_card": "LC-99817"}
        assert data["consent"] == {"email": True, "sms": False}
        assert len(data["responses"]) == 2 and len(data["invitations"]) == 1
        answers = {a["question"]: a["value"] for a in data["responses"][0]["answers"]}
        assert answers["nps"] == 4 and answers["comment"] == f"{COMMENT} 0"
        read = {c["question"]: c for c in data["responses"][0]["comments"]}
        assert read["comment"]["original_text"] == f"{COMMENT} 0"
        [case] = data["cases"]
        assert case["response_id"] == created[0] and case["title"] == "Detractor"
        assert [n["text"] for n in case["notes"]] == [NOTE]
        [mine] = data["learnings"]
        assert (mine["id"], mine["learnt"], mine["cases"]) == (hers, LEARNT, [case_id])
        assert mine["responses"] == [created[0]] and mine["changes"][0]["area"] == "technology"

        needles = [*ZELDA.values(), "LC-99817", f"{COMMENT} 0", f"{COMMENT} 1", NOTE, "Quintessa"]
        # The scan can fail: before the erasure it finds every needle.
        before = leaks(db, needles)
        assert {n for _, _, n in before} == {n.lower() for n in needles}
        assert len(text_columns(db)) >= 15
        aggregates_before = aggregate_rows(db)
        cards_before = [
            r for r in page_rows(db) if r[:2] == ("attribute_aggregates", "loyalty_card")
        ]
        # Her scores by the attribute are kept too: the erasure must take them out.
        assert any(r[:2] == ("attribute_index_aggregates", "loyalty_card") for r in page_rows(db))

        erased = api.delete(f"/api/v1/people/customer/{ZELDA['external_id']}")
        assert erased.status_code == 200, erased.text
        assert erased.json() == {
            "erased": True, "responses": 2, "invitations": 1, "comments": 4, "case_notes": 1,
            "learnings": 1,
        }  # fmt: skip

        assert leaks(db, needles) == []
        assert aggregate_rows(db) == aggregates_before
        assert rebuilt(db) == aggregates_before
        # Her dropped attributes leave the attribute counts: equal to a rebuild, one fewer.
        pages = page_rows(db)
        assert pages == page_rows_rebuilt(db)
        cards = [r for r in pages if r[:2] == ("attribute_aggregates", "loyalty_card")]
        assert sum(int(r[-1]) for r in cards) == sum(int(r[-1]) for r in cards_before) - 2
        # Her learning stays, without her identity and her response, still with its case.
        kept = api.get(f"/api/v1/learnings/{hers}").json()
        assert kept["title"] == "[NAME] ([EMAIL]) kept waiting"
        assert kept["learnt"] == "Mrs [NAME] ([PHONE]) waited: the card reader at [ID]'s till"
        assert kept["changes"][0]["description"] == "Reader fixed for [NAME] [EMAIL]"
        assert kept["responses"] == [] and kept["cases"] == [case_id]
        # The other customer is untouched.
        assert leaks(db, ["Other Person", "LC-00001", f"{COMMENT} 2"]) != []
        assert api.get(f"/api/v1/people/customer/{ZELDA['external_id']}/export").status_code == 404
        assert api.delete(f"/api/v1/people/customer/{ZELDA['external_id']}").status_code == 404
        audit = api.get("/api/v1/audit", params={"action": "person."}).json()
        assert [e["action"] for e in audit["items"]] == ["person.erase", "person.export"]

    with db.engine.connect() as conn:
        kept = conn.execute(
            sa.text(
                "SELECT r.person_id, r.tenure_days, r.idempotency_key, r.attributes"
                " FROM responses r WHERE r.person_id IS NULL ORDER BY r.id"
            )
        ).all()
        emotions = conn.execute(
            sa.text("SELECT count(*) FROM comment_analyses WHERE original_text IS NULL")
        ).scalar_one()
    assert len(kept) == 2  # the responses stay, anonymous
    for _, tenure, key, attributes in kept:
        attrs = attributes if isinstance(attributes, dict) else json.loads(attributes)
        assert tenure is None and key is None and attrs == {"segment": "premium"}
    assert emotions == 4  # the emotions read in the comments stay, their text does not


def test_analysts_and_managers_may_not_export_or_erase(sqlite_db: Database, tmp_path) -> None:
    seed_org(sqlite_db)
    settings = make_settings(tmp_path, sqlite_db)
    with LiveServer(settings, sqlite_db) as server:
        for role, unit in ((Role.ANALYST, None), (Role.MANAGER, "north")):
            with sqlite_db.unit_of_work() as uow:
                token = auth.create_token(uow, role.value, role, unit)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=headers) as api:
                assert api.get("/api/v1/people/customer/c1/export").status_code == 403
                r = api.delete("/api/v1/people/customer/c1")
                assert r.status_code == 403
                assert r.headers["content-type"].startswith("application/problem+json")
    with sqlite_db.unit_of_work() as uow:
        assert uow.people.by_key(PersonKind.CUSTOMER, "c1") is not None


def test_every_email_carries_an_unsubscribe_link_that_records_the_opt_out(
    sqlite_db: Database,
    tmp_path,
    smtp_sink: tuple[Sink, int],  # noqa: F811 - the fixture imported above
) -> None:
    sink, port = smtp_sink
    notifier = SmtpNotifier("127.0.0.1", port, "rapport@example.org")
    sid = seed_org(sqlite_db)
    settings = make_settings(tmp_path, sqlite_db)
    secret = settings.resolved_secret_key()
    with sqlite_db.unit_of_work() as uow:
        wave = invitations.distribute_wave(uow, SYSTEM, sid, unit="north-1", link_secret=secret)
        assert invitations.send_invitations(
            uow, wave.issued, "Every type", "http://x.test", notifier, link_secret=secret
        ) == 3  # fmt: skip
    _wait(sink, 3)
    bodies = {m["To"]: m.get_content() for m in sink.messages}
    assert all("/unsubscribe/" in b for b in bodies.values())
    found = re.search(r"http://x\.test(/unsubscribe/\S+)", bodies["c1@example.com"])
    assert found
    with LiveServer(settings, sqlite_db) as server, httpx.Client(base_url=server.url) as web:
        page = web.get(found.group(1))
        assert page.status_code == 200 and "Unsubscribe" in page.text
        with sqlite_db.unit_of_work() as uow:  # opening the link alone changes nothing
            c1 = uow.people.by_key(PersonKind.CUSTOMER, "c1")
            assert c1 is not None and c1.consent_email
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        done = web.post(found.group(1), data={"csrf_token": csrf.group(1)})
        assert done.status_code == 200 and 'id="unsubscribed"' in done.text
        forged = found.group(1)[:-3] + "AAA"
        assert web.get(forged).status_code == 404
        assert web.get("/unsubscribe/2.nothing").status_code == 404
    with sqlite_db.unit_of_work() as uow:
        c1 = uow.people.by_key(PersonKind.CUSTOMER, "c1")
        assert c1 is not None and not c1.consent_email
        sent = invitations.remind(
            uow, SYSTEM, sid, link_secret=secret, base_url="http://x.test", notifier=notifier
        )
    assert sent == 2  # c1 opted out: no reminder
    _wait(sink, 5)
    reminded = sorted(m["To"] for m in sink.messages if m["Subject"].startswith("Reminder"))
    assert reminded == ["c0@example.com", "c2@example.com"]
    with sqlite_db.unit_of_work() as uow:  # a new wave e-mails only those with consent
        again = invitations.distribute_wave(
            uow, SYSTEM, sid, unit="north-1", link_secret=secret, again=True
        )
        sent = invitations.send_invitations(
            uow, again.issued, "Every type", "http://x.test", notifier, link_secret=secret
        )
    assert sent == 2
    with sqlite_db.unit_of_work() as uow:
        personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, "c1")
        uow.people.add_many([{"kind": "customer", "unit_id": 3, "external_id": "new-1"}])
    with LiveServer(settings, sqlite_db) as server, httpx.Client(base_url=server.url) as web:
        # Once erased the link names no one, even if the row id were given to someone else.
        assert web.get(found.group(1)).status_code == 404


def _wait(sink: Sink, n: int) -> None:
    import time

    deadline = time.monotonic() + 5
    while len(sink.messages) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sink.messages) == n


def test_retention_erases_only_people_inactive_for_the_period(db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1", person="c1")
    with db.unit_of_work() as uow:
        # Nobody was added 12 months ago: nobody is due, even without any activity.
        assert personal_data.retention_candidates(uow, SYSTEM, 12) == []
    with db.engine.begin() as conn:  # the directory was loaded two years ago
        conn.execute(
            sa.text("UPDATE people SET created_at = :at"),
            {"at": utcnow() - timedelta(days=730)},
        )
    with db.unit_of_work() as uow:
        due = personal_data.retention_candidates(uow, SYSTEM, 12)
        assert [c.external_id for c in due] == ["c0", "c2"]  # c1 answered today
        later = personal_data.retention_candidates(uow, SYSTEM, 12, utcnow() + timedelta(400))
        assert [c.external_id for c in later] == ["c0", "c1", "c2"]
        assert personal_data.apply_retention(uow, SYSTEM, 12) == 2
    with db.unit_of_work() as uow:
        left = uow.people.in_units([u.id for u in uow.units.all()])
        assert [p.external_id for p in left] == ["c1"]
    assert leaks(db, ["Customer 0", "c0@example.com", "Customer 2", "c2@example.com"]) == []


def test_people_import_can_set_a_person_who_was_erased_again(sqlite_db: Database) -> None:
    """Erasure frees the (kind, external id): a later import is a new person."""
    seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, "c1")
    with sqlite_db.unit_of_work() as uow:
        result = people.import_people(
            uow, SYSTEM, b"external_id,kind,unit\nc1,customer,north-1\n", pause_gc=False
        )
    assert result.created == 1


def test_an_employees_export_holds_their_confidential_answers_unless_anonymous(
    sqlite_db: Database,
) -> None:
    """docs/security.md, "Personal data": a data subject gets their own confidential
    answers; an anonymous survey never linked them, so there is nothing to return."""
    exported = {}
    for anonymous in (False, True):
        definition = {
            **EVERY_TYPE,
            "audience": "employee",
            "key": f"pulse-{str(anonymous).lower()}",
        }
        definition["anonymous"] = anonymous
        sid = seed_org(sqlite_db, definition) if not anonymous else _publish(sqlite_db, definition)
        with sqlite_db.unit_of_work() as uow:
            if not anonymous:
                people.import_people(
                    uow, SYSTEM, b"external_id,kind,unit\ne-1,employee,north-1\n", pause_gc=False
                )
            wave = invitations.distribute_wave(
                uow, SYSTEM, sid, unit="north-1", link_secret="k" * 32
            )
            ctx = invitations.resolve(uow, wave.issued[0].token)
            invitations.complete(uow, ctx, {**GOOD_ANSWERS, "nps": 2}, language="en")
        with sqlite_db.unit_of_work() as uow:
            data = personal_data.export_person(uow, SYSTEM, PersonKind.EMPLOYEE, "e-1")
        exported[anonymous] = [
            r for r in data["responses"] if r["survey"] == f"pulse-{str(anonymous).lower()}"
        ]
    [linked] = exported[False]
    assert {a["question"]: a["value"] for a in linked["answers"]}["nps"] == 2
    assert exported[True] == []


def _publish(db: Database, definition: dict[str, Any]) -> int:
    from rapport.services import surveys

    with db.unit_of_work() as uow:
        parsed = surveys.parse_definition(definition)
        return surveys.save_definition(uow, SYSTEM, parsed).survey_id
