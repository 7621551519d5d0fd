"""A table built on the kept leaves of its closed months' rows is the table built from every
row at once (``results.build_table`` with ``kept_leaves``): the same groups in the same order,
the same sums to the last bit, the same chosen counts; and the kept leaves are never changed
by a table built on them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics.test_metrics_results import UNITS

from rapport.analytics.metrics import Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.catalog import UnitNode
from rapport.analytics.metrics.results import (
    RECENT_ROWS,
    Fetched,
    Leaves,
    MetricTable,
    build_table,
    rows_digest,
)

MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]

stats_row = st.tuples(
    st.sampled_from([3, 4]),
    st.sampled_from(MONTHS),
    st.integers(1, 9),
    st.floats(-50, 50, allow_nan=False, width=32),
    st.floats(0, 900, allow_nan=False, width=32),
)
chosen_row = st.tuples(
    st.sampled_from([3, 4]), st.sampled_from(MONTHS), st.sampled_from(["joy", "anger"]),
    st.integers(1, 5),
)  # fmt: skip


def _query(metric: str, period: str) -> MetricQuery:
    return MetricQuery(get_metric(metric), Grouping.of(["unit"], period=period), Filters((1,)))


def _fetched(stats: list[Any], chosen: list[Any], split: tuple[int, int]) -> Fetched:
    kept = rows_digest(stats[: split[0]], chosen[: split[1]])
    return Fetched(UNITS, {}, stats, chosen, 0.0, True, kept, split)


class Keep:
    """A dictionary standing for the application's cache; counts the builds."""

    def __init__(self) -> None:
        self.kept: dict[Any, Leaves] = {}
        self.builds = 0

    def __call__(self, parts: tuple[Any, ...], build: Any) -> Leaves:
        if parts not in self.kept:
            self.builds += 1
            self.kept[parts] = build()
        return self.kept[parts]


@settings(max_examples=120, deadline=None)
@given(
    st.lists(stats_row, max_size=30),
    st.lists(stats_row, max_size=12),
    st.lists(stats_row, max_size=12),
    st.lists(chosen_row, max_size=10),
    st.lists(chosen_row, max_size=6),
    st.sampled_from(["month", "quarter", "year"]),
)
def test_tables_built_on_kept_leaves_are_those_built_at_once(
    closed: list[Any],
    later: list[Any],
    other: list[Any],
    closed_chosen: list[Any],
    later_chosen: list[Any],
    period: str,
) -> None:
    # The months of one quarter or year are added up: a closed and an open month of one
    # quarter meet in one group.
    for metric in ("csat_mean", "emotions"):
        query = _query(metric, period)
        keep = Keep()
        split = (len(closed), len(closed_chosen))
        for open_rows in (later, other):  # two responses' worth of open months, one closed part
            stats, chosen = closed + open_rows, closed_chosen + later_chosen
            at_once = build_table(query, "sqlite", _fetched(stats, chosen, split))
            kept = build_table(query, "sqlite", _fetched(stats, chosen, split), keep)
            assert repr(list(kept.leaf.items())) == repr(list(at_once.leaf.items()))  # bits
            assert list(kept.chosen.items()) == list(at_once.chosen.items())
            assert [type(v) for s in kept.leaf.values() for v in s] == [
                type(v) for s in at_once.leaf.values() for v in s
            ]
            # (random chosen counts can exceed a group's n: no emotion rows to estimate)
            _same_totals_and_rows(kept, at_once, rows=metric != "emotions")
        assert keep.builds == 1, "the closed months' leaves are built once"


def _same_totals_and_rows(kept: MetricTable, at_once: MetricTable, rows: bool = True) -> None:
    full = at_once.totals([True, True])
    composed = kept._all_totals()
    assert composed.keys() == full.keys()
    assert all(repr(composed[k]) == repr(full[k]) for k in full), "not the same bits"
    if rows:
        RECENT_ROWS.clear()  # each table's rows estimated afresh, not reused from the other's
        built = kept.rows
        RECENT_ROWS.clear()
        assert built == at_once.rows


later_row = st.tuples(
    st.sampled_from([2, 3, 4]),
    st.sampled_from(MONTHS[4:]),
    st.integers(1, 9),
    st.floats(-50, 50, allow_nan=False, width=32),
    st.floats(0, 900, allow_nan=False, width=32),
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(stats_row.filter(lambda r: r[1] in MONTHS[:4]), max_size=30),
    st.lists(later_row, min_size=1, max_size=12),
    st.lists(later_row, max_size=12),
)
def test_the_open_months_margins_are_summed_alone_and_are_the_same(
    closed: list[Any], later: list[Any], other: list[Any]
) -> None:
    """Open months apart from the closed ones (months, not quarters): a table's totals are
    the kept leaves' totals and its own groups'; a moved unit sums the leaves again."""
    query = _query("csat_mean", "month")
    keep = Keep()
    split = (len(closed), 0)
    for open_rows in (later, other):
        stats = closed + open_rows
        at_once = build_table(query, "sqlite", _fetched(stats, [], split))
        kept = build_table(query, "sqlite", _fetched(stats, [], split), keep)
        assert kept.start is not None
        _same_totals_and_rows(kept, at_once)
    moved = {**UNITS, 3: UnitNode(3, 4, "n1", "N1", "store", "acme/south/n1")}
    stats = closed + later
    at_once = build_table(query, "sqlite", replace(_fetched(stats, [], split), units=moved))
    kept = build_table(query, "sqlite", replace(_fetched(stats, [], split), units=moved), keep)
    _same_totals_and_rows(kept, at_once)


def test_no_kept_leaves_without_rows_read_apart() -> None:
    keep = Keep()
    fetched = Fetched(UNITS, {}, [(3, "2026-01", 2, 1.0, 1.0)], [], 0.0, True)
    table = build_table(_query("csat_mean", "month"), "sqlite", fetched, keep)
    assert keep.builds == 0 and len(table.leaf) == 1


def test_a_zero_shares_the_sign_it_would_have_shared_at_once() -> None:
    """Equal statistics share one tuple, and ``0.0 == -0.0``: an open month's ``-0.0`` group
    shares the closed months' ``0.0`` tuple met first, as building at once does."""
    query = _query("csat_mean", "month")
    closed = [(3, "2026-01", 1, 0.0, 0.0), (3, "2026-01", 4, 0.0, 0.0)]
    stats = [*closed, (3, "2026-02", 1, -0.0, 0.0)]
    at_once = build_table(query, "sqlite", _fetched(stats, [], (2, 0)))
    kept = build_table(query, "sqlite", _fetched(stats, [], (2, 0)), Keep())
    assert repr(list(kept.leaf.items())) == repr(list(at_once.leaf.items()))
    _same_totals_and_rows(kept, at_once)
