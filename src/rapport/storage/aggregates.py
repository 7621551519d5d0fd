"""Aggregates that metrics read: sufficient statistics per version × unit × month (UTC).

``metric_aggregates`` (see :class:`~rapport.storage.models.MetricAggregateRow`) holds, per
survey version, unit, audience and calendar month of ``submitted_at`` in UTC:

- ``responses``: the number of responses;
- ``value``: a histogram of every numeric answer (question, item, value → count), which
  gives NPS promoters and detractors, top boxes, sums and sums of squares exactly;
- ``answered``: responses with a numeric answer to a question (emotion pickers' ``n``);
- ``index``: per construct (every tag and dotted tag prefix, ``item_constructs``), the
  number of responses scored and Σ(s − 50), Σ(s − 50)² of their 0–100 scores ``s`` — the
  mean of the response's items under the construct, rescaled on each item's scale and
  reversed for reverse-keyed items (:func:`rescaled_score`, the one definition the raw
  INDEX query uses too).

One statement derives these rows from raw rows (:func:`derived_rows`); restricted to new
responses it is the increment, unrestricted the rebuild — so an increment cannot compute
anything a rebuild would not. :func:`add_responses` runs it in the transaction that stores
the responses (``ResponseRepository``), as ``INSERT … ON CONFLICT DO UPDATE SET n = n +
excluded.n``, rows in key order so concurrent PostgreSQL writers lock them in one order
(no deadlock). :func:`rebuild` (``rapport metrics rebuild-aggregates``) recomputes
everything in one transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Double,
    Label,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from rapport.domain.survey.rows import SCORED_QTYPES, tag_prefixes
from rapport.storage import generation
from rapport.storage.models import Base

INDEX_CENTRE = 50.0
"""Index scores are summed around the middle of 0–100 to keep sums of squares precise."""

KEY_COLUMNS = (
    "kind", "key", "item", "survey_version_id", "unit_id", "month", "value", "audience",
)  # fmt: skip
STAT_COLUMNS = ("n", "total", "total_sq")
COLUMNS = (*KEY_COLUMNS, "survey_id", *STAT_COLUMNS)


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


class MonthStart(ColumnElement[Any]):
    """The first day of a timestamp's calendar month in UTC, as a date."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = Date()


@compiles(MonthStart)
def _month_default(element: MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"no month expression for the {compiler.dialect.name} dialect")


@compiles(MonthStart, "sqlite")
def _month_sqlite(element: MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as UTC 'YYYY-MM-DD HH:MM:SS.ffffff' text and
    # dates as 'YYYY-MM-DD': the month's first day is a slice.
    return f"(substr({compiler.process(element.column, **kw)}, 1, 7) || '-01')"


@compiles(MonthStart, "postgresql")
def _month_postgresql(element: MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    ts = compiler.process(element.column, **kw)
    return f"CAST(date_trunc('month', {ts} AT TIME ZONE 'UTC') AS DATE)"


@compiles(MonthStart, "duckdb")
def _month_duckdb(element: MonthStart, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.column, **kw)}) AS DATE)"


def rescaled_score() -> ColumnElement[Any]:
    """An answer rescaled to 0–100 on its item's scale, reversed for reverse-keyed items:
    ``(v − min)/(max − min)·100`` or ``(max − v)/(max − min)·100`` (answers ⋈ survey_items)."""
    a, si = _table("answers"), _table("survey_items")
    span: ColumnElement[float] = cast(si.c.scale_max - si.c.scale_min, Double())
    raw = case(
        (si.c.reverse_keyed == true(), si.c.scale_max - a.c.value_num),
        else_=a.c.value_num - si.c.scale_min,
    )
    return cast(raw, Double()) * literal(100.0, Double()) / span


def _text(value: str) -> ColumnElement[Any]:
    return literal(value, String())


def _number(value: float) -> ColumnElement[Any]:
    return literal(value, Double())


def derived_rows(lo: Any = None, hi: Any = None) -> Select[Any]:
    """Aggregate rows (:data:`COLUMNS`) of the responses with ``lo <= id <= hi`` (bind
    parameters or values; None: every response), grouped to the aggregate's key, in key
    order."""
    rows = union_all(*derived_parts(lo, hi)).subquery("derived")
    return (
        select(*(rows.c[c] for c in COLUMNS))
        .where(true())  # SQLite: an upsert's SELECT needs a WHERE (parsing ambiguity)
        .order_by(*(rows.c[c] for c in KEY_COLUMNS))
    )


