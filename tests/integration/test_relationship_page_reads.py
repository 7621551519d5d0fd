"""What the relationship pages read less of gives the same answers (issue 13), on SQLite
and PostgreSQL: a unit page's signals read for its subtree only equal those read for the
whole organisation, a unit's honeymoon curve read off the unit × band table equals the
curve computed on its own, and the stage model's rows kept by content equal a new run."""

from __future__ import annotations

from dataclasses import replace

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM
from rapport.services import demo, relationships, tenure
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
