"""The SQL layer: one statement, three dialects; period keys checked against Python's calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import CompileError

from rapport.analytics.metrics import (
    Filters,
    Grouping,
    MetricQuery,
    Period,
    ScoredItem,
    get_metric,
)
from rapport.analytics.metrics import sql as metric_sql
from rapport.analytics.metrics.dialects import AttributeText, PeriodKey, UtcTimestamp
from rapport.analytics.metrics.results import period_start

DIALECTS = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),
    "duckdb": sa.create_engine("duckdb:///:memory:").dialect,
}
COLUMN = sa.table("responses", sa.column("submitted_at"), sa.column("attributes")).c


def sql(expression, dialect: str) -> str:
    return str(sa.select(expression).compile(dialect=DIALECTS[dialect]))


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("sqlite", "substr(responses.submitted_at, 1, 7)"),
        ("postgresql", "date_trunc('month', responses.submitted_at AT TIME ZONE 'UTC')"),
        ("duckdb", "date_trunc('month', responses.submitted_at)"),
    ],
)
def test_month_key_per_dialect(dialect, expected) -> None:
    assert expected in sql(PeriodKey(COLUMN.submitted_at, Period.MONTH), dialect)


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("sqlite", "json_type(responses.attributes, '$.\"role\"')"),
        ("postgresql", "(responses.attributes ->> 'role')"),
        ("duckdb", "json_extract_string(responses.attributes, '$.\"role\"')"),
    ],
)
def test_attribute_text_per_dialect(dialect, expected) -> None:
    assert expected in sql(AttributeText(COLUMN.attributes, "role"), dialect)


def test_other_dialects_are_refused_plainly() -> None:
    from sqlalchemy.dialects import mysql

    with pytest.raises(CompileError, match="mysql"):
        sa.select(PeriodKey(COLUMN.submitted_at, Period.YEAR)).compile(dialect=mysql.dialect())
    with pytest.raises(ValueError):
        AttributeText(COLUMN.attributes, "role'); drop table x; --")


def test_group_by_repeats_the_select_expression_without_parameters() -> None:
    """PostgreSQL needs GROUP BY to be the same text as the select list's expression."""
    query = MetricQuery(
        get_metric("nps"), Grouping.of(["unit"], period="week", attribute="role"), Filters((1,))
    )
    nps = ScoredItem(1, 1, "nps", "", "nps", ("loyalty.recommend",), 0.0, 10.0, False)
    statement = metric_sql.metric_statements(query, [nps], frozenset({1}))["stats"]
    text = str(statement.compile(dialect=DIALECTS["postgresql"]))
    select_list, group_by = text.split("GROUP BY")
    for part in group_by.split(", "):
        assert part.strip() in select_list
    assert "%(" not in group_by


def test_statements_differ_only_by_dialect_rules() -> None:
    """The same statement object compiles everywhere; caching keeps periods apart."""
    month = Grouping.of([], period="month")
    year = Grouping.of([], period="year")
    engine = sa.create_engine("sqlite://")
    for grouping, expected in (
        (month, "substr(responses.submitted_at, 1, 7)"),
        (year, "substr(responses.submitted_at, 1, 4)"),
    ):
        query = MetricQuery(get_metric("responses"), grouping)
        statement = metric_sql.metric_statements(query, [], frozenset())["stats"]
        with engine.connect() as conn:
            compiled = str(statement.compile(conn))
        assert expected in compiled


def test_utc_bounds_follow_each_engines_convention() -> None:
    aware = datetime(2026, 1, 1, 1, 0, tzinfo=UTC) + timedelta(hours=12)
    bound = UtcTimestamp()
    assert bound.process_bind_param(aware, DIALECTS["postgresql"]).tzinfo is UTC
    naive = bound.process_bind_param(aware, DIALECTS["sqlite"])
    assert naive == datetime(2026, 1, 1, 13, 0) and naive.tzinfo is None


# --- the period keys against Python's calendar, on real engines ----------------------------

TIMESTAMPS = st.datetimes(min_value=datetime(1999, 12, 1), max_value=datetime(2031, 1, 31))


def python_start(moment: datetime, period: Period) -> date:
    day = moment.date()
    if period is Period.YEAR:
        return date(day.year, 1, 1)
    if period is Period.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period is Period.MONTH:
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


@pytest.fixture(scope="module")
def sqlite_conn():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        yield conn


@settings(max_examples=60, deadline=None)
@given(moment=TIMESTAMPS, period=st.sampled_from(list(Period)))
def test_sqlite_period_matches_python(sqlite_conn, moment, period) -> None:
    stored = sa.literal(moment, sa.DateTime())  # SQLAlchemy's own SQLite text format
    value = sqlite_conn.execute(sa.select(PeriodKey(stored, period))).scalar_one()
    assert period_start(value, period) == python_start(moment, period)


@settings(max_examples=60, deadline=None)
@given(moment=TIMESTAMPS, period=st.sampled_from(list(Period)))
def test_duckdb_period_matches_python(moment, period) -> None:
    compiled = sa.select(PeriodKey(sa.literal_column("ts"), period)).compile(
        dialect=DIALECTS["duckdb"]
    )
    with duckdb.connect() as conn:
        conn.execute("CREATE TABLE t AS SELECT ?::TIMESTAMP AS ts", [moment])
        value = conn.execute(f"{compiled} FROM t").fetchone()[0]
    assert period_start(value, period) == python_start(moment, period)
