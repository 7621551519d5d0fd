"""Bulk writes through the driver's own ``executemany`` of tuples.

Bulk paths (response imports, the people directory, the demo) write hundreds of thousands
of rows: building SQLAlchemy's per-row parameter dicts cost more than the writes
themselves. Values are bound by the columns' types (dates, times, JSON) as SQLAlchemy
would, then handed to the driver in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection


def _bound(
    conn: Connection, model: type[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]] | Sequence[Sequence[Any]]:
    dialect = conn.dialect
    table = model.__table__
    binds = [
        (i, bind)
        for i, name in enumerate(columns)
        if (bind := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    if not binds:
        return rows
    # Column by column: one map() per bound column instead of a loop over every cell.
    columns_of = list(zip(*rows, strict=True))
    for i, bind in binds:
        values = columns_of[i]
        if isinstance(values[0], dict | list):
            columns_of[i] = _bind_shared(bind, values)
            continue
        distinct = set(values)
        if len(distinct) * 4 < len(values):  # dates, flags: bind each value once
            table = {v: bind(v) for v in distinct}
            columns_of[i] = tuple(map(table.__getitem__, values))
        else:
            columns_of[i] = tuple(map(bind, values))
    return list(zip(*columns_of, strict=True))


def _bind_shared(bind: Any, values: Sequence[Any]) -> tuple[Any, ...]:
    """Bind JSON values once per distinct object: importers hand the same dict to every
    row with the same attributes, and encoding JSON is the dearest bind there is."""
    done: dict[int, Any] = {}
    out = []
    for value in values:
        key = id(value)  # the values are alive for the whole call, so ids stay unique
        bound = done.get(key)
        if bound is None:
            bound = done[key] = bind(value)
        out.append(bound)
    return tuple(out)


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_tuples(
    conn: Connection, model: type[Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``INSERT INTO table (columns) VALUES (...)`` once per row, in one ``executemany``."""
    if not rows:
        return
    mark = _mark(conn)
    sql = (
        f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, list(_bound(conn, model, columns, rows)))


def update_tuples(
    conn: Connection,
    model: type[Any],
    columns: Sequence[str],
    key: str,
    rows: Sequence[Sequence[Any]],
) -> None:
    """``UPDATE table SET columns WHERE key = ?`` once per row (the key last in each tuple),
    in one ``executemany``."""
    if not rows:
        return
    mark = _mark(conn)
    sets = ", ".join(f"{c} = {mark}" for c in columns)
    sql = f"UPDATE {model.__tablename__} SET {sets} WHERE {key} = {mark}"
    conn.exec_driver_sql(sql, list(_bound(conn, model, [*columns, key], rows)))


def upsert_tuples(
    conn: Connection,
    model: type[Any],
    columns: Sequence[str],
    key: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` the other columns, once per row, in one
    ``executemany`` (SQLite ≥ 3.24 and PostgreSQL share the syntax); ``key`` must be a
    unique constraint of the table."""
    if not rows:
        return
    mark = _mark(conn)
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    sql = (
        f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )
    conn.exec_driver_sql(sql, list(_bound(conn, model, columns, rows)))
