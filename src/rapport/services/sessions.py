"""Browser sessions kept on the server: the signed cookie only names one.

Logging out, changing a user's role or password and deactivating a user end sessions here,
so a copy of the cookie stops working too. A session ends after an absolute lifetime
(``RAPPORT_SESSION_MAX_AGE_SECONDS``) or when idle (``RAPPORT_SESSION_IDLE_SECONDS``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport.domain.audit import AuditAction
from rapport.domain.org import Principal
from rapport.services.auth import LAST_USED_RESOLUTION, secret_hash
from rapport.services.clock import utcnow
from rapport.storage.uow import UnitOfWork


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: at most ``max_age`` after login, ``idle`` between uses."""

    max_age: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(hours=1)

    @classmethod
    def from_seconds(cls, max_age: int, idle: int) -> SessionPolicy:
        """>>> SessionPolicy.from_seconds(3600, 600).idle
        datetime.timedelta(seconds=600)
        """
        return cls(timedelta(seconds=max_age), timedelta(seconds=idle))


def start(
    uow: UnitOfWork,
    user_id: int,
    client: str,
    policy: SessionPolicy,
    now: datetime | None = None,
) -> str:
    """Open a session for a user who just logged in; returns the id the cookie carries.

    Only its hash is stored, so the database alone cannot be used to forge a cookie.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    uow.sessions.add(secret_hash(token), user_id, client, now, now + policy.max_age)
    return token


def resolve(
    uow: UnitOfWork, token: str, policy: SessionPolicy, now: datetime | None = None
) -> Principal | None:
    """The user a session id stands for, or None when the session is unknown, revoked,
    past its lifetime, idle for too long, or its user is deactivated.

    "Last seen" is written at most once a minute, so most requests only read; the writes
    (last seen, ending an expired session) are deferred (``UnitOfWork.defer``) so the lookup
    runs in a read-only unit of work.
    """
    now = now or utcnow()
    record = uow.sessions.by_hash(secret_hash(token))
    if record is None or record.revoked or not record.user.is_active:
        return None
    if now >= record.expires_at or now - record.last_seen_at > policy.idle:
        email = record.user.email

        def expire(w: UnitOfWork) -> None:
            w.sessions.revoke(record.id, now)
            w.audit.record(email, AuditAction.SESSION_EXPIRED, "", now)

        uow.defer(expire)
        return None
    # Half the idle timeout at most, so a short timeout does not end an active session.
    if now - record.last_seen_at >= min(LAST_USED_RESOLUTION, policy.idle / 2):
        uow.defer(lambda w: w.sessions.touch(record.id, now))
    return record.user.principal()


def end(uow: UnitOfWork, token: str, now: datetime | None = None) -> None:
    """Log out: the session is revoked on the server, whoever holds the cookie."""
    now = now or utcnow()
    record = uow.sessions.by_hash(secret_hash(token))
    if record is None:
        return
    uow.sessions.revoke(record.id, now)
    uow.audit.record(record.user.email, AuditAction.LOGOUT, "", now)


def end_all(uow: UnitOfWork, user_id: int, now: datetime | None = None) -> int:
    """Revoke every open session of a user (role, password or active flag changed)."""
    return uow.sessions.revoke_all_for(user_id, now or utcnow())
