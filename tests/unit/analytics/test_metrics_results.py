"""From sufficient statistics to estimates; roll-up over the unit tree; period labels."""

from __future__ import annotations

import sys
from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.analytics.intervals import mean_estimate, proportion_estimate
from rapport.analytics.metrics import Grouping, MetricQuery, Period, Statistic, get_metric
from rapport.analytics.metrics.catalog import UnitNode
from rapport.analytics.metrics.results import (
    ALL,
    RECENT_ROWS,
    MetricTable,
    PackedRows,
    estimate_from_stats,
    period_label,
    period_start,
    rows_digest,
)
from rapport.analytics.nps import nps_estimate

UNITS = {
    1: UnitNode(1, None, "acme", "Acme", "company", "acme"),
    2: UnitNode(2, 1, "north", "North", "region", "acme/north"),
    3: UnitNode(3, 2, "n1", "N1", "store", "acme/north/n1"),
    4: UnitNode(4, 1, "south", "South", "region", "acme/south"),
}


def test_nps_and_share_use_the_interval_functions() -> None:
    estimate, detail = estimate_from_stats(Statistic.NPS, (10, 6, 1), 0.9)
    assert estimate == nps_estimate(6, 3, 1, 0.9)
    assert detail == {"promoters": 6, "passives": 3, "detractors": 1}
    assert estimate_from_stats(Statistic.SHARE, (7, 3), 0.95)[0] == proportion_estimate(3, 7)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=40), st.sampled_from([0.0, 4.0, 2.5]))
def test_means_from_centred_sums_match_the_raw_mean(values, centre) -> None:
    x = np.array(values, dtype=float)
    stats = (len(x), float((x - centre).sum()), float(((x - centre) ** 2).sum()))
    got, detail = estimate_from_stats(Statistic.MEAN, stats, 0.95, centre)
    expected = mean_estimate(x)
    assert got.value == pytest.approx(expected.value, abs=1e-12)
    if expected.lower is None:
        assert got.lower is None
    else:
        assert got.lower == pytest.approx(expected.lower, abs=1e-9)
        assert got.upper == pytest.approx(expected.upper, abs=1e-9)
    assert detail["sd"] >= 0


def test_equal_answers_have_exactly_zero_spread() -> None:
    scores = np.full(3, 100 / 3)  # not exact in binary: sums leave rounding residue
    stats = (3, float((scores - 50).sum()), float(((scores - 50) ** 2).sum()))
    estimate, detail = estimate_from_stats(Statistic.INDEX, stats, 0.95, 50.0)
    assert detail["sd"] == 0.0 and estimate.lower == estimate.upper == estimate.value


def test_counts_and_empty_groups() -> None:
    assert estimate_from_stats(Statistic.COUNT, (4,), 0.95)[0].value == 4.0
    for statistic, zero in ((Statistic.NPS, (0, 0, 0)), (Statistic.MEAN, (0, 0.0, 0.0))):
        assert estimate_from_stats(statistic, zero, 0.95)[0].value is None


@pytest.mark.parametrize(
    ("value", "period", "start", "label"),
    [
        ("2025-07", Period.MONTH, date(2025, 7, 1), "2025-07"),
        ("2025", Period.YEAR, date(2025, 1, 1), "2025"),
        ("2025-Q4", Period.QUARTER, date(2025, 10, 1), "2025-Q4"),
        ("2024-12-30", Period.WEEK, date(2024, 12, 30), "2025-W01"),
        (datetime(2026, 4, 1), Period.QUARTER, date(2026, 4, 1), "2026-Q2"),
        (date(2026, 1, 5), Period.WEEK, date(2026, 1, 5), "2026-W02"),
    ],
)
def test_period_values_from_every_engine(value, period, start, label) -> None:
    assert period_start(value, period) == start
    assert period_label(start, period) == label


def table(by: list[str], leaf: dict) -> MetricTable:
    query = MetricQuery(get_metric("nps"), Grouping.of(by, period="month" if len(by) > 1 else None))
    return MetricTable(query, "test", UNITS, {}, leaf)


