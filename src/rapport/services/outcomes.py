"""Business outcomes for a principal: listings, roll-ups up the unit tree, the dashboard's
table of recent periods.

Outcomes are business figures an admin or analyst imports (:mod:`.outcome_import`), not
aggregates of survey answers, so the anonymity threshold does not apply to them; who may
read them follows the results permission and a manager's scope (their own subtree).

**Roll-up rule** (docs/outcomes.md): a unit's figure for an outcome, grain and period is
its own imported figure when it has one; otherwise it is made from its child units'
figures (each rolled up the same way) — their **sum** for money and counts, their
**mean** (each child counting once) for rates and percentages
(:func:`rapport.domain.outcomes.rollup_rule`). A parent's own figure wins, so a region
imported with its stores is never counted twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from rapport.analytics.suppression.cache import content_key
from rapport.domain.org import Permission, Principal, Unit
from rapport.domain.outcomes import Grain, period_label, rollup_rule
from rapport.errors import FieldError, ValidationFailed
from rapport.services import metrics
from rapport.services.access import require, require_unit
from rapport.storage.repositories.outcomes import Stored
from rapport.storage.uow import UnitOfWork

RECENT_PERIODS = 6
Key = tuple[str, date, str]  # (grain, period start, outcome name)


@dataclass(frozen=True)
class OutcomeValue:
    """One figure: a unit's own (``rollup`` None, ``units`` 1) or rolled up from
    ``units`` units' own figures by ``rollup`` (``sum`` or ``mean``)."""

    unit: str
    period: date
    period_label: str
    grain: str
    name: str
    value: float
    units: int = 1
    rollup: str | None = None


@dataclass(frozen=True)
class RecentRow:
    label: str
    period: date
    outcomes: dict[str, float | None]
    experience: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class RecentOutcomes:
    """The dashboard's small table: a unit's last periods of one grain, a column per
    outcome (and per experience figure of the same period, when the grains agree)."""

    unit: Unit
    grain: str
    names: list[str]
    rules: dict[str, str]
    rows: list[RecentRow]
    experience: list[str] = field(default_factory=list)


def scope(uow: UnitOfWork, principal: Principal, unit: str | None) -> tuple[Unit, list[Unit]]:
    """The unit asked for (or the principal's top unit) and its subtree; raises
    ValidationFailed for an unknown unit and PermissionDenied outside a manager's scope."""
    require(principal, Permission.VIEW_RESULTS)
    everything = uow.units.all()
    wanted = unit or principal.unit_path
    if wanted is None:
        roots = [u for u in everything if u.parent_id is None]
        if not roots:
            raise ValidationFailed(
                "no organisation yet", [FieldError("unit", "import units first", "no_units")]
            )
        top = roots[0]
    else:
        found = uow.units.find(wanted)
        if found is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {wanted!r}")])
        top = found
    require_unit(principal, top)
    prefix = top.path + "/"
    return top, [u for u in everything if u.path == top.path or u.path.startswith(prefix)]


def list_outcomes(
    uow: UnitOfWork,
    principal: Principal,
    *,
    unit: str | None = None,
    outcome: str | None = None,
    grain: Grain | str | None = None,
    rollup: bool = False,
) -> list[OutcomeValue]:
    """Figures of ``unit``'s subtree (default: everything the principal sees), ordered by
    unit path, outcome, grain and period; with ``rollup``, the unit's own series made by
    the roll-up rule instead.

    >>> # list_outcomes(uow, analyst, unit="west", outcome="revenue", rollup=True)
    """
    top, units = scope(uow, principal, unit)
    kind = Grain(grain).value if grain is not None else None
    names = [outcome] if outcome else None
    stored = uow.outcomes.rows([u.id for u in units], names=names, grain=kind)
    if rollup:
        return sorted(
            (
                OutcomeValue(top.code, p, period_label(g, p), g, n, value, k, rollup_rule(n))
                for (uid, g, p, n), (value, k) in rolled_up(units, stored).items()
                if uid == top.id
            ),
            key=lambda v: (v.name, v.grain, v.period),
        )
    code = {u.id: u.code for u in units}
    path = {u.id: u.path for u in units}
    ordered = sorted(stored, key=lambda r: (path[r[0]], r[3], r[1], r[2]))
    return [
        OutcomeValue(code[uid], p, period_label(g, p), g, name, value)
        for uid, g, p, name, value in ordered
    ]


