"""The metric aggregates stay exact: written with every response on every storing path,
equal to a rebuild from the raw rows, correct under concurrent PostgreSQL writers, and
answering metrics exactly as the raw answers do."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.metrics import Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.results import compute_metric
from rapport.services import metrics as metrics_service
from rapport.services import responses, surveys
from rapport.storage import aggregates
from rapport.storage.models import Base
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import seed_org

START = datetime(2025, 11, 28, tzinfo=UTC)


def aggregate_rows(db: Database) -> list[tuple[Any, ...]]:
    """Every aggregate row, keys as text and sums rounded (rebuilds add in another order)."""
    table = Base.metadata.tables["metric_aggregates"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(table)).all()
    out = []
    for row in rows:
        m = row._mapping
        keys = tuple(str(m[c]) for c in aggregates.KEY_COLUMNS)
        out.append((*keys, m["survey_id"], m["n"], round(m["total"], 6), round(m["total_sq"], 4)))
    return sorted(out)


def rebuilt(db: Database) -> list[tuple[Any, ...]]:
    metrics_service.rebuild_aggregates(db)
    return aggregate_rows(db)


def page_rows(db: Database) -> list[tuple[Any, ...]]:
    """Every comment and attribute aggregate row, as text (sums rounded: a rebuild adds
    in another order), sorted."""
    out = []
    with db.engine.connect() as conn:
        for name in ("comment_aggregates", "attribute_aggregates", "attribute_index_aggregates"):
            for row in conn.execute(select(Base.metadata.tables[name])).all():
                values = (round(v, 6) if isinstance(v, float) else v for v in row)
                out.append((name, *(str(v) for v in values)))
    return sorted(out)


def page_rows_rebuilt(db: Database) -> list[tuple[Any, ...]]:
    metrics_service.rebuild_aggregates(db)
    return page_rows(db)


answers = st.fixed_dictionaries(
    {"nps": st.integers(0, 10)},
    optional={
        "csat": st.integers(1, 5),
        "ces": st.integers(1, 7),
        "delight": st.integers(1, 5),
        "minds": st.dictionaries(st.sampled_from(["ease", "fast"]), st.integers(1, 5)),
        "feelings": st.dictionaries(
            st.sampled_from(["delighted", "ignored", "frustrated"]), st.integers(1, 3)
        ),
        "visits": st.integers(0, 100),
    },
)
COMMENTS = [
    "The staff made me feel really special, thank you so much!",
    "Queue was far too long and nobody seemed to care. Really annoying.",
    "ok",
]
submission = st.tuples(
    answers,
    st.sampled_from(["north-1", "north", "south"]),
    st.integers(0, 90 * 24),  # hours after START: crosses a month and a year end
    st.dictionaries(  # person attributes: text, numbers, booleans, JSON null
        st.sampled_from(["segment", "vip", "visits"]),
        st.one_of(st.sampled_from(["gold", "n/a|x"]), st.booleans(), st.integers(0, 3), st.none()),
    ),
    st.one_of(st.none(), st.sampled_from(COMMENTS)),
)
batches = st.lists(
    st.tuples(st.booleans(), st.lists(submission, min_size=1, max_size=6)), min_size=1, max_size=5
)


def store(db: Database, survey_id: int, bulk: bool, subs: list[tuple[Any, ...]]) -> None:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, survey_id)
        units = {u.code: u.id for u in uow.units.all()}
        made = [
            responses.Submission(
                answers=a if comment is None else {**a, "comment": comment},
                unit_id=units[unit],
                submitted_at=START + timedelta(hours=hours),
                attributes=attributes,
            )
            for a, unit, hours, attributes, comment in ((*sub, {}, None)[:5] for sub in subs)
        ]
        if bulk:  # imports and the demo
            responses.store_many(uow, published, made, validate=True)
        else:  # forms and the API
            for sub in made:
                responses.submit(uow, published, sub)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches)
def test_incremental_aggregates_equal_a_rebuild(sqlite_db: Database, data) -> None:
    with sqlite_db.engine.begin() as conn:
        for name in ("answers", "comment_analyses", "responses", "metric_aggregates",
                     "comment_aggregates", "attribute_aggregates",
                     "attribute_index_aggregates"):  # fmt: skip
            conn.execute(text(f"DELETE FROM {name}"))
    with sqlite_db.engine.connect() as conn:
        seeded = conn.execute(text("SELECT id FROM surveys")).scalar()
    survey_id = seeded if seeded is not None else seed_org(sqlite_db)
    for bulk, subs in data:
        store(sqlite_db, survey_id, bulk, subs)
    incremental = aggregate_rows(sqlite_db)
    pages = page_rows(sqlite_db)
    assert incremental, "responses were stored, so there are aggregates"
    assert incremental == rebuilt(sqlite_db)
    assert rebuilt(sqlite_db) == incremental  # idempotent
    assert pages == page_rows(sqlite_db)
    assert any(v is not None for _, subs in data for *_, a, _c in subs for v in a.values()) == any(
        row[0] == "attribute_aggregates" for row in pages
    )


def test_comment_and_attribute_aggregates_follow_every_change(db: Database) -> None:
    """Stored, re-read by another model version and read by metrics: the comment and
    attribute aggregates equal a rebuild and answer as the raw rows do, on both engines."""
    survey_id = seed_org(db)
    subs = [
        (
            {"nps": 9, "minds": {"ease": 4}},
            "north-1",
            1,
            {"segment": "gold", "vip": True},
            COMMENTS[0],
        ),
        (
            {"nps": 2, "minds": {"ease": 2, "fast": 1}},
            "north-1",
            2,
            {"segment": "gold", "visits": 3},
            COMMENTS[1],
        ),
        (
            {"nps": 7, "minds": {"fast": 5}},
            "south",
            24 * 40,
            {"vip": False, "visits": None},
            COMMENTS[2],
        ),
    ]
    store(db, survey_id, False, subs[:1])
    store(db, survey_id, True, subs[1:] * 2)
    stored = page_rows(db)
    kinds = {(row[0], row[1]) for row in stored}
    assert ("comment_aggregates", "read") in kinds and ("comment_aggregates", "ekman") in kinds
    assert [r for r in stored if r[0] == "attribute_aggregates" and r[1] == "visits"] != []
    assert stored == page_rows_rebuilt(db)
    # A new model reads the comments again: every comment now says "fear", none is unread.
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT response_id, question_id FROM comment_analyses")).all()
    with db.unit_of_work() as uow:
        fear = {"model_version": "next", "status": "ok", "sentiment": "negative"}
        fear |= {"labels": "fear", "ekman": "fear"}
        uow.comments.replace_analyses(
            [{"response_id": rid, "question_id": qid, **fear} for rid, qid in rows]
        )
    reread = page_rows(db)
    assert reread != stored
    assert {row[2] for row in reread if row[1] == "ekman"} == {"fear"}
    assert reread == page_rows_rebuilt(db)
    engine, raw = OperationalEngine(db.engine), OperationalEngine(db.engine, aggregates=False)
    for metric, grouping in [
        ("comment_emotions", Grouping.of(["unit"], period="month")),
        ("comment_sentiment", Grouping.of([], period="quarter")),
        ("responses", Grouping.of(["unit"], attribute="visits")),
        ("responses", Grouping.of([], period="month", attribute="vip")),
        ("minds", Grouping.of(["unit"], attribute="segment")),
        ("minds", Grouping.of([], period="quarter", attribute="visits")),
    ]:
        query = MetricQuery(get_metric(metric), grouping, Filters(survey_ids=(survey_id,)))
        fast, slow = compute_metric(engine, query), compute_metric(raw, query)
        assert (fast.source, slow.source) == ("aggregates", "raw")
        assert [(r.key, r.emotion, r.n, r.estimate) for r in fast.rows] == [
            (r.key, r.emotion, r.n, r.estimate) for r in slow.rows
        ], metric
        assert any(r.n for r in fast.rows)
    engine.dispose()
    raw.dispose()


def test_both_engines_keep_aggregates_with_every_storing_path(db: Database) -> None:
    survey_id = seed_org(db)
    store(db, survey_id, False, [({"nps": 9, "delight": 4}, "north-1", 1)])
    store(db, survey_id, True, [({"nps": 3, "minds": {"ease": 2}}, "south", 24 * 40)] * 3)
    incremental = aggregate_rows(db)
    counts = {row[0]: 0 for row in incremental}
    for row in incremental:
        counts[row[0]] += row[-3]
    assert counts["responses"] == 4
    assert incremental == rebuilt(db)


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql_lose_no_increment(pg_url: str) -> None:
    """Eight threads submit to the same unit and month at once: every increment counts and
    nobody deadlocks (rows are upserted in key order)."""
    db = Database(pg_url)
    try:
        with db.engine.begin() as conn:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        survey_id = seed_org(db)
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def writer(seed: int) -> None:
            try:
                barrier.wait()
                for i in range(10):
                    a = {"nps": (seed + i) % 11, "delight": 1 + i % 5, "minds": {"ease": 3}}
                    store(db, survey_id, i % 3 == 0, [(a, "north-1", 5)])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(s,)) for s in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        incremental = aggregate_rows(db)
        responses_row = [r for r in incremental if r[0] == "responses"]
        assert sum(r[-3] for r in responses_row) == 80
        assert incremental == rebuilt(db)
    finally:
        db.dispose()


def test_a_new_response_shows_at_once_on_the_aggregate_path(db: Database) -> None:
    survey_id = seed_org(db)
    store(db, survey_id, False, [({"nps": 10, "delight": 5}, "north-1", 2)])
    engine = OperationalEngine(db.engine)
    raw = OperationalEngine(db.engine, aggregates=False)
    query = MetricQuery(
        get_metric("nps"), Grouping.of(["unit"], period="month"), Filters(survey_ids=(survey_id,))
    )
    before = compute_metric(engine, query)
    assert before.source == "aggregates"
    store(db, survey_id, False, [({"nps": 0}, "north-1", 3)])
    after = compute_metric(engine, query)
    # The store, its region and the company each count one more response.
    assert sum(r.n for r in after.rows) == sum(r.n for r in before.rows) + 3
    assert [(r.key, r.n, r.estimate) for r in after.rows] == [
        (r.key, r.n, r.estimate) for r in compute_metric(raw, query).rows
    ]
    engine.dispose()
    raw.dispose()
