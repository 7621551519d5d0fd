"""One unit's relationship: what its page shows and why (``docs/relationship-health.md``).

Everything is read through the services that already enforce the rules: stages and alarms
from :func:`rapport.services.relationships.relationship_health`, signals and item scores
from :func:`rapport.services.metrics.compute` (manager scope; employee figures for the
latest closed period, hidden below the anonymity threshold and against differencing), the
honeymoon curve from :mod:`rapport.services.tenure` and action effects from
:mod:`rapport.services.actions`. This module only chooses and orders: it never reads a
hidden value, so a hidden employee item can be neither shown nor ranked.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics.catalog import find_survey, load_items
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.actions import Action
from rapport.domain.org import Principal
from rapport.errors import NotFound, ValidationFailed
from rapport.services import actions, surveys, tenure
from rapport.services.access import require_unit
from rapport.services.metric_memo import MetricMemo
from rapport.services.metrics import MetricRequest, ResultRow, compute
from rapport.services.relationships import SIGNALS, HealthRow, relationship_health
from rapport.services.suggestions import CONSTRUCTS, suggestion_for
from rapport.storage.uow import Database

LABELS = {"hearts": "Hearts", "minds": "Minds", "nps": "NPS"}
#: The weakest employee items shown with a suggestion.
WEAKEST = 3


@dataclass(frozen=True)
class SideSignal:
    """One signal of one side (``customer`` or ``employee``) for the unit, with its interval.
    ``value`` is None when hidden (``suppressed``) or absent."""

    name: str
    side: str
    label: str
    value: float | None
    lower: float | None
    upper: float | None
    n: int
    suppressed: bool
    period_label: str | None


@dataclass(frozen=True)
class WeakItem:
    """An employee item (construct tag) among the unit's lowest, with what to try."""

    tag: str
    value: float
    lower: float | None
    upper: float | None
    n: int
    suggestion: str


@dataclass(frozen=True)
class ActionLine:
    """An action covering the unit (or within it) and its estimated effect on customer
    hearts; ``effect`` None when not asked for, or with ``note`` saying why there is none."""

    action: Action
    effect: actions.ActionEffect | None
    note: str | None


@dataclass(frozen=True)
class UnitRelationship:
    unit: str
    unit_name: str
    unit_path: str
    survey_key: str
    survey_title: str
    period: str
    anonymity_threshold: int | None
    history: list[HealthRow]
    current: HealthRow | None
    alarms: list[HealthRow]
    signals: list[SideSignal]
    employee_survey: str | None
    employee_period: str | None
    items_hidden: int
    weakest: list[WeakItem]
    weakest_clear: bool
    tenure: tenure.TenureCurve | None
    actions: list[ActionLine]


def unit_relationship(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    unit: str,
    survey: str,
    policy: SuppressionPolicy,
    period: str = "month",
    *,
    effect_of: int | None = None,
    version: Hashable | None = None,
) -> UnitRelationship:
    """The relationship page of ``unit`` (code or path) on customer ``survey``; the effect
    of action ``effect_of`` (one of the unit's) is estimated when asked for: its wild
    bootstrap over every comparison unit costs more than the rest of the page.
    ``version``: the operational database's data version read before ``db`` is first read
    (the survey list, whose response counts scan every response, is then kept under it),
    or None.

    Raises NotFound for an unknown unit, PermissionDenied for one outside the principal's
    subtree, and what :func:`~rapport.services.relationships.relationship_health` raises.
    """
    with db.unit_of_work(readonly=True) as uow:
        found = uow.units.find(unit)
        if found is None:
            raise NotFound(f"no unit with code or path {unit!r}")
        require_unit(principal, found)
        listed = surveys.list_surveys(uow, principal, version=version)
        visible = actions.list_actions(uow, principal)
    memo = MetricMemo()
    # With the further signals of both sides (emotion shares, reach and its trend, repeat
    # complaints): the page shows them under "More signals".
    health = relationship_health(
        engine, principal, survey, policy, period, memo=memo, signals=True, signals_of=found.code
    )
    history = [r for r in health.rows if r.unit == found.code]
    customer = [
        _signal(engine, principal, policy, memo, health.survey_key, name, "customer", found.code,
                health.period)
        for name in SIGNALS
    ]  # fmt: skip
    employee_key = _employee_survey(listed)
    employee: list[SideSignal] = []
    weakest: list[WeakItem] = []
    hidden = 0
    if employee_key is not None:
        employee = [
            _signal(engine, principal, policy, memo, employee_key, name, "employee", found.code)
            for name in SIGNALS
        ]
        weakest, hidden = _weakest(engine, principal, policy, memo, employee_key, found.code)
    covering = sorted(
        (a for a in visible if _related(a.unit_path, found.path)),
        key=lambda a: (a.started_on, a.id),
        reverse=True,
    )
    lines = [
        _effect(db, engine, principal, policy, a, health.survey_key)
        if a.id == effect_of
        else ActionLine(a, None, None)
        for a in covering
    ]
    return UnitRelationship(
        unit=found.code,
        unit_name=found.name,
        unit_path=found.path,
        survey_key=health.survey_key,
        survey_title=health.survey_title,
        period=health.period,
        anonymity_threshold=health.anonymity_threshold,
        history=history,
        current=history[-1] if history else None,
        alarms=[r for r in history if r.alarm],
        signals=[*customer, *employee],
        employee_survey=employee_key,
        employee_period=next((s.period_label for s in employee if s.period_label), None),
        items_hidden=hidden,
        weakest=weakest[:WEAKEST],
        weakest_clear=_clearly_lowest(weakest),
        tenure=_tenure(engine, principal, policy, memo, health.survey_key, found.code),
        actions=lines,
    )