def test_roll_up_counts_a_response_at_its_unit_and_every_ancestor() -> None:
    t = table(["unit"], {(3,): (10, 5, 2), (1,): (4, 0, 4)})
    totals = t.totals([True])
    assert totals[(1,)] == (14, 5, 6)  # its own 4 plus the store's 10
    assert totals[(2,)] == totals[(3,)] == (10, 5, 2)
    assert (4,) not in totals
    rows = {row.key: row for row in t.rows}
    assert [row.key for row in t.rows] == [(1,), (2,), (3,), (4,)]  # tree order, all units
    assert rows[(4,)].n == 0 and rows[(4,)].estimate.value is None
    assert t.counts([False]) == {(ALL,): 14}


def test_margins_of_a_two_way_table() -> None:
    may, june = date(2026, 5, 1), date(2026, 6, 1)
    t = table(["unit", "period"], {(3, may): (3, 1, 1), (3, june): (2, 2, 0), (4, may): (5, 0, 5)})
    assert t.counts([False, True]) == {(ALL, may): 8, (ALL, june): 2}
    assert t.counts([True, False])[(2, ALL)] == 5
    assert len(t.rows) == len(UNITS) * 2


def test_rows_where_builds_the_same_rows_as_filtering_every_row() -> None:
    """One period and one subtree: the rows built from their own leaf groups equal those
    filtered from the full table (including zero rows of periods observed elsewhere)."""
    may, june = date(2026, 5, 1), date(2026, 6, 1)
    leaf = {(3, may): (3, 1, 1), (3, june): (2, 2, 0), (4, may): (5, 0, 5), (1, june): (4, 4, 0)}
    in_north = {1: False, 2: True, 3: True, 4: False}
    for wanted in (
        {1: lambda p: p == june},
        {0: lambda u: in_north[u]},
        {0: lambda u: in_north[u], 1: lambda p: p == may},
    ):
        fresh, built = table(["unit", "period"], leaf), table(["unit", "period"], leaf)
        expected = [r for r in built.rows if all(t(r.key[i]) for i, t in wanted.items())]
        found = fresh.rows_where(wanted)
        assert [(r.key, r.n, r.estimate) for r in found] == [
            (r.key, r.n, r.estimate) for r in expected
        ]
        assert found, "every case keeps some rows"
        assert built.rows_where(wanted) == expected  # rows already built: filtered
    north_june = table(["unit", "period"], leaf).rows_where(
        {0: lambda u: in_north[u], 1: lambda p: p == june}
    )
    assert [(r.key[0], r.n) for r in north_june] == [(2, 2), (3, 2)]


def test_rows_where_of_an_emotion_table_lists_every_emotion_of_the_table() -> None:
    """A subtree or a period where some emotion was never chosen still has a 0 % row for it,
    as in :attr:`MetricTable.rows`: the rows of a group are the same whether the full table
    was built before (a table kept across requests) or not (a fresh one)."""
    may, june = date(2026, 5, 1), date(2026, 6, 1)
    query = MetricQuery(get_metric("emotions"), Grouping.of(["unit", "period"], period="month"))
    leaf = {(3, may): (4,), (3, june): (2,), (4, may): (5,)}
    chosen = {((3, may), "calm"): 3, ((3, june), "calm"): 1, ((4, may), "angry"): 2}
    in_north = {1: False, 2: True, 3: True, 4: False}
    for wanted in ({0: lambda u: in_north[u]}, {1: lambda p: p == june}):
        fresh = MetricTable(query, "test", UNITS, {}, leaf, chosen)
        built = MetricTable(query, "test", UNITS, {}, leaf, chosen)
        expected = [r for r in built.rows if all(t(r.key[i]) for i, t in wanted.items())]
        found = fresh.rows_where(wanted)
        assert {r.emotion for r in found} == {"angry", "calm"}
        assert [(r.key, r.emotion, r.n, r.estimate) for r in found] == [
            (r.key, r.emotion, r.n, r.estimate) for r in expected
        ]
        assert built.rows_where(wanted) == expected
    north_angry = [
        (r.key, r.n, r.detail["chosen"])
        for r in MetricTable(query, "test", UNITS, {}, leaf, chosen).rows_where(
            {0: lambda u: in_north[u], 1: lambda p: p == may}
        )
        if r.emotion == "angry"
    ]
    assert north_angry == [((2, may), 4, 0), ((3, may), 4, 0)]


