"""Large unit × axis tables audited region by region, and the cache of level decisions.

The exact attacker of ``_attacker.py`` (rational arithmetic, independent of the code) plays
against tables whose whole-level audit is made "too large" (``AUDIT_SPLIT_ENTRIES`` patched
down), so every level is decided by the region decomposition: it must find nothing beyond
what the margins give away, exactly as the whole-level audit must.
"""

from __future__ import annotations

import itertools
import random
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics.test_metrics_suppression import (
    POLICY,
    decide,
    gaps_are_safe,
    rolled_up,
)

from rapport.analytics.metrics import suppression as metrics_suppression
from rapport.analytics.metrics.results import ALL
from rapport.analytics.metrics.suppression import Axis, suppress_table
from rapport.analytics.suppression import cache


@pytest.fixture(autouse=True)
def empty_cache():
    cache.LEVELS.clear()
    yield
    cache.LEVELS.clear()


@st.composite
def regional_tables(draw):
    """A company with 2-3 regions of 1-3 stores (and sometimes own respondents) × 1-3
    values of another axis."""
    parents: dict[int, int | None] = {1: None}
    unit = 2
    for _ in range(draw(st.integers(2, 3))):
        region = unit
        parents[region] = 1
        unit += 1
        for _ in range(draw(st.integers(1, 3))):
            parents[unit] = region
            unit += 1
    values = [f"m{v}" for v in range(draw(st.integers(1, 3)))]
    leaf = {}
    sizes = st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 14])
    for u in parents:
        for value in values:
            n = draw(sizes) if u != 1 else draw(st.sampled_from([0, 0, 0, 1, 2, 6]))
            if n:
                leaf[(u, value)] = n
    return parents, values, leaf or {(2, values[0]): 1}


def split(parents, values, leaf, **kwargs):
    axes = [Axis(tuple(parents), parents), Axis(tuple(values))]
    with patch.object(metrics_suppression, "AUDIT_SPLIT_ENTRIES", 0):
        return axes, decide(parents, leaf, axes, **kwargs)


@settings(max_examples=120, deadline=None)
@given(regional_tables())
def test_region_by_region_gives_nothing_beyond_the_margins(table) -> None:
    parents, values, leaf = table
    axes, (counts, decided, beyond) = split(parents, values, leaf)
    assert beyond == set()
    assert gaps_are_safe(axes, counts, decided) == []


@settings(max_examples=60, deadline=None)
@given(regional_tables())
def test_region_by_region_at_the_comment_threshold_and_with_the_solver(table) -> None:
    parents, values, leaf = table
    with patch.object(metrics_suppression, "AUDIT_BUDGET", 0):
        assert split(parents, values, leaf, measure="comments")[1][2] == set()


def generated(regions: int, stores: int, months: int, seed: int):
    """A seeded organisation: company → regions → stores, counts per store and month."""
    rng = random.Random(seed)
    parents: dict[int, int | None] = {1: None}
    for r in range(regions):
        region = 2 + r * (stores + 1)
        parents[region] = 1
        for s in range(stores):
            parents[region + 1 + s] = region
    leaf = {
        (unit, f"m{m:02d}"): n
        for unit, parent in parents.items()
        if parent is not None and parent != 1
        for m in range(months)
        if (n := rng.choice([0, 1, 2, 3, 4, 6, 8, 9, 12, 15, 20])) > 0
    }
    return parents, [f"m{m:02d}" for m in range(months)], leaf


def level_cells(decided) -> tuple[int, int]:
    cells = [d for key, d in decided.items() if ALL not in key]
    return sum(d.revealed for d in cells), len(cells)


