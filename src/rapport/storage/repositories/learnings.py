"""Learning entries with their changes and links (``learnings``, ``learning_changes``,
``learning_links``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from rapport.domain.learnings import Learning, LearningChange
from rapport.storage.models import (
    LearningChangeRow,
    LearningLinkRow,
    LearningRow,
    ResponseRow,
    SurveyRow,
    UnitRow,
)
from rapport.storage.repositories.access import utc

LINK_KINDS = ("case_id", "response_id", "unit_id", "theme")


class LearningRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, values: dict[str, Any]) -> int:
        conn = self.s.connection()
        return int(conn.execute(insert(LearningRow).returning(LearningRow.id), values).scalar_one())

    def update(self, learning_id: int, values: dict[str, Any]) -> None:
        self.s.execute(update(LearningRow).where(LearningRow.id == learning_id).values(**values))

    def set_changes(self, learning_id: int, changes: Sequence[LearningChange]) -> None:
        conn = self.s.connection()
        conn.execute(delete(LearningChangeRow).where(LearningChangeRow.learning_id == learning_id))
        if changes:
            conn.execute(
                insert(LearningChangeRow),
                [
                    {
                        "learning_id": learning_id,
                        "area": c.area,
                        "description": c.description,
                        "changed_on": c.changed_on,
                    }
                    for c in changes
                ],
            )

    def set_links(self, learning_id: int, kind: str, values: Sequence[int | str]) -> None:
        """Replace the learning's links of one kind (``case_id``, ``response_id``,
        ``unit_id`` or ``theme``)."""
        column = getattr(LearningLinkRow, kind)
        conn = self.s.connection()
        conn.execute(
            delete(LearningLinkRow).where(
                LearningLinkRow.learning_id == learning_id, column.is_not(None)
            )
        )
        if values:
            conn.execute(
                insert(LearningLinkRow), [{"learning_id": learning_id, kind: v} for v in values]
            )

    def ids(self) -> list[int]:
        return [int(i) for i in self.s.scalars(select(LearningRow.id).order_by(LearningRow.id))]

    def get(self, learning_id: int) -> Learning | None:
        found = self.many([learning_id])
        return found[0] if found else None

    def many(self, learning_ids: Sequence[int] | None = None) -> list[Learning]:
        """Learnings (all when ``learning_ids`` is None), oldest first, read in three
        statements whatever their number."""
        q = (
            select(LearningRow, SurveyRow.key)
            .outerjoin(SurveyRow, SurveyRow.id == LearningRow.survey_id)
            .order_by(LearningRow.id)
        )
        if learning_ids is not None:
            q = q.where(LearningRow.id.in_(list(learning_ids)))
        rows = list(self.s.execute(q))
        wanted = [r.id for r, _ in rows]
        if not wanted:
            return []
        changes: dict[int, list[LearningChange]] = {}
        cq = (
            select(LearningChangeRow)
            .where(LearningChangeRow.learning_id.in_(wanted))
            .order_by(LearningChangeRow.id)
        )
        for c in self.s.scalars(cq):
            changes.setdefault(c.learning_id, []).append(
                LearningChange(c.area, c.description, c.changed_on)
            )
        links: dict[int, dict[str, list[Any]]] = {i: {} for i in wanted}
        lq = (
            select(LearningLinkRow, UnitRow.code, UnitRow.path)
            .outerjoin(UnitRow, UnitRow.id == LearningLinkRow.unit_id)
            .where(LearningLinkRow.learning_id.in_(wanted))
            .order_by(LearningLinkRow.id)
        )
        for link, code, path in self.s.execute(lq):
            found = links[link.learning_id]
            if link.case_id is not None:
                found.setdefault("cases", []).append(link.case_id)
            elif link.response_id is not None:
                found.setdefault("responses", []).append(link.response_id)
            elif link.unit_id is not None:
                found.setdefault("units", []).append(code)
                found.setdefault("paths", []).append(path)
            elif link.theme is not None:
                found.setdefault("themes", []).append(link.theme)
        return [
            Learning(
                id=r.id,
                title=r.title,
                what_happened=r.what_happened,
                impact=r.impact,
                learnt=r.learnt,
                owner=r.owner,
                review_on=r.review_on,
                survey_key=key,
                metric=r.metric,
                created_by=r.created_by,
                created_at=_utc(r.created_at),
                updated_at=_utc(r.updated_at),
                changes=changes.get(r.id, []),
                case_ids=links[r.id].get("cases", []),
                response_ids=links[r.id].get("responses", []),
                units=links[r.id].get("units", []),
                unit_paths=links[r.id].get("paths", []),
                themes=links[r.id].get("themes", []),
            )
            for r, key in rows
        ]

    def for_cases(self, case_ids: Sequence[int]) -> dict[int, list[int]]:
        """Learning ids by linked case."""
        q = select(LearningLinkRow.case_id, LearningLinkRow.learning_id).where(
            LearningLinkRow.case_id.in_(list(case_ids))
        )
        found: dict[int, list[int]] = {}
        for case_id, learning_id in self.s.execute(q):
            found.setdefault(int(case_id or 0), []).append(int(learning_id))
        return found

    def response_places(self, response_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """(audience, unit id) of each existing response."""
        q = select(ResponseRow.id, ResponseRow.audience, ResponseRow.unit_id).where(
            ResponseRow.id.in_(list(response_ids))
        )
        return {int(i): (str(a), int(u)) for i, a, u in self.s.execute(q)}


def _utc(value: datetime) -> datetime:
    return utc(value) or value
