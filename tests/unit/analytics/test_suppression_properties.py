"""Property tests: play the attacker against what ``suppress`` reveals.

Random unit trees (up to three levels of units, 0-30 respondents attached to each unit
itself) get random attribute filters under their leaf units (one filtered slice, or a set of
bands, each a disjoint part of the unit). The attackers below know nothing about gaps or
frontiers; they only see the revealed groups and their respondent counts:

* ``differencing_breaches`` subtracts every subset of revealed children from a revealed
  parent (a filtered slice is a child of its unfiltered unit), the attack the issue names;
* ``linear_breaches`` is the strongest attacker of this model: it treats each group as the
  set of indivisible "atoms" it contains (each unit's own respondents, each slice) and finds
  every set of atoms with 1..k-1 respondents whose total is *any* linear combination of the
  revealed totals, across levels and across calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics._attacker import small_derivable_sets

from rapport.analytics.suppression import (
    Cell,
    Decision,
    SuppressionPolicy,
    SuppressionReason,
    suppress,
)

EXAMPLES = settings(max_examples=150, derandomize=True, deadline=None, database=None)


@dataclass
class Node:
    key: str
    own: int  # respondents attached to this group and to none of its children
    parent: str | None
    children: list[str] = field(default_factory=list)


Tree = dict[str, Node]

counts = st.one_of(st.integers(0, 6), st.integers(0, 30))


@st.composite
def unit_trees(draw: st.DrawFn, max_depth: int = 3) -> Tree:
    """One or two root units, up to ``max_depth`` levels, filters/bands under leaf units."""
    tree: Tree = {}

    def grow(key: str, parent: str | None, depth: int) -> None:
        tree[key] = Node(key, draw(counts), parent)
        if parent is not None:
            tree[parent].children.append(key)
        width = draw(st.integers(0, 3)) if depth < max_depth else 0
        for i in range(width):
            grow(f"{key}/{i}", key, depth + 1)
        if width == 0 and draw(st.booleans()):  # attribute filter or bands on a leaf unit
            for value in range(draw(st.integers(1, 3))):
                band = f"{key}?attr={value}"
                tree[band] = Node(band, draw(counts), key)
                tree[key].children.append(band)

    for r in range(draw(st.integers(1, 2))):
        grow(f"r{r}", None, 1)
    return tree


def total(tree: Tree, key: str) -> int:
    return tree[key].own + sum(total(tree, c) for c in tree[key].children)


def cells_of(tree: Tree, keys: list[str] | None = None) -> list[Cell]:
    chosen = list(tree) if keys is None else keys
    return [Cell(k, total(tree, k), tree[k].parent) for k in chosen]


def atoms_under(tree: Tree, key: str) -> set[str]:
    found = {key} if tree[key].own > 0 else set()
    for child in tree[key].children:
        found |= atoms_under(tree, child)
    return found


# --- attackers (independent of the suppression code) ---------------------------------------


def differencing_breaches(tree: Tree, visible: set[str], k: int) -> list[str]:
    """Revealed parent minus any subset of its revealed children: a group of 1..k-1?"""
    found = []
    for parent in visible:
        shown = [c for c in tree[parent].children if c in visible]
        for size in range(1, len(shown) + 1):
            for subset in combinations(shown, size):
                rest = total(tree, parent) - sum(total(tree, c) for c in subset)
                if 0 < rest < k:
                    found.append(f"{parent} - {subset} = {rest}")
    return found


def linear_breaches(tree: Tree, visible: set[str], k: int) -> list[str]:
    """Every set of atoms with 1..k-1 respondents whose total the attacker can compute.

    A 0/1 vector is a linear combination of the revealed groups' vectors exactly when it is
    orthogonal to the kernel of the matrix they form; sets are enumerated smallest first and
    pruned at k respondents.
    """
    sizes = {key: tree[key].own for key in tree if tree[key].own > 0}
    return small_derivable_sets(sizes, [atoms_under(tree, group) for group in visible], k)


def visible_keys(decisions: dict[str, Decision]) -> set[str]:
    return {key for key, d in decisions.items() if d.revealed}


# --- properties -----------------------------------------------------------------------------


@EXAMPLES
@given(tree=unit_trees(), k=st.sampled_from([3, 5, 7]))
def test_no_small_group_can_be_derived_from_one_hierarchy(tree: Tree, k: int) -> None:
    policy = SuppressionPolicy(min_scores=k, min_comments=max(k, 10))
    decisions = suppress(cells_of(tree), policy, audience="employee", measure="scores")
    shown = visible_keys(decisions)
    assert all(total(tree, key) >= k for key in shown)
    assert differencing_breaches(tree, shown, k) == []
    assert linear_breaches(tree, shown, k) == []


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(tree=unit_trees(max_depth=2))
def test_comments_are_protected_at_their_own_threshold(tree: Tree) -> None:
    policy = SuppressionPolicy()
    decisions = suppress(cells_of(tree), policy, audience="employee", measure="comments")
    shown = visible_keys(decisions)
    assert all(total(tree, key) >= 10 for key in shown)
    assert linear_breaches(tree, shown, 10) == []


@EXAMPLES
@given(tree=unit_trees(), data=st.data())
def test_a_breakdown_in_a_second_call_leaks_nothing_combined(
    tree: Tree, data: st.DataObject
) -> None:
    """Bands of a leaf unit decided later, ``within`` the unit's decision from the tree."""
    policy = SuppressionPolicy()
    banded = sorted(k for k in tree if "?" not in k and any("?" in c for c in tree[k].children))
    if not banded:
        return
    unit = data.draw(st.sampled_from(banded))
    bands = list(tree[unit].children)
    first = [k for k in tree if k not in bands]
    trimmed = {k: n for k, n in tree.items() if k not in bands}
    trimmed[unit] = Node(unit, total(tree, unit), tree[unit].parent)  # a leaf in call one
    units = suppress(cells_of(trimmed, first), policy, audience="employee", measure="scores")
    slices = suppress(
        cells_of(tree, bands),
        policy,
        audience="employee",
        measure="scores",
        within=[units[unit]],
    )
    shown = visible_keys(units) | visible_keys(slices)
    assert linear_breaches(tree, shown, 5) == []
    if units[unit].suppressed:
        assert not visible_keys(slices)


