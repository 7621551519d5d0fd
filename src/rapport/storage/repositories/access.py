"""Users, API tokens, login attempts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rapport.domain.org import ApiToken, Role, UserAccount
from rapport.storage.models import ApiTokenRow, AuditRow, LoginAttemptRow, UnitRow, UserRow


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _account(self, row: UserRow) -> UserAccount:
        path = self.s.get(UnitRow, row.unit_id).path if row.unit_id else None  # type: ignore[union-attr]
        return UserAccount(
            row.id, row.email, Role(row.role), row.unit_id, path, row.is_active, row.password_hash
        )

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

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        row = self.s.get(UserRow, user_id)
        if row is not None:
            row.password_hash = password_hash

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
    ) -> int:
        row = ApiTokenRow(
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            role=role.value,
            unit_id=unit_id,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.s.scalars(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
        ).one_or_none()
        if row is None:
            return None
        path = self.s.get(UnitRow, row.unit_id).path if row.unit_id else None  # type: ignore[union-attr]
        return ApiToken(
            row.id,
            row.name,
            row.prefix,
            Role(row.role),
            row.unit_id,
            path,
            row.revoked_at is not None,
            row.last_used_at,
        )

    def touch(self, token_id: int, now: datetime) -> None:
        row = self.s.get(ApiTokenRow, token_id)
        if row is not None:
            row.last_used_at = now


class LoginAttemptRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def record(self, key: str, success: bool, now: datetime) -> None:
        self.s.add(LoginAttemptRow(key=key, success=success, at=now))

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
        target: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.s.add(AuditRow(actor=actor, action=action, target=target, at=now, detail=detail or {}))

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        return [
            {
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "detail": r.detail,
            }
            for r in rows
        ]
