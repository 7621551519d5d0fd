"""Fresh-experience actions: log them, list them, and estimate their effect.

Managers log actions for units of their own subtree (``log_actions`` and
:func:`rapport.services.access.require_unit`); everyone who may read results lists the
actions of the units they see. The effect of an action on a survey's metric is a
difference in differences of the unit × month figures (:mod:`rapport.analytics.relationships
.effects`), read through :func:`rapport.services.metrics.compute` — so it runs on every
engine, and an employee group below the anonymity threshold is a missing cell, never a
value. As for relationship health, the model runs on the whole organisation's grid (the
comparison units lie outside a manager's subtree; only the estimate leaves, never their
figures), after the principal's own read of the action's unit is checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.relationships import decline_alarms
from rapport.analytics.relationships.effects import DidEffect, did_effect
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.actions import Action, ActionKind
from rapport.domain.audit import AuditAction
from rapport.domain.org import SYSTEM, Permission, Principal, Role
from rapport.errors import FieldError, NotFound, ValidationFailed
from rapport.services import audit
from rapport.services.access import require, require_unit
from rapport.services.metrics import MetricRequest, ResultRow, compute
from rapport.storage.uow import Database, UnitOfWork

MAX_TITLE = 300


@dataclass(frozen=True)
class NewAction:
    """What a client sends to log an action."""

    unit: str
    title: str
    started_on: date
    description: str = ""
    intended_effect: str = ""
    ended_on: date | None = None
    kind: str = ActionKind.FRESH_EXPERIENCE.value


@dataclass(frozen=True)
class ActionEffect:
    """The estimated effect of one action on one metric of one survey."""

    action: Action
    survey_key: str
    metric: str
    audience: str
    engine: str
    treated_units: list[str]
    control_units: list[str]
    excluded_units: list[str]  # covered by another action, or in decline: not comparable
    effect: DidEffect


def log_action(uow: UnitOfWork, principal: Principal, new: NewAction) -> Action:
    """Record an action; ValidationFailed names each bad field, PermissionDenied a unit
    outside the principal's subtree."""
    require(principal, Permission.LOG_ACTIONS)
    errors = []
    title = new.title.strip()
    if not title or len(title) > MAX_TITLE:
        errors.append(FieldError("title", f"expected 1–{MAX_TITLE} characters"))
    if new.kind not in {k.value for k in ActionKind}:
        kinds = ", ".join(k.value for k in ActionKind)
        errors.append(FieldError("kind", f"expected one of {kinds}, got {new.kind!r}"))
    if new.ended_on is not None and new.ended_on < new.started_on:
        errors.append(FieldError("ended_on", "expected a date on or after started_on"))
    unit = uow.units.find(new.unit.strip()) if new.unit.strip() else None
    if unit is None:
        errors.append(FieldError("unit", f"no unit with code or path {new.unit!r}"))
    if errors or unit is None:
        raise ValidationFailed("the action is not valid", errors)
    require_unit(principal, unit)
    action_id = uow.actions.add(
        unit.id,
        new.kind,
        title,
        new.started_on,
        new.description.strip(),
        intended_effect=new.intended_effect.strip(),
        ended_on=new.ended_on,
        created_by=principal.name,
    )
    audit.record(
        uow,
        principal,
        AuditAction.ACTION_CREATE,
        f"action:{action_id}",
        {"unit": unit.code, "title": title},
    )
    found = uow.actions.get(action_id)
    if found is None:
        raise RuntimeError("internal error: the action just stored is missing")
    return found


def list_actions(uow: UnitOfWork, principal: Principal, unit: str | None = None) -> list[Action]:
    """The actions of the units ``principal`` sees (within ``unit``'s subtree if given)."""
    require(principal, Permission.VIEW_RESULTS)
    within = None
    if unit:
        found = uow.units.find(unit)
        if found is None:
            raise NotFound(f"no unit with code or path {unit!r}")
        require_unit(principal, found)
        within = found.path
    return [a for a in uow.actions.list(within) if principal.sees_unit(a.unit_path)]


def get_action(uow: UnitOfWork, principal: Principal, action_id: int) -> Action:
    require(principal, Permission.VIEW_RESULTS)
    found = uow.actions.get(action_id)
    if found is None:
        raise NotFound(f"no action {action_id}")
    if not principal.sees_unit(found.unit_path):
        raise NotFound(f"no action {action_id}")  # outside the subtree: as if absent
    return found


