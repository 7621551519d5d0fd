"""Only the periods a page shows are decided, and that changes nothing it shows.

A protected request without a window or a period grouping is answered for the latest
closed period, and only that period's groups are decided (``decide_table(strata=...)``).
Each closed period is decided on its own, so the restricted decision of a period must be
exactly the full decision's cells of that period, and every view of the employee dashboard
must be the same whether only the periods shown or every closed period was decided. A row
of a period nobody decided is hidden (fail closed). The demo organisation (seed 7) on
SQLite; the decision cache is emptied before each computation, so neither side reads the
other's cached levels.
"""

from __future__ import annotations

import shutil
from collections.abc import Hashable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.metrics import Dimension, Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics import suppression as table_suppression
from rapport.analytics.metrics.results import MetricTable, compute_metric
from rapport.analytics.suppression import Decision, SuppressionPolicy, cache
from rapport.domain.org import Principal, Role
from rapport.services import demo, metrics
from rapport.services.dashboard_frames import SEGMENT_ATTRIBUTES
from rapport.services.org_dashboard import OrgDashboard, organisation_dashboard
from rapport.storage.uow import Database

POLICY = SuppressionPolicy()
ADMIN = Principal("user", 1, "admin", Role.ADMIN)
NORTH = Principal("user", 2, "north", Role.MANAGER, unit_path="northwind/north")
HEAD_OFFICE = "northwind/head-office"
HQ_IT = f"{HEAD_OFFICE}/hq-it"
HQ_SERVICE = f"{HEAD_OFFICE}/hq-customer-service"
SURVEY = "employee-relationship"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Database]:
    folder = tmp_path_factory.mktemp("decided")
    shutil.copy(sqlite_template, folder / "rapport.db")
    db = Database(f"sqlite:///{folder / 'rapport.db'}")
    demo.load(db, demo.generate(seed=7))
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def engine(demo_db: Database) -> Iterator[OperationalEngine]:
    analytics = OperationalEngine(demo_db.engine)
    yield analytics
    analytics.dispose()


def _table(engine: OperationalEngine, metric: str, by: list[str], attribute: str | None) -> Any:
    """A protected table as the service builds it: unit × month (× attribute), closed months."""
    request = metrics.MetricRequest(SURVEY, metric, by=by, attribute=attribute)
    survey, _ = metrics._filters(engine, request)
    assert survey is not None
    window = metrics.confidentiality.closed_periods(POLICY, period=None, since=None, until=None)
    grouping = Grouping.of(by, "month", attribute).with_dimension(Dimension.PERIOD)
    query = MetricQuery(get_metric(metric), grouping, Filters((survey.id,), "employee"))
    table = compute_metric(engine, query)
    return table.keep(grouping.by.index(Dimension.PERIOD), window.holds), grouping


def _decide(table: MetricTable, strata: list[Hashable] | None) -> dict[Any, Decision]:
    cache.LEVELS.clear()
    measure = table.query.metric.measure
    return table_suppression.decide_table(
        table, "employee", POLICY, measure, stratify=Dimension.PERIOD, strata=strata
    )


@pytest.fixture(scope="module")
def levels() -> dict[str, cache.DecisionCache]:
    """One decision cache for each side, shared by the views of that side only: neither
    side ever reads a level the other decided."""
    return {"shown": cache.DecisionCache(), "every": cache.DecisionCache()}


TABLES = [
    ("hearts", ["unit"], None),
    ("responses", ["unit"], "role"),
    ("responses", ["unit"], "tenure_band"),
    ("comment_emotions", ["unit"], None),
]


