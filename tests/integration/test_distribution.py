"""Distribution to people: filters, lists, consent, quiet period, audience, dry run, one
invitation per person even when two distributions run at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from rapport.domain.org import SYSTEM, PersonKind, Principal, Role
from rapport.errors import Confidential, ValidationFailed
from rapport.services import distribution, invitations, personal_data
from rapport.services.clock import utcnow
from rapport.services.distribution import PersonRef, Selection
from rapport.services.notify import SmtpNotifier
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, seed_org
from tests.integration.test_invitations import Sink, smtp_sink  # noqa: F401 - a fixture

SECRET = "s" * 40
PREMIUM = Selection(filters={"segment": "premium"}, channel="email")


def _person(unit_id: int, external_id: str, **extra: Any) -> dict[str, Any]:
    row = {
        "kind": "customer",
        "unit_id": unit_id,
        "external_id": external_id,
        "name": external_id.upper(),
        "email": f"{external_id}@example.com",
        "language": "en",
        "relationship_start": None,
        "attributes": {"segment": "premium"},
        "consent_email": True,
        "consent_sms": False,
        "phone": None,
    }
    row.update(extra)
    return row


def seed(db: Database) -> int:
    """seed_org's three everyday customers of north-1, plus premium people planted with
    every reason to skip them: p1, p2 (north-1) and p5 (south) are invitable by e-mail;
    p3 refused e-mail, p4 has no address, e1 is an employee; p6 may get SMS."""
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        store = uow.units.find("north-1")
        south = uow.units.find("south")
        assert store is not None and south is not None
        uow.people.add_many(
            [
                _person(store.id, "p1"),
                _person(store.id, "p2"),
                _person(store.id, "p3", consent_email=False),
                _person(store.id, "p4", email=None),
                _person(south.id, "p5"),
                _person(store.id, "e1", kind="employee"),
                _person(store.id, "p6", consent_email=False, consent_sms=True, phone="+441"),
            ]
        )
    return sid


def run(db: Database, sid: int, selection: Selection, **kw: Any) -> distribution.Outcome:
    with db.unit_of_work(readonly=kw.get("dry_run", False)) as uow:
        return distribution.distribute(uow, SYSTEM, sid, selection, link_secret=SECRET, **kw)


def ids(people: Any) -> list[str]:
    return sorted(p.external_id for p in people)


def test_a_segment_by_email_invites_only_those_with_consent_and_address(db: Database) -> None:
    sid = seed(db)
    out = run(db, sid, PREMIUM)
    assert ids(out.invited) == ["p1", "p2", "p5"]
    assert {(s.external_id, s.reason.value) for s in out.skipped} == {
        ("p3", "no_consent"),
        ("p4", "no_address"),
        ("e1", "wrong_audience"),
        ("p6", "no_consent"),
    }
    assert out.skipped_counts() == {
        "unknown_id": 0,
        "wrong_audience": 1,
        "not_matched": 0,
        "unit_closed": 0,
        "no_consent": 2,
        "no_address": 1,
        "quiet_period": 0,
    }
    with db.unit_of_work() as uow:
        assert uow.distribution.distribution(out.distribution_id or 0).invitations == 3  # type: ignore[union-attr]
        audit = uow.audit.page(action="survey.distribute", limit=1)
    assert audit[0].detail["invitations"] == 3 and audit[0].detail["skipped"]["no_consent"] == 2


def test_filters_all_hold_and_a_unit_narrows_to_its_subtree(db: Database) -> None:
    sid = seed(db)
    both = Selection(filters={"segment": "premium"}, unit="north", channel="link")
    out = run(db, sid, both, dry_run=True)
    assert ids(out.invited) == ["p1", "p2", "p3", "p4", "p6"]  # link: no consent needed
    none = Selection(filters={"segment": "premium", "tier": "gold"}, channel="link")
    assert run(db, sid, none, dry_run=True).invited == []


def test_sms_needs_sms_consent_and_a_phone(db: Database) -> None:
    sid = seed(db)
    out = run(db, sid, Selection(filters={"segment": "premium"}, channel="sms"), dry_run=True)
    assert ids(out.invited) == ["p6"]


def test_a_second_run_invites_nobody_twice_and_the_quiet_period_ends(db: Database) -> None:
    sid = seed(db)
    first = run(db, sid, PREMIUM)
    assert len(first.issued) == 3
    second = run(db, sid, PREMIUM)
    assert second.invited == [] and second.distribution_id is None
    assert second.skipped_counts()["quiet_period"] == 3
    # 31 days later (default quiet period 30) they may be invited again; with 40 not.
    later = utcnow() + timedelta(days=31)
    assert ids(run(db, sid, PREMIUM, now=later, dry_run=True).invited) == ["p1", "p2", "p5"]
    assert run(db, sid, PREMIUM, now=later, quiet_days=40, dry_run=True).invited == []


def test_a_unit_wave_counts_for_the_quiet_period(db: Database) -> None:
    sid = seed(db)
    with db.unit_of_work() as uow:
        invitations.distribute_wave(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
    out = run(db, sid, PREMIUM)
    assert ids(out.invited) == ["p5"]


def test_dry_run_writes_nothing(db: Database) -> None:
    sid = seed(db)
    preview = run(db, sid, PREMIUM, dry_run=True)
    assert ids(preview.invited) == ["p1", "p2", "p5"] and preview.issued == []
    with db.unit_of_work() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM invitations")).scalar() == 0
    assert ids(run(db, sid, PREMIUM).invited) == ["p1", "p2", "p5"]


def test_a_people_list_names_why_each_line_was_skipped(db: Database) -> None:
    sid = seed(db)
    with db.unit_of_work() as uow:
        personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, "p2")
    refs = distribution.parse_people(
        b"external_id,kind\np1,\np1,customer\np2,\ne1,\np3,employee\nnobody,\np5,customer\nc0,\n"
    )
    out = run(db, sid, Selection(people=refs, unit="north", channel="email"))
    assert ids(out.invited) == ["c0", "p1"]  # p1 listed twice: one invitation
    assert [(s.external_id, s.reason.value) for s in out.skipped] == [
        ("p2", "unknown_id"),  # erased: no longer in the directory
        ("e1", "wrong_audience"),  # an employee, never to a customer survey
        ("p3", "wrong_audience"),  # listed as an employee
        ("nobody", "unknown_id"),
        ("p5", "not_matched"),  # in south, not north
    ]


def test_a_bad_people_list_names_the_row() -> None:
    with pytest.raises(ValidationFailed) as err:
        distribution.parse_people(b"external_id,kind\np1,customer\n,customer\np3,robot\n")
    assert [e.location for e in err.value.errors] == ["row 3, external_id", "row 4, kind"]
    with pytest.raises(ValidationFailed) as err:
        distribution.parse_people(b"id\np1\n")
    assert err.value.errors[0].location == "column external_id"


def test_bad_selections_are_refused_naming_the_field(sqlite_db: Database) -> None:
    sid = seed(sqlite_db)
    with pytest.raises(ValidationFailed) as err:
        run(sqlite_db, sid, Selection(channel="fax"))
    assert [e.location for e in err.value.errors] == ["channel", "selection"]
    with pytest.raises(ValidationFailed) as err:
        run(sqlite_db, sid, Selection(unit="atlantis"))
    assert err.value.errors[0].location == "unit"
    with pytest.raises(ValidationFailed) as err:
        distribution.parse_filters(["segment"])
    assert "ATTRIBUTE=VALUE" in err.value.errors[0].message


def test_a_closed_unit_is_skipped(sqlite_db: Database) -> None:
    sid = seed(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        south = uow.units.find("south")
        assert south is not None
        uow.units.update(south.id, closed_on=utcnow().date() - timedelta(days=1))
    out = run(sqlite_db, sid, PREMIUM, dry_run=True)
    assert ids(out.invited) == ["p1", "p2"]
    assert out.skipped_counts()["unit_closed"] == 1


def test_a_manager_invites_only_in_their_subtree(sqlite_db: Database) -> None:
    sid = seed(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        user = uow.users.by_email("north@example.com")
        assert user is not None
    manager = Principal("user", user.id, user.email, Role.MANAGER, "acme/north")
    with sqlite_db.unit_of_work() as uow:
        out = distribution.distribute(uow, manager, sid, PREMIUM, link_secret=SECRET)
    assert ids(out.invited) == ["p1", "p2"]  # p5 is in south
    refs = [PersonRef("p5")]
    with sqlite_db.unit_of_work() as uow:
        listed = distribution.distribute(
            uow, manager, sid, Selection(people=refs), link_secret=SECRET, dry_run=True
        )
    assert [s.reason.value for s in listed.skipped] == ["unknown_id"]  # not told it exists


def test_employee_invitations_by_link_are_for_admins_only(sqlite_db: Database) -> None:
    employee_survey = {**EVERY_TYPE, "key": "pulse", "audience": "employee"}
    sid = seed_org(sqlite_db, employee_survey)
    analyst = Principal("user", 99, "a@example.com", Role.ANALYST)
    with pytest.raises(Confidential), sqlite_db.unit_of_work() as uow:
        distribution.distribute(
            uow, analyst, sid, Selection(unit="acme", channel="link"), link_secret=SECRET
        )


def test_an_invitation_answers_as_the_person_and_e_mails_carry_unsubscribe(
    db: Database,
    smtp_sink: tuple[Sink, int],  # noqa: F811 - the fixture imported above
) -> None:
    sink, port = smtp_sink
    sid = seed(db)
    out = run(db, sid, PREMIUM)
    notifier = SmtpNotifier("127.0.0.1", port, "rapport@example.org")
    with db.unit_of_work() as uow:
        sent = invitations.send_invitations(
            uow, out.issued, "Every type", "http://x.test", notifier, link_secret=SECRET
        )
    assert sent == 3 and len(sink.messages) == 3
    body = sink.messages[0].get_content()
    assert "http://x.test/s/" in body and "http://x.test/unsubscribe/" in body
    p1 = next(i for i in out.issued if i.person.external_id == "p1")
    with db.unit_of_work() as uow:
        ctx = invitations.resolve(uow, p1.token)
        rid = invitations.complete(uow, ctx, dict(GOOD_ANSWERS), language="en")
    with db.unit_of_work() as uow:
        assert uow.responses.get(rid)["person_id"] == p1.person.id  # type: ignore[index]


def test_two_distributions_at_once_never_invite_anyone_twice(db: Database) -> None:
    """Without the lock both read 'nobody invited yet' and both issue (on PostgreSQL under
    READ COMMITTED); with it the second sees the first's invitations."""
    sid = seed(db)
    barrier = threading.Barrier(4)
    outcomes: list[distribution.Outcome] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            barrier.wait()
            outcomes.append(run(db, sid, Selection(unit="acme", channel="link")))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(len(o.issued) for o in outcomes) == [0, 0, 0, 9]
    with db.unit_of_work() as uow:
        people = [p.id for p in uow.people.chosen(None) if p.kind is PersonKind.CUSTOMER]
        rows = uow.session.execute(
            text("SELECT person_id, count(*) FROM invitations GROUP BY person_id")
        ).all()
    assert len(rows) == len(people) == 9 and all(n == 1 for _, n in rows)
