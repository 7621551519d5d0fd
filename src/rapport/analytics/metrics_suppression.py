"""Suppression of a grouped metric table: every line of the table through :func:`suppress`.

A table grouped by unit and by flat dimensions (period, attribute, survey version) is a
grid. Every dimension is treated as a tree under a virtual total ``ALL``: the unit tree,
or a flat list of values. For every set ``S`` of dimensions, smallest first, the cells that
vary over ``S`` (the others summed, i.e. ``ALL``) are decided *line by line*: a line varies
one dimension of ``S`` with the others fixed, and its parent is the cell with that
dimension summed, which was decided at the level below. So

- the by-unit table is the plain unit tree (the same decisions as the dashboard);
- a unit × month table keeps, for every month, the unit tree safe (a region's month minus
  its stores' months is checked) and, for every unit, its months safe against the unit's
  total (a year minus eleven shown months is checked), repeating until both hold at once;
- margins are decided first and never changed by a finer table, so every page showing the
  same margin agrees with every other (the rule of ``docs/confidentiality.md``).

A cell hidden on one line is hidden on all: it is left out of the other lines, so its
respondents count in its parent's gap there (looking through it, as :func:`suppress` does).
This makes every line safe on its own; an exact audit of a whole 2-D table against an
attacker combining lines is a known gap of ``docs/confidentiality.md``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import combinations, product
from typing import Any

from rapport.analytics.metrics import Dimension
from rapport.analytics.metrics_results import ALL, Key, MetricTable
from rapport.analytics.suppression import (
    Cell,
    Decision,
    Measure,
    SuppressionPolicy,
    SuppressionReason,
    suppress,
)
from rapport.domain.org import PersonKind


@dataclass(frozen=True)
class Axis:
    """One dimension of the table: its values and, for the unit tree, their parents.

    A value whose parent is ``None`` (or missing) hangs directly under the total.
    """

    values: tuple[Hashable, ...]
    parents: Mapping[Hashable, Hashable | None] | None = None

    def parent(self, value: Hashable) -> Hashable | None:
        return None if self.parents is None else self.parents.get(value)


def suppress_table(
    axes: Sequence[Axis],
    count: Callable[[Key], int],
    policy: SuppressionPolicy,
    *,
    audience: PersonKind | str,
    measure: Measure | str = Measure.SCORES,
) -> dict[Key, Decision]:
    """Decisions for every cell of the full table (all axes concrete), margins included.

    ``count(key)`` gives the respondents of any cell, with ``ALL`` in summed positions.
    Customer tables come back all revealed (the policy does not protect them).

    >>> axis = Axis(("a", "b"))
    >>> n = {(ALL,): 12, ("a",): 9, ("b",): 3}
    >>> d = suppress_table([axis], n.__getitem__, SuppressionPolicy(), audience="employee")
    >>> sorted((k[0], str(v.reason)) for k, v in d.items() if v.suppressed and k[0] is not ALL)
    [('a', 'complementary'), ('b', 'below_threshold')]
    """
    who, what = PersonKind(audience), Measure(measure)
    width = len(axes)
    top = (ALL,) * width
    decisions = suppress([Cell(_name(top), count(top))], policy, audience=who, measure=what)
    by_key: dict[Key, Decision] = {top: decisions[_name(top)]}
    for size in range(1, width + 1):
        for level in combinations(range(width), size):
            by_key.update(_decide_level(axes, level, count, by_key, policy, who, what))
    return by_key


def _decide_level(
    axes: Sequence[Axis],
    level: tuple[int, ...],
    count: Callable[[Key], int],
    decided: Mapping[Key, Decision],
    policy: SuppressionPolicy,
    audience: PersonKind,
    measure: Measure,
) -> dict[Key, Decision]:
    choices = [axes[i].values if i in level else (ALL,) for i in range(len(axes))]
    cells = [tuple(k) for k in product(*choices)]
    threshold = policy.threshold(measure)
    hidden: dict[Key, SuppressionReason] = {}
    changed = True
    while changed:
        changed = False
        for axis_at in level:
            lines: dict[Key, list[Key]] = defaultdict(list)
            for key in cells:
                lines[_replace(key, axis_at, ALL)].append(key)
            for context_key, members in lines.items():
                found = _decide_line(
                    axes[axis_at], axis_at, context_key, members, hidden, count,
                    decided[context_key], policy, audience, measure,
                )  # fmt: skip
                for key, reason in found.items():
                    if key not in hidden:
                        hidden[key] = reason
                        changed = True
    out = {}
    for key in cells:
        n = count(key)
        why: SuppressionReason | None = hidden.get(key)
        if why is not None and n < threshold:
            why = SuppressionReason.BELOW_THRESHOLD
        out[key] = Decision(_name(key), n, why is None, why, measure, audience)
    return out


def _decide_line(
    axis: Axis,
    axis_at: int,
    context_key: Key,
    members: list[Key],
    hidden: Mapping[Key, SuppressionReason],
    count: Callable[[Key], int],
    context: Decision,
    policy: SuppressionPolicy,
    audience: PersonKind,
    measure: Measure,
) -> dict[Key, SuppressionReason]:
    """One line through :func:`suppress`; cells hidden elsewhere are looked through."""
    visible = {key[axis_at]: key for key in members if key not in hidden}
    cells = []
    for value, key in visible.items():
        parent = axis.parent(value)
        while parent is not None and parent not in visible:
            parent = axis.parent(parent)
        parent_key = context_key if parent is None else visible[parent]
        cells.append(Cell(_name(key), count(key), _name(parent_key)))
    decisions = suppress(cells, policy, audience=audience, measure=measure, within=[context])
    by_name = {_name(key): key for key in visible.values()}
    return {
        by_name[name]: d.reason or SuppressionReason.COMPLEMENTARY
        for name, d in decisions.items()
        if d.suppressed
    }


def _replace(key: Key, at: int, value: Hashable) -> Key:
    return (*key[:at], value, *key[at + 1 :])


def _name(key: Key) -> str:
    """A stable, unique text key for :class:`Cell`."""
    return json.dumps(["*" if v is ALL else [type(v).__name__, str(v)] for v in key])


def decide_table(
    table: MetricTable,
    audience: str | None,
    policy: SuppressionPolicy,
    measure: Measure | str = Measure.SCORES,
) -> dict[Key, Decision]:
    """Suppression decisions for every row of a metric table (none when unprotected).

    Audiences are never mixed in one group: with an audience dimension each audience's
    slice is decided on its own (customers pass through); otherwise ``audience`` is the
    table's one audience. Cell counts are the table's margins, the unit tree rolled up.
    """
    by = table.query.grouping.by
    audience_at = table.query.grouping.position(Dimension.AUDIENCE)
    slices = (
        [(audience, None)]
        if audience_at is None
        else [(str(a), a) for a in table.values(audience_at)]
    )
    positions = [i for i in range(len(by)) if i != audience_at]
    axes = [_axis(table, i) for i in positions]
    cache: dict[tuple[bool, ...], dict[Key, int]] = {}

    def full(key: Key, value: Hashable) -> Key:
        out: list[Any] = list(key)
        if audience_at is not None:
            out.insert(audience_at, value)
        return tuple(out)

    out: dict[Key, Decision] = {}
    for who, value in slices:
        if who is None or not policy.protects(who):
            continue
        count = _counter(table, cache, partial(full, value=value))
        decided = suppress_table(axes, count, policy, audience=who, measure=measure)
        for key, decision in decided.items():
            if all(v is not ALL for v in key):
                out[full(key, value)] = decision
    return out


def _counter(
    table: MetricTable, cache: dict[tuple[bool, ...], dict[Key, int]], widen: Callable[[Key], Key]
) -> Callable[[Key], int]:
    def count(key: Key) -> int:
        whole = widen(key)
        kept = tuple(v is not ALL for v in whole)
        if kept not in cache:
            cache[kept] = table.counts(kept)
        return cache[kept].get(whole, 0)

    return count


def _axis(table: MetricTable, position: int) -> Axis:
    values = tuple(table.values(position))
    if table.query.grouping.by[position] is Dimension.UNIT:
        return Axis(values, {u.id: u.parent_id for u in table.units.values()})
    return Axis(values)
