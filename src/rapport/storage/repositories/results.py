"""Per-response scores for dashboards, computed in SQL from construct tags and scales.

Each scored item is rescaled to 0–100 ((v − min) / (max − min) · 100, reversed for
reverse-keyed items); a response's hearts index is the mean over its ``heart.*`` items,
its minds index the mean over its ``mind.*`` items. The same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from rapport.storage.models import (
    AnswerRow,
    ResponseRow,
    SurveyItemRow,
)


@dataclass(frozen=True)
class ResponseScores:
    response_id: int
    unit_id: int
    submitted_at: datetime
    recommend: float | None
    hearts: float | None
    minds: float | None


def _tagged(prefix: str) -> ColumnElement[bool]:
    return (literal(" ") + SurveyItemRow.tags).like(f"% {prefix}.%")


class ResultsRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def response_scores(self, survey_id: int) -> list[ResponseScores]:
        span = SurveyItemRow.scale_max - SurveyItemRow.scale_min
        rescaled = (
            case(
                (SurveyItemRow.reverse_keyed, (SurveyItemRow.scale_max - AnswerRow.value_num)),
                else_=(AnswerRow.value_num - SurveyItemRow.scale_min),
            )
            * 100.0
            / cast(span, Float)
        )
        recommend = case(
            (and_(SurveyItemRow.qtype == "nps", _tagged("loyalty")), AnswerRow.value_num)
        )
        q = (
            select(
                ResponseRow.id,
                ResponseRow.unit_id,
                ResponseRow.submitted_at,
                func.max(recommend),
                func.avg(case((_tagged("heart"), rescaled))),
                func.avg(case((_tagged("mind"), rescaled))),
            )
            .join(AnswerRow, AnswerRow.response_id == ResponseRow.id)
            .join(
                SurveyItemRow,
                and_(
                    SurveyItemRow.survey_version_id == ResponseRow.survey_version_id,
                    SurveyItemRow.question_id == AnswerRow.question_id,
                    SurveyItemRow.item == AnswerRow.item,
                ),
            )
            .where(ResponseRow.survey_id == survey_id, AnswerRow.value_num.is_not(None))
            .group_by(ResponseRow.id, ResponseRow.unit_id, ResponseRow.submitted_at)
        )
        return [ResponseScores(*row) for row in self.s.execute(q)]
