"""What metrics need to know besides answers: surveys, versions, items and the unit tree.

Read through the same engine as the answers (so a DuckDB snapshot is self-consistent), with
the statements of :mod:`rapport.analytics.metrics.sql`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics import ScoredItem
from rapport.analytics.metrics import sql as metric_sql

T = TypeVar("T")


@dataclass(frozen=True)
class UnitNode:
    """A unit of the organisation tree as metrics see it."""

    id: int
    parent_id: int | None
    code: str
    name: str
    kind: str
    path: str

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def contains(self, path: str) -> bool:
        """True when ``path`` is this unit or below it."""
        return path == self.path or path.startswith(self.path + "/")


@dataclass(frozen=True)
class SurveyInfo:
    id: int
    key: str
    title: str
    audience: str
    anonymous: bool


def load_units(conn: Connection) -> dict[int, UnitNode]:
    """Every unit, keyed by id."""
    rows = conn.execute(metric_sql.units_statement()).all()
    return {
        int(r[0]): UnitNode(int(r[0]), None if r[1] is None else int(r[1]), *map(str, r[2:6]))
        for r in rows
    }


def load_surveys(conn: Connection) -> list[SurveyInfo]:
    rows = conn.execute(metric_sql.surveys_statement()).all()
    return [SurveyInfo(int(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4])) for r in rows]


def load_versions(conn: Connection) -> dict[int, tuple[int, int]]:
    """Survey version id → (survey id, version number)."""
    rows = conn.execute(metric_sql.versions_statement()).all()
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


def load_items(conn: Connection, survey_ids: Sequence[int] | None) -> list[ScoredItem]:
    """The ``survey_items`` rows of every version of the surveys (all when None)."""
    rows = conn.execute(metric_sql.items_statement(survey_ids)).all()
    return [
        ScoredItem(
            id=int(r[0]),
            survey_version_id=int(r[1]),
            question_id=str(r[2]),
            item=str(r[3] or ""),
            qtype=str(r[4]),
            tags=tuple(str(r[5] or "").split()),
            scale_min=None if r[6] is None else float(r[6]),
            scale_max=None if r[7] is None else float(r[7]),
            reverse_keyed=bool(r[8]),
        )
        for r in rows
    ]


class CatalogReads:
    """The catalog as one request reads it: each table (and each survey's items) read once.

    A page computes a dozen metrics, and each needs the unit tree and the surveys' items;
    without this every one of them read them again. Keep one per request (never across
    requests: units and surveys change). Callers must not mutate what it returns.

    >>> reads = CatalogReads()
    >>> reads.kept(("units",), lambda: {1: "a"}) is reads.kept(("units",), lambda: {})
    True
    """

    def __init__(self) -> None:
        self._kept: dict[Hashable, Any] = {}

    def kept(self, key: Hashable, read: Callable[[], T]) -> T:
        """``read()`` the first time ``key`` is asked for, the same object afterwards."""
        if key not in self._kept:
            self._kept[key] = read()
        found: T = self._kept[key]
        return found

    def units(self, conn: Connection) -> dict[int, UnitNode]:
        return self.kept(("units",), lambda: load_units(conn))

    def surveys(self, conn: Connection) -> list[SurveyInfo]:
        return self.kept(("surveys",), lambda: load_surveys(conn))

    def versions(self, conn: Connection) -> dict[int, tuple[int, int]]:
        return self.kept(("versions",), lambda: load_versions(conn))

    def items(self, conn: Connection, survey_ids: Sequence[int] | None) -> list[ScoredItem]:
        key = ("items", None if survey_ids is None else tuple(survey_ids))
        return self.kept(key, lambda: load_items(conn, survey_ids))


def find_survey(
    engine: AnalyticsEngine, survey: int | str, reads: CatalogReads | None = None
) -> SurveyInfo | None:
    """The survey with this id or key (a string of digits is tried as an id first).

    >>> from rapport.analytics.engines import open_engine
    >>> find_survey(open_engine(database_url="sqlite://"), "x") is None  # doctest: +SKIP
    True
    """
    reads = reads or CatalogReads()
    with engine.connect() as conn:
        surveys = reads.surveys(conn)
    if isinstance(survey, str) and survey.isdigit():
        by_id = [s for s in surveys if s.id == int(survey)]
        if by_id:
            return by_id[0]
    for s in surveys:
        if s.id == survey or s.key == survey:
            return s
    return None
