"""Surveys, versions, scored items, responses and answers."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rapport.domain.survey.rows import AnswerValues
from rapport.storage import aggregates, bulk, page_aggregates
from rapport.storage.models import (
    AnswerRow,
    CommentAnalysisRow,
    ResponseRow,
    SurveyItemRow,
    SurveyRow,
    SurveyVersionRow,
)

_ANSWER_COLUMNS = ("response_id", "question_id", "item", "value_num", "value_text")


@dataclass(frozen=True)
class SurveyRecord:
    id: int
    key: str
    title: str
    audience: str
    anonymous: bool


@dataclass(frozen=True)
class VersionRecord:
    id: int
    survey_id: int
    version: int
    status: str
    definition: dict[str, Any]
    checksum: str
    published_at: datetime | None


def _survey(row: SurveyRow) -> SurveyRecord:
    return SurveyRecord(row.id, row.key, row.title, row.audience, row.anonymous)


def _version(row: SurveyVersionRow) -> VersionRecord:
    return VersionRecord(
        row.id,
        row.survey_id,
        row.version,
        row.status,
        dict(row.definition),
        row.checksum,
        row.published_at,
    )


@functools.cache
def _idempotent_insert(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (survey, scope, key) DO NOTHING RETURNING id``, built once per
    dialect (a Core statement: the submit path runs it for every response)."""
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    table = cast(Table, ResponseRow.__table__)
    return (
        insert_fn(table)
        .on_conflict_do_nothing(
            index_elements=["survey_id", "idempotency_scope", "idempotency_key"]
        )
        .returning(table.c.id)
    )


