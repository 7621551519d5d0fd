"""SQLite's plans for one unit's raw statements (a store's relationship page reads them for
its subtree): the indexes they were written for, not a walk over every response of the
survey. Without the steering each took about 0.1 s at 400 units (``docs/performance.md``,
tenth round); a plan is the one thing a timed test could not pin down."""

from __future__ import annotations

from rapport.analytics.metrics import Filters, Grouping, MetricQuery, ScoredItem, get_metric
from rapport.analytics.metrics import sql as metric_sql
from rapport.storage.uow import Database

NPS = ScoredItem(1, 1, "nps", "", "nps", ("loyalty.recommend",), 0.0, 10.0, False)
ONE_STORE = Filters((1,), "customer", units=(5,))


def _plan(db: Database, metric: str, items: list[ScoredItem]) -> list[str]:
    query = MetricQuery(get_metric(metric), Grouping.of(["unit"], period="month"), ONE_STORE)
    statement = metric_sql.metric_statements(query, items, frozenset({1}))["stats"]
    with db.engine.connect() as conn:
        # Bound, as the engine sends it (literal values can change SQLite's plan).
        compiled = statement.compile(conn, compile_kwargs={"render_postcompile": True})
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        return [str(r[3]) for r in rows]


def test_a_units_repeat_complaints_read_its_peoples_responses_by_person(
    sqlite_db: Database,
) -> None:
    plan = _plan(sqlite_db, "repeat_complaints", [NPS])
    assert "SEARCH responses USING INDEX ix_responses_person_id (person_id=?)" in plan, plan
    assert not any("ix_responses_survey" in step for step in plan), plan


def test_a_surveys_periods_for_reach_come_from_the_index_alone(sqlite_db: Database) -> None:
    plan = _plan(sqlite_db, "reach", [])
    covering = "COVERING INDEX ix_responses_survey_submitted_audience (survey_id=?)"
    assert any(covering in step for step in plan), plan


def test_a_units_responses_are_still_read_by_the_unit_index(sqlite_db: Database) -> None:
    """The survey index carries the audience last: with it second, SQLite's planner took
    it over the unit's index for one unit's responses (two equalities against one)."""
    plan = _plan(sqlite_db, "responses", [])
    assert any("ix_responses_unit_id" in step for step in plan), plan
