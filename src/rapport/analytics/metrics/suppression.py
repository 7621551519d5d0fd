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
from collections.abc import Callable, Hashable, Mapping, Sequence
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
    audited = len(level) > 1 and policy.protects(audience)
    audit = _Audit(axes, level, count, decided, threshold) if audited else None
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


_REST: Final = "\x00rest"  # an axis's respondents in none of its values (or a unit's own)
_TOLERANCE: Final = 1e-6
AUDIT_BUDGET: Final = 20_000
"""Sets of small atoms the audit lists per round; beyond it, it asks a solver for one."""
AUDIT_MAX_ENTRIES: Final = 4_000_000
"""Cells × atoms the audit's matrix may hold (2,000 × 2,000: 32 MB, an SVD of about 3 s);
a larger level shows its margins only (e.g. about 150 units × 12 months)."""
AUDIT_ROUNDS: Final = 200
"""Rounds of hiding one level's audit may take (each a rank decomposition of the shown
cells); past them the level shows its margins only (a subset of what any finished audit
shows). Budgets count work, never seconds: the same data and query give the same cells
whatever the machine's load."""
AUDIT_SOLVER_NODES: Final = 2_000
"""Branch-and-bound nodes per solver call (HiGHS ``node_limit``), instead of a time limit."""
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
    ):
        self.axes, self.count, self.threshold = axes, count, threshold
        per_axis = [(*axes[i].values, _REST) if i in level else (ALL,) for i in range(len(axes))]
        sized = ((atom, self._atom_count(atom)) for atom in product(*per_axis))
        atoms = sorted(((n, _name(atom), atom) for atom, n in sized if n > 0))
        self.sizes = [n for n, _, _ in atoms]
        self.atoms = [atom for _, _, atom in atoms]
        self._vectors: dict[Key, npt.NDArray[np.float64]] = {}
        self._listing_too_large = False
        self._rounds = 0
        self._axis_masks: dict[int, dict[Hashable, npt.NDArray[np.bool_]]] = {}
        below = [
            key for key in decided if all(key[i] is ALL for i in range(len(axes)) if i not in level)
        ]
        self.shown_below = [key for key in below if decided[key].revealed]
        self._below_basis: _Basis | None = None  # built when first needed (an SVD)

    @property
    def _below(self) -> _Basis:
        """The margins' row space. Built on first use, after the size check: a level too
        large to audit never pays for its decomposition."""
        if self._below_basis is None:
            self._below_basis = _Basis(self._matrix(self.shown_below))
        return self._below_basis

    def cells_to_hide(self, shown: list[Key]) -> list[Key]:
        """For every set of 1..k-1 respondents the shown cells give away, the smallest shown
        cell of this level used to obtain it; every shown cell if the search is too large
        to finish; none if the table is safe."""
        if not shown:
            return []
        rows = [*self.shown_below, *shown]
        self._rounds += 1
        if self._rounds > AUDIT_ROUNDS or len(rows) * len(self.atoms) > AUDIT_MAX_ENTRIES:
            return shown
        basis = _Basis(self._matrix(rows))
        exposed = None if self._listing_too_large else self._exposed(basis)
        if exposed is None:  # too many small sets to list: ask a solver for some
            self._listing_too_large = True
            exposed = self._solve_exposed(basis)
        if exposed is None:
            return shown
        picks: set[Key] = set()
        essential = basis.essential()[len(self.shown_below) :]
        for found in exposed:
            target = self._indicator(found)
            if self.shown_below and self._below.spans(target):
                continue  # the margins alone give it away: not this table's doing
            weights = basis.weights(target)[len(self.shown_below) :]
            used = [
                (not needed, self.count(key), _name(key), key)
                for key, w, needed in zip(shown, weights, essential, strict=True)
                if abs(w) > _TOLERANCE
            ]
            # A row that no other combination of rows can replace takes the set away for
            # sure; hiding a replaceable one changes nothing until its stand-ins go too.
            picks.add(min(used)[-1])
        return sorted(picks, key=_name)

    def _indicator(self, atoms: frozenset[int]) -> npt.NDArray[np.float64]:
        """A set of atoms (indices) as a 0/1 vector."""
        vector = np.zeros(len(self.atoms))
        vector[list(atoms)] = 1.0
        return vector

    def _matrix(self, rows: Sequence[Key]) -> npt.NDArray[np.float64]:
        return np.array([self._vector(key) for key in rows]).reshape(len(rows), len(self.atoms))

    def _exposed(self, basis: _Basis) -> list[frozenset[int]] | None:
        """Every set of atoms (indices) with 1..k-1 respondents whose total is a linear
        combination of the shown cells' totals; None if the search exceeds the budget.

        Sets are enumerated smallest atoms first, pruned at k respondents. Atoms in exactly
        the same shown cells are taken together (a set the attacker obtains has all of them
        or none), which keeps the search small.
        """
        _, classes = basis.classes
        members = sorted(classes, key=lambda c: (sum(self.sizes[i] for i in c), c))
        sizes = [sum(self.sizes[i] for i in c) for c in members]
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
        sizes = np.array([sum(self.sizes[i] for i in c) for c in classes])
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

    def _vector(self, key: Key) -> npt.NDArray[np.float64]:
        """The cell as a 0/1 vector over the atoms."""
        vector = self._vectors.get(key)
        if vector is None:
            inside = np.ones(len(self.atoms), dtype=bool)
            for i, value in enumerate(key):
                if value is not ALL:
                    inside &= self._masks(i)[value]
            vector = inside.astype(np.float64)
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
) -> dict[Key, Decision]:
    """Suppression decisions for every row of a metric table (none when unprotected).

    Audiences are never mixed in one group: with an audience dimension each audience's
    slice is decided on its own (customers pass through); otherwise ``audience`` is the
    table's one audience. Cell counts are the table's margins, the unit tree rolled up.

    ``stratify`` names a dimension whose values are decided apart, each as a table of its
    own with no total across them: protected results are cut by closed period this way, so
    every period's groups form one hierarchy and nothing is summed over periods.
    """
    by = table.query.grouping.by
    audience_at = table.query.grouping.position(Dimension.AUDIENCE)
    stratum_at = None if stratify is None else table.query.grouping.position(stratify)
    slices = (
        [(audience, None)]
        if audience_at is None
        else [(str(a), a) for a in table.values(audience_at)]
    )
    strata: list[Hashable] = [None] if stratum_at is None else list(table.values(stratum_at))
    fixed = sorted(i for i in (audience_at, stratum_at) if i is not None)
    positions = [i for i in range(len(by)) if i not in fixed]
    axes = [_axis(table, i) for i in positions]
    cache: dict[tuple[bool, ...], dict[Key, int]] = {}

    def full(key: Key, value: Hashable, stratum: Hashable) -> Key:
        out: list[Any] = list(key)
        for at in fixed:
            out.insert(at, value if at == audience_at else stratum)
        return tuple(out)

    out: dict[Key, Decision] = {}
    for who, value in slices:
        if who is None or not policy.protects(who):
            continue
        for stratum in strata:
            widen = partial(full, value=value, stratum=stratum)
            count = _counter(table, cache, widen)
            decided = suppress_table(axes, count, policy, audience=who, measure=measure)
            for key, decision in decided.items():
                if all(v is not ALL for v in key):
                    out[widen(key)] = decision
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