def _employee_survey(listed: list[dict[str, Any]]) -> str | None:
    """The employee survey with the most responses (the unit's employee side)."""
    employee = [s for s in listed if s.get("audience") == "employee"]
    employee.sort(key=lambda s: -int(s.get("responses") or 0))
    return str(employee[0]["key"]) if employee else None


def _signal(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    memo: MetricMemo,
    survey: str,
    name: str,
    side: str,
    unit: str,
    period: str | None = None,
) -> SideSignal:
    """``name`` of ``survey`` for ``unit``: its latest period (customers, the same table the
    stages were read from) or latest closed period (employees, the rolled-up unit)."""
    by = ["unit"] if period else []
    request = MetricRequest(survey=survey, metric=name, by=by, period=period, unit=unit)
    try:
        rows = compute(engine, principal, request, policy, memo=memo).rows
    except ValidationFailed:  # the survey has no items for this signal
        rows = []
    own = [r for r in rows if r.unit_code in (None, unit)]
    row = max(own, key=lambda r: (r.period is not None, r.period or 0), default=None)
    return _side(name, side, row)


def _side(name: str, side: str, row: ResultRow | None) -> SideSignal:
    if row is None:
        return SideSignal(name, side, LABELS[name], None, None, None, 0, False, None)
    hidden = row.suppressed or row.value is None
    return SideSignal(
        name,
        side,
        LABELS[name],
        None if hidden else row.value,
        None if hidden else row.lower,
        None if hidden else row.upper,
        row.n,
        row.suppressed,
        row.period_label,
    )


def _weakest(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    memo: MetricMemo,
    survey: str,
    unit: str,
) -> tuple[list[WeakItem], int]:
    """The unit's employee items (one index per construct tag with a suggestion), lowest
    first, and how many were hidden by the anonymity rules (never ranked)."""
    info = find_survey(engine, survey)
    if info is None:
        return [], 0
    with engine.connect() as conn:
        items = [i for i in load_items(conn, (info.id,)) if i.has_scale]
    tags = sorted({t for i in items for t in i.tags if t.split(".", 1)[0] in CONSTRUCTS})
    scored, hidden = [], 0
    for tag in tags:
        request = MetricRequest(survey=survey, metric=f"index:{tag}", unit=unit)
        rows = compute(engine, principal, request, policy, memo=memo).rows
        row = max(rows, key=lambda r: (r.period is not None, r.period or 0), default=None)
        text = suggestion_for(tag)
        if row is None or text is None:
            continue
        if row.suppressed or row.value is None:
            hidden += 1
            continue
        scored.append(WeakItem(tag, row.value, row.lower, row.upper, row.n, text))
    scored.sort(key=lambda w: w.value)
    return scored, hidden


def _clearly_lowest(items: list[WeakItem]) -> bool:
    """Whether the lowest item's interval lies wholly below the next one's: else the order
    among the weakest is within noise, and the page says so."""
    if len(items) < 2 or items[0].upper is None or items[1].lower is None:
        return False
    return items[0].upper < items[1].lower


def _related(action_path: str, unit_path: str) -> bool:
    """An action on the unit, above it (it covers the unit) or within its subtree."""

    def inside(path: str, root: str) -> bool:
        return path == root or path.startswith(root.rstrip("/") + "/")

    return inside(unit_path, action_path) or inside(action_path, unit_path)


def _effect(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    action: Action,
    survey: str,
) -> ActionLine:
    try:
        found = actions.action_effect(db, engine, principal, action.id, survey, policy, "hearts")
    except (ValidationFailed, NotFound) as error:
        return ActionLine(action, None, f"no estimate: {error.detail}")
    return ActionLine(action, found, None)


def _tenure(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    memo: MetricMemo,
    survey: str,
    unit: str,
) -> tenure.TenureCurve | None:
    try:
        return tenure.tenure_curve(
            engine, principal, survey, policy, "hearts", unit=unit, memo=memo
        )
    except ValidationFailed:
        return None