class SurveyRepository:
    def __init__(self, session: Session, memo: dict[Hashable, Any] | None = None) -> None:
        self.s = session
        # Published versions never change: their records are kept per process, keyed by
        # (id, survey, checksum), so a database emptied and refilled (same ids) cannot
        # serve old ones.
        self.memo: dict[Hashable, Any] = {} if memo is None else memo

    def add(self, key: str, title: str, audience: str, anonymous: bool, now: datetime) -> int:
        row = SurveyRow(
            key=key, title=title, audience=audience, anonymous=anonymous, created_at=now
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def get(self, survey_id: int) -> SurveyRecord | None:
        row = self.s.get(SurveyRow, survey_id)
        return _survey(row) if row else None

    def by_key(self, key: str) -> SurveyRecord | None:
        row = self.s.scalars(select(SurveyRow).where(SurveyRow.key == key)).one_or_none()
        return _survey(row) if row else None

    def all(self) -> list[SurveyRecord]:
        return [_survey(r) for r in self.s.scalars(select(SurveyRow).order_by(SurveyRow.id))]

    def update_meta(self, survey_id: int, title: str, anonymous: bool) -> None:
        row = self.s.get(SurveyRow, survey_id)
        if row is not None:
            row.title, row.anonymous = title, anonymous

    def add_version(
        self, survey_id: int, definition: dict[str, Any], checksum: str, now: datetime
    ) -> VersionRecord:
        latest = self.s.scalar(
            select(func.max(SurveyVersionRow.version)).where(
                SurveyVersionRow.survey_id == survey_id
            )
        )
        row = SurveyVersionRow(
            survey_id=survey_id,
            version=(latest or 0) + 1,
            status="draft",
            definition=definition,
            checksum=checksum,
            created_at=now,
        )
        self.s.add(row)
        self.s.flush()
        return _version(row)

    def get_version(self, version_id: int) -> VersionRecord | None:
        row = self.s.get(SurveyVersionRow, version_id)
        return _version(row) if row else None

    def versions(self, survey_id: int) -> list[VersionRecord]:
        q = select(SurveyVersionRow).where(SurveyVersionRow.survey_id == survey_id)
        return [_version(r) for r in self.s.scalars(q.order_by(SurveyVersionRow.version))]

    def latest_published(self, survey_id: int) -> VersionRecord | None:
        q = (
            select(SurveyVersionRow.id, SurveyVersionRow.checksum)
            .where(SurveyVersionRow.survey_id == survey_id, SurveyVersionRow.status == "published")
            .order_by(SurveyVersionRow.version.desc())
            .limit(1)
        )
        found = self.s.execute(q).first()
        if found is None:
            return None
        key = ("published-version", found.id, survey_id, found.checksum)
        record: VersionRecord | None = self.memo.get(key)
        if record is None:
            record = self.get_version(found.id)
            if record is not None and record.status == "published":
                self.memo[key] = record
        return record

    def mark_published(
        self, version_id: int, now: datetime, items: Sequence[dict[str, Any]]
    ) -> None:
        row = self.s.get(SurveyVersionRow, version_id)
        if row is None:
            raise LookupError(version_id)
        row.status, row.published_at = "published", now
        if items:
            self.s.execute(
                insert(SurveyItemRow), [{**i, "survey_version_id": version_id} for i in items]
            )
            aggregates.add_item_constructs(self.s.connection(), [version_id])


@dataclass(frozen=True)
class SurveyActivity:
    responses: int
    first: datetime
    last: datetime


class ResponseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(
        self, responses: Sequence[dict[str, Any]], answers: Sequence[Sequence[AnswerValues]]
    ) -> list[int]:
        """Insert responses and their long-form answers in two executemany statements, and
        add them to the metric aggregates (:mod:`rapport.storage.aggregates`).

        Ids are allocated up front (a PostgreSQL sequence range, or max(id) on SQLite, where
        the transaction holds the write lock from BEGIN IMMEDIATE) so no RETURNING is needed:
        drivers then batch the rows instead of inserting them one at a time.
        """
        if not responses:
            return []
        ids = self._allocate_ids(len(responses))
        columns = [c.name for c in ResponseRow.__table__.columns if c.name != "id"]
        self._insert_tuples(
            ResponseRow,
            ["id", *columns],
            [(rid, *map(r.__getitem__, columns)) for rid, r in zip(ids, responses, strict=True)],
        )
        self._add_answers(
            [(rid, *a) for rid, group in zip(ids, answers, strict=True) for a in group]
        )
        aggregates.add_responses(self.s.connection(), ids)
        page_aggregates.add(self.s.connection(), "attributes", ids)
        return ids

    def _add_answers(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Answer rows ``(response_id, question_id, item, value_num, value_text)``."""
        self._insert_tuples(AnswerRow, _ANSWER_COLUMNS, rows)

    def _insert_tuples(
        self, model: type[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert tuples through the driver's own ``executemany`` (:mod:`rapport.storage.bulk`)."""
        bulk.insert_tuples(self.s.connection(), model, columns, rows)

    def _allocate_ids(self, n: int) -> list[int]:
        if self.s.get_bind().dialect.name == "postgresql":
            q = text(
                "SELECT nextval(pg_get_serial_sequence('responses', 'id')) "
                "FROM generate_series(1, :n)"
            )
            return [int(i) for i in self.s.scalars(q, {"n": n})]
        start = (self.s.scalar(select(func.max(ResponseRow.id))) or 0) + 1
        return list(range(start, start + n))

    def add_one_idempotent(
        self, response: dict[str, Any], answers: Sequence[AnswerValues]
    ) -> int | None:
        """Insert one response unless its (survey, caller scope, idempotency key) exists,
        and add it to the metric aggregates; None on conflict.

        ``INSERT ... ON CONFLICT DO NOTHING`` makes concurrent duplicates safe on both
        engines: the loser inserts nothing and reads the winner's row afterwards.
        """
        conn = self.s.connection()
        rid = conn.execute(_idempotent_insert(conn.dialect.name), response).scalar()
        if rid is None:
            return None
        self._add_answers([(rid, *a) for a in answers])
        aggregates.add_responses(conn, [int(rid)])
        page_aggregates.add(conn, "attributes", [int(rid)])
        return int(rid)

    def rebuild_aggregates(self) -> int:
        """Recompute the metric aggregates from every stored response (in this unit of
        work's transaction), and the comment and attribute aggregates
        (:mod:`rapport.storage.page_aggregates`); returns the number of metric aggregate
        rows."""
        conn = self.s.connection()
        count = aggregates.rebuild(conn)
        first, last = conn.execute(select(func.min(ResponseRow.id), func.max(ResponseRow.id))).one()
        page_aggregates.rebuild(conn, int(first or 0), int(last or -1), 20_000)
        return count

    def add_analyses(self, rows: Sequence[dict[str, Any]]) -> None:
        """Comment analyses (emotions) of stored responses."""
        if rows:
            self.s.connection().execute(insert(CommentAnalysisRow), list(rows))
            ids = sorted({int(r["response_id"]) for r in rows})
            page_aggregates.add(self.s.connection(), "comments", ids)

    def idempotency_keys(self, survey_id: int, scope: str) -> set[str]:
        """Every key a caller (``scope``) stored responses of a survey under."""
        q = select(ResponseRow.idempotency_key).where(
            ResponseRow.survey_id == survey_id,
            ResponseRow.idempotency_scope == scope,
            ResponseRow.idempotency_key.is_not(None),
        )
        return {key for key in self.s.execute(q).scalars() if key is not None}

    def by_idempotency_key(
        self, survey_id: int, key: str, scope: str = ""
    ) -> tuple[int, str | None] | None:
        """(id, body hash) of the response a caller (``scope``) stored under ``key``."""
        q = select(ResponseRow.id, ResponseRow.body_hash).where(
            ResponseRow.survey_id == survey_id,
            ResponseRow.idempotency_scope == scope,
            ResponseRow.idempotency_key == key,
        )
        row = self.s.execute(q).one_or_none()
        return (row[0], row[1]) if row else None

    def count(self, survey_id: int | None = None) -> int:
        q = select(func.count()).select_from(ResponseRow)
        if survey_id is not None:
            q = q.where(ResponseRow.survey_id == survey_id)
        return self.s.scalar(q) or 0

    def activity(self, unit_ids: Sequence[int] | None = None) -> dict[int, SurveyActivity]:
        """Per survey: responses, first and last submission (in ``unit_ids`` when given),
        in one grouped query."""
        q = select(
            ResponseRow.survey_id,
            func.count(),
            func.min(ResponseRow.submitted_at),
            func.max(ResponseRow.submitted_at),
        ).group_by(ResponseRow.survey_id)
        if unit_ids is not None:
            q = q.where(ResponseRow.unit_id.in_(unit_ids))
        return {
            sid: SurveyActivity(int(n), first, last) for sid, n, first, last in self.s.execute(q)
        }

    def count_answers(self) -> int:
        return self.s.scalar(select(func.count()).select_from(AnswerRow)) or 0

    def get(self, response_id: int) -> dict[str, Any] | None:
        row = self.s.get(ResponseRow, response_id)
        if row is None:
            return None
        return self._as_dict(row, self._answers([row.id])[row.id])

    def page(
        self,
        survey_id: int,
        unit_ids: Sequence[int] | None,
        *,
        since: datetime | None,
        until: datetime | None,
        after_id: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Responses in id order after ``after_id`` (keyset pagination)."""
        q = select(ResponseRow).where(ResponseRow.survey_id == survey_id, ResponseRow.id > after_id)
        if unit_ids is not None:
            q = q.where(ResponseRow.unit_id.in_(unit_ids))
        if since is not None:
            q = q.where(ResponseRow.submitted_at >= since)
        if until is not None:
            q = q.where(ResponseRow.submitted_at < until)
        rows = list(self.s.scalars(q.order_by(ResponseRow.id).limit(limit)))
        answers = self._answers([r.id for r in rows])
        return [self._as_dict(r, answers[r.id]) for r in rows]

    def _answers(self, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if not ids:
            return out
        # Plain rows, not ORM objects: building an instance per answer was 90% of an export.
        q = (
            select(
                AnswerRow.response_id,
                AnswerRow.question_id,
                AnswerRow.item,
                AnswerRow.value_num,
                AnswerRow.value_text,
            )
            .where(AnswerRow.response_id.in_(ids))
            .order_by(AnswerRow.id)
        )
        for rid, question_id, item, num, words in self.s.execute(q):
            out[rid].append(
                {"question_id": question_id, "item": item, "value_num": num, "value_text": words}
            )
        return out

    @staticmethod
    def _as_dict(row: ResponseRow, answers: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": row.id,
            "survey_id": row.survey_id,
            "survey_version_id": row.survey_version_id,
            "unit_id": row.unit_id,
            "person_id": row.person_id,
            "audience": row.audience,
            "channel": row.channel,
            "language": row.language,
            "submitted_at": row.submitted_at,
            "tenure_days": row.tenure_days,
            "attributes": dict(row.attributes or {}),
            "answers": answers,
        }
