"""Suppression of grouped metric tables: every line safe, margins as on their own pages."""

from __future__ import annotations

from collections import defaultdict
from itertools import product
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics._attacker import small_derivable_sets

from rapport.analytics.metrics import suppression as metrics_suppression
from rapport.analytics.metrics.results import ALL
from rapport.analytics.metrics.suppression import Axis, suppress_table
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


def table_breaches(
    leaf: dict[tuple, int], parents: dict, shown: set[tuple], k: int = K
) -> list[str]:
    """The exact linear attacker on a unit × flat-dimension table: atoms are the leaf cells
    (a unit's own respondents with one value), a shown cell is the atoms it sums."""

    def within(unit, ancestor) -> bool:
        while unit is not None:
            if unit == ancestor:
                return True
            unit = parents[unit]
        return False

    def contains(key: tuple, atom: tuple) -> bool:
        unit, *rest = key
        atom_unit, *atom_rest = atom
        if unit is not ALL and not within(atom_unit, unit):
            return False
        return all(v is ALL or v == a for v, a in zip(rest, atom_rest, strict=True))

    sizes = {str(atom): n for atom, n in leaf.items() if n > 0}
    groups = [{str(a) for a in leaf if leaf[a] > 0 and contains(key, a)} for key in shown]
    return small_derivable_sets(sizes, groups, k)


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


def decide(parents, leaf, axes, measure="scores"):
    """The table's decisions and what the attacker obtains beyond its margins."""
    counts = rolled_up(leaf, parents)
    decided = suppress_table(
        axes, lambda k: counts.get(k, 0), POLICY, audience="employee", measure=measure
    )
    k = POLICY.threshold(measure)
    shown = {key for key, d in decided.items() if d.revealed}
    margins = {key for key in shown if ALL in key}
    beyond = set(table_breaches(leaf, parents, shown, k)) - set(
        table_breaches(leaf, parents, margins, k)
    )
    return counts, decided, beyond


@settings(max_examples=150, deadline=None)
@given(tables())
def test_unit_by_period_tables_leave_no_small_gap(table) -> None:
    parents, periods, leaf = table
    axes = [Axis(tuple(parents), parents), Axis(tuple(periods))]
    counts, decided, beyond = decide(parents, leaf, axes)
    assert gaps_are_safe(axes, counts, decided) == []
    # Combining lines gives the attacker nothing the margins alone do not already give.
    assert beyond == set()
    # The unit margin is exactly what the by-unit page decides on its own.
    alone = suppress_table(
        [axes[0]], lambda k: counts.get((*k, ALL), 0), POLICY, audience="employee"
    )
    for (unit,), decision in alone.items():
        assert decided[(unit, ALL)].revealed == decision.revealed


@st.composite
def cubes(draw):
    """Unit × period × attribute tables: up to 4 units, 2 × 2 values."""
    size = draw(st.integers(2, 4))
    parents = {1: None} | {u: draw(st.integers(1, u - 1)) for u in range(2, size + 1)}
    leaf = {}
    for unit, period, value in product(parents, ("p0", "p1"), ("a", "b")):
        n = draw(st.sampled_from([0, 0, 1, 2, 3, 6, 9]))
        if n:
            leaf[(unit, period, value)] = n
    return parents, leaf or {(1, "p0", "a"): 1}


@settings(max_examples=80, deadline=None)
@given(cubes())
def test_three_way_tables_give_nothing_beyond_their_margins(cube) -> None:
    parents, leaf = cube
    axes = [Axis(tuple(parents), parents), Axis(("p0", "p1")), Axis(("a", "b"))]
    # Its margins are the two-way tables (unit × period, unit × attribute, period ×
    # attribute), each audited against its own margins. Two of them together are two
    # breakdowns of one population, the gap of docs/confidentiality.md that the three-way
    # table cannot close; it must add nothing to it.
    assert decide(parents, leaf, axes)[2] == set()


@settings(max_examples=60, deadline=None)
@given(tables())
def test_the_solver_finds_what_the_listing_finds(table) -> None:
    """With no budget for listing small sets, every round asks the MILP solver instead."""
    parents, periods, leaf = table
    axes = [Axis(tuple(parents), parents), Axis(tuple(periods))]
    with patch.object(metrics_suppression, "AUDIT_BUDGET", 0):
        counts, decided, beyond = decide(parents, leaf, axes)
    assert gaps_are_safe(axes, counts, decided) == []
    assert beyond == set()