def rolled_up(
    units: Sequence[Unit], stored: Iterable[Stored]
) -> dict[tuple[int, str, date, str], tuple[float, int]]:
    """Every unit's figure by the roll-up rule: (unit id, grain, period, name) → (value,
    number of units whose own figures it is made of). ``units`` is a whole subtree."""
    groups: dict[Key, dict[int, float]] = defaultdict(dict)
    for uid, grain, start, name, value in stored:
        groups[(grain, start, name)][uid] = value
    deepest_first = sorted(units, key=lambda u: -u.path.count("/"))
    inside = {u.id for u in units}
    out: dict[tuple[int, str, date, str], tuple[float, int]] = {}
    for key, own in groups.items():
        add = rollup_rule(key[2]) == "sum"
        below: dict[int, list[tuple[float, int]]] = {}
        for u in deepest_first:
            if u.id in own:
                found = (own[u.id], 1)
            elif u.id in below:
                parts = below.pop(u.id)
                total = sum(v for v, _ in parts)
                found = (total if add else total / len(parts), sum(n for _, n in parts))
            else:
                continue
            out[(u.id, *key)] = found
            if u.parent_id in inside:
                below.setdefault(u.parent_id, []).append(found)
    return out


def recent_outcomes(
    uow: UnitOfWork,
    principal: Principal,
    unit: str | None,
    grain: str = "month",
    periods: int = RECENT_PERIODS,
    *,
    version: Hashable | None = None,
) -> RecentOutcomes | None:
    """A unit's last ``periods`` periods of outcomes (rolled up), at ``grain`` when it has
    figures of that grain, else at the grain it has most figures of; None without any.

    ``version``: the data version of ``uow``'s database (``AnalyticsEngine.data_version``
    of the operational database) read before ``uow``'s first statement, so what ``uow``
    reads is at least as new. The table is then kept in ``services.metrics.KEPT`` under
    it: any commit that writes data gives a new version, so a kept table is never served
    after one. The access checks run on every call.
    """
    if not uow.units.all():
        return None
    top, units = scope(uow, principal, unit)
    if version is None:
        return _recent(uow, top, units, grain, periods)
    return metrics.kept_value(
        content_key(["recent outcomes", version, top.id, top.path, grain, periods]),
        lambda: _recent(uow, top, units, grain, periods),
        lambda table: 0 if table is None else len(table.rows) * (len(table.names) + 1),
    )


def _recent(
    uow: UnitOfWork, top: Unit, units: list[Unit], grain: str, periods: int
) -> RecentOutcomes | None:
    """The table of :func:`recent_outcomes`, reading the figures of its periods only.

    Every (grain, period, name) some unit of the subtree has a figure for rolls up to
    ``top`` (a unit without its own figure takes its children's), so the keys the
    subtree has are ``top``'s rolled-up keys: they choose the grain, the periods and the
    columns, and only those periods' figures are read and rolled up.
    """
    ids = [u.id for u in units]
    keys = uow.outcomes.keys(ids)
    if not keys:
        return None
    counts: dict[str, int] = defaultdict(int)
    for g, _, _ in keys:
        counts[g] += 1
    chosen = grain if grain in counts else max(counts, key=lambda g: (counts[g], g))
    starts = sorted({p for g, p, _ in keys if g == chosen})[-periods:]
    names = sorted({n for g, _, n in keys if g == chosen})
    stored = uow.outcomes.rows(ids, grain=chosen, periods=starts)
    rolled = {
        (p, n): value
        for (uid, _, p, n), (value, _) in rolled_up(units, stored).items()
        if uid == top.id
    }
    rows = [
        RecentRow(
            period_label(chosen, start),
            start,
            {n: rolled.get((start, n)) for n in names},
        )
        for start in reversed(starts)
    ]
    return RecentOutcomes(top, chosen, names, {n: rollup_rule(n) for n in names}, rows)


def with_experience(
    table: RecentOutcomes, grain: str, figures: Mapping[str, Mapping[date, float | None]]
) -> RecentOutcomes:
    """The table with experience figures (label → period start → value) beside the
    outcomes, when the table's grain is the figures' ``grain``."""
    if table.grain != grain or not figures:
        return table
    rows = [
        RecentRow(
            r.label,
            r.period,
            r.outcomes,
            {label: by_period.get(r.period) for label, by_period in figures.items()},
        )
        for r in table.rows
    ]
    return RecentOutcomes(table.unit, table.grain, table.names, table.rules, rows, list(figures))
