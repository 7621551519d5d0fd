"""Users, API tokens, login attempts and the audit log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from rapport.domain.audit import AuditEntry
from rapport.domain.org import ApiToken, Role, UserAccount
from rapport.storage.models import ApiTokenRow, AuditRow, LoginAttemptRow, UnitRow, UserRow


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetimes from either engine (SQLite hands back naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def user_account(row: UserRow, unit_path: str | None) -> UserAccount:
    """The domain view of a user row (``unit_path`` of a manager's unit)."""
    return UserAccount(
        row.id,
        row.email,
        Role(row.role),
        row.unit_id,
        unit_path,
        row.is_active,
        row.password_hash,
        utc(row.created_at),
        utc(row.last_login_at),
    )


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _account(self, row: UserRow) -> UserAccount:
        path = self.s.get(UnitRow, row.unit_id).path if row.unit_id else None  # type: ignore[union-attr]
        return user_account(row, path)

    def add(
        self, email: str, password_hash: str, role: Role, unit_id: int | None, now: datetime
    ) -> UserAccount:
        row = UserRow(
            email=email,
            password_hash=password_hash,
            role=role.value,
            unit_id=unit_id,
            created_at=now,
            is_active=True,
        )
        self.s.add(row)
        self.s.flush()
        return self._account(row)

    def by_email(self, email: str) -> UserAccount | None:
        row = self.s.scalars(select(UserRow).where(UserRow.email == email)).one_or_none()
        return self._account(row) if row else None

    def get(self, user_id: int) -> UserAccount | None:
        row = self.s.get(UserRow, user_id)
        return self._account(row) if row else None

    def all(self) -> list[UserAccount]:
        return [self._account(r) for r in self.s.scalars(select(UserRow).order_by(UserRow.email))]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        row = self.s.get(UserRow, user_id)
        if row is not None:
            row.password_hash = password_hash

    def set_role(self, user_id: int, role: Role, unit_id: int | None) -> None:
        self.s.execute(
            update(UserRow).where(UserRow.id == user_id).values(role=role.value, unit_id=unit_id)
        )

    def set_active(self, user_id: int, active: bool) -> None:
        self.s.execute(update(UserRow).where(UserRow.id == user_id).values(is_active=active))

    def count_active_admins(self) -> int:
        q = select(func.count()).where(UserRow.role == Role.ADMIN.value, UserRow.is_active)
        return self.s.scalar(q) or 0

    def touch_login(self, user_id: int, now: datetime) -> None:
        row = self.s.get(UserRow, user_id)
        if row is not None:
            row.last_login_at = now

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(UserRow)) or 0


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self,
        name: str,
        token_hash: str,
        prefix: str,
        role: Role,
        unit_id: int | None,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> int:
        row = ApiTokenRow(
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            role=role.value,
            unit_id=unit_id,
            created_at=now,
            expires_at=expires_at,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def _token(self, row: ApiTokenRow, path: str | None) -> ApiToken:
        return ApiToken(
            row.id,
            row.name,
            row.prefix,
            Role(row.role),
            row.unit_id,
            path,
            row.revoked_at is not None,
            utc(row.created_at),
            utc(row.expires_at),
            utc(row.last_used_at),
        )

    def _find(self, *where: Any) -> list[ApiToken]:
        """Tokens with their unit path, in one query (this runs on every API request)."""
        q = (
            select(ApiTokenRow, UnitRow.path)
            .outerjoin(UnitRow, UnitRow.id == ApiTokenRow.unit_id)
            .where(*where)
            .order_by(ApiTokenRow.id)
        )
        return [self._token(row, path) for row, path in self.s.execute(q)]

    def by_hash(self, token_hash: str) -> ApiToken | None:
        found = self._find(ApiTokenRow.token_hash == token_hash)
        return found[0] if found else None

    def get(self, token_id: int) -> ApiToken | None:
        found = self._find(ApiTokenRow.id == token_id)
        return found[0] if found else None

    def by_prefix(self, prefix: str) -> list[ApiToken]:
        return self._find(ApiTokenRow.prefix.startswith(prefix, autoescape=True))

    def all(self) -> list[ApiToken]:
        return self._find()

    def revoke(self, token_id: int, now: datetime) -> bool:
        """Revoke a token; False when it was already revoked (or does not exist)."""
        result = self.s.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def touch(self, token_id: int, now: datetime) -> None:
        row = self.s.get(ApiTokenRow, token_id)
        if row is not None:
            row.last_used_at = now


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")


class LoginAttemptRepository:
    """Login attempts per key (``email:…``, ``client:…``); a failure counts for a minute."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def lock(self, keys: Iterable[str]) -> None:
        """Serialise throttle decisions on these keys until the transaction ends.

        PostgreSQL: a transaction-scoped advisory lock per key (sorted, so two attempts
        never wait on each other in opposite orders). SQLite: every transaction already
        starts with ``BEGIN IMMEDIATE``, which serialises writers.
        """
        if self.s.get_bind().dialect.name != "postgresql":
            return
        for key in sorted(set(keys)):
            self.s.execute(_ADVISORY_LOCK, {"k": key})

    def record(self, key: str, success: bool, now: datetime) -> int:
        row = LoginAttemptRow(key=key, success=success, at=now)
        self.s.add(row)
        self.s.flush()
        return row.id

    def mark_success(self, attempt_ids: Iterable[int]) -> None:
        ids = list(attempt_ids)
        if ids:
            self.s.execute(
                update(LoginAttemptRow).where(LoginAttemptRow.id.in_(ids)).values(success=True)
            )

    def failures_since(self, key: str, since: datetime) -> int:
        q = (
            select(func.count())
            .select_from(LoginAttemptRow)
            .where(LoginAttemptRow.key == key, LoginAttemptRow.at >= since)
            .where(LoginAttemptRow.success.is_(False))
        )
        return self.s.scalar(q) or 0

    def prune(self, before: datetime) -> None:
        self.s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def record(
        self,
        actor: str,
        action: str,
        target: str = "",
        now: datetime | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add one entry; ``now`` defaults to the current UTC time."""
        at = now or datetime.now(UTC)
        self.s.add(
            AuditRow(actor=actor, action=str(action), target=target, at=at, detail=detail or {})
        )

    def page(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries newest first, before ``before_id`` (keyset pagination), filtered.

        ``action`` matches one name (``login``) or a family ending in a dot (``user.``).
        """
        q = select(AuditRow)
        if actor is not None:
            q = q.where(AuditRow.actor == actor)
        if action is not None and action.endswith("."):
            q = q.where(AuditRow.action.startswith(action, autoescape=True))
        elif action is not None:
            q = q.where(AuditRow.action == action)
        if since is not None:
            q = q.where(AuditRow.at >= since)
        if until is not None:
            q = q.where(AuditRow.at < until)
        if before_id is not None:
            q = q.where(AuditRow.id < before_id)
        rows = self.s.scalars(q.order_by(AuditRow.id.desc()).limit(limit))
        return [
            AuditEntry(r.id, utc(r.at) or r.at, r.actor, r.action, r.target, dict(r.detail or {}))
            for r in rows
        ]

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        return [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in self.page(limit=limit)
        ]
