"""Business outcomes: one figure per unit, grain, period and outcome name."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rapport.storage import bulk
from rapport.storage.models import OutcomeRow

UPSERT_COLUMNS = ("unit_id", "grain", "period", "metric", "value")
"""The order of :meth:`OutcomeRepository.upsert_tuples`'s tuples."""
KEY = ("unit_id", "grain", "period", "metric")

Stored = tuple[int, str, date, str, float]
"""(unit id, grain, period start, outcome name, value)."""


class OutcomeRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert new figures given as column dicts (the grain defaults to month)."""
        batch = list(rows)
        if batch:
            self.s.execute(insert(OutcomeRow), batch)

    def upsert_tuples(self, rows: Sequence[Stored]) -> None:
        """Insert figures, replacing the value of any (unit, grain, period, name) already
        stored — one ``executemany``."""
        bulk.upsert_tuples(self.s.connection(), OutcomeRow, UPSERT_COLUMNS, KEY, rows)

    def rows(
        self,
        unit_ids: Collection[int] | None = None,
        *,
        names: Collection[str] | None = None,
        grain: str | None = None,
        periods: Collection[date] | None = None,
    ) -> list[Stored]:
        """Stored figures, optionally of some units, names, one grain and some periods,
        ordered by unit, name, grain and period."""
        q = select(
            OutcomeRow.unit_id,
            OutcomeRow.grain,
            OutcomeRow.period,
            OutcomeRow.metric,
            OutcomeRow.value,
        ).order_by(OutcomeRow.unit_id, OutcomeRow.metric, OutcomeRow.grain, OutcomeRow.period)
        if unit_ids is not None:
            q = q.where(OutcomeRow.unit_id.in_(list(unit_ids)))
        if names is not None:
            q = q.where(OutcomeRow.metric.in_(list(names)))
        if grain is not None:
            q = q.where(OutcomeRow.grain == grain)
        if periods is not None:
            q = q.where(OutcomeRow.period.in_(list(periods)))
        return [(u, g, p, m, v) for u, g, p, m, v in self.s.execute(q).all()]

    def keys(self, unit_ids: Collection[int]) -> list[tuple[str, date, str]]:
        """Every (grain, period start, outcome name) the units have a figure for, once."""
        q = (
            select(OutcomeRow.grain, OutcomeRow.period, OutcomeRow.metric)
            .where(OutcomeRow.unit_id.in_(list(unit_ids)))
            .distinct()
        )
        return [(g, p, m) for g, p, m in self.s.execute(q).all()]

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(OutcomeRow)) or 0
