"""What one person's profile reads: their invitations, responses and free-text answers
with the emotions read in them. The service decides which of these a caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from rapport.storage.models import (
    AnswerRow,
    CaseRow,
    CommentAnalysisRow,
    DistributionRow,
    InvitationRow,
    ResponseRow,
    SurveyVersionRow,
)


@dataclass(frozen=True)
class PersonInvitation:
    """One invitation sent to the person, with its survey and state."""

    id: int
    survey_id: int
    survey_version_id: int
    channel: str
    status: str  # pending | started | submitted
    created_at: datetime
    sent_at: datetime | None
    used_at: datetime | None
    response_id: int | None


@dataclass(frozen=True)
class PersonResponse:
    id: int
    survey_id: int
    survey_version_id: int
    unit_id: int
    channel: str
    submitted_at: datetime


@dataclass(frozen=True)
class PersonAnswer:
    """One stored answer of the person's responses (long form), with the emotion analysis
    of a free-text answer when there is one."""

    response_id: int
    question_id: str
    item: str
    value_num: float | None
    value_text: str | None
    sentiment: str | None
    ekman: tuple[str, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class PersonCase:
    """A follow-up case opened on one of the person's responses (its notes are not read:
    a profile shows the case, the case page its notes)."""

    id: int
    response_id: int
    title: str
    status: str
    priority: str
    opened_at: datetime
    resolved_at: datetime | None
    resolution_code: str | None


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def invitations(self, person_id: int) -> list[PersonInvitation]:
        q = (
            select(
                InvitationRow.id,
                SurveyVersionRow.survey_id,
                DistributionRow.survey_version_id,
                DistributionRow.channel,
                InvitationRow.status,
                InvitationRow.created_at,
                InvitationRow.sent_at,
                InvitationRow.used_at,
                InvitationRow.response_id,
            )
            .join(DistributionRow, DistributionRow.id == InvitationRow.distribution_id)
            .join(SurveyVersionRow, SurveyVersionRow.id == DistributionRow.survey_version_id)
            .where(InvitationRow.person_id == person_id)
        )
        return [PersonInvitation(*row) for row in self.s.execute(q)]

    def responses(self, person_id: int) -> list[PersonResponse]:
        q = select(
            ResponseRow.id,
            ResponseRow.survey_id,
            ResponseRow.survey_version_id,
            ResponseRow.unit_id,
            ResponseRow.channel,
            ResponseRow.submitted_at,
        ).where(ResponseRow.person_id == person_id)
        return [PersonResponse(*row) for row in self.s.execute(q)]

    def answers(self, response_ids: Sequence[int]) -> list[PersonAnswer]:
        """Every answer of the responses, in response and answer order."""
        if not response_ids:
            return []
        q = (
            select(
                AnswerRow.response_id,
                AnswerRow.question_id,
                AnswerRow.item,
                AnswerRow.value_num,
                AnswerRow.value_text,
                CommentAnalysisRow.sentiment,
                CommentAnalysisRow.ekman,
                CommentAnalysisRow.labels,
            )
            .outerjoin(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == AnswerRow.response_id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(AnswerRow.response_id.in_(sorted(response_ids)))
            .order_by(AnswerRow.response_id, AnswerRow.id)
        )
        return [
            PersonAnswer(
                rid,
                qid,
                item or "",
                num,
                text,
                sentiment,
                tuple((ekman or "").split()),
                tuple((labels or "").split()),
            )
            for rid, qid, item, num, text, sentiment, ekman, labels in self.s.execute(q)
        ]

    def cases(self, response_ids: Sequence[int]) -> list[PersonCase]:
        if not response_ids:
            return []
        c = CaseRow
        q = (
            select(
                c.id, c.response_id, c.title, c.status, c.priority, c.opened_at,
                c.resolved_at, c.resolution_code,
            )
            .where(c.response_id.in_(list(response_ids)))
            .order_by(c.id)
        )  # fmt: skip
        return [
            PersonCase(
                r.id,
                r.response_id or 0,
                r.title,
                r.status,
                r.priority,
                r.opened_at,
                r.resolved_at,
                r.resolution_code,
            )
            for r in self.s.execute(q)
        ]  # the filter on response_id: never None here