def action_effect(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    action_id: int,
    survey: int | str,
    policy: SuppressionPolicy,
    metric: str = "hearts",
) -> ActionEffect:
    """Difference in differences of ``metric`` by unit × month of ``survey`` for the units
    the action covers against comparable units (the same depth and kind, covered by no other
    action). Raises what :func:`~rapport.services.metrics.compute` raises."""
    with db.unit_of_work(readonly=True) as uow:
        action = get_action(uow, principal, action_id)
        others = [a for a in uow.actions.list() if a.id != action.id]
        kinds = {u.path: u.kind for u in uow.units.all()}
    if not str(survey or "").strip():
        raise ValidationFailed("name a survey", [FieldError("survey", "the survey key or id")])
    request = MetricRequest(survey=survey, metric=metric, by=["unit"], period="month")
    if principal.role is Role.MANAGER:  # their own read checks role, scope and survey
        scoped = MetricRequest(
            survey=survey, metric=metric, by=["unit"], period="month", unit=action.unit_path
        )
        own = compute(engine, principal, scoped, policy)
        whole = compute(engine, SYSTEM, request, policy)
    else:
        own = whole = compute(engine, principal, request, policy)
    if own.survey is None:
        raise RuntimeError("internal error: expected a survey")
    panel, treated, controls, excluded = did_panel(
        whole.rows, [action.unit_path], [o.unit_path for o in others], kinds
    )
    start = pd.Timestamp(action.started_on.replace(day=1))
    effect = did_effect(panel, treated, start)
    return ActionEffect(
        action,
        own.survey.key,
        metric,
        own.survey.audience,
        own.engine,
        sorted(treated),
        sorted(controls),
        sorted(excluded),
        effect,
    )


def _covers(path: str, unit_path: str) -> bool:
    return unit_path == path or unit_path.startswith(path + "/")


def did_panel(
    rows: Sequence[ResultRow],
    treated_paths: Sequence[str],
    other_paths: Sequence[str],
    kinds: Mapping[str, object],
) -> tuple[pd.DataFrame, set[str], set[str], set[str]]:
    """Unit × month values at the level of the deepest treated units with data: the units
    under ``treated_paths`` against comparable units (same depth and kind) under none of
    ``other_paths`` (another action's units) and not in decline; returns the panel and the
    treated, comparison and excluded unit codes."""
    cells = [r for r in rows if r.unit_path and r.period is not None and r.unit_depth is not None]

    def treated_cell(path: str) -> bool:
        return any(_covers(p, path) for p in treated_paths)

    inside = [r for r in cells if treated_cell(r.unit_path or "")]
    with_data = [r for r in inside if r.value is not None and not r.suppressed]
    if not with_data:
        return pd.DataFrame(columns=["unit", "period", "value"]), set(), set(), set()
    depth = max(r.unit_depth or 0 for r in with_data)
    level = [r for r in cells if r.unit_depth == depth]
    treated_kinds = {kinds.get(r.unit_path or "") for r in with_data if r.unit_depth == depth}
    treated, controls, excluded = set(), set(), set()
    records = []
    for r in level:
        path = r.unit_path or ""
        if treated_cell(path):
            treated.add(r.unit_code or path)
        elif kinds.get(path) not in treated_kinds:
            continue
        elif any(_covers(o, path) for o in other_paths):
            excluded.add(r.unit_code or path)
            continue
        else:
            controls.add(r.unit_code or path)
        shown = not (r.suppressed or r.value is None)  # a hidden cell is missing, never read
        values = (r.value, r.lower, r.upper) if shown else (None, None, None)
        records.append((r.unit_code or path, pd.Timestamp(r.period or date.min), *values, r.n))
    columns = ["unit", "period", "value", "lower", "upper", "n"]
    panel = pd.DataFrame.from_records(records, columns=columns)
    panel = panel.astype({"value": float, "lower": float, "upper": float, "n": int})
    declining = _declining(panel[panel["unit"].isin(controls)])
    keep = ~panel["unit"].isin(declining)
    return panel[keep], treated, controls - declining, excluded | declining


def _declining(panel: pd.DataFrame) -> set[str]:
    """Comparison units in decline on the metric itself (the product's CUSUM alarm,
    :func:`~rapport.analytics.relationships.decline_alarms`): a unit drifting down is
    not a comparable control, it would lend the treated units its fall as an "effect"."""
    if panel.empty:
        return set()
    frame = panel.rename(columns={"value": "estimate"}).assign(signal="metric")
    alarms = decline_alarms(frame, ("metric",))
    return {str(u) for u in alarms.loc[alarms["alarm"], "unit"].unique()}
