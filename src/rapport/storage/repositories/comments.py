"""Free-text answers with their emotion analysis, for the comment explorer and themes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from rapport.storage.models import AnswerRow, CommentAnalysisRow, ResponseRow, SurveyItemRow


@dataclass(frozen=True)
class CommentRecord:
    response_id: int
    unit_id: int
    submitted_at: datetime
    question_id: str
    text: str
    status: str | None
    sentiment: str | None
    labels: tuple[str, ...]
    ekman: tuple[str, ...]
    recommend: float | None


class CommentRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def for_survey(
        self, survey_id: int, question_ids: Sequence[str], unit_ids: Sequence[int] | None = None
    ) -> list[CommentRecord]:
        """The survey's free-text answers (redacted) to ``question_ids``, newest first."""
        score = aliased(AnswerRow)
        recommend = (
            select(func.max(score.value_num))
            .join(
                SurveyItemRow,
                and_(
                    SurveyItemRow.survey_version_id == ResponseRow.survey_version_id,
                    SurveyItemRow.question_id == score.question_id,
                    SurveyItemRow.qtype == "nps",
                ),
            )
            .where(score.response_id == ResponseRow.id)
            .correlate(ResponseRow)
            .scalar_subquery()
        )
        q = (
            select(
                ResponseRow.id,
                ResponseRow.unit_id,
                ResponseRow.submitted_at,
                AnswerRow.question_id,
                AnswerRow.value_text,
                CommentAnalysisRow.status,
                CommentAnalysisRow.sentiment,
                CommentAnalysisRow.labels,
                CommentAnalysisRow.ekman,
                recommend,
            )
            .join(AnswerRow, AnswerRow.response_id == ResponseRow.id)
            .outerjoin(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == ResponseRow.id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(
                ResponseRow.survey_id == survey_id,
                AnswerRow.question_id.in_(question_ids),
                AnswerRow.value_text.is_not(None),
            )
            .order_by(ResponseRow.submitted_at.desc(), ResponseRow.id.desc())
        )
        if unit_ids is not None:
            q = q.where(ResponseRow.unit_id.in_(unit_ids))
        return [
            CommentRecord(
                rid,
                uid,
                at,
                qid,
                text or "",
                status,
                sentiment,
                tuple((labels or "").split()),
                tuple((ekman or "").split()),
                rec,
            )
            for rid, uid, at, qid, text, status, sentiment, labels, ekman, rec in self.s.execute(q)
        ]

    def stale(
        self, version_id: int, question_ids: Sequence[str], model_version: str
    ) -> list[tuple[int, str, str, str | None]]:
        """(response id, question id, stored text, kept original) of answers of one survey
        version not yet read by ``model_version``."""
        q = (
            select(
                AnswerRow.response_id,
                AnswerRow.question_id,
                AnswerRow.value_text,
                CommentAnalysisRow.original_text,
            )
            .join(ResponseRow, ResponseRow.id == AnswerRow.response_id)
            .outerjoin(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == AnswerRow.response_id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(
                ResponseRow.survey_version_id == version_id,
                AnswerRow.question_id.in_(question_ids),
                AnswerRow.value_text.is_not(None),
            )
            .where(
                (CommentAnalysisRow.id.is_(None))
                | (CommentAnalysisRow.model_version != model_version)
            )
            .order_by(AnswerRow.response_id)
        )
        return [(r, qid, t or "", o) for r, qid, t, o in self.s.execute(q)]

    def replace_analyses(self, rows: Sequence[dict[str, Any]]) -> None:
        """Overwrite the analyses of (response, question) pairs (delete, then insert)."""
        for row in rows:
            self.s.execute(
                delete(CommentAnalysisRow).where(
                    CommentAnalysisRow.response_id == row["response_id"],
                    CommentAnalysisRow.question_id == row["question_id"],
                )
            )
        if rows:
            self.s.connection().execute(insert(CommentAnalysisRow), list(rows))