@settings(max_examples=60, deadline=None)
@given(tables())
def test_comment_tables_are_audited_at_the_comment_threshold(table) -> None:
    parents, periods, leaf = table
    axes = [Axis(tuple(parents), parents), Axis(tuple(periods))]
    counts, decided, beyond = decide(parents, leaf, axes, measure="comments")
    assert all(counts.get(key, 0) >= 10 for key, d in decided.items() if d.revealed)
    assert beyond == set()


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


def test_a_complement_hidden_on_one_line_is_not_given_away_by_another() -> None:
    """The two-dimensional leak of docs/confidentiality.md: S2 has 20 cashiers and 2 others.
    On S2's line the 2 are hidden and so are S2's 20 cashiers (else S2 - cashiers = 2). On the
    cashier line, region|cashier - S1|cashier would still give S2's cashiers, and S2's total
    minus them the 2 others: another cashier cell must go too."""
    parents = {1: None, 2: 1, 3: 2, 4: 2}  # acme → region → S1, S2
    leaf = {(3, "cashier"): 20, (3, "other"): 20, (4, "cashier"): 20, (4, "other"): 2}
    counts = rolled_up(leaf, parents)
    axes = [Axis(tuple(parents), parents), Axis(("cashier", "other"))]
    decided = suppress_table(axes, lambda k: counts.get(k, 0), POLICY, audience="employee")
    shown = {key for key, d in decided.items() if d.revealed}
    assert (4, ALL) in shown and (4, "other") not in shown and (4, "cashier") not in shown
    assert table_breaches(leaf, parents, shown) == []
    assert gaps_are_safe(axes, counts, decided) == []


def test_an_audit_out_of_rounds_or_room_shows_the_margins_only() -> None:
    """Past its work budget, or on a table too large for it, the audit hides every cell of
    the level: a subset of what a finished audit shows, so a cut-short audit never reveals
    more."""
    parents = {1: None, 2: 1, 3: 2, 4: 2}
    leaf = {(3, "cashier"): 20, (3, "other"): 20, (4, "cashier"): 20, (4, "other"): 2}
    axes = [Axis(tuple(parents), parents), Axis(("cashier", "other"))]
    _, finished, _ = decide(parents, leaf, axes)
    for setting, value in (("AUDIT_ROUNDS", 0), ("AUDIT_MAX_ENTRIES", 10)):
        with patch.object(metrics_suppression, setting, value):
            _, late, beyond = decide(parents, leaf, axes)
        assert beyond == set()
        shown_late = {key for key, d in late.items() if d.revealed}
        assert shown_late == {key for key, d in finished.items() if d.revealed and ALL in key}
        assert {key for key, d in finished.items() if d.revealed} > shown_late


def test_decisions_are_identical_under_a_slow_clock() -> None:
    """The same data give the same shown cells whatever the load: with every clock jumping
    a thousand seconds per reading, listing and solver paths decide exactly as before."""
    import itertools
    import random

    rng = random.Random(5)
    parents = {1: None, 2: 1, 3: 1, **{10 + i: 2 + i % 2 for i in range(8)}}
    leaf = {(u, v): rng.randrange(0, 9) for u in range(10, 18) for v in "abcd"}
    axes = [Axis(tuple(parents), parents), Axis(tuple("abcd"))]
    for budget in (metrics_suppression.AUDIT_BUDGET, 0):  # 0: every search goes to the solver
        with patch.object(metrics_suppression, "AUDIT_BUDGET", budget):
            _, calm, _ = decide(parents, leaf, axes)
            ticks = itertools.count(step=1000.0)

            def slow(ticks: itertools.count[float] = ticks) -> float:
                return float(next(ticks))

            with (
                patch("time.monotonic", slow),
                patch("time.perf_counter", slow),
                patch("time.time", slow),
            ):
                _, loaded, _ = decide(parents, leaf, axes)
        assert {k: d.revealed for k, d in loaded.items()} == {
            k: d.revealed for k, d in calm.items()
        }
        assert sum(d.revealed for d in calm.values()) > len(parents)  # not margins only