def _is_emotion_picker(a: Table, r: Table) -> ColumnElement[bool]:
    si = _table("survey_items")
    return (
        select(si.c.id)
        .where(
            si.c.survey_version_id == r.c.survey_version_id,
            si.c.question_id == a.c.question_id,
            si.c.qtype == "emotion_picker",
        )
        .exists()
    )


def derived_parts(lo: Any = None, hi: Any = None) -> list[Select[Any]]:
    """One statement per kind (responses, value, answered, index) behind
    :func:`derived_rows`."""
    r, a = _table("responses"), _table("answers")
    ranged = lo is not None

    def only(column: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        return [column.between(lo, hi)] if ranged else []

    month = MonthStart(r.c.submitted_at)
    grain = [r.c.survey_version_id, r.c.unit_id, month, r.c.audience, r.c.survey_id]

    def grain_labels(source: Any = None) -> list[Any]:
        names = ("survey_version_id", "unit_id", "month", "audience", "survey_id")
        if source is None:
            return [c.label(n) for c, n in zip(grain, names, strict=True)]
        return [source.c[n] for n in names]

    answered_of = a.join(r, r.c.id == a.c.response_id)
    numeric = [*only(a.c.response_id), a.c.value_num.is_not(None)]
    responses = (
        select(
            _text("responses").label("kind"), _text("").label("key"), _text("").label("item"),
            _number(0.0).label("value"), *grain_labels(),
            func.count().label("n"), _number(0.0).label("total"), _number(0.0).label("total_sq"),
        )
        .where(*only(r.c.id))
        .group_by(*grain)
    )  # fmt: skip
    values = (
        select(
            _text("value").label("kind"), a.c.question_id.label("key"), a.c.item.label("item"),
            a.c.value_num.label("value"), *grain_labels(),
            func.count().label("n"), _number(0.0).label("total"), _number(0.0).label("total_sq"),
        )
        .select_from(answered_of)
        .where(*numeric)
        .group_by(a.c.question_id, a.c.item, a.c.value_num, *grain)
    )  # fmt: skip
    answered = (
        select(
            _text("answered").label("kind"), a.c.question_id.label("key"),
            _text("").label("item"), _number(0.0).label("value"), *grain_labels(),
            func.count(func.distinct(a.c.response_id)).label("n"),
            _number(0.0).label("total"), _number(0.0).label("total_sq"),
        )
        .select_from(answered_of)
        .where(*numeric, _is_emotion_picker(a, r))
        .group_by(a.c.question_id, *grain)
    )  # fmt: skip
    per_response = construct_scores(lo, hi, grain_labels()).subquery("per_response")
    deviation = per_response.c.score - _number(INDEX_CENTRE)
    indices = select(
        _text("index").label("kind"), per_response.c.prefix.label("key"),
        _text("").label("item"), _number(0.0).label("value"), *grain_labels(per_response),
        func.count().label("n"), func.sum(deviation).label("total"),
        func.sum(deviation * deviation).label("total_sq"),
    ).group_by(per_response.c.prefix, *grain_labels(per_response))  # fmt: skip
    return [responses, values, answered, indices]


def construct_scores(
    lo: Any = None, hi: Any = None, columns: Sequence[Label[Any]] = (), *, top_level: bool = False
) -> Select[Any]:
    """Each response's score on each construct it answered (``id``, ``prefix``,
    ``score``, then ``columns`` of ``responses``), for responses ``lo..hi`` (None: every
    response): the mean of its items under the construct rescaled to 0–100
    (:func:`rescaled_score`). ``top_level``: constructs without a dot only."""
    r, a = _table("responses"), _table("answers")
    si, ic = _table("survey_items"), _table("item_constructs")
    scored = (
        a.join(r, r.c.id == a.c.response_id)
        .join(
            si,
            and_(
                si.c.survey_version_id == r.c.survey_version_id,
                si.c.question_id == a.c.question_id,
                si.c.item == a.c.item,
            ),
        )
        .join(ic, ic.c.survey_item_id == si.c.id)
    )
    where = [
        a.c.value_num.is_not(None),
        si.c.qtype.in_(sorted(SCORED_QTYPES)),
        si.c.scale_min.is_not(None),
        si.c.scale_max > si.c.scale_min,
    ]
    if lo is not None:
        where.append(a.c.response_id.between(lo, hi))
    if top_level:
        where.append(ic.c.prefix.not_like("%.%"))
    return (
        select(r.c.id, ic.c.prefix, *columns, func.avg(rescaled_score()).label("score"))
        .select_from(scored)
        .where(*where)
        .group_by(r.c.id, ic.c.prefix, *(c.element for c in columns))
    )


def _upsert(dialect: str, lo: Any, hi: Any) -> Any:
    table = _table("metric_aggregates")
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_fn(table).from_select(list(COLUMNS), derived_rows(lo, hi))
    return statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS),
        set_={c: table.c[c] + statement.excluded[c] for c in STAT_COLUMNS},
    )