def test_a_table_too_large_for_one_audit_is_not_blank() -> None:
    """Above the single-level cap (patched down to this table's scale) the table used to
    show its margins only. Region by region it shows what each region's exact audit
    allows — most cells — the exact attacker finds nothing beyond the margins, and the
    decisions are identical on a second run and under a clock jumping 1000 s per reading."""
    parents, values, leaf = generated(regions=3, stores=5, months=4, seed=13)
    axes = [Axis(tuple(parents), parents), Axis(tuple(values))]
    counts = rolled_up(leaf, parents)
    whole = metrics_suppression._Audit(axes, (0, 1), lambda k: counts.get(k, 0), {}, 5)
    cap = whole.entries(len(leaf)) // 3  # the whole level is over it, each region under it
    with patch.object(metrics_suppression, "AUDIT_MAX_ENTRIES", cap):
        with patch.object(metrics_suppression._RegionAudit, "applies", lambda *a: False):
            _, blank, _ = decide(parents, leaf, axes)
        assert level_cells(blank)[0] == 0  # before: margins only
        cache.LEVELS.clear()
        _, first, beyond = decide(parents, leaf, axes)
        cache.LEVELS.clear()
        ticks = itertools.count(step=1000.0)

        def slow() -> float:
            return float(next(ticks))

        with (
            patch("time.monotonic", slow),
            patch("time.perf_counter", slow),
            patch("time.time", slow),
        ):
            _, second, _ = decide(parents, leaf, axes)
        cache.LEVELS.clear()
        with patch.object(metrics_suppression, "AUDIT_MAX_ENTRIES", 10**9):
            _, whole_audit, _ = decide(parents, leaf, axes)
    shown, total = level_cells(first)
    assert beyond == set()
    assert shown >= total // 2, (shown, total)
    # On this table nothing is lost by splitting: the whole-level audit shows as many.
    assert shown == level_cells(whole_audit)[0]
    assert {k: d.revealed for k, d in first.items()} == {k: d.revealed for k, d in second.items()}


def test_an_identical_table_is_audited_once() -> None:
    """The second identical table comes from the cache (no audit round runs); changing one
    count changes the key, and the level is audited again."""
    parents, values, leaf = generated(regions=2, stores=3, months=3, seed=3)
    axes = [Axis(tuple(parents), parents), Axis(tuple(values))]
    counts = rolled_up(leaf, parents)
    rounds = []
    original = metrics_suppression._Audit.cells_to_hide

    def counted(self, shown):
        rounds.append(len(shown))
        return original(self, shown)

    with patch.object(metrics_suppression._Audit, "cells_to_hide", counted):
        first = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="employee")
        audited = len(rounds)
        again = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="employee")
        assert audited > 0 and len(rounds) == audited
        assert again == first
        store = next(key for key in leaf)
        bumped = rolled_up({**leaf, store: leaf[store] + 1}, parents)
        suppress_table(axes, lambda k: bumped.get(k, 0), POLICY, audience="employee")
        assert len(rounds) > audited


def test_the_cache_is_bounded_and_least_recently_used_goes_first() -> None:
    small = cache.DecisionCache(max_bytes=cache.ENTRY_BYTES * 4)
    keys = [cache.content_key([i]) for i in range(3)]
    small.put(keys[0], "a", entries=1)
    small.put(keys[1], "b", entries=1)
    assert small.get(keys[0]) == "a"  # now the most recent
    small.put(keys[2], "c", entries=1)
    assert small.get(keys[1]) is None and small.get(keys[0]) == "a" and len(small) == 2
    assert cache.content_key([1, "1"]) != cache.content_key(["1", 1])


def test_customer_tables_are_not_cached_as_employee_ones() -> None:
    parents, values, leaf = generated(regions=2, stores=2, months=2, seed=1)
    axes = [Axis(tuple(parents), parents), Axis(tuple(values))]
    counts = rolled_up(leaf, parents)
    employee = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="employee")
    customer = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="customer")
    assert any(d.suppressed for d in employee.values())
    assert not any(d.suppressed for d in customer.values())
    assert gaps_are_safe(axes, counts, employee) == []