@pytest.mark.parametrize(("metric", "by", "attribute"), TABLES)
def test_a_period_decided_alone_gets_the_full_decisions_cells(
    engine: OperationalEngine, metric: str, by: list[str], attribute: str | None
) -> None:
    table, grouping = _table(engine, metric, by, attribute)
    at = grouping.position(Dimension.PERIOD)
    periods = [p for p in table.values(at) if isinstance(p, date)]
    assert len(periods) >= 12, "the demo has a year of closed months or more"
    full = _decide(table, None)
    hidden = sum(d.suppressed for d in full.values())
    assert 0 < hidden < len(full), "a table where suppression has work to do"
    for period in (periods[-1], periods[len(periods) // 2], periods[0]):
        alone = _decide(table, [period])
        expected = {k: d for k, d in full.items() if k[at] == period}
        assert expected, f"no cells in {period}"
        assert alone == expected, f"{metric} by {by} {attribute}: {period} differs"
    assert _decide(table, []) == {}


def test_strata_need_a_stratified_dimension(engine: OperationalEngine) -> None:
    table, _ = _table(engine, "hearts", ["unit"], None)
    with pytest.raises(ValueError, match="strata= needs a stratify="):
        table_suppression.decide_table(table, "employee", POLICY, "scores", strata=[None])


def _every_period(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the service decide every closed period, whatever it shows (the old way)."""
    real = table_suppression.decide_table

    def full(*args: Any, strata: Any = None, **kwargs: Any) -> dict[Any, Decision]:
        return real(*args, **kwargs)

    monkeypatch.setattr(metrics, "decide_table", full)


def _isolate(patch: pytest.MonkeyPatch, levels: cache.DecisionCache) -> None:
    """One side's level cache, and no tables or decisions kept from the other side (the
    two sides ask the same queries, so the service would serve one side's decisions to
    the other)."""
    patch.setattr(cache, "LEVELS", levels)
    patch.setattr(metrics, "KEPT", cache.DecisionCache())


def _view(
    db: Database,
    engine: OperationalEngine,
    who: Principal,
    levels: dict[str, cache.DecisionCache],
    **kw: Any,
) -> tuple[OrgDashboard, OrgDashboard]:
    """The dashboard deciding the periods shown, and deciding every closed period."""
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, levels["shown"])
        with db.unit_of_work(readonly=True) as uow:
            shown = organisation_dashboard(uow, engine, who, POLICY, survey=SURVEY, **kw)
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, levels["every"])
        _every_period(patch)
        with db.unit_of_work(readonly=True) as uow:
            every = organisation_dashboard(uow, engine, who, POLICY, survey=SURVEY, **kw)
    return shown, every


def _same(a: OrgDashboard, b: OrgDashboard) -> None:
    assert a.segments == b.segments
    assert a.tiles == b.tiles
    assert (a.tiles_period, a.skipped, a.threshold, a.empty_reasons) == (
        b.tiles_period,
        b.skipped,
        b.threshold,
        b.empty_reasons,
    )
    for name in ("heatmap", "trend", "quadrant", "emotions"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


VIEWS = [
    pytest.param(ADMIN, {}, True, id="admin-whole-organisation"),
    pytest.param(ADMIN, {"unit": HQ_IT}, False, id="admin-hq-department"),
    pytest.param(ADMIN, {"unit": HQ_SERVICE}, False, id="admin-hq-department-2"),
    pytest.param(ADMIN, {"unit": HEAD_OFFICE}, True, id="admin-head-office"),
    pytest.param(NORTH, {}, True, id="manager-north"),
]


@pytest.mark.parametrize(("who", "view", "with_segments"), VIEWS)
def test_the_employee_dashboard_shows_the_same_cells(
    demo_db: Database,
    engine: OperationalEngine,
    levels: dict[str, cache.DecisionCache],
    who: Principal,
    view: dict[str, Any],
    with_segments: bool,
) -> None:
    """HQ departments are small (hq-it: 4 respondents in the tiles' month, every segment
    hidden), but their segment options audit the whole organisation's unit × attribute."""
    shown, everything = _view(demo_db, engine, who, levels, **view)
    assert bool(shown.segments) is with_segments
    _same(shown, everything)


def test_a_segment_of_a_department_shows_the_same_cells(
    demo_db: Database, engine: OperationalEngine, levels: dict[str, cache.DecisionCache]
) -> None:
    options, _ = _view(demo_db, engine, ADMIN, levels, unit=HEAD_OFFICE)
    segment = next(o for o in options.segments if o.startswith(SEGMENT_ATTRIBUTES[1] + "="))
    shown, everything = _view(demo_db, engine, ADMIN, levels, unit=HEAD_OFFICE, segment=segment)
    assert any(t.row is not None and not t.row.suppressed for t in shown.tiles)
    _same(shown, everything)


@pytest.mark.parametrize(("by", "unit"), [(["unit"], None), ([], HEAD_OFFICE)])
def test_the_metrics_service_shows_the_same_rows(
    engine: OperationalEngine,
    levels: dict[str, cache.DecisionCache],
    by: list[str],
    unit: str | None,
) -> None:
    """The latest closed period by unit × role, of the whole organisation or one part."""
    request = metrics.MetricRequest(SURVEY, "hearts", by=by, attribute="role", unit=unit)
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, levels["shown"])
        shown = metrics.compute(engine, ADMIN, request, POLICY).rows
    with pytest.MonkeyPatch.context() as patch:
        _isolate(patch, levels["every"])
        _every_period(patch)
        everything = metrics.compute(engine, ADMIN, request, POLICY).rows
    assert shown == everything
    assert any(r.suppressed for r in shown) and any(not r.suppressed for r in shown)


def test_a_row_of_a_period_nobody_decided_is_hidden(
    engine: OperationalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: a decision that leaves a shown period out hides its rows, all of them."""
    real = table_suppression.decide_table

    def nothing_decided(*args: Any, strata: Any = None, **kwargs: Any) -> dict[Any, Decision]:
        real(*args, strata=strata, **kwargs)
        return {}

    monkeypatch.setattr(metrics, "decide_table", nothing_decided)
    for by in (["unit"], ["unit", "period"]):
        rows = metrics.compute(
            engine, ADMIN, metrics.MetricRequest(SURVEY, "hearts", by=by), POLICY
        )
        assert rows.rows and all(r.suppressed for r in rows.rows), by
        assert {r.reason for r in rows.rows} == {"undecided"}
        assert all(r.value is None and r.lower is None and r.detail == {} for r in rows.rows)
    customer = metrics.MetricRequest("customer-relationship", "nps", by=["unit"])
    assert not any(r.suppressed for r in metrics.compute(engine, ADMIN, customer, POLICY).rows)


def test_a_later_ask_for_every_period_is_not_served_a_subset(engine: OperationalEngine) -> None:
    """One memo (one page): the latest period first, then every period of the same table."""
    memo = metrics.MetricMemo()
    latest = metrics.MetricRequest(SURVEY, "hearts", by=["unit"])
    first = metrics.compute(engine, ADMIN, latest, POLICY, memo=memo).rows
    every = replace(latest, period="month")
    rows = metrics.compute(engine, ADMIN, every, POLICY, memo=memo).rows
    assert memo.reused >= 1, "the table is shared"
    assert {r.reason for r in rows} - {None} <= {"below_threshold", "complementary"}
    assert len({r.period for r in rows}) > 1
    at = {(r.unit_path, r.period): r for r in rows}
    assert all(at[(r.unit_path, r.period)] == r for r in first)


def test_kept_tables_are_served_again_and_never_after_their_data_change(
    demo_db: Database, engine: OperationalEngine
) -> None:
    """``services.metrics.KEPT`` keeps tables, decisions and the rows shown across requests
    under the digest of what was read: a repeat is served from it (same rows), and a change
    made in place (a case resolved: no new id anywhere) gives the fresh answer, not the kept
    one."""
    employee = metrics.MetricRequest(SURVEY, "hearts", by=["unit"], attribute="role")
    first = metrics.compute(engine, ADMIN, employee, POLICY).rows
    hits = metrics.KEPT.hits
    assert metrics.compute(engine, ADMIN, employee, POLICY).rows == first
    assert metrics.KEPT.hits >= hits + 3  # its table, decisions and rows
    sla = metrics.MetricRequest("customer-relationship", "cases.closed_within_sla")
    before = metrics.compute(engine, ADMIN, sla, POLICY).rows[0]
    with demo_db.unit_of_work() as uow:
        case_id = uow.session.execute(
            text(
                "SELECT c.id FROM cases c JOIN responses r ON r.id = c.response_id"
                " JOIN surveys s ON s.id = r.survey_id WHERE s.key = 'customer-relationship'"
                " AND c.resolved_at IS NULL AND c.escalation_level = 0 ORDER BY c.id LIMIT 1"
            )
        ).scalar_one()
        uow.session.execute(
            text("UPDATE cases SET resolved_at = opened_at WHERE id = :id"), {"id": case_id}
        )
    try:
        after = metrics.compute(engine, ADMIN, sla, POLICY).rows[0]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(metrics, "KEPT", cache.DecisionCache())
            fresh = metrics.compute(engine, ADMIN, sla, POLICY).rows[0]
        assert after == fresh
        assert (after.n, after.detail["successes"]) == (
            before.n + 1,
            before.detail["successes"] + 1,
        )
    finally:
        with demo_db.unit_of_work() as uow:
            uow.session.execute(
                text("UPDATE cases SET resolved_at = NULL WHERE id = :id"), {"id": case_id}
            )
