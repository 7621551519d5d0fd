"""Invitations and public links: single use, expiry, anonymity, reminders by real SMTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from rapport.domain.org import SYSTEM, Role
from rapport.errors import Conflict, Gone, NotFound, PermissionDenied
from rapport.services import auth, invitations, responses
from rapport.services.clock import utcnow
from rapport.services.notify import SmtpNotifier
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, seed_org

SECRET = "s" * 40
ANSWERS = dict(GOOD_ANSWERS)


class Sink:
    """A local SMTP sink (aiosmtpd): keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_invitation_is_single_use(db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, sid, unit="north", link_secret=SECRET)
    assert len(issued) == 3
    token = issued[0].token
    with db.unit_of_work() as uow:
        ctx = invitations.resolve(uow, token)
        invitations.save_partial(uow, ctx, {"nps": 4})
    with db.unit_of_work() as uow:
        ctx = invitations.resolve(uow, token)
        assert ctx.partial == {"nps": 4}  # resume from the same link
        rid = invitations.complete(uow, ctx, ANSWERS, language="en")
    with pytest.raises(Gone), db.unit_of_work() as uow:
        invitations.resolve(uow, token)
    with db.unit_of_work() as uow:
        assert uow.responses.get(rid)["person_id"] == issued[0].person.id  # type: ignore[index]
    with pytest.raises(NotFound), db.unit_of_work() as uow:
        invitations.resolve(uow, token[:-2] + "xx")