@EXAMPLES
@given(tree=unit_trees())
def test_nothing_is_hidden_without_need(tree: Tree) -> None:
    """If hiding only the small groups is already safe, no group is hidden as a complement."""
    policy = SuppressionPolicy()
    primary_only = {key for key in tree if total(tree, key) >= 5}
    decisions = suppress(cells_of(tree), policy, audience="employee", measure="scores")
    reasons = {d.reason for d in decisions.values()}
    if not linear_breaches(tree, primary_only, 5):
        assert SuppressionReason.COMPLEMENTARY not in reasons
        assert visible_keys(decisions) == primary_only


@EXAMPLES
@given(tree=unit_trees(), data=st.data())
def test_decisions_do_not_depend_on_input_order(tree: Tree, data: st.DataObject) -> None:
    policy = SuppressionPolicy()
    cells = cells_of(tree)
    shuffled = data.draw(st.permutations(cells))
    first = suppress(cells, policy, audience="employee", measure="scores")
    second = suppress(shuffled, policy, audience="employee", measure="scores")
    assert first == second
    assert list(second) == [c.key for c in shuffled]


@EXAMPLES
@given(tree=unit_trees())
def test_primary_reason_is_exactly_below_threshold(tree: Tree) -> None:
    decisions = suppress(cells_of(tree), SuppressionPolicy(), audience="employee", measure="scores")
    for key, decision in decisions.items():
        small = total(tree, key) < 5
        assert (decision.reason is SuppressionReason.BELOW_THRESHOLD) == small


@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(tree=unit_trees())
def test_customer_groups_pass_through(tree: Tree) -> None:
    decisions = suppress(cells_of(tree), SuppressionPolicy(), audience="customer", measure="scores")
    assert all(d.revealed and d.reason is None for d in decisions.values())


def test_the_linear_attacker_finds_what_differencing_finds() -> None:
    """Guard against a toothless attacker: it must catch the textbook leak."""
    tree: Tree = {
        "u": Node("u", 0, None, ["u/a", "u/b"]),
        "u/a": Node("u/a", 10, "u"),
        "u/b": Node("u/b", 2, "u"),
    }
    assert differencing_breaches(tree, {"u", "u/a"}, 5) == ["u - ('u/a',) = 2"]
    assert linear_breaches(tree, {"u", "u/a"}, 5) == ["['u/b'] (2 respondents)"]
    assert linear_breaches(tree, {"u"}, 5) == []
