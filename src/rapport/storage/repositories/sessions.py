"""Browser sessions: created at login, looked up on every page or API call with a cookie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rapport.domain.org import UserAccount
from rapport.storage.models import SessionRow, UnitRow, UserRow
from rapport.storage.repositories.access import user_account, utc


@dataclass(frozen=True)
class SessionRecord:
    """A session with its user, as one lookup returns them."""

    id: int
    user: UserAccount
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked: bool


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self, token_hash: str, user_id: int, client: str, now: datetime, expires_at: datetime
    ) -> int:
        row = SessionRow(
            token_hash=token_hash,
            user_id=user_id,
            client=client[:200],
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def by_hash(self, token_hash: str) -> SessionRecord | None:
        """The session and its user (role, unit path, active flag) in one query."""
        q = (
            select(SessionRow, UserRow, UnitRow.path)
            .join(UserRow, UserRow.id == SessionRow.user_id)
            .outerjoin(UnitRow, UnitRow.id == UserRow.unit_id)
            .where(SessionRow.token_hash == token_hash)
        )
        found = self.s.execute(q).one_or_none()
        if found is None:
            return None
        row, user, path = found
        return SessionRecord(
            row.id,
            user_account(user, path),
            utc(row.created_at) or row.created_at,
            utc(row.last_seen_at) or row.last_seen_at,
            utc(row.expires_at) or row.expires_at,
            row.revoked_at is not None,
        )

    def touch(self, session_id: int, now: datetime) -> None:
        self.s.execute(
            update(SessionRow).where(SessionRow.id == session_id).values(last_seen_at=now)
        )

    def revoke(self, session_id: int, now: datetime) -> None:
        self.s.execute(
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def revoke_all_for(self, user_id: int, now: datetime) -> int:
        """End every open session of a user; returns how many were open."""
        result = self.s.execute(
            update(SessionRow)
            .where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def open_counts(self, now: datetime) -> dict[int, int]:
        """Open (not revoked, not past their absolute expiry) sessions per user id."""
        q = (
            select(SessionRow.user_id, func.count())
            .where(SessionRow.revoked_at.is_(None), SessionRow.expires_at > now)
            .group_by(SessionRow.user_id)
        )
        return {int(uid): int(n) for uid, n in self.s.execute(q)}