def test_a_group_whose_statistics_did_not_change_keeps_its_row() -> None:
    """RECENT_ROWS: after one leaf group changes, its unit's and ancestors' rows are new and
    equal to a table built with nothing remembered; every other row is the same object."""
    may, june = date(2026, 5, 1), date(2026, 6, 1)
    leaf = {(3, may): (3, 1, 1), (3, june): (2, 2, 0), (4, may): (5, 0, 5)}
    RECENT_ROWS.clear()
    before = {r.key: r for r in table(["unit", "period"], leaf).rows}
    changed = {**leaf, (3, june): (3, 3, 0)}  # one more promoter at the store in June
    after = table(["unit", "period"], changed).rows
    RECENT_ROWS.clear()
    oracle = table(["unit", "period"], changed).rows
    assert [(r.key, r.n, r.estimate, r.detail) for r in after] == [
        (r.key, r.n, r.estimate, r.detail) for r in oracle
    ]
    moved = {r.key for r in after if r is not before[r.key]}
    assert moved == {(1, june), (2, june), (3, june)}  # the store, its region, the company


_cell = st.one_of(
    st.none(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_cell, _cell, _cell), max_size=20),
    st.lists(st.tuples(_cell, st.text(max_size=5), st.integers(0, 50)), max_size=10),
)
def test_packed_rows_give_back_the_rows_read(
    stats: list[tuple[object, ...]], chosen: list[tuple[object, ...]]
) -> None:
    """Kept closed months are packed (marshal, or pickle for a driver's dates and
    decimals): unpacked, they are the rows the statements returned, value for value and
    type for type, so the table built from them is the same; their digest is the one
    computed when they were read (``Fetched.kept``: not hashed again)."""
    digest = rows_digest(stats, chosen)
    packed = PackedRows.of((stats, chosen, digest))
    again = packed.rows()
    assert again == (stats, chosen, digest)
    assert [[type(v) for v in row] for row in again[0]] == [[type(v) for v in r] for r in stats]
    assert packed.size == len(packed.stats) + len(packed.chosen) + len(digest)


def test_packed_rows_take_a_fraction_of_the_memory_of_the_rows() -> None:
    """What the kept months are packed for: 10,000 aggregate rows (unit, month, n, sum,
    sum of squares) hold under a third of their size as Python objects."""
    stats = [
        (u, f"2025-{m:02d}-01", 30 + u % 7, 21.5 * u, 153.25 * m)
        for u in range(834)
        for m in range(1, 13)
    ]
    held = sys.getsizeof(stats) + sum(
        sys.getsizeof(r) + sum(sys.getsizeof(v) for v in r) for r in stats
    )
    packed = PackedRows.of((stats, [], rows_digest(stats, [])))
    assert packed.size < held / 3


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from([1, 2, 3, 4]), st.sampled_from(range(1, 7))),
        st.tuples(st.integers(1, 9), st.floats(-50, 50), st.floats(0, 2500)),
        min_size=1,
        max_size=24,
    ),
    st.lists(st.frozensets(st.sampled_from([1, 2, 3, 4])), min_size=1, max_size=4),
)
def test_a_table_narrowed_again_and_again_gives_what_keep_gives(leaf, asks) -> None:
    """A kept table narrowed for unit after unit (``rows_where`` groups its keys by value
    once): each part has the leaf groups ``keep`` keeps, in the table's order (margins add
    in it), and the same rows as a fresh table narrowed once."""
    months = {k: (u, date(2026, m, 1)) for k in leaf for u, m in [k]}
    leaf = {months[k]: v for k, v in leaf.items()}
    kept = MetricTable(_index_query(), "test", UNITS, {}, leaf)
    for units in asks:
        wanted = {0: units.__contains__}
        part = kept._where(0, units.__contains__)
        assert list(part.leaf.items()) == list(kept.keep(0, units.__contains__).leaf.items())
        fresh = MetricTable(_index_query(), "test", UNITS, {}, leaf)
        assert kept.rows_where(wanted) == fresh.rows_where(wanted)


def _index_query() -> MetricQuery:
    return MetricQuery(get_metric("index:heart"), Grouping.of(["unit", "period"], period="month"))
