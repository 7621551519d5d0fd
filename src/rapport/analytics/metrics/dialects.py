"""The expressions that differ between engines, each with one compilation rule per dialect.

Used by :mod:`rapport.analytics.metrics.sql`, the one SQL-generation layer; nothing else in
Rapport writes dialect-specific SQL for metrics. Every construct renders its literals
inline (a bound parameter in both SELECT and GROUP BY is two different expressions to
PostgreSQL) and carries a proper cache key, so SQLAlchemy's statement cache keeps a
month apart from a year.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Dialect, Double, String
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import DateTime, TypeDecorator

from rapport.analytics.metrics import ATTRIBUTE_PATTERN, Period


class PeriodKey(ColumnElement[Any]):
    """The period of a timestamp column, as the engine likes to group it.

    The value differs by engine (``'2025-07'`` text in SQLite, a timestamp elsewhere);
    :func:`rapport.analytics.metrics.results.period_start` turns any of them into the
    period's first day.
    """

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol
        ("column", InternalTraversal.dp_clauseelement),
        ("period", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], period: Period) -> None:
        self.column = column
        self.period = Period(period).value
        self.type = String()


@compiles(PeriodKey)
def _period_default(element: PeriodKey, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"no period expression for the {compiler.dialect.name} dialect")


@compiles(PeriodKey, "sqlite")
def _period_sqlite(element: PeriodKey, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here):
    # slicing is exact and several times faster than strftime() over millions of rows.
    ts = compiler.process(element.column, **kw)
    if element.period == Period.YEAR:
        return f"substr({ts}, 1, 4)"
    if element.period == Period.MONTH:
        return f"substr({ts}, 1, 7)"
    if element.period == Period.QUARTER:
        return f"(substr({ts}, 1, 4) || '-Q' || ((CAST(substr({ts}, 6, 2) AS INTEGER) + 2) / 3))"
    return f"date(substr({ts}, 1, 10), 'weekday 0', '-6 days')"  # Monday of the ISO week


@compiles(PeriodKey, "postgresql")
def _period_postgresql(element: PeriodKey, compiler: SQLCompiler, **kw: Any) -> str:
    ts = compiler.process(element.column, **kw)
    return f"date_trunc('{element.period}', {ts} AT TIME ZONE 'UTC')"


@compiles(PeriodKey, "duckdb")
def _period_duckdb(element: PeriodKey, compiler: SQLCompiler, **kw: Any) -> str:
    # Snapshots store naive UTC timestamps, so no time zone setting is involved.
    return f"date_trunc('{element.period}', {compiler.process(element.column, **kw)})"


class AttributeText(ColumnElement[Any]):
    """``attributes[key]`` as text (NULL when absent); ``key`` is rendered inline."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        if not ATTRIBUTE_PATTERN.fullmatch(key):
            raise ValueError(f"attribute names are plain identifiers, got {key!r}")
        self.column = column
        self.key = key
        self.type = String()


@compiles(AttributeText)
def _attribute_default(element: AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"no JSON attribute expression for the {compiler.dialect.name} dialect")


@compiles(AttributeText, "sqlite")
def _attribute_sqlite(element: AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    path = f"'$.\"{element.key}\"'"
    # json_extract() turns JSON true/false into 1/0; the other engines say 'true'/'false'.
    return (
        f"(CASE json_type({col}, {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
        f"ELSE CAST(json_extract({col}, {path}) AS TEXT) END)"
    )


@compiles(AttributeText, "postgresql")
def _attribute_postgresql(element: AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} ->> '{element.key}')"