_UPSERTS: dict[str, Any] = {}


def _statement(dialect: str) -> Any:
    """The upsert for ``dialect``, built once (responses are stored all day long)."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        statement = _UPSERTS[dialect] = _upsert(dialect, bindparam("lo"), bindparam("hi"))
    return statement


def add_responses(conn: Connection, ids: Sequence[int]) -> None:
    """Add the responses ``ids`` (stored in this transaction, with their answers) to the
    aggregates. One statement per run of consecutive ids (one for a bulk load)."""
    statement = _statement(conn.dialect.name)
    with generation.aggregating(conn, first_month(conn, ids)):
        for lo, hi in id_runs(ids):
            conn.execute(statement, {"lo": lo, "hi": hi})


#: More runs of ids than this: the months they write are not looked up (counted as every
#: month: a load that large writes history anyway).
_RUNS_LOOKED_UP = 64


def first_month(conn: Connection, ids: Sequence[int]) -> date | None:
    """The first day of the earliest UTC month the responses ``ids`` were submitted in (the
    aggregate rows they write), or None when there are none or too many runs of ids to say
    (``rapport.storage.generation.aggregating``)."""
    runs = list(itertools.islice(id_runs(ids), _RUNS_LOOKED_UP + 1))
    if not runs or len(runs) > _RUNS_LOOKED_UP:
        return None
    r = _table("responses")
    # The month the aggregate rows are keyed by: the same expression (derived_parts).
    earliest = conn.execute(
        select(func.min(MonthStart(r.c.submitted_at))).where(
            or_(*(r.c.id.between(lo, hi) for lo, hi in runs))
        )
    ).scalar()
    return None if earliest is None else date.fromisoformat(str(earliest)[:10])


def id_runs(ids: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive ids, as (first, last).

    >>> list(id_runs([4, 5, 6, 9, 11, 12]))
    [(4, 6), (9, 9), (11, 12)]
    """
    ordered = sorted(set(ids))
    if not ordered:
        return
    start = previous = ordered[0]
    for current in ordered[1:]:
        if current != previous + 1:
            yield start, previous
            start = current
        previous = current
    yield start, previous


def add_item_constructs(conn: Connection, version_ids: Sequence[int] | None) -> None:
    """``item_constructs`` rows of the survey items of ``version_ids`` (None: every item)."""
    si = _table("survey_items")
    query = select(si.c.id, si.c.tags)
    if version_ids is not None:
        query = query.where(si.c.survey_version_id.in_(sorted(version_ids)))
    rows = [
        {"survey_item_id": item_id, "prefix": prefix}
        for item_id, tags in conn.execute(query)
        for prefix in tag_prefixes(tags or "")
    ]
    if rows:
        conn.execute(_table("item_constructs").insert(), rows)


def rebuild(conn: Connection, chunk: int = 20_000) -> int:
    """Recompute ``item_constructs`` and ``metric_aggregates`` from the raw rows, in the
    caller's transaction (readers see the old rows or the new ones, never a mix).

    Responses are added ``chunk`` ids at a time with the statement that adds new ones
    (each chunk reads its answers through the ``response_id`` index; one statement over
    every answer lets SQLite sort them all at once, several times slower). Returns the
    number of aggregate rows.
    """
    conn.execute(delete(_table("metric_aggregates")))
    conn.execute(delete(_table("item_constructs")))
    add_item_constructs(conn, None)
    r = _table("responses")
    first, last = conn.execute(select(func.min(r.c.id), func.max(r.c.id))).one()
    if first is not None:
        statement = _statement(conn.dialect.name)
        for lo in range(int(first), int(last) + 1, chunk):
            conn.execute(statement, {"lo": lo, "hi": min(lo + chunk - 1, int(last))})
    table = _table("metric_aggregates")
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
