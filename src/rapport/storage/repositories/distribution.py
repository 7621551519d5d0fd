"""Distributions, single-use invitations and public links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from rapport.storage.models import (
    DistributionRow,
    InvitationRow,
    PersonRow,
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
class DistributionRecord:
    id: int
    survey_id: int
    name: str
    channel: str
    created_at: datetime
    expires_at: datetime | None
    invitations: int


@dataclass(frozen=True)
class InvitedPerson:
    """One invitation of a distribution, with whom it invites (for link lists)."""

    invitation_id: int
    person_id: int | None
    unit_id: int
    external_id: str
    name: str
    email: str | None
    salt: str | None
    status: str


@dataclass(frozen=True)
class PublicLinkRecord:
    id: int
    survey_version_id: int
    unit_id: int
    token: str
    expires_at: datetime | None
    active: bool


#: Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 500
_SURVEY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")


class DistributionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def lock_survey(self, survey_id: int) -> None:
        """Serialise distributions of one survey until the transaction ends, so two at
        once never both decide that the same person is still to be invited.

        PostgreSQL: a transaction-scoped advisory lock on ``distribute:<survey id>``.
        SQLite: every write transaction already starts with ``BEGIN IMMEDIATE`` and holds
        the database's write lock from its first statement (storage/db.py).
        """
        if self.s.get_bind().dialect.name == "postgresql":
            self.s.execute(_SURVEY_LOCK, {"k": f"distribute:{survey_id}"})

    def invited_since(self, survey_id: int, person_ids: Sequence[int], since: datetime) -> set[int]:
        """Who of ``person_ids`` was invited to any version of the survey at or after
        ``since`` (the quiet period), whatever became of the invitation."""
        found: set[int] = set()
        ids = list(person_ids)
        for start in range(0, len(ids), CHUNK):
            q = (
                select(InvitationRow.person_id)
                .join(DistributionRow, DistributionRow.id == InvitationRow.distribution_id)
                .join(SurveyVersionRow, SurveyVersionRow.id == DistributionRow.survey_version_id)
                .where(
                    SurveyVersionRow.survey_id == survey_id,
                    InvitationRow.person_id.in_(ids[start : start + CHUNK]),
                    InvitationRow.created_at >= since,
                )
                .distinct()
            )
            found.update(pid for pid in self.s.scalars(q) if pid is not None)
        return found

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

    def invited_people(self, survey_id: int, person_ids: Sequence[int], now: datetime) -> set[int]:
        """Who of ``person_ids`` already holds an invitation to any version of the survey
        that is answered or still open (an unused, expired one does not count)."""
        if not person_ids:
            return set()
        q = (
            select(InvitationRow.person_id)
            .join(DistributionRow, DistributionRow.id == InvitationRow.distribution_id)
            .join(SurveyVersionRow, SurveyVersionRow.id == DistributionRow.survey_version_id)
            .where(
                SurveyVersionRow.survey_id == survey_id,
                InvitationRow.person_id.in_(list(person_ids)),
                or_(
                    InvitationRow.used_at.is_not(None),
                    DistributionRow.expires_at.is_(None),
                    DistributionRow.expires_at > now,
                ),
            )
            .distinct()
        )
        return {pid for pid in self.s.scalars(q) if pid is not None}

    def distribution(self, distribution_id: int) -> DistributionRecord | None:
        found = self.s.execute(
            select(DistributionRow, SurveyVersionRow.survey_id)
            .join(SurveyVersionRow, SurveyVersionRow.id == DistributionRow.survey_version_id)
            .where(DistributionRow.id == distribution_id)
        ).one_or_none()
        if found is None:
            return None
        row, survey_id = found
        count = self.s.scalar(
            select(func.count()).where(InvitationRow.distribution_id == distribution_id)
        )
        return DistributionRecord(
            row.id,
            survey_id,
            row.name,
            row.channel,
            row.created_at,
            row.expires_at,
            int(count or 0),
        )

    def invited(
        self, distribution_id: int, unit_ids: Sequence[int] | None, offset: int, limit: int | None
    ) -> list[InvitedPerson]:
        """The distribution's invitations by person name (only in ``unit_ids`` if given)."""
        q = (
            select(InvitationRow, PersonRow)
            .join(PersonRow, PersonRow.id == InvitationRow.person_id)
            .where(InvitationRow.distribution_id == distribution_id)
            .order_by(PersonRow.name, PersonRow.external_id, InvitationRow.id)
            .offset(offset)
        )
        if unit_ids is not None:
            q = q.where(InvitationRow.unit_id.in_(list(unit_ids)))
        if limit is not None:
            q = q.limit(limit)
        return [
            InvitedPerson(
                inv.id,
                inv.person_id,
                inv.unit_id,
                person.external_id,
                person.name,
                person.email,
                inv.salt,
                inv.status,
            )
            for inv, person in self.s.execute(q)
        ]

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

    def invitation_link(self, invitation_id: int) -> tuple[str, int, int] | None:
        """(salt, person id, survey version id) of an invitation to a person, to rebuild
        its link for an e-mail; None when it has no salt or person."""
        q = (
            select(InvitationRow.salt, InvitationRow.person_id, DistributionRow.survey_version_id)
            .join(DistributionRow, DistributionRow.id == InvitationRow.distribution_id)
            .where(InvitationRow.id == invitation_id)
        )
        row = self.s.execute(q).first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return str(row[0]), int(row[1]), int(row[2])

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