@compiles(AttributeText, "duckdb")
def _attribute_duckdb(element: AttributeText, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"json_extract_string({col}, '$.\"{element.key}\"')"


class SecondsBetween(ColumnElement[Any]):
    """Seconds from ``start`` to ``end`` (two timestamp columns) as a double, exact to the
    microsecond on every engine: closed-loop times (``analytics/metrics/case_sql.py``)."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol
        ("start", InternalTraversal.dp_clauseelement),
        ("end", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> None:
        self.start = start
        self.end = end
        self.type = Double()


@compiles(SecondsBetween)
def _seconds_default(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"no time difference for the {compiler.dialect.name} dialect")


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    # Whole seconds by strftime('%s'), exact; the microseconds of SQLAlchemy's storage text
    # ('YYYY-MM-DD HH:MM:SS.ffffff', from character 20) added apart, so julianday()'s
    # rounding (tens of microseconds) never enters.
    a, b = compiler.process(element.start, **kw), compiler.process(element.end, **kw)
    whole = f"(CAST(strftime('%s', {b}) AS INTEGER) - CAST(strftime('%s', {a}) AS INTEGER))"
    return f"({whole} + (CAST(substr({b}, 20) AS REAL) - CAST(substr({a}, 20) AS REAL)))"


@compiles(SecondsBetween, "postgresql")
def _seconds_postgresql(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = compiler.process(element.start, **kw), compiler.process(element.end, **kw)
    return f"CAST(EXTRACT(EPOCH FROM ({b} - {a})) AS DOUBLE PRECISION)"


@compiles(SecondsBetween, "duckdb")
def _seconds_duckdb(element: SecondsBetween, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = compiler.process(element.start, **kw), compiler.process(element.end, **kw)
    return f"(CAST(epoch_us({b}) - epoch_us({a}) AS DOUBLE) / 1000000.0)"


class DaysEarlier(ColumnElement[Any]):
    """The timestamp ``days`` whole days before ``column``, comparable with the column's own
    values: a sargable lower bound for a window (``prior.at >= DaysEarlier(this.at, 30)``),
    which an index on the column can seek to. In SQLite the bound is the second it falls in
    (``datetime()`` drops the microseconds), so it admits at most a second's more rows than
    the exact window: keep the exact test beside it."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy's cache-key protocol
        ("column", InternalTraversal.dp_clauseelement),
        ("days", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, column: ColumnElement[Any], days: int) -> None:
        self.column = column
        self.days = int(days)
        self.type = column.type


@compiles(DaysEarlier)
def _days_earlier_default(element: DaysEarlier, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"no date arithmetic for the {compiler.dialect.name} dialect")


@compiles(DaysEarlier, "sqlite")
def _days_earlier_sqlite(element: DaysEarlier, compiler: SQLCompiler, **kw: Any) -> str:
    # 'YYYY-MM-DD HH:MM:SS' sorts before every stored 'YYYY-MM-DD HH:MM:SS.ffffff' of its
    # second and after every one of the seconds before.
    return f"datetime({compiler.process(element.column, **kw)}, '-{element.days} days')"


@compiles(DaysEarlier, "postgresql")
def _days_earlier_postgresql(element: DaysEarlier, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} - INTERVAL '{element.days} days')"


@compiles(DaysEarlier, "duckdb")
def _days_earlier_duckdb(element: DaysEarlier, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.column, **kw)} - INTERVAL {element.days} DAY)"


class DayNumber(ColumnElement[Any]):
    """A timestamp as a (fractional) day count, so differences are days on every engine:
    ``julianday`` in SQLite, the epoch in seconds / 86,400 in PostgreSQL and DuckDB."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = Double()


@compiles(DayNumber)
def _day_default(element: DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"no day-number expression for the {compiler.dialect.name} dialect")


@compiles(DayNumber, "sqlite")
def _day_sqlite(element: DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return f"julianday({compiler.process(element.column, **kw)})"


@compiles(DayNumber, "postgresql")
def _day_postgresql(element: DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(EXTRACT(EPOCH FROM {compiler.process(element.column, **kw)}) / 86400.0)"


@compiles(DayNumber, "duckdb")
def _day_duckdb(element: DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(CAST(epoch({compiler.process(element.column, **kw)}) AS DOUBLE) / 86400.0)"


class ScanFirst(ColumnElement[Any]):
    """A column SQLite must not look up through an index (``+column``): a join's, or a
    filter's whose index would walk more rows than another one (a few people's responses by
    the person index, not every response of the survey by the survey's).

    Joining answers to responses, SQLite's planner likes to walk ``responses`` and probe
    ``answers`` by its (response_id, question_id) index: one random probe per response,
    three times slower over a million answers than scanning ``answers`` once and fetching
    each response by its rowid. The unary ``+`` (SQLite's documented way to rule an index
    out) steers it; other engines hash-join and see the plain column.
    """

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(ScanFirst)
def _scan_first_default(element: ScanFirst, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(ScanFirst, "sqlite")
def _scan_first_sqlite(element: ScanFirst, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


class UtcTimestamp(TypeDecorator[datetime]):
    """A bound timestamp converted to UTC: aware for PostgreSQL, naive UTC elsewhere.

    SQLite compares SQLAlchemy's UTC text, DuckDB snapshots hold naive UTC, PostgreSQL's
    ``timestamptz`` would read a naive value in the session time zone.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)
