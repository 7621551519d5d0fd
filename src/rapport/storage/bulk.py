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
    bound = []
    for row in rows:
        values = list(row)
        for i, bind in binds:
            values[i] = bind(values[i])
        bound.append(tuple(values))
    return bound


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
