"""SQLite's plans for one unit's raw statements (a store's relationship page reads them for
its subtree): the indexes they were written for, not a walk over every response of the
survey. Without the steering each took about 0.1 s at 400 units (``docs/performance.md``,
tenth round); a plan is the one thing a timed test could not pin down."""

from __future__ import annotations

from sqlalchemy import Select

from rapport.analytics.metrics import (
    Filters,
    Grouping,
    MetricQuery,
    ScoredItem,
    case_sql,
    get_metric,
)
from rapport.analytics.metrics import aggregates as metric_aggregates
from rapport.analytics.metrics import sql as metric_sql
from rapport.storage.uow import Database

NPS = ScoredItem(1, 1, "nps", "", "nps", ("loyalty.recommend",), 0.0, 10.0, False)
PICKER = ScoredItem(2, 1, "feel", "", "emotion_picker", (), None, None, False)
ONE_STORE = Filters((1,), "customer", units=(5,))


def _query(metric: str) -> MetricQuery:
    return MetricQuery(get_metric(metric), Grouping.of(["unit"], period="month"), ONE_STORE)


def _plan(db: Database, metric: str, items: list[ScoredItem]) -> list[str]:
    return _explain(
        db, metric_sql.metric_statements(_query(metric), items, frozenset({1}))["stats"]
    )


def _explain(db: Database, statement: Select) -> list[str]:  # type: ignore[type-arg]
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


def test_a_units_emotions_are_looked_up_by_emotion_in_the_aggregates(sqlite_db: Database) -> None:
    """Given the emotions chosen anywhere (the margin's), one unit's chosen counts are found
    through the primary key down to the unit; without them SQLite read every emotion row of
    the question (0.03 s a statement at 400 units)."""
    statements = metric_aggregates.aggregate_statements(
        _query("emotions"), [PICKER], frozenset({1}), chosen=["joy", "anger"]
    )
    plan = _explain(sqlite_db, statements["emotions"])
    assert any("PRIMARY KEY (kind=? AND key=? AND item=? AND survey_version_id=? AND unit_id=?"
               in step for step in plan), plan  # fmt: skip
    unguided = metric_aggregates.aggregate_statements(_query("emotions"), [PICKER], frozenset({1}))
    assert not any("unit_id=?" in step for step in _explain(sqlite_db, unguided["emotions"]))


def test_a_units_reach_joins_the_periods_already_read(sqlite_db: Database) -> None:
    """Given the whole organisation's periods (its margin's), one unit's reach joins them
    as values: no walk over the survey's responses to find them again (0.03 s a statement
    at 400 units)."""
    statement = metric_sql.metric_statements(
        _query("reach"), [], frozenset({1}), periods=["2026-05", "2026-06"]
    )["stats"]
    plan = _explain(sqlite_db, statement)
    assert not any("ix_responses_survey_submitted_audience" in step for step in plan), plan
    assert any(
        "ix_responses_survey_submitted_audience" in step for step in _plan(sqlite_db, "reach", [])
    )


def test_nps_over_two_surveys_searches_each_question_by_the_primary_key(
    sqlite_db: Database,
) -> None:
    """An audience's NPS over surveys asking it under different keys (``nps``, ``enps``):
    each question's aggregate rows found by the primary key. Their OR had SQLite walk
    every row of the kind (1.3 million at 400 units: 0.13 s for the home page's headline
    after each response)."""
    enps = ScoredItem(2, 2, "enps", "", "nps", ("loyalty.recommend",), 0.0, 10.0, False)
    query = MetricQuery(
        get_metric("nps"), Grouping.of([], period="month"), Filters(audience="customer")
    )
    statement = metric_aggregates.aggregate_statements(query, [NPS, enps], frozenset({1, 2}))
    plan = _explain(sqlite_db, statement["stats"])
    keyed = "PRIMARY KEY (kind=? AND key=? AND item=? AND survey_version_id=?)"
    assert sum(keyed in step for step in plan) == 2, plan
    assert not any(step.endswith("PRIMARY KEY (kind=?)") for step in plan), plan


def test_the_repeat_issue_rate_seeks_earlier_cases_to_the_window(sqlite_db: Database) -> None:
    """Each case's earlier cases of its unit and rule are sought to the 30 days before it
    (``ix_cases_unit_rule_opened``), not every case of its unit over the whole history."""
    query = MetricQuery(
        get_metric("cases.repeat_issue_rate"), Grouping.of([], period="month"), ONE_STORE
    )
    plan = _explain(sqlite_db, case_sql.case_statements(query)["stats"])
    window = "ix_cases_unit_rule_opened (unit_id=? AND rule_id=? AND opened_at>? AND opened_at<?)"
    assert any(window in step for step in plan), plan