def test_expired_links_are_gone(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    past = utcnow() - timedelta(minutes=1)
    with sqlite_db.unit_of_work() as uow:
        issued = invitations.distribute(
            uow, SYSTEM, sid, unit="north-1", link_secret=SECRET, expires_at=past
        )
        public = invitations.create_public_link(uow, SYSTEM, sid, "north-1", expires_at=past)
    for token in (issued[0].token, public):
        with pytest.raises(Gone), sqlite_db.unit_of_work() as uow:
            invitations.resolve(uow, token)


def test_anonymous_survey_severs_invitation_and_person(db: Database) -> None:
    employee = {**EVERY_TYPE, "key": "pulse", "audience": "employee", "anonymous": True}
    seed_org(db)
    with db.unit_of_work() as uow:
        from rapport.services import surveys

        sid = surveys.save_definition(uow, SYSTEM, surveys.parse_definition(employee)).survey_id
        root = uow.units.by_code("north-1")
        assert root is not None
        uow.people.add_many(
            [
                {
                    "kind": "employee",
                    "unit_id": root.id,
                    "external_id": "e1",
                    "name": "Eve",
                    "email": "eve@example.com",
                    "language": "en",
                    "relationship_start": None,
                    "attributes": {"role": "cashier", "home_town": "Leeds"},
                    "consent_email": True,
                }
            ]
        )
    with db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
        ctx = invitations.resolve(uow, issued[0].token)
        rid = invitations.complete(uow, ctx, ANSWERS, language="en")
    with db.unit_of_work() as uow:
        stored = uow.responses.get(rid)
        assert stored is not None
        assert stored["person_id"] is None
        assert stored["attributes"] == {"role": "cashier"}  # home_town is not allowed
        assert stored["tenure_days"] is None
        manager = auth.principal_for_user(uow.users.by_email("north@example.com"))  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            responses.list_for(
                uow, manager, sid, unit=None, since=None, until=None, after=0, limit=10
            )
        # Only an admin lists an employee survey's rows: no person, only allowed attributes.
        listed, _ = responses.list_for(
            uow, SYSTEM, sid, unit=None, since=None, until=None, after=0, limit=10
        )
        assert listed[0]["person_id"] is None and listed[0]["attributes"] == {"role": "cashier"}
    # No invitation row points at the response.
    from sqlalchemy import text

    with db.engine.connect() as conn:
        linked = conn.execute(
            text("SELECT count(*) FROM invitations WHERE response_id IS NOT NULL")
        )
        assert linked.scalar() == 0


def test_reminders_reach_only_those_who_have_not_answered(
    sqlite_db: Database, smtp_sink: tuple[Sink, int]
) -> None:
    sink, port = smtp_sink
    notifier = SmtpNotifier("127.0.0.1", port, "rapport@example.org")
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
        assert (
            invitations.send_invitations(
                uow, issued, "Every type", "http://rapport.test", notifier, link_secret=SECRET
            )
            == 3
        )
        ctx = invitations.resolve(uow, issued[0].token)
        invitations.complete(uow, ctx, ANSWERS, language="en")
    with sqlite_db.unit_of_work() as uow:
        sent = invitations.remind(
            uow, SYSTEM, sid, link_secret=SECRET, base_url="http://rapport.test", notifier=notifier
        )
    assert sent == 2
    deadline = time.monotonic() + 5
    while len(sink.messages) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    reminders = [m for m in sink.messages if m["Subject"].startswith("Reminder")]
    assert sorted(m["To"] for m in reminders) == ["c1@example.com", "c2@example.com"]
    # The reminder carries the same working link as the invitation (rebuilt from the salt).
    body = reminders[0].get_content()
    token = body.split("/s/")[1].split()[0]
    assert token in {i.token for i in issued[1:]}
    with sqlite_db.unit_of_work() as uow:
        assert invitations.resolve(uow, token).invitation_id is not None


def test_manager_cannot_distribute_outside_subtree(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        manager = auth.principal_for_user(uow.users.by_email("north@example.com"))  # type: ignore[arg-type]
        assert manager.role is Role.MANAGER
        with pytest.raises(PermissionDenied):
            invitations.distribute(uow, manager, sid, unit="south", link_secret=SECRET)
        with pytest.raises(PermissionDenied):
            invitations.create_public_link(uow, manager, sid, "south")


def _pending(db: Database) -> int:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM invitations")).scalar() or 0)


def test_distributing_twice_issues_nothing_new_and_says_why(db: Database) -> None:
    """A second distribute to the same unit used to issue duplicates (the response rate of
    a unit fell from 60 % to 53 %); now it refuses, naming the unit and the way out."""
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        first = invitations.distribute_wave(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
    assert (len(first.issued), first.already_invited, first.unit_name) == (3, 0, "North store 1")
    with pytest.raises(Conflict) as refused, db.unit_of_work() as uow:
        invitations.distribute_wave(uow, SYSTEM, sid, unit="north", link_secret=SECRET)
    assert "All 3 customers of North" in refused.value.detail
    assert "--again" in refused.value.detail
    assert _pending(db) == 3


def test_a_second_distribute_invites_only_newcomers_and_again_starts_a_wave(db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
        store = uow.units.by_code("north-1")
        assert store is not None
        uow.people.add_many(
            [
                {
                    "kind": "customer",
                    "unit_id": store.id,
                    "external_id": "new",
                    "name": "Newcomer",
                    "email": None,
                    "language": "en",
                    "relationship_start": None,
                    "attributes": {},
                    "consent_email": False,
                }
            ]
        )
    with db.unit_of_work() as uow:
        wave = invitations.distribute_wave(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
    assert [i.person.external_id for i in wave.issued] == ["new"]
    assert wave.already_invited == 3
    with db.unit_of_work() as uow:
        again = invitations.distribute_wave(
            uow, SYSTEM, sid, unit="north-1", link_secret=SECRET, again=True
        )
    assert (len(again.issued), again.already_invited) == (4, 0)
    assert _pending(db) == 3 + 1 + 4


def test_expired_unused_invitations_do_not_block_a_new_one(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    past = utcnow() - timedelta(minutes=1)
    with sqlite_db.unit_of_work() as uow:
        invitations.distribute(
            uow, SYSTEM, sid, unit="north-1", link_secret=SECRET, expires_at=past
        )
    with sqlite_db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
    assert len(issued) == 3


def test_distribution_links_are_rebuilt_for_the_page_and_scoped(sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        wave = invitations.distribute_wave(uow, SYSTEM, sid, unit="north-1", link_secret=SECRET)
        assert wave.distribution_id is not None
        found = invitations.distribution_links(
            uow, SYSTEM, sid, wave.distribution_id, link_secret=SECRET
        )
        assert sorted(t for _, t in found.links) == sorted(i.token for i in wave.issued)
        with pytest.raises(NotFound):
            invitations.distribution_links(
                uow, SYSTEM, sid + 1, wave.distribution_id, link_secret=SECRET
            )
        south = auth.principal_for_token(
            uow, auth.create_token(uow, "south", Role.MANAGER, "south")
        )
        hidden = invitations.distribution_links(
            uow, south, sid, wave.distribution_id, link_secret=SECRET
        )
        assert hidden.links == []
