"""Distributions, single-use invitations and public links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from rapport.storage.models import (
    DistributionRow,
    InvitationRow,
    PublicLinkRow,
    SurveyVersionRow,
)


@dataclass(frozen=True)
class InvitationRecord:
    id: int
    distribution_id: int
    survey_version_id: int
    person_id: int | None
    unit_id: int
    status: str
    expires_at: datetime | None
    used_at: datetime | None
    partial_answers: dict[str, Any] | None
    reminders: int
    salt: str | None = None
    partial_page: str | None = None


@dataclass(frozen=True)
class PublicLinkRecord:
    id: int
    survey_version_id: int
    unit_id: int
    token: str
    expires_at: datetime | None
    active: bool


class DistributionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_distribution(
        self,
        version_id: int,
        name: str,
        channel: str,
        now: datetime,
        expires_at: datetime | None,
        created_by: str,
    ) -> int:
        row = DistributionRow(
            survey_version_id=version_id,
            name=name,
            channel=channel,
            created_at=now,
            expires_at=expires_at,
            created_by=created_by,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def add_invitations(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.s.execute(insert(InvitationRow), list(rows))

    def invitation_by_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> InvitationRecord | None:
        q = (
            select(InvitationRow, DistributionRow)
            .join(DistributionRow, DistributionRow.id == InvitationRow.distribution_id)
            .where(InvitationRow.token_hash == token_hash)
        )
        if for_update:
            q = q.with_for_update(of=InvitationRow)
        found = self.s.execute(q).one_or_none()
        if found is None:
            return None
        inv, dist = found
        return InvitationRecord(
            inv.id,
            inv.distribution_id,
            dist.survey_version_id,
            inv.person_id,
            inv.unit_id,
            inv.status,
            dist.expires_at,
            inv.used_at,
            dict(inv.partial_answers) if inv.partial_answers is not None else None,
            inv.reminders,
            inv.salt,
            inv.partial_page,
        )

    def save_partial(
        self, invitation_id: int, answers: dict[str, Any], page: str | None = None
    ) -> None:
        self.s.execute(
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id)
            .values(partial_answers=answers, partial_page=page, status="started")
        )

    def mark_used(self, invitation_id: int, now: datetime, response_id: int | None) -> bool:
        """Mark an invitation used; False when it already was (a concurrent submit won)."""
        result = self.s.execute(
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id, InvitationRow.used_at.is_(None))
            .values(
                status="submitted",
                used_at=now,
                response_id=response_id,
                partial_answers=None,
                partial_page=None,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def pending_for_survey(self, survey_id: int) -> list[InvitationRecord]:
        """Unused invitations of every distribution of the survey's versions."""
        q = (
            select(InvitationRow.token_hash)
            .join(DistributionRow, DistributionRow.id == InvitationRow.distribution_id)
            .join(SurveyVersionRow, SurveyVersionRow.id == DistributionRow.survey_version_id)
            .where(SurveyVersionRow.survey_id == survey_id, InvitationRow.used_at.is_(None))
            .order_by(InvitationRow.id)
        )
        out = []
        for token_hash in self.s.scalars(q):
            rec = self.invitation_by_hash(token_hash)
            if rec is not None:
                out.append(rec)
        return out

    def mark_reminded(self, invitation_id: int, now: datetime) -> None:
        self.s.execute(
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id)
            .values(reminded_at=now, reminders=InvitationRow.reminders + 1)
        )

    def mark_sent(self, invitation_id: int, now: datetime) -> None:
        self.s.execute(
            update(InvitationRow).where(InvitationRow.id == invitation_id).values(sent_at=now)
        )

    def add_public_link(
        self, version_id: int, unit_id: int, token: str, now: datetime, expires_at: datetime | None
    ) -> PublicLinkRecord:
        row = PublicLinkRow(
            survey_version_id=version_id,
            unit_id=unit_id,
            token=token,
            created_at=now,
            expires_at=expires_at,
            active=True,
        )
        self.s.add(row)
        self.s.flush()
        return PublicLinkRecord(row.id, version_id, unit_id, token, expires_at, True)

    def public_link(self, token: str) -> PublicLinkRecord | None:
        row = self.s.scalars(
            select(PublicLinkRow).where(PublicLinkRow.token == token)
        ).one_or_none()
        if row is None:
            return None
        return PublicLinkRecord(
            row.id, row.survey_version_id, row.unit_id, row.token, row.expires_at, row.active
        )
