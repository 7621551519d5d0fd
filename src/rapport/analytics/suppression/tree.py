"""The suppression algorithm over one hierarchy of groups (internal to ``suppression``).

Why the rule below is exact: the groups of a hierarchy are nested or disjoint (a laminar
family). An attacker who sees some of them can add and subtract what they see; everything
they can derive is a union of *gaps*, where the gap of a visible group is what remains of it
after removing its largest visible sub-groups. So no group of 1..k-1 people can be isolated
exactly when every visible group's gap holds 0 or at least k respondents, and that is the
invariant :meth:`Hierarchy.suppress` establishes. ``docs/confidentiality.md`` has the proof
sketch; ``tests/unit/analytics/test_suppression_properties.py`` checks it against an
independent linear-algebra attacker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

BELOW_THRESHOLD = "below_threshold"
COMPLEMENTARY = "complementary"


@dataclass
class _Node:
    key: str
    n: int
    parent: str | None
    is_cell: bool
    visible: bool  # what the attacker sees: revealed cells, and context groups shown earlier
    children: list[str] = field(default_factory=list)


class Hierarchy:
    """Groups linked to their parents, validated on construction.

    ``cells`` are ``(key, n, parent_key)`` triples to decide; ``context`` are
    ``(key, n, revealed)`` triples for parent groups decided by an earlier call.

    >>> tree = Hierarchy([("u", 12, None), ("u/a", 9, "u"), ("u/b", 3, "u")], [])
    >>> tree.suppress(5)
    {'u/b': 'below_threshold', 'u/a': 'complementary'}
    >>> tree.suppress(3)
    {}
    """

    def __init__(
        self,
        cells: Sequence[tuple[str, int, str | None]],
        context: Sequence[tuple[str, int, bool]],
    ) -> None:
        self._nodes: dict[str, _Node] = {}
        for key, n, revealed in context:
            self._add(_Node(key, n, None, is_cell=False, visible=revealed), "within")
        for key, n, parent in cells:
            self._add(_Node(key, n, parent, is_cell=True, visible=True), "cells")
        for node in self._nodes.values():
            if node.parent is None:
                continue
            if node.parent not in self._nodes:
                raise ValueError(
                    f"cell {node.key!r} names parent {node.parent!r}, which is neither a cell "
                    "nor a decision passed in `within`: pass the parent so that its other "
                    "children and its total can be checked for differencing"
                )
            self._nodes[node.parent].children.append(node.key)
        self._order = self._top_down()
        for node in self._nodes.values():
            node.children.sort()
            total = sum(self._nodes[c].n for c in node.children)
            if total > node.n:
                raise ValueError(
                    f"the children of {node.key!r} add up to {total} respondents but it has "
                    f"{node.n}: children must be disjoint parts of their parent (split a "
                    "group one way per call: by unit, or by one attribute, or by period)"
                )

    def _add(self, node: _Node, source: str) -> None:
        if node.key in self._nodes:
            raise ValueError(f"{source}: key {node.key!r} appears more than once")
        self._nodes[node.key] = node

    def _top_down(self) -> list[str]:
        """Keys with every parent before its children (roots sorted by key)."""
        order = sorted(k for k, node in self._nodes.items() if node.parent is None)
        i = 0
        while i < len(order):
            order.extend(sorted(self._nodes[order[i]].children))
            i += 1
        if len(order) != len(self._nodes):
            stuck = sorted(set(self._nodes) - set(order))
            raise ValueError(f"parent links form a cycle through {stuck}")
        return order

    def suppress(self, k: int) -> dict[str, str]:
        """Hide cells until no visible group has a gap of 1..k-1; return key -> reason.

        Reasons are given in the order the cells were hidden: all primary ones first.
        """
        hidden: dict[str, str] = {}
        for node in self._nodes.values():
            node.visible = node.visible or node.is_cell  # start over if called again
        for key in self._order:
            node = self._nodes[key]
            if node.is_cell and node.n < k:
                self._hide(node, BELOW_THRESHOLD, hidden)
        for key in self._order:
            node = self._nodes[key]
            if not node.is_cell and not node.visible:
                # The parent was hidden by an earlier call, perhaps to protect a group we
                # cannot see from here; any visible part of it would chip away at that.
                for descendant in self._descendants(key):
                    self._hide(self._nodes[descendant], COMPLEMENTARY, hidden)
        changed = True
        while changed:  # one top-down pass suffices; the second proves it is stable
            changed = False
            for key in self._order:
                while self._nodes[key].visible and (victim := self._victim(key, k)):
                    self._hide(self._nodes[victim], COMPLEMENTARY, hidden)
                    changed = True
        return hidden

    def _hide(self, node: _Node, reason: str, hidden: dict[str, str]) -> None:
        if node.is_cell and node.visible:
            node.visible = False
            hidden[node.key] = reason

    def _descendants(self, key: str) -> list[str]:
        found: list[str] = []
        stack = list(self._nodes[key].children)
        while stack:
            child = stack.pop()
            found.append(child)
            stack.extend(self._nodes[child].children)
        return found

    def _frontier(self, key: str) -> list[str]:
        """The largest visible groups strictly inside ``key`` (seen through hidden ones)."""
        found: list[str] = []
        stack = list(self._nodes[key].children)
        while stack:
            child = stack.pop()
            if self._nodes[child].visible:
                found.append(child)
            else:
                stack.extend(self._nodes[child].children)
        return found

    def _victim(self, key: str, k: int) -> str | None:
        """The cell to hide next so that ``key``'s gap grows, or None when it is safe.

        The smallest visible sub-group (by n, then key) goes first. If it is exactly covered
        by visible sub-groups of its own, hiding it widens nothing yet, but the next round
        sees through it and picks among those smaller groups.
        """
        frontier = self._frontier(key)
        gap = self._nodes[key].n - sum(self._nodes[c].n for c in frontier)
        if not 0 < gap < k:
            return None
        candidates = [c for c in frontier if self._nodes[c].n > 0]
        if not candidates:  # nothing to subtract: the "gap" is the group itself
            return None
        return min(candidates, key=lambda c: (self._nodes[c].n, c))
