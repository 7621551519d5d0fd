"""Suppression of grouped metric tables: every line safe, margins as on their own pages."""

from __future__ import annotations

from collections import defaultdict
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.analytics.metrics_results import ALL
from rapport.analytics.metrics_suppression import Axis, suppress_table
from rapport.analytics.suppression import Cell, SuppressionPolicy, suppress

POLICY = SuppressionPolicy()
K = POLICY.min_scores

# acme(1) → north(2) → n1(3), n2(4), n3(5); south(6) → s1(7)
PARENTS = {1: None, 2: 1, 3: 2, 4: 2, 5: 2, 6: 1, 7: 6}


def rolled_up(leaf: dict[tuple, int], parents: dict, tree_at: int | None = 0):
    """n for every key of every margin, from leaf counts (unit rolled up)."""
    counts: dict[tuple, int] = defaultdict(int)
    width = len(next(iter(leaf)))
    for key, n in leaf.items():
        chain = []
        unit = key[tree_at] if tree_at is not None else None
        while unit is not None:
            chain.append(unit)
            unit = parents[unit]
        for kept in product([True, False], repeat=width):
            options = []
            for i, keep in enumerate(kept):
                if not keep:
                    options.append([ALL])
                elif i == tree_at:
                    options.append(chain)
                else:
                    options.append([key[i]])
            for target in product(*options):
                counts[target] += n
    return counts


def test_a_unit_tree_is_decided_exactly_as_the_dashboard_does() -> None:
    leaf = {(3,): 12, (4,): 6, (5,): 2, (7,): 20}
    counts = rolled_up(leaf, PARENTS)
    axis = Axis(tuple(PARENTS), PARENTS)
    decided = suppress_table([axis], lambda k: counts.get(k, 0), POLICY, audience="employee")
    plain = suppress(
        [Cell(str(u), counts.get((u,), 0), None if p is None else str(p)) for u, p in PARENTS.items()],
        POLICY, audience="employee", measure="scores",
    )  # fmt: skip
    for unit in PARENTS:
        assert decided[(unit,)].revealed == plain[str(unit)].revealed, unit
        assert decided[(unit,)].reason == plain[str(unit)].reason, unit
    assert [u for u in PARENTS if decided[(u,)].suppressed] == [4, 5]


def test_customers_pass_through() -> None:
    counts = rolled_up({(3,): 1}, PARENTS)
    decided = suppress_table(
        [Axis(tuple(PARENTS), PARENTS)], lambda k: counts.get(k, 0), POLICY, audience="customer"
    )
    assert not any(d.suppressed for d in decided.values())


def gaps_are_safe(axes, counts, decided) -> list[str]:
    """An independent check: every shown parent's gap over its shown children is 0 or ≥ k."""
    problems = []
    width = len(axes)
    for key, decision in decided.items():
        if decision.suppressed:
            continue
        if decision.n < K:
            problems.append(f"{key} shown with n={decision.n}")
        for i in range(width):
            axis = axes[i]
            if key[i] is ALL:
                below = [v for v in axis.values if axis.parent(v) is None]
            elif axis.parents is not None:
                below = [v for v in axis.values if axis.parent(v) == key[i]]
            else:
                continue
            frontier, stack = [], list(below)
            while stack:  # the largest shown groups under key along axis i
                value = stack.pop()
                child = (*key[:i], value, *key[i + 1 :])
                if child in decided and decided[child].revealed:
                    frontier.append(child)
                elif axis.parents is not None:
                    stack.extend(v for v in axis.values if axis.parent(v) == value)
            gap = counts.get(key, 0) - sum(counts.get(c, 0) for c in frontier)
            if 0 < gap < K:
                problems.append(f"{key} along axis {i}: gap {gap}")
    return problems


@st.composite
def tables(draw):
    size = draw(st.integers(2, 7))
    parents = {1: None}
    for unit in range(2, size + 1):
        parents[unit] = draw(st.integers(1, unit - 1))
    values = draw(st.integers(1, 4))
    leaf = {}
    for unit in parents:
        for value in range(values):
            n = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 14]))
            if n:
                leaf[(unit, f"m{value}")] = n
    if not leaf:
        leaf[(1, "m0")] = 1
    return parents, [f"m{v}" for v in range(values)], leaf


@settings(max_examples=150, deadline=None)
@given(tables())
def test_unit_by_period_tables_leave_no_small_gap(table) -> None:
    parents, periods, leaf = table
    counts = rolled_up(leaf, parents)
    axes = [Axis(tuple(parents), parents), Axis(tuple(periods))]
    decided = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="employee")
    assert gaps_are_safe(axes, counts, decided) == []
    # The unit margin is exactly what the by-unit page decides on its own.
    alone = suppress_table(
        [axes[0]], lambda k: counts.get((*k, ALL), 0), POLICY, audience="employee"
    )
    for (unit,), decision in alone.items():
        assert decided[(unit, ALL)].revealed == decision.revealed


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=6))
def test_a_flat_breakdown_against_its_total(sizes) -> None:
    counts = {(ALL,): sum(sizes)} | {(f"v{i}",): n for i, n in enumerate(sizes)}
    axes = [Axis(tuple(f"v{i}" for i in range(len(sizes))))]
    decided = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="employee")
    assert gaps_are_safe(axes, counts, decided) == []
    hidden = [
        n for (v,), d in decided.items() if v is not ALL and d.suppressed for n in [counts[(v,)]]
    ]
    assert all(
        n >= K for (v,), d in decided.items() if v is not ALL and d.revealed for n in [counts[(v,)]]
    )
    assert sum(hidden) == 0 or sum(hidden) >= K or decided[(ALL,)].suppressed
