"""What the relationship pages read less of gives the same answers (issue 13), on SQLite
and PostgreSQL: a unit page's signals read for its subtree only equal those read for the
whole organisation, a unit's honeymoon curve read off the unit × band table equals the
curve computed on its own, and the stage model's rows kept by content equal a new run."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import ValidationFailed
from rapport.services import demo, metrics, relationships, tenure
from rapport.services.metrics import MetricRequest, compute
from rapport.storage.uow import Database

SURVEY = "customer-relationship"


def test_narrowed_reads_equal_the_whole_organisations(db: Database) -> None:
    org = demo.generate(seed=7, units=12, months=8)
    demo.load(db, org)
    engine, policy = OperationalEngine(db.engine), SuppressionPolicy()
    whole = relationships.relationship_health(engine, SYSTEM, SURVEY, policy, signals=True)
    store = next(u for u in org.units if u.kind == "store")
    region = next(u for u in org.units if u.kind == "region")
    for unit in (store.code, region.code):
        narrowed = relationships.relationship_health(
            engine, SYSTEM, SURVEY, policy, signals=True, signals_of=unit
        )
        mine = [r for r in narrowed.rows if r.unit == unit]
        assert mine == [r for r in whole.rows if r.unit == unit]
        assert any(r.signals for r in mine)  # the test reads signals, not empty lists
        assert any(s.name.startswith("picked.") for r in mine for s in r.signals)
        curve = tenure.tenure_curve(engine, SYSTEM, SURVEY, policy, "hearts", unit=unit)
        alone = compute(
            engine,
            SYSTEM,
            MetricRequest(SURVEY, "hearts", attribute=tenure.ATTRIBUTE, unit=unit),
            policy,
        ).rows
        by_band = {r.attribute: r for r in alone}
        assert any(b.n for b in curve.bands)
        for band in curve.bands:
            row = by_band.get(band.band)
            assert (band.estimate, band.n) == ((None, 0) if row is None else (row.value, row.n))
            if row is not None:
                assert (band.lower, band.upper) == (row.lower, row.upper)


def test_the_stage_models_rows_are_kept_by_the_content_of_their_frame(db: Database) -> None:
    demo.load(db, demo.generate(seed=3, units=8, months=6))
    engine, policy = OperationalEngine(db.engine), SuppressionPolicy()
    results = {
        s: compute(engine, SYSTEM, MetricRequest(SURVEY, s, by=["unit"], period="month"), policy)
        for s in relationships.SIGNALS
    }
    frame = relationships.signal_frame(results)
    relationships.STAGED.clear()
    first = relationships.health_rows(frame)
    again = relationships.health_rows(frame.copy())
    assert again == first and relationships.STAGED.hits == 1
    moved = frame.copy()
    moved.loc[moved.index[0], "estimate"] += 1.0  # other data: another key, run again
    other = relationships.health_rows(moved)
    assert relationships.STAGED.hits == 1 and relationships.STAGED.misses == 2
    assert other == relationships._health_rows(moved)
    assert [replace(r, signals=[]) for r in first] == relationships._health_rows(frame)


def test_a_units_signal_rows_equal_the_whole_organisations_for_every_reader(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each further signal's table narrowed to a store (``MetricRequest.unit``), as an admin
    and as its region's manager, has the store's rows of the whole organisation's table, on
    the customer and the employee survey: the same values, intervals, suppression and zero
    rows (emotions picked elsewhere, periods answered elsewhere). Read for the subtree
    alone, and sliced from the whole organisation's table when that is kept (reading
    nothing; an employee table is always the whole organisation's, decided over it)."""
    reads: list[str] = []
    fetch = metrics.fetch_metric

    def counted(engine: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(query.metric.name)
        return fetch(engine, query, *args, **kwargs)

    monkeypatch.setattr(metrics, "fetch_metric", counted)
    org = demo.generate(seed=11, units=12, months=8)
    demo.load(db, org)
    engine, policy = OperationalEngine(db.engine), SuppressionPolicy()
    store = next(u for u in org.units if u.kind == "store")
    with db.unit_of_work(readonly=True) as uow:
        region = uow.units.find(store.parent_code or "")
    assert region is not None
    manager = Principal("user", 2, "m@example.com", Role.MANAGER, unit_path=region.path)
    compared = 0
    for survey in (SURVEY, "employee-relationship"):
        for metric in ("comment_relationship", "emotions", "response_rate", "reach",
                       "repeat_complaints", "hearts"):  # fmt: skip
            request = MetricRequest(survey, metric, by=["unit"], period="month")
            try:
                whole = compute(engine, SYSTEM, request, policy).rows
            except ValidationFailed:
                continue
            expected = [r for r in whole if r.unit_code == store.code]
            narrowed = replace(request, unit=store.code)
            for reader in (SYSTEM, manager):
                metrics.KEPT.clear()  # the whole table not kept: the subtree's own reads
                found = compute(engine, reader, narrowed, policy).rows
                assert found == expected, (survey, metric, reader.role)
                metrics.KEPT.clear()
                compute(engine, SYSTEM, request, policy)  # kept: the subtree's rows of it
                reads.clear()
                found = compute(engine, reader, narrowed, policy).rows
                assert found == expected, (survey, metric, reader.role, "sliced")
                assert reads == [], reads
            compared += bool(expected)
    assert compared >= 8


def test_a_newer_frame_of_a_slot_replaces_the_older_frames_rows(db: Database) -> None:
    """Health rows are kept by their frame's content; a newer frame of the same slot (a
    new response: the survey's frame moved) drops the older frame's rows at once, other
    slots' rows stay."""
    demo.load(db, demo.generate(seed=3, units=8, months=6))
    engine, policy = OperationalEngine(db.engine), SuppressionPolicy()
    frame = relationships.signal_frame(
        {
            s: compute(
                engine, SYSTEM, MetricRequest(SURVEY, s, by=["unit"], period="month"), policy
            )
            for s in relationships.SIGNALS
        }
    )
    moved = frame.copy()
    moved.loc[moved.index[0], "estimate"] += 1.0
    relationships.STAGED.clear()
    first = relationships.health_rows(frame, slot="survey a")
    other = relationships.health_rows(moved, slot="survey b")
    assert len(relationships.STAGED) == 2
    newer = relationships.health_rows(moved, slot="survey a")  # kept under survey b's key
    assert newer == other and len(relationships.STAGED) == 2
    relationships.health_rows(frame.iloc[:-1], slot="survey a")  # a new frame for a
    assert len(relationships.STAGED) == 2, "the frame first kept for a was dropped"
    hits = relationships.STAGED.hits
    assert relationships.health_rows(moved) == other  # b's rows stayed
    assert relationships.STAGED.hits == hits + 1
    assert relationships.health_rows(frame, slot="survey a") == first  # computed again


def test_what_every_unit_page_derives_from_the_whole_tables_is_kept_by_their_digests(
    db: Database,
) -> None:
    """The stages of the whole organisation and its fresher units are kept under the
    digests of the tables they come from: asked again (another unit's page) nothing is
    derived again, and what is kept equals a new run on the rows; another table (other
    rows) has another digest."""
    org = demo.generate(seed=3, units=8, months=6)
    demo.load(db, org)
    engine, policy = OperationalEngine(db.engine), SuppressionPolicy()
    results = {
        s: compute(engine, SYSTEM, MetricRequest(SURVEY, s, by=["unit"], period="month"), policy)
        for s in relationships.SIGNALS
    }
    digests = {r.digest for r in results.values()}
    assert None not in digests and len(digests) == 3
    relationships.STAGED.clear()
    first = relationships.relationship_health(engine, SYSTEM, SURVEY, policy)
    assert relationships.STAGED.misses == 1
    again = relationships.relationship_health(engine, SYSTEM, SURVEY, policy)
    assert again.rows == first.rows and relationships.STAGED.hits == 1
    assert first.rows == relationships._health_rows(relationships.signal_frame(results))
    quarter = MetricRequest(SURVEY, "hearts", by=["unit"], period="quarter")
    assert compute(engine, SYSTEM, quarter, policy).digest not in digests

    tenure.FRESHER.clear()
    stores = [u.code for u in org.units if u.kind == "store"][:2]
    curves = [tenure.tenure_curve(engine, SYSTEM, SURVEY, policy, "hearts", unit=s) for s in stores]
    assert tenure.FRESHER.misses == 1 and tenure.FRESHER.hits == 1
    by_band = MetricRequest(SURVEY, "hearts", by=["unit"], attribute=tenure.ATTRIBUTE)
    fresher = tenure.unit_freshness(compute(engine, SYSTEM, by_band, policy).rows)
    for store, curve in zip(stores, curves, strict=True):
        assert curve.fresher_units == [f for f in fresher if f.unit == store]


def test_the_home_pages_attention_list_is_needs_attention_of_every_row(db: Database) -> None:
    """The home page's list is found among each unit's latest rows only; it equals the
    list ``needs_attention`` finds in the frame of every row (12 months: drifting stores
    have fallen by then, so the list is not empty)."""
    from rapport.services import relationship_map

    demo.load(db, demo.generate(seed=7, units=12, months=12))
    engine, policy = OperationalEngine(db.engine), SuppressionPolicy()
    health = relationships.relationship_health(engine, SYSTEM, SURVEY, policy, "month")
    expected = relationship_map.needs_attention(relationships.as_frame(health.rows))
    found = relationship_map._attention(engine, SYSTEM, policy, None, SURVEY)
    assert found is not None and len(expected) > 0
    columns = list(expected.columns)
    assert (
        found.rows[columns].reset_index(drop=True).equals(expected[columns].reset_index(drop=True))
    )
