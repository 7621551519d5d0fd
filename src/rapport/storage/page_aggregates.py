"""Aggregates the dashboards read besides ``metric_aggregates``: comment emotions and
person-attribute counts, per survey version × unit × month (UTC) × audience.

- ``comment_aggregates`` (:class:`~rapport.storage.models.CommentAggregateRow`): comments
  the emotion model read, by sentiment and by Ekman emotion — the comment emotion metrics
  by month read them instead of every analysis.
- ``attribute_aggregates`` (:class:`~rapport.storage.models.AttributeAggregateRow`):
  responses per person attribute and value, as text the way metrics read an attribute
  (``AttributeText``: JSON true/false spelt ``true``/``false``, JSON null absent) — the
  segment options count responses by attribute without a JSON read of every response.
- ``attribute_index_aggregates``
  (:class:`~rapport.storage.models.AttributeIndexAggregateRow`): the index sums of
  ``metric_aggregates`` for top-level constructs (hearts, minds), by person attribute and
  value — an index by tenure band (the honeymoon curve) without reading every answer.

As in :mod:`rapport.storage.aggregates`, one statement per table derives the rows of the
responses with ids in ``lo..hi`` (the increment) or in every chunk (the rebuild), so an
increment cannot compute anything a rebuild would not. Unlike the answers, both sources
change after a response is stored: comments are read again by a new model
(``replace_analyses``) and an erasure strips a response's attributes (both attribute
tables follow). Such a change runs between :func:`remove` and :func:`add` of the
responses it touches: their rows are taken out with the same statement (``sign`` −1) and
put back as they are afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Double,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rapport.domain.comment_emotions import EKMAN_EMOTIONS, READ_STATUS
from rapport.storage import generation
from rapport.storage.aggregates import (
    INDEX_CENTRE,
    MonthStart,
    construct_scores,
    first_month,
    id_runs,
)
from rapport.storage.models import Base

GRAIN = ("survey_version_id", "unit_id", "month", "audience")
COMMENT_KEY = ("kind", "key", *GRAIN)
ATTRIBUTE_KEY = ("name", "value", *GRAIN)
INDEX_KEY = ("name", "key", "value", *GRAIN)
SUMS = ("n", "total", "total_sq")


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _grain() -> list[ColumnElement[Any]]:
    r = _table("responses")
    return [r.c.survey_version_id, r.c.unit_id, MonthStart(r.c.submitted_at), r.c.audience]


def _labelled(kind: str, key: ColumnElement[Any]) -> list[Any]:
    names = ("kind", "key", *GRAIN)
    columns = [literal(kind, String()), key, *_grain()]
    return [c.label(n) for c, n in zip(columns, names, strict=True)]


def comment_rows(lo: Any, hi: Any, sign: Any) -> Select[Any]:
    """``comment_aggregates`` rows of the comments of responses ``lo..hi``, counts times
    ``sign``, in key order — the grouping of the raw comment metric statements."""
    r, c = _table("responses"), _table("comment_analyses")
    source = c.join(r, r.c.id == c.c.response_id)
    read = [c.c.response_id.between(lo, hi), c.c.status == READ_STATUS]
    grain = _grain()
    n = (func.count() * sign).label("n")
    padded: ColumnElement[str] = literal_column("' '") + c.c.ekman + literal_column("' '")
    parts = [
        select(*_labelled("read", literal("", String())), r.c.survey_id, n)
        .select_from(source)
        .where(*read)
        .group_by(*grain, r.c.survey_id),
        select(*_labelled("sentiment", c.c.sentiment), r.c.survey_id, n)
        .select_from(source)
        .where(*read, c.c.sentiment.is_not(None))
        .group_by(c.c.sentiment, *grain, r.c.survey_id),
        *(
            select(*_labelled("ekman", literal(e, String())), r.c.survey_id, n)
            .select_from(source)
            .where(*read, padded.like(f"% {e} %"))
            .group_by(*grain, r.c.survey_id)
            for e in EKMAN_EMOTIONS
        ),
    ]
    rows = union_all(*parts).subquery("derived")
    return (
        select(*(rows.c[k] for k in (*COMMENT_KEY, "survey_id", "n")))
        .where(true())  # SQLite: an upsert's SELECT needs a WHERE (parsing ambiguity)
        .order_by(*(rows.c[k] for k in COMMENT_KEY))
    )


def _attribute_pairs(dialect: str) -> tuple[Any, ColumnElement[Any], list[ColumnElement[bool]]]:
    """The responses' ``attributes`` as (name, value) rows to join: the table-valued
    function, the value as text, and the conditions that keep non-null values."""
    r = _table("responses")
    if dialect == "postgresql":
        guarded = case(
            (func.jsonb_typeof(r.c.attributes) == "object", r.c.attributes),
            else_=cast(literal("{}"), r.c.attributes.type),
        )
        pairs = func.jsonb_each_text(guarded).table_valued("key", "value", name="pairs")
        value: ColumnElement[Any] = pairs.c.value
        present: list[ColumnElement[bool]] = [pairs.c.value.is_not(None)]
    else:
        pairs = func.json_each(r.c.attributes).table_valued("key", "value", "type", name="pairs")
        # As AttributeText reads it: json_each gives true/false as 1/0, their type says which.
        value = case(
            (pairs.c.type == "true", literal("true")),
            (pairs.c.type == "false", literal("false")),
            else_=cast(pairs.c.value, String()),
        )
        present = [func.json_type(r.c.attributes) == "object", pairs.c.type != "null"]
    return pairs, value, present


def attribute_rows(dialect: str, lo: Any, hi: Any, sign: Any) -> Select[Any]:
    """``attribute_aggregates`` rows of responses ``lo..hi``, counts times ``sign``, in
    key order: each top-level key of ``attributes`` with a non-null value, as text."""
    r = _table("responses")
    grain = _grain()
    pairs, value, present = _attribute_pairs(dialect)
    names = ("name", "value", *GRAIN)
    columns = [c.label(k) for c, k in zip([pairs.c.key, value, *grain], names, strict=True)]
    rows = (
        select(*columns, r.c.survey_id.label("survey_id"), (func.count() * sign).label("n"))
        .select_from(r.join(pairs, true()))
        .where(r.c.id.between(lo, hi), *present)
        .group_by(pairs.c.key, value, *grain, r.c.survey_id)
        .subquery("derived")
    )
    return (
        select(*(rows.c[k] for k in (*ATTRIBUTE_KEY, "survey_id", "n")))
        .where(true())
        .order_by(*(rows.c[k] for k in ATTRIBUTE_KEY))
    )


def attribute_index_rows(dialect: str, lo: Any, hi: Any, sign: Any) -> Select[Any]:
    """``attribute_index_aggregates`` rows of responses ``lo..hi``, sums times ``sign``,
    in key order: each response's top-level construct scores
    (:func:`~rapport.storage.aggregates.construct_scores`, the scores of the ``index``
    rows of ``metric_aggregates``) by each of its attributes, as :func:`attribute_rows`
    reads them."""
    r = _table("responses")
    scores = construct_scores(lo, hi, top_level=True).subquery("scores")
    pairs, value, present = _attribute_pairs(dialect)
    grain = _grain()
    names = ("name", "key", "value", *GRAIN)
    keys = [pairs.c.key, scores.c.prefix, value, *grain]
    deviation = scores.c.score - literal(INDEX_CENTRE, Double())
    rows = (
        select(
            *(c.label(k) for c, k in zip(keys, names, strict=True)),
            r.c.survey_id.label("survey_id"),
            (func.count() * sign).label("n"),
            (func.sum(deviation) * sign).label("total"),
            (func.sum(deviation * deviation) * sign).label("total_sq"),
        )
        .select_from(scores.join(r, r.c.id == scores.c.id).join(pairs, true()))
        .where(*present)
        .group_by(*keys, r.c.survey_id)
        .subquery("derived")
    )
    return (
        select(*(rows.c[k] for k in (*INDEX_KEY, "survey_id", *SUMS)))
        .where(true())
        .order_by(*(rows.c[k] for k in INDEX_KEY))
    )


def _upsert(
    dialect: str, name: str, keys: Sequence[str], rows: Select[Any], sums: Sequence[str] = ("n",)
) -> Any:
    table = _table(name)
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_fn(table).from_select([*keys, "survey_id", *sums], rows)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: table.c[c] + statement.excluded[c] for c in sums}
    )


#: The tables each source of change feeds: comments (their analyses), attributes.
TABLES = {
    "comments": ("comment_aggregates",),
    "attributes": ("attribute_aggregates", "attribute_index_aggregates"),
}

_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(dialect: str, name: str) -> Any:
    """The upsert of table ``name`` for ``dialect``, built once."""
    found = _STATEMENTS.get((dialect, name))
    if found is None:
        lo, hi = bindparam("lo", type_=Integer()), bindparam("hi", type_=Integer())
        sign = bindparam("sign", type_=Integer())
        if name == "comment_aggregates":
            found = _upsert(dialect, name, COMMENT_KEY, comment_rows(lo, hi, sign))
        elif name == "attribute_aggregates":
            found = _upsert(dialect, name, ATTRIBUTE_KEY, attribute_rows(dialect, lo, hi, sign))
        else:
            rows = attribute_index_rows(dialect, lo, hi, sign)
            found = _upsert(dialect, name, INDEX_KEY, rows, SUMS)
        _STATEMENTS[(dialect, name)] = found
    return found


def add(conn: Connection, which: str, ids: Sequence[int], sign: int = 1) -> None:
    """Add (``sign`` 1) or take out (−1) the rows of responses ``ids``: ``which`` is
    ``comments`` (their analyses) or ``attributes``. Rows taken down to 0 responses are
    deleted, so the tables always equal a rebuild."""
    with generation.aggregating(conn, first_month(conn, ids)):
        for name in TABLES[which]:
            statement = _statement(conn.dialect.name, name)
            for lo, hi in id_runs(ids):
                conn.execute(statement, {"lo": lo, "hi": hi, "sign": sign})
            if sign < 0 and ids:  # only rows of these responses' months reach 0
                table = _table(name)
                conn.execute(delete(table).where(table.c.n == 0))


def remove(conn: Connection, which: str, ids: Sequence[int]) -> None:
    """Take the rows of responses ``ids`` out, before their comments or attributes change
    (:func:`add` them back afterwards)."""
    add(conn, which, ids, sign=-1)


def rebuild(
    conn: Connection,
    first: int,
    last: int,
    chunk: int,
    names: Sequence[str] = (*TABLES["comments"], *TABLES["attributes"]),
) -> None:
    """Recompute the tables ``names`` (all by default) from the raw rows of responses
    ``first..last``, ``chunk`` ids at a time (the caller's transaction)."""
    for name in names:
        conn.execute(delete(_table(name)))
        statement = _statement(conn.dialect.name, name)
        for lo in range(first, last + 1, chunk):
            conn.execute(statement, {"lo": lo, "hi": min(lo + chunk - 1, last), "sign": 1})
