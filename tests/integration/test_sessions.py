"""Server-side sessions on both engines: lifetime, idle timeout, and every change that
must end a user's sessions (logout, role, deactivation, password)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.domain.org import SYSTEM, Role
from rapport.errors import Conflict
from rapport.services import accounts, auth, sessions
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import user_id

# Changes are stamped with the real clock; sessions are resolved at chosen times after it.
T0 = datetime.now(UTC).replace(microsecond=0)
SOON = T0 + timedelta(minutes=1)
POLICY = sessions.SessionPolicy(max_age=timedelta(hours=8), idle=timedelta(minutes=30))


def _login(db: Database, email: str = "north@example.com", at: datetime = T0) -> str:
    with db.unit_of_work() as uow:
        user = uow.users.by_email(email)
        assert user is not None
        return sessions.start(uow, user.id, "127.0.0.1", POLICY, at)


def _who(db: Database, sid: str, at: datetime) -> str | None:
    with db.unit_of_work() as uow:
        principal = sessions.resolve(uow, sid, POLICY, at)
    return principal.name if principal else None


def test_absolute_lifetime_and_idle_timeout(db: Database) -> None:
    seed_org(db)
    sid = _login(db)
    assert _who(db, sid, T0 + timedelta(minutes=29)) == "north@example.com"
    # Used every 29 minutes it stays alive, but never past 8 hours after login.
    at = T0 + timedelta(minutes=29)
    while at < T0 + timedelta(hours=8) - timedelta(minutes=29):
        at += timedelta(minutes=29)
        assert _who(db, sid, at) == "north@example.com", at
    assert _who(db, sid, T0 + timedelta(hours=8)) is None
    idle = _login(db)
    assert _who(db, idle, T0 + timedelta(minutes=31)) is None
    assert _who(db, idle, T0 + timedelta(minutes=1)) is None  # ended for good
    with db.unit_of_work() as uow:
        assert uow.audit.recent(1)[0]["action"] == "session.expired"


def test_last_seen_is_written_at_most_once_a_minute(db: Database) -> None:
    seed_org(db)
    sid = _login(db)
    for seconds in (10, 20, 59):
        _who(db, sid, T0 + timedelta(seconds=seconds))
    with db.unit_of_work() as uow:
        record = uow.sessions.by_hash(auth.secret_hash(sid))
        assert record is not None and record.last_seen_at == T0  # reads only
    _who(db, sid, T0 + timedelta(seconds=61))
    with db.unit_of_work() as uow:
        record = uow.sessions.by_hash(auth.secret_hash(sid))
        assert record is not None and record.last_seen_at == T0 + timedelta(seconds=61)


def test_logout_ends_only_that_session(db: Database) -> None:
    seed_org(db)
    laptop, phone = _login(db), _login(db)
    with db.unit_of_work() as uow:
        sessions.end(uow, laptop, T0)
    assert _who(db, laptop, T0) is None
    assert _who(db, phone, T0) == "north@example.com"


@pytest.mark.parametrize(
    "change",
    [
        {"role": Role.VIEWER},
        {"unit": "north-1"},
        {"active": False},
    ],
    ids=["role", "unit", "deactivate"],
)
def test_changing_what_a_user_may_do_ends_all_their_sessions(
    db: Database, change: dict[str, object]
) -> None:
    seed_org(db)
    laptop, phone = _login(db), _login(db)
    admin = _login(db, "admin@example.com")
    north = user_id(db)
    with db.unit_of_work() as uow:
        accounts.update_user(uow, SYSTEM, north, **change)  # type: ignore[arg-type]
    assert _who(db, laptop, SOON) is None and _who(db, phone, SOON) is None
    assert _who(db, admin, SOON) == "admin@example.com"  # other users keep theirs


def test_a_new_password_ends_all_sessions_and_a_deactivated_user_cannot_log_in(
    db: Database,
) -> None:
    from rapport.errors import AuthenticationFailed

    seed_org(db)
    sid, north = _login(db), user_id(db)
    with db.unit_of_work() as uow:
        accounts.set_password(uow, SYSTEM, "north@example.com", "another-long-password")
    assert _who(db, sid, SOON) is None
    with db.unit_of_work() as uow:
        auth.authenticate(uow, "north@example.com", "another-long-password", "1.2.3.4")
        accounts.update_user(uow, SYSTEM, north, active=False)
    with pytest.raises(AuthenticationFailed), db.unit_of_work() as uow:
        auth.authenticate(uow, "north@example.com", "another-long-password", "1.2.3.4")
    with db.unit_of_work() as uow:
        actions = [e["action"] for e in uow.audit.recent(4)]
    assert actions[:3] == ["login.failed", "user.deactivate", "login"]


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(db: Database) -> None:
    seed_org(db)
    admin, north = user_id(db, "admin@example.com"), user_id(db)
    for change in ({"role": Role.ANALYST}, {"active": False}):
        with pytest.raises(Conflict, match="last active admin"), db.unit_of_work() as uow:
            accounts.update_user(uow, SYSTEM, admin, **change)  # type: ignore[arg-type]
    with db.unit_of_work() as uow:
        accounts.update_user(uow, SYSTEM, north, role=Role.ADMIN)
        accounts.update_user(uow, SYSTEM, admin, active=False)  # now someone else is admin
