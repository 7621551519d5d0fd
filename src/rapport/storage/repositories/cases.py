"""Alert rules, cases, their notes and events (the closed loop)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session

from rapport.storage.models import (
    AlertRuleRow,
    AnswerRow,
    CaseEventRow,
    CaseNoteRow,
    CaseRow,
    CommentAnalysisRow,
    InvitationRow,
    ResponseRow,
    UserRow,
)
from rapport.storage.repositories.access import utc


@dataclass(frozen=True)
class AlertRuleRecord:
    id: int
    name: str
    survey_id: int | None
    audience: str | None
    unit_id: int | None
    condition: dict[str, Any]
    priority: str
    active: bool
    created_by: str
    created_at: datetime
    follow_up_survey_id: int | None = None


@dataclass(frozen=True)
class CaseRecord:
    id: int
    rule_id: int | None
    response_id: int | None
    unit_id: int
    audience: str
    title: str
    owner_id: int | None
    status: str
    priority: str
    due_at: datetime
    opened_at: datetime
    first_contact_at: datetime | None
    resolved_at: datetime | None
    resolution_code: str | None
    escalation_level: int
    follow_up_invitation_id: int | None = None
    follow_up_response_id: int | None = None


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    unit_ids: Sequence[int] | None = None
    owner_id: int | None = None
    overdue_at: datetime | None = None  # waiting and due before this time
    limit: int = 100
    after_id: int = 0


def _rule(row: AlertRuleRow) -> AlertRuleRecord:
    return AlertRuleRecord(
        row.id,
        row.name,
        row.survey_id,
        row.audience,
        row.unit_id,
        dict(row.condition),
        row.priority,
        row.active,
        row.created_by,
        utc(row.created_at) or row.created_at,
        row.follow_up_survey_id,
    )


def _case(row: CaseRow) -> CaseRecord:
    return CaseRecord(
        row.id,
        row.rule_id,
        row.response_id,
        row.unit_id,
        row.audience,
        row.title,
        row.owner_id,
        row.status,
        row.priority,
        utc(row.due_at) or row.due_at,
        utc(row.opened_at) or row.opened_at,
        utc(row.first_contact_at),
        utc(row.resolved_at),
        row.resolution_code,
        row.escalation_level,
        row.follow_up_invitation_id,
        row.follow_up_response_id,
    )


WAITING = ("open", "in_progress")


class AlertRuleRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, **values: Any) -> AlertRuleRecord:
        row = AlertRuleRow(**values)
        self.s.add(row)
        self.s.flush()
        return _rule(row)

    def all(self) -> list[AlertRuleRecord]:
        return [_rule(r) for r in self.s.scalars(select(AlertRuleRow).order_by(AlertRuleRow.id))]

    def active(self) -> list[AlertRuleRecord]:
        q = select(AlertRuleRow).where(AlertRuleRow.active).order_by(AlertRuleRow.id)
        return [_rule(r) for r in self.s.scalars(q)]

    def get(self, rule_id: int) -> AlertRuleRecord | None:
        row = self.s.get(AlertRuleRow, rule_id)
        return _rule(row) if row else None

    def update(self, rule_id: int, **values: Any) -> None:
        self.s.execute(update(AlertRuleRow).where(AlertRuleRow.id == rule_id).values(**values))
        self.s.expire_all()


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(
        self, cases: Sequence[dict[str, Any]], opened: Sequence[dict[str, Any]]
    ) -> list[int]:
        """Insert cases and, for each, its ``opened`` event; returns the case ids in order."""
        conn = self.s.connection()
        statement = insert(CaseRow).returning(CaseRow.id, sort_by_parameter_order=True)
        ids = [int(i) for i in conn.execute(statement, list(cases)).scalars()]
        conn.execute(
            insert(CaseEventRow), [{**e, "case_id": i} for i, e in zip(ids, opened, strict=True)]
        )
        return ids

    def opened_for(self, response_ids: Sequence[int]) -> set[tuple[int | None, int | None]]:
        """(rule, response) pairs that already have a case."""
        if not response_ids:
            return set()
        q = select(CaseRow.rule_id, CaseRow.response_id).where(
            CaseRow.response_id.in_(list(response_ids))
        )
        return {(r, s) for r, s in self.s.execute(q)}

    def get(self, case_id: int) -> CaseRecord | None:
        row = self.s.get(CaseRow, case_id)
        return _case(row) if row else None

    def by_ids(self, case_ids: Sequence[int]) -> list[CaseRecord]:
        q = select(CaseRow).where(CaseRow.id.in_(list(case_ids))).order_by(CaseRow.id)
        return [_case(r) for r in self.s.scalars(q)]

    def find(self, where: CaseFilter) -> list[CaseRecord]:
        q = select(CaseRow).where(CaseRow.id > where.after_id).order_by(CaseRow.id)
        if where.status is not None:
            q = q.where(CaseRow.status == where.status)
        if where.unit_ids is not None:
            q = q.where(CaseRow.unit_id.in_(list(where.unit_ids)))
        if where.owner_id is not None:
            q = q.where(CaseRow.owner_id == where.owner_id)
        if where.overdue_at is not None:
            q = q.where(CaseRow.status.in_(WAITING), CaseRow.due_at < where.overdue_at)
        return [_case(r) for r in self.s.scalars(q.limit(where.limit))]

    def update(self, case_id: int, **values: Any) -> None:
        self.s.execute(update(CaseRow).where(CaseRow.id == case_id).values(**values))
        self.s.expire_all()

    def escalate(self, case: CaseRecord, now: datetime, **values: Any) -> bool:
        """Move ``case`` one level up unless someone else already did: a conditional UPDATE
        on the level it was read at, so two sweeps at once escalate it once."""
        q = (
            update(CaseRow)
            .where(
                CaseRow.id == case.id,
                CaseRow.escalation_level == case.escalation_level,
                CaseRow.status.in_(WAITING),
                CaseRow.due_at < now,
            )
            .values(escalation_level=case.escalation_level + 1, **values)
        )
        done = bool(self.s.execute(q).rowcount == 1)  # type: ignore[attr-defined]
        self.s.expire_all()
        return done

    def add_event(self, **values: Any) -> None:
        self.s.connection().execute(insert(CaseEventRow), values)

    def events(self, case_id: int) -> list[dict[str, Any]]:
        q = select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)
        return [
            {
                "at": utc(e.at),
                "actor": e.actor,
                "kind": e.kind,
                "from_value": e.from_value,
                "to_value": e.to_value,
            }
            for e in self.s.scalars(q)
        ]

    def add_note(self, case_id: int, author: str, at: datetime, text: str) -> None:
        self.s.add(CaseNoteRow(case_id=case_id, author=author, at=at, text=text))
        self.s.flush()

    def notes(self, case_id: int) -> list[dict[str, Any]]:
        q = select(CaseNoteRow).where(CaseNoteRow.case_id == case_id).order_by(CaseNoteRow.id)
        return [{"author": n.author, "at": utc(n.at), "text": n.text} for n in self.s.scalars(q)]

    def pending_notifications(self, limit: int = 200) -> list[tuple[int, int, str, str, str]]:
        """(event id, case id, event kind, e-mail, case title) of events whose owner has not
        been told yet."""
        q = (
            select(
                CaseEventRow.id,
                CaseEventRow.case_id,
                CaseEventRow.kind,
                UserRow.email,
                CaseRow.title,
            )
            .join(UserRow, UserRow.id == CaseEventRow.notify_user_id)
            .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
            .where(CaseEventRow.notified_at.is_(None), UserRow.is_active)
            .order_by(CaseEventRow.id)
            .limit(limit)
        )
        return [(e, c, k, m, t) for e, c, k, m, t in self.s.execute(q)]

    def claim_notification(self, event_id: int, now: datetime) -> bool:
        """Mark an event notified unless another sender already did (at most once)."""
        q = (
            update(CaseEventRow)
            .where(CaseEventRow.id == event_id, CaseEventRow.notified_at.is_(None))
            .values(notified_at=now)
        )
        return bool(self.s.execute(q).rowcount == 1)  # type: ignore[attr-defined]

    def managers(self) -> dict[int, list[int]]:
        """Active managers' user ids by their unit, lowest id first."""
        q = (
            select(UserRow.unit_id, UserRow.id)
            .where(UserRow.role == "manager", UserRow.is_active, UserRow.unit_id.is_not(None))
            .order_by(UserRow.id)
        )
        found: dict[int, list[int]] = {}
        for unit_id, user_id in self.s.execute(q):
            if unit_id is not None:
                found.setdefault(unit_id, []).append(user_id)
        return found

    def comments(self, response_id: int) -> list[str]:
        """The response's free-text answers (stored redacted), in question order of storage."""
        q = (
            select(AnswerRow.value_text)
            .join(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == AnswerRow.response_id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(AnswerRow.response_id == response_id, AnswerRow.value_text.is_not(None))
            .order_by(AnswerRow.id)
        )
        return [str(t) for t in self.s.scalars(q)]

    def respondent(self, response_id: int) -> int | None:
        """The person who gave a response (None when anonymous or unknown)."""
        return self.s.scalar(select(ResponseRow.person_id).where(ResponseRow.id == response_id))

    def link_follow_up(self, invitation_id: int, response_id: int) -> int:
        """Link the response answering a follow-up invitation to its case; returns the
        number of cases linked (0 when the invitation was no case's follow-up).

        Looked up first: most answered invitations are no case's, and an UPDATE of cases,
        even of no row, counts as a write of every survey's data
        (``rapport.storage.generation``)."""
        waiting = (
            CaseRow.follow_up_invitation_id == invitation_id,
            CaseRow.follow_up_response_id.is_(None),
        )
        if self.s.scalar(select(CaseRow.id).where(*waiting).limit(1)) is None:
            return 0
        q = update(CaseRow).where(*waiting).values(follow_up_response_id=response_id)
        linked = int(self.s.execute(q).rowcount)  # type: ignore[attr-defined]
        self.s.expire_all()
        return linked

    def unsent_follow_ups(self) -> list[tuple[int, int]]:
        """(case id, invitation id) of follow-up invitations not yet e-mailed."""
        q = (
            select(CaseRow.id, InvitationRow.id)
            .join(InvitationRow, InvitationRow.id == CaseRow.follow_up_invitation_id)
            .where(InvitationRow.sent_at.is_(None), InvitationRow.used_at.is_(None))
            .order_by(CaseRow.id)
        )
        return [(c, i) for c, i in self.s.execute(q)]

    def claim_follow_up_mail(self, invitation_id: int, now: datetime) -> bool:
        """Mark a follow-up invitation sent unless another sender already did."""
        q = (
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id, InvitationRow.sent_at.is_(None))
            .values(sent_at=now)
        )
        return bool(self.s.execute(q).rowcount == 1)  # type: ignore[attr-defined]

    def answers(self, response_id: int) -> list[dict[str, Any]]:
        """A response's answers in long form (question, item, number, text)."""
        q = select(AnswerRow).where(AnswerRow.response_id == response_id).order_by(AnswerRow.id)
        return [
            {"question": a.question_id, "item": a.item, "value": a.value_num, "text": a.value_text}
            for a in self.s.scalars(q)
        ]

    def responses_in_unit(self, response_id: int) -> int:
        """How many responses to the same survey the response's unit holds (the group a
        comment hides in)."""
        row = self.s.get(ResponseRow, response_id)
        if row is None:
            return 0
        q = select(func.count()).where(
            ResponseRow.survey_id == row.survey_id, ResponseRow.unit_id == row.unit_id
        )
        return int(self.s.scalar(q) or 0)
