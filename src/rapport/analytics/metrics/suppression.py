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
This makes every line safe on its own. Lines can still be combined: with a store's 20
cashiers hidden because it has only 2 other employees, the region's cashiers minus the
other stores' cashiers give the 20, and the store's total minus them the 2. So every level
of two or more dimensions is then audited as a whole (:class:`_Audit`): no set of atoms with
1..k-1 respondents may be a linear combination of the shown cells, unless the margins alone
already give it away (two breakdowns of one population, a known gap of
``docs/confidentiality.md`` that a finer table cannot close). While one is, another cell of
the level is hidden and the lines are decided again.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import combinations, product
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from rapport.analytics.metrics import Dimension
from rapport.analytics.metrics.results import ALL, Key, MetricTable
from rapport.analytics.suppression import (
    Cell,
    Decision,
    Measure,
    SuppressionPolicy,
    SuppressionReason,
    cache,
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
    cache_key = _level_key(axes, level, count, threshold, audience, measure)
    hidden = cache.LEVELS.get(cache_key)
    if hidden is None:
        hidden = _hide_in_level(
            axes, level, cells, count, decided, policy, audience, measure
        )  # fmt: skip
        cache.LEVELS.put(cache_key, dict(hidden), entries=len(hidden))
    out = {}
    for key in cells:
        n = count(key)
        why: SuppressionReason | None = hidden.get(key)
        if why is not None and n < threshold:
            why = SuppressionReason.BELOW_THRESHOLD
        out[key] = Decision(_name(key), n, why is None, why, measure, audience)
    return out


def _level_key(
    axes: Sequence[Axis],
    level: tuple[int, ...],
    count: Callable[[Key], int],
    threshold: int,
    audience: PersonKind,
    measure: Measure,
) -> bytes:
    """The content key of a level's decisions: exactly what they depend on, hashed.

    The level's axes (values, and parents for the unit tree), the respondents of every
    cell of the level and of every margin below it, the threshold, audience and measure,
    the audit's work budgets and the version of the algorithm. Margins' decisions are
    functions of these too.
    """
    budgets = (
        AUDIT_BUDGET, AUDIT_MAX_ENTRIES, AUDIT_SPLIT_ENTRIES, AUDIT_ROUNDS, AUDIT_SOLVER_NODES,
        AUDIT_SOLVES,
    )  # fmt: skip
    parts: list[object] = [AUDIT_VERSION, budgets, threshold, audience, measure, len(axes), level]
    for i in level:
        axis = axes[i]
        parts.append(len(axis.values))
        for value in axis.values:
            parts.extend((value, axis.parent(value)))
    choices = [(*axes[i].values, ALL) if i in level else (ALL,) for i in range(len(axes))]
    counts = np.fromiter((count(tuple(k)) for k in product(*choices)), dtype=np.int64)
    parts.append(counts.tobytes())
    return cache.content_key(parts)


def _hide_in_level(
    axes: Sequence[Axis],
    level: tuple[int, ...],
    cells: list[Key],
    count: Callable[[Key], int],
    decided: Mapping[Key, Decision],
    policy: SuppressionPolicy,
    audience: PersonKind,
    measure: Measure,
) -> dict[Key, SuppressionReason]:
    """The cells of one level to hide, and why: line by line, then the level's audit."""
    threshold = policy.threshold(measure)
    hidden: dict[Key, SuppressionReason] = {}
    audit: _Audit | _RegionAudit | None = None
    if len(level) > 1 and policy.protects(audience):
        audit = _Audit(axes, level, count, decided, threshold)
        split = min(AUDIT_SPLIT_ENTRIES, AUDIT_MAX_ENTRIES)
        if audit.entries(len(cells)) > split and _RegionAudit.applies(axes, level):
            audit = _RegionAudit(axes, level, count, decided, threshold)
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
        if not changed and audit is not None:
            for key in audit.cells_to_hide([key for key in cells if key not in hidden]):
                hidden[key] = SuppressionReason.COMPLEMENTARY
                changed = True
    return hidden


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


_REST: Final = "\x00rest"  # an axis's respondents in none of its values (or a unit's own)
_TOLERANCE: Final = 1e-6
AUDIT_BUDGET: Final = 20_000
"""Sets of small atoms the audit lists per round; beyond it, it asks a solver for one."""
AUDIT_MAX_ENTRIES: Final = 4_000_000
"""Cells × atoms the audit's matrix may hold (2,000 × 2,000: 32 MB, an SVD of about 3 s);
a larger level shows its margins only (e.g. about 150 units × 12 months)."""
AUDIT_SPLIT_ENTRIES: Final = AUDIT_MAX_ENTRIES
"""A unit × one-axis level larger than this (or than ``AUDIT_MAX_ENTRIES``) is audited
region by region (:class:`_RegionAudit`); each part must then fit ``AUDIT_MAX_ENTRIES``."""
AUDIT_ROUNDS: Final = 200
"""Rounds of hiding one level's audit may take (each a rank decomposition of the shown
cells); past them the level shows its margins only (a subset of what any finished audit
shows). Budgets count work, never seconds: the same data and query give the same cells
whatever the machine's load."""
AUDIT_SOLVER_NODES: Final = 2_000
"""Branch-and-bound nodes per solver call (HiGHS ``node_limit``), instead of a time limit."""
AUDIT_VERSION: Final = 2
"""Part of every cached decision's key: bump it when the rule or the audit changes."""
AUDIT_FOUND: Final = 10
AUDIT_SOLVES: Final = 50
"""Solver calls per round (each excludes a set the margins give away); beyond them, or if
the solver gives no answer, the table shows its margins only."""


class _Audit:
    """The exact linear attacker of a table level, run by :func:`_decide_level`.

    Atoms are the indivisible groups of the level: per axis, a unit's own respondents (not
    in any of its children) or one value, or the respondents in none of the values. A cell
    is the set of atoms it sums. The attacker sees every shown cell of the level and of the
    levels below it (the margins) and forms any linear combination of their totals. A set
    of atoms is obtained exactly when its 0/1 vector is orthogonal to the kernel of the
    matrix of shown cells; sets of 1..k-1 respondents are enumerated smallest atoms first,
    pruned at k. Sets the margins alone already give away are not this table's doing
    (``docs/confidentiality.md``: two breakdowns of one population) and are left alone.
    """

    def __init__(
        self,
        axes: Sequence[Axis],
        level: tuple[int, ...],
        count: Callable[[Key], int],
        decided: Mapping[Key, Decision],
        threshold: int,
        *,
        tolerated: Callable[[Key], bool] | None = None,
        known: Sequence[Key] = (),
        no_rest: Sequence[int] = (),
        not_small: Callable[[Key], bool] | None = None,
    ):
        """``tolerated`` picks the margins whose give-aways are not this table's doing
        (default: every shown margin); ``known`` are cells the attacker is assumed to know
        whether shown or not (never hidden by this audit); ``no_rest`` are axes without a
        rest atom; atoms ``not_small`` are never part of a small set (whole regions seen
        as one atom by :class:`_RegionAudit`)."""
        self.axes, self.count, self.threshold = axes, count, threshold
        per_axis = [
            (*axes[i].values, *(() if i in no_rest else (_REST,))) if i in level else (ALL,)
            for i in range(len(axes))
        ]
        sized = ((atom, self._atom_count(atom)) for atom in product(*per_axis))
        atoms = sorted(((n, _name(atom), atom) for atom, n in sized if n > 0))
        self.sizes = [n for n, _, _ in atoms]
        self.atoms = [atom for _, _, atom in atoms]
        self.search_sizes = [
            max(n, threshold) if not_small is not None and not_small(atom) else n
            for n, atom in zip(self.sizes, self.atoms, strict=True)
        ]
        self._vectors: dict[Key, npt.NDArray[np.bool_]] = {}
        self._listing_too_large = False
        self._rounds = 0
        self._axis_masks: dict[int, dict[Hashable, npt.NDArray[np.bool_]]] = {}
        below = [
            key for key in decided if all(key[i] is ALL for i in range(len(axes)) if i not in level)
        ]
        self.shown_below = [
            key for key in below if decided[key].revealed and (tolerated is None or tolerated(key))
        ]
        self.known = list(known)
        self.extra: npt.NDArray[np.float64] = np.zeros((0, len(self.atoms)))
        """Further rows the attacker knows (combinations of cells outside this audit)."""
        self.unfixable = False
        """A small set was found that no cell of this audit takes part in."""
        self.gave_up = False
        """The audit could not finish (size or budgets): it hid every shown cell."""
        self._below_basis: _Basis | None = None  # built when first needed (an SVD)
        self._fixed_basis: _Basis | None = None

    def entries(self, shown: int) -> int:
        """Matrix entries a round over ``shown`` cells of this level needs (the size check)."""
        rows = len(self.shown_below) + len(self.known) + int(self.extra.shape[0]) + shown
        return rows * len(self.atoms)

    @property
    def _below(self) -> _Basis:
        """The margins' row space. Built on first use, after the size check: a level too
        large to audit never pays for its decomposition."""
        if self._below_basis is None:
            self._below_basis = _Basis(self._matrix(self.shown_below))
        return self._below_basis

    @property
    def _fixed(self) -> _Basis:
        """What the attacker has without this audit's cells: margins, known cells, rows."""
        if self._fixed_basis is None:
            fixed = self._matrix([*self.shown_below, *self.known])
            self._fixed_basis = _Basis(np.vstack([fixed, self.extra]))
        return self._fixed_basis

    def cells_to_hide(self, shown: list[Key]) -> list[Key]:
        """For every set of 1..k-1 respondents the shown cells give away, the smallest shown
        cell of this level used to obtain it; every shown cell if the search is too large
        to finish; none if the table is safe."""
        if not shown and not self.known and not self.extra.size:
            return []
        self._rounds += 1
        if self._rounds > AUDIT_ROUNDS or self.entries(len(shown)) > AUDIT_MAX_ENTRIES:
            self.gave_up = True
            return shown
        fixed_rows = len(self.shown_below) + len(self.known)
        matrix = self._matrix([*self.shown_below, *self.known])
        basis = _Basis(np.vstack([matrix, self.extra, self._matrix(shown)]))
        exposed = None if self._listing_too_large else self._exposed(basis)
        if exposed is None:  # too many small sets to list: ask a solver for some
            self._listing_too_large = True
            exposed = self._solve_exposed(basis)
        if exposed is None:
            self.gave_up = True
            return shown
        picks: set[Key] = set()
        skip = fixed_rows + self.extra.shape[0]
        essential = basis.essential()[skip:]
        for found in exposed:
            target = self._indicator(found)
            if self.shown_below and self._below.spans(target):
                continue  # the margins alone give it away: not this table's doing
            if (self.known or self.extra.size) and self._fixed.spans(target):
                self.unfixable = True  # no cell of this audit takes part: the caller decides
                continue
            weights = basis.weights(target)[skip:]
            used = [
                (not needed, self.count(key), _name(key), key)
                for key, w, needed in zip(shown, weights, essential, strict=True)
                if abs(w) > _TOLERANCE
            ]
            # A row that no other combination of rows can replace takes the set away for
            # sure; hiding a replaceable one changes nothing until its stand-ins go too.
            if used:
                picks.add(min(used)[-1])
        return sorted(picks, key=_name)

    def _indicator(self, atoms: frozenset[int]) -> npt.NDArray[np.float64]:
        """A set of atoms (indices) as a 0/1 vector."""
        vector = np.zeros(len(self.atoms))
        vector[list(atoms)] = 1.0
        return vector

    def _matrix(self, rows: Sequence[Key]) -> npt.NDArray[np.float64]:
        matrix = np.zeros((len(rows), len(self.atoms)))
        for i, key in enumerate(rows):
            matrix[i, self._vector(key)] = 1.0
        return matrix

    def _exposed(self, basis: _Basis) -> list[frozenset[int]] | None:
        """Every set of atoms (indices) with 1..k-1 respondents whose total is a linear
        combination of the shown cells' totals; None if the search exceeds the budget.

        Sets are enumerated smallest atoms first, pruned at k respondents. Atoms in exactly
        the same shown cells are taken together (a set the attacker obtains has all of them
        or none), which keeps the search small.
        """
        _, classes = basis.classes
        members = sorted(classes, key=lambda c: (sum(self.search_sizes[i] for i in c), c))
        sizes = [sum(self.search_sizes[i] for i in c) for c in members]
        small = sum(1 for n in sizes if n < self.threshold)
        if small == 0:
            return []
        # The part of each small class's indicator outside the row space: a set of classes
        # is obtained exactly when these parts add up to zero.
        residual = np.zeros((small, len(self.atoms)))
        for row, c in enumerate(members[:small]):
            residual[row, c] = 1.0
        residual -= basis.project(residual)
        found: list[frozenset[int]] = []
        visited = 0
        stack: list[tuple[int, tuple[int, ...], int, npt.NDArray[np.float64]]] = [
            (0, (), 0, np.zeros(len(self.atoms)))
        ]
        while stack:
            start, chosen, n, sums = stack.pop()
            for i in range(start, small):
                size = n + sizes[i]
                if size >= self.threshold:
                    break  # classes are sorted by size: every later one is at least as big
                visited += 1
                if visited > AUDIT_BUDGET:
                    return None
                new = sums + residual[i]
                if not np.any(np.abs(new) > _TOLERANCE):
                    found.append(frozenset(a for c in (*chosen, i) for a in members[c]))
                stack.append((i + 1, (*chosen, i), size, new))
        return found

    def _solve_exposed(self, basis: _Basis) -> list[frozenset[int]] | None:
        """Up to ``AUDIT_FOUND`` sets of 1..k-1 respondents that the shown cells give away
        and the margins do not, found by mixed-integer programming (HiGHS), smallest first;
        [] if there is none; None if the solver gives no answer. A set is ``x`` (0/1 per
        small class of atoms) with ``x = A^T y`` for real weights ``y`` of the shown cells
        ``A``: integer coefficients, so the check is exact."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        columns, classes = basis.classes
        sizes = np.array([sum(self.search_sizes[i] for i in c) for c in classes])
        small = np.flatnonzero(sizes < self.threshold)
        if small.size == 0:
            return []
        n_rows = columns.shape[0]
        picked = np.zeros((columns.shape[1], small.size))
        picked[small, np.arange(small.size)] = 1.0
        equal = LinearConstraint(np.hstack([columns.T, -picked]), 0.0, 0.0)
        size_row = np.concatenate([np.zeros(n_rows), sizes[small]])
        bounded = LinearConstraint(size_row[None, :], 1.0, self.threshold - 1.0)
        cuts: list[npt.NDArray[np.float64]] = []
        cut_caps: list[float] = []
        found_sets: list[frozenset[int]] = []
        for _ in range(AUDIT_SOLVES):
            constraints = [equal, bounded]
            if cuts:
                constraints.append(LinearConstraint(np.array(cuts), -np.inf, np.array(cut_caps)))
            result = milp(
                c=size_row,
                constraints=constraints,
                integrality=np.concatenate([np.zeros(n_rows), np.ones(small.size)]),
                bounds=Bounds(
                    np.concatenate([np.full(n_rows, -1e3), np.zeros(small.size)]),
                    np.concatenate([np.full(n_rows, 1e3), np.ones(small.size)]),
                ),
                options={"node_limit": AUDIT_SOLVER_NODES},
            )
            if result.status == 2:  # infeasible: nothing (else) small can be obtained
                return found_sets
            if result.status != 0 or result.x is None:
                return found_sets or None
            chosen = np.flatnonzero(result.x[n_rows:] > 0.5)
            found = frozenset(int(a) for j in chosen for a in classes[small[j]])
            if not self.shown_below or not self._below.spans(self._indicator(found)):
                found_sets.append(found)
                if len(found_sets) >= AUDIT_FOUND:
                    return found_sets
            cut = np.zeros(n_rows + small.size)  # look for another set next
            cut[n_rows + chosen] = 1.0
            cuts.append(cut)
            cut_caps.append(float(chosen.size - 1))
        return found_sets or None

    def _vector(self, key: Key) -> npt.NDArray[np.bool_]:
        """The cell as a 0/1 vector over the atoms (booleans: an eighth of the memory)."""
        vector = self._vectors.get(key)
        if vector is None:
            vector = np.ones(len(self.atoms), dtype=bool)
            for i, value in enumerate(key):
                if value is not ALL:
                    vector &= self._masks(i)[value]
            self._vectors[key] = vector
        return vector

    def _masks(self, axis_at: int) -> dict[Hashable, npt.NDArray[np.bool_]]:
        """Per value of an axis, which atoms lie in it."""
        masks = self._axis_masks.get(axis_at)
        if masks is None:
            axis = self.axes[axis_at]
            parts = [atom[axis_at] for atom in self.atoms]
            masks = {
                value: np.array([self._under(axis, part, value) for part in parts], dtype=bool)
                for value in axis.values
            }
            self._axis_masks[axis_at] = masks
        return masks

    @staticmethod
    def _under(axis: Axis, part: Hashable, value: Hashable) -> bool:
        """Atom part ``part`` lies in the axis's value ``value`` (the rest lies in none)."""
        if part is _REST:
            return False
        node: Hashable | None = part
        while node is not None:
            if node == value:
                return True
            node = axis.parent(node)
        return False

    def _atom_count(self, atom: Key) -> int:
        """Respondents of one atom, by inclusion-exclusion over the table's cells."""
        terms: list[list[tuple[int, Hashable]]] = []
        for i, part in enumerate(atom):
            axis = self.axes[i]
            if part is ALL:
                terms.append([(1, ALL)])
            elif part is _REST:
                tops = [v for v in axis.values if axis.parent(v) is None]
                terms.append([(1, ALL), *((-1, v) for v in tops)])
            else:
                children = [v for v in axis.values if axis.parents and axis.parent(v) == part]
                terms.append([(1, part), *((-1, v) for v in children)])
        return sum(
            math.prod(sign for sign, _ in combination)
            * self.count(tuple(value for _, value in combination))
            for combination in product(*terms)
        )


class _RegionAudit:
    """The exact linear attacker of a unit × one-axis level too large to audit whole,
    split by the unit tree's regions (``docs/confidentiality.md`` has the proof).

    Every cell below a region R lies in R's subtree; the cells of the root, of the regions
    and the margins span several subtrees, and restricted to R each is one of R's *region
    rows* (R's cell for one value of the other axis, or R's total). So whatever the
    attacker combines, its part inside R is a combination of R's own shown cells and
    margins and R's region rows. Each region is audited on its own with all its region
    rows KNOWN (shown or not: an over-estimate of the attacker), tolerating only what the
    margins inside R give away. What is left of a small set once its region parts are
    taken away lies in the *coarse* part (the root's own respondents, the unit tree's
    rest, regions taken whole), which is audited exactly: the cells of the root and the
    regions, the margins, and every combination of region rows a region's shown cells
    rebuild. A region whose audit finds a set that none of its own cells takes part in,
    or that is too large, or whose rebuilt rows the coarse part needs to hide, is merged
    into the coarse part; if that grows too large, the level shows its margins only.
    """

    def __init__(
        self,
        axes: Sequence[Axis],
        level: tuple[int, ...],
        count: Callable[[Key], int],
        decided: Mapping[Key, Decision],
        threshold: int,
    ):
        self.axes, self.level, self.count = axes, level, count
        self.decided, self.threshold = decided, threshold
        self.unit_at = next(i for i in level if axes[i].parents is not None)
        self.other_at = next(i for i in level if i != self.unit_at)
        axis = axes[self.unit_at]
        children: dict[Hashable, list[Hashable]] = defaultdict(list)
        for value in axis.values:
            children[axis.parent(value)].append(value)
        tops = children[None]
        self.regions = sorted(children[tops[0]] if len(tops) == 1 else tops, key=_value_name)
        self.region_of: dict[Hashable, Hashable] = {}
        for region in self.regions:
            stack = [region]
            while stack:
                value = stack.pop()
                self.region_of[value] = region
                stack.extend(children[value])
        self.merged: set[Hashable] = set()
        self._row_region: list[Hashable] = []
        self._parts: dict[Hashable, _Audit] = {}
        self._settled: dict[Hashable, tuple[Key, ...]] = {}
        self._coarse: _Audit | None = None
        self.gave_up = False

    @staticmethod
    def applies(axes: Sequence[Axis], level: tuple[int, ...]) -> bool:
        """A level of the unit tree and one other axis, whose tree has regions."""
        units = [i for i in level if axes[i].parents is not None]
        if len(level) != 2 or len(units) != 1:
            return False
        axis = axes[units[0]]
        tops = [v for v in axis.values if axis.parent(v) is None]
        below = [v for v in axis.values if len(tops) == 1 and axis.parent(v) == tops[0]]
        return len(below) > 1 or (len(tops) > 1)

    def _inside(self, key: Key) -> Hashable | None:
        """The unmerged region whose subtree holds ``key`` strictly below the region."""
        unit = key[self.unit_at]
        region = self.region_of.get(unit)
        if region is None or unit == region or region in self.merged:
            return None
        return region

    def cells_to_hide(self, shown: list[Key]) -> list[Key]:
        """As :meth:`_Audit.cells_to_hide`, region by region, then the coarse part."""
        while True:
            if self.gave_up:
                return shown
            by_region: dict[Hashable, list[Key]] = defaultdict(list)
            coarse_shown = []
            for key in shown:
                region = self._inside(key)
                if region is None:
                    coarse_shown.append(key)
                else:
                    by_region[region].append(key)
            picks: list[Key] = []
            merged_now = False
            for region in self.regions:
                if region in self.merged:
                    continue
                part = tuple(by_region.get(region, ()))
                if self._settled.get(region) == part:
                    continue  # audited with exactly these cells, found safe
                audit = self._part(region)
                found = audit.cells_to_hide(list(part))
                if audit.gave_up or audit.unfixable:
                    self._merge({region})
                    merged_now = True
                    break
                if found:
                    picks.extend(found)
                else:
                    self._settled[region] = part
            if merged_now:
                continue
            if picks:
                return sorted(picks, key=_name)
            coarse = self._coarse_audit(by_region)
            found = coarse.cells_to_hide(coarse_shown)
            if coarse.gave_up:
                self.gave_up = True
                continue
            if coarse.unfixable:
                self._merge(self._rebuilders(coarse))
                continue
            return found

    def _merge(self, regions: set[Hashable]) -> None:
        self.merged |= regions
        self._coarse = None
        if len(self.merged) >= len(self.regions) or not regions:
            self.gave_up = True  # nothing left to split: the whole level is too large

    def _part(self, region: Hashable) -> _Audit:
        audit = self._parts.get(region)
        if audit is None:
            axis = self.axes[self.unit_at]
            values = tuple(v for v in axis.values if self.region_of.get(v) == region)
            sub = Axis(values, {v: (None if v == region else axis.parent(v)) for v in values})
            axes = [*self.axes]
            axes[self.unit_at] = sub
            inside = set(values)
            corner = self._corner(region)
            known = [
                _replace(corner, self.other_at, v) for v in (*self.axes[self.other_at].values, ALL)
            ]
            audit = _Audit(
                axes, self.level, self.count, self.decided, self.threshold,
                tolerated=lambda key: key[self.unit_at] in inside,
                known=known, no_rest=(self.unit_at,),
            )  # fmt: skip
            self._parts[region] = audit
        return audit

    def _coarse_audit(self, by_region: Mapping[Hashable, list[Key]]) -> _Audit:
        """The coarse part with the rows each region's current cells rebuild."""
        axis = self.axes[self.unit_at]
        if self._coarse is None:
            values = tuple(
                v
                for v in axis.values
                if (r := self.region_of.get(v)) is None or v == r or r in self.merged
            )
            axes = [*self.axes]
            axes[self.unit_at] = Axis(values, {v: axis.parent(v) for v in values})
            kept = set(values)
            whole = {r for r in self.regions if r not in self.merged}
            self._coarse = _Audit(
                axes, self.level, self.count, self.decided, self.threshold,
                tolerated=lambda key: key[self.unit_at] is ALL or key[self.unit_at] in kept,
                not_small=lambda atom: atom[self.unit_at] in whole,
            )  # fmt: skip
        coarse = self._coarse
        coarse.unfixable = False
        index = {atom: i for i, atom in enumerate(coarse.atoms)}
        rows: list[npt.NDArray[np.float64]] = []
        self._row_region = []
        for region in self.regions:
            if region in self.merged:
                continue
            for gamma, others in self._rebuilt(region, by_region.get(region, [])):
                row = np.zeros(len(coarse.atoms))
                for weight, other in zip(gamma, others, strict=True):
                    atom = _replace(self._corner(region), self.other_at, other)
                    row[index[atom]] = weight
                rows.append(row)
                self._row_region.append(region)
        coarse.extra = np.array(rows).reshape(len(rows), len(coarse.atoms))
        coarse._fixed_basis = None
        return coarse

    def _corner(self, region: Hashable) -> Key:
        return _replace((ALL,) * len(self.axes), self.unit_at, region)

    def _rebuilt(
        self, region: Hashable, shown: list[Key]
    ) -> list[tuple[npt.NDArray[np.float64], list[Hashable]]]:
        """Combinations of the region's rows (one weight per value of the other axis, and
        its rest) that the region's shown cells and margins add up to."""
        audit = self._part(region)
        values = {atom[self.other_at] for atom in audit.atoms}
        others = sorted(values, key=lambda v: (v is _REST, _value_name(v)))
        blocks = np.array(
            [[1.0 if atom[self.other_at] == v else 0.0 for atom in audit.atoms] for v in others]
        ).reshape(len(others), len(audit.atoms))
        inner = audit._matrix([*audit.shown_below, *shown])
        if inner.shape[0]:
            blocks = blocks - _Basis(inner).project(blocks)
        _, singular, vt = np.linalg.svd(blocks.T, full_matrices=True)
        scale = max(blocks.shape) * (float(singular.max()) if singular.size else 1.0)
        rank = int(np.sum(singular > _TOLERANCE * max(scale, 1.0)))
        return [(vt[j], others) for j in range(rank, len(others))]

    def _rebuilders(self, coarse: _Audit) -> set[Hashable]:
        """Regions whose rebuilt rows may take part in a set the coarse part cannot hide:
        every region with a rebuilt row (merging one shows its cells to the coarse audit,
        which can then hide them)."""
        return set(self._row_region)


class _Basis:
    """The row space of a 0/1 matrix of cells × atoms, from one SVD."""

    def __init__(self, matrix: npt.NDArray[np.float64]):
        self.matrix = matrix
        u, singular, vt = np.linalg.svd(matrix, full_matrices=False)
        scale = max(matrix.shape) * (float(singular.max()) if singular.size else 1.0)
        rank = int(np.sum(singular > _TOLERANCE * scale))
        self._u, self._s, self._vt = u[:, :rank], singular[:rank], vt[:rank]

    @cached_property
    def classes(self) -> tuple[npt.NDArray[np.float64], list[list[int]]]:
        """The distinct columns and, for each, the columns equal to it: atoms in exactly
        the same cells, which the attacker can only ever take together."""
        columns, inverse = np.unique(self.matrix, axis=1, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        return columns, [np.flatnonzero(inverse == j).tolist() for j in range(columns.shape[1])]

    def project(self, vectors: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each row of ``vectors`` projected onto the row space."""
        return np.asarray((vectors @ self._vt.T) @ self._vt, dtype=np.float64)

    def spans(self, target: npt.NDArray[np.float64]) -> bool:
        return bool(np.allclose(self.project(target[None, :])[0], target, atol=_TOLERANCE))

    def essential(self) -> npt.NDArray[np.bool_]:
        """Rows outside the span of the other rows (leverage 1): removing one shrinks the
        row space; removing any other row leaves it as it is."""
        return np.asarray(np.sum(self._u**2, axis=1) > 1.0 - 1e-6)

    def weights(self, target: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The smallest weights of the rows that combine to ``target`` (if they can)."""
        return np.asarray(self._u @ ((self._vt @ target) / self._s), dtype=np.float64)


def _replace(key: Key, at: int, value: Hashable) -> Key:
    return (*key[:at], value, *key[at + 1 :])


def _value_name(value: Hashable) -> str:
    return _name((value,))


def _name(key: Key) -> str:
    """A stable, unique text key for :class:`Cell`."""
    return json.dumps(["*" if v is ALL else [type(v).__name__, str(v)] for v in key])


def decide_table(
    table: MetricTable,
    audience: str | None,
    policy: SuppressionPolicy,
    measure: Measure | str = Measure.SCORES,
    *,
    stratify: Dimension | None = None,
    strata: Collection[Hashable] | None = None,
) -> dict[Key, Decision]:
    """Suppression decisions for every row of a metric table (none when unprotected).

    Audiences are never mixed in one group: with an audience dimension each audience's
    slice is decided on its own (customers pass through); otherwise ``audience`` is the
    table's one audience. Cell counts are the table's margins, the unit tree rolled up.

    ``stratify`` names a dimension whose values are decided apart, each as a table of its
    own with no total across them: protected results are cut by closed period this way, so
    every period's groups form one hierarchy and nothing is summed over periods.

    ``strata`` (with ``stratify``) decides only those values of it, e.g. the one closed
    period a page shows: a stratum's decisions depend on its own counts only (and on the
    table's axes), so they are the same cells a decision of every stratum gives it. Rows of
    the other strata get no decision; :func:`decision_of` hides them (fail closed).
    """
    by = table.query.grouping.by
    audience_at = table.query.grouping.position(Dimension.AUDIENCE)
    stratum_at = None if stratify is None else table.query.grouping.position(stratify)
    if strata is not None and stratum_at is None:
        raise ValueError("decide_table: strata= needs a stratify= dimension of the table")
    slices = (
        [(audience, None)]
        if audience_at is None
        else [(str(a), a) for a in table.values(audience_at)]
    )
    chosen: list[Hashable] = [None] if stratum_at is None else list(table.values(stratum_at))
    if strata is not None:
        chosen = [value for value in chosen if value in strata]
    fixed = sorted(i for i in (audience_at, stratum_at) if i is not None)
    positions = [i for i in range(len(by)) if i not in fixed]
    axes = [_axis(table, i) for i in positions]
    cache: dict[tuple[bool, ...], dict[Key, int]] = {}
    # Counts of the strata decided rest on their own leaf groups only (the axes stay the
    # whole table's): summing the other periods' groups too was most of a request's work.
    counted = table
    if strata is not None and stratum_at is not None:
        wanted = set(chosen)
        counted = table.keep(stratum_at, wanted.__contains__)

    def full(key: Key, value: Hashable, stratum: Hashable) -> Key:
        out: list[Any] = list(key)
        for at in fixed:
            out.insert(at, value if at == audience_at else stratum)
        return tuple(out)

    out: dict[Key, Decision] = {}
    # Equal decisions (a unit with the same count in two periods) kept once: the decisions
    # of a unit × month table are kept across requests, and a third of them are repeats.
    alike: dict[Decision, Decision] = {}
    for who, value in slices:
        if who is None or not policy.protects(who):
            continue
        for stratum in chosen:
            widen = partial(full, value=value, stratum=stratum)
            count = _counter(counted, cache, widen)
            decided = suppress_table(axes, count, policy, audience=who, measure=measure)
            for key, decision in decided.items():
                if all(v is not ALL for v in key):
                    out[widen(key)] = alike.setdefault(decision, decision)
    return out


def decision_of(
    decisions: Mapping[Key, Decision],
    key: Key,
    n: int,
    policy: SuppressionPolicy,
    *,
    audience: str | None,
    measure: Measure | str,
) -> Decision | None:
    """The decision of one row of a table decided by :func:`decide_table`; a row of a
    protected audience that was never decided (a stratum left out of ``strata=``) is
    hidden, never shown: fail closed. None for a row no policy protects.

    >>> policy = SuppressionPolicy()
    >>> d = decision_of({}, ("hq", "2026-01"), 40, policy, audience="employee", measure="scores")
    >>> d.suppressed, str(d.reason)
    (True, 'undecided')
    >>> decision_of({}, ("hq",), 40, policy, audience="customer", measure="scores") is None
    True
    """
    found = decisions.get(key)
    if found is not None or audience is None or not policy.protects(audience):
        return found
    return Decision(
        _name(key), n, False, SuppressionReason.UNDECIDED, Measure(measure), PersonKind(audience)
    )


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
