"""Cases: follow-up of feedback, owned by the unit's manager, escalated up the tree when
overdue (``docs/closed-loop.md``).

The owner of a case at escalation level ``k`` is the first active manager found from the
``k``-th ancestor of the case's unit upwards. The SLA (hours per priority) is the setting
``RAPPORT_CASE_SLA_HOURS``, handed to this module once per database by :func:`configure`.
Employee-survey cases never show who answered: no response id, person or time (the opening
time is kept to the day), and the comment only when the unit holds enough responses to the
survey to hide its author (the comment threshold of the suppression policy).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.alerts import (
    DEFAULT_SLA_HOURS,
    RESOLUTION_CODES,
    TRANSITIONS,
    WAITING,
    CaseStatus,
    Priority,
    due_at,
)
from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Principal, Role, Unit
from rapport.domain.webhooks import EventType
from rapport.errors import FieldError, NotFound, ValidationFailed
from rapport.services import audit, confidentiality
from rapport.services.access import require, require_unit
from rapport.services.clock import utcnow
from rapport.services.webhooks import events as webhook_events
from rapport.storage.repositories.cases import CaseFilter, CaseRecord
from rapport.storage.uow import Database, UnitOfWork

logger = logging.getLogger("rapport.cases")
_SLA_KEY = ("settings", "case_sla_hours")
MAX_PAGE = 500


def configure(db: Database, sla_hours: Mapping[str, int]) -> None:
    """Use ``sla_hours`` (``Settings.case_sla_hours``) for cases opened through ``db``."""
    db.memo[_SLA_KEY] = dict(sla_hours)


def sla_hours(uow: UnitOfWork) -> Mapping[str, int]:
    found = uow.memo.get(_SLA_KEY)
    return found if isinstance(found, dict) else DEFAULT_SLA_HOURS


def ancestors(unit: Unit, by_path: Mapping[str, Unit]) -> list[Unit]:
    """The unit, its parent, …, the root."""
    parts = unit.path.split("/")
    return [
        by_path[p] for p in ("/".join(parts[:n]) for n in range(len(parts), 0, -1)) if p in by_path
    ]


class Owners:
    """Who owns a unit's cases: the first active manager from the unit (or its ``level``-th
    ancestor) upwards. Managers and the tree are read once, for many cases."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.managers = uow.cases.managers()
        self.by_path = {u.path: u for u in uow.units.all()}

    def depth(self, unit: Unit) -> int:
        """How many levels a case of ``unit`` can escalate (0 at the root)."""
        return len(ancestors(unit, self.by_path)) - 1

    def find(self, unit: Unit, level: int = 0) -> int | None:
        chain = ancestors(unit, self.by_path)[level:]
        return next((self.managers[u.id][0] for u in chain if u.id in self.managers), None)


def _new_case(
    uow: UnitOfWork,
    owners: Owners,
    *,
    unit: Unit,
    audience: str,
    title: str,
    priority: str,
    actor: str,
    rule_id: int | None,
    response_id: int | None,
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The row of a new case and of its ``opened`` event (without the case id yet)."""
    opened = now
    if audience == "employee":  # the time of a rule's case is the time someone answered
        opened = opened.replace(hour=0, minute=0, second=0, microsecond=0)
    owner = owners.find(unit)
    case = {
        "rule_id": rule_id,
        "response_id": response_id,
        "unit_id": unit.id,
        "audience": audience,
        "title": title,
        "owner_id": owner,
        "status": CaseStatus.OPEN.value,
        "priority": priority,
        "due_at": due_at(opened, priority, sla_hours(uow)),
        "opened_at": opened,
        "escalation_level": 0,
    }
    event = {
        "at": opened,
        "actor": actor,
        "kind": "opened",
        "from_value": None,
        "to_value": str(owner) if owner else None,
        "notify_user_id": owner,
    }
    return case, event


def open_case(
    uow: UnitOfWork,
    *,
    unit: Unit,
    audience: str,
    title: str,
    priority: str,
    actor: str,
    rule_id: int | None = None,
    response_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Open one case owned by the unit's manager (or the nearest above), with its SLA."""
    case, event = _new_case(
        uow,
        Owners(uow),
        unit=unit,
        audience=audience,
        title=title,
        priority=priority,
        actor=actor,
        rule_id=rule_id,
        response_id=response_id,
        now=now or utcnow(),
    )
    [case_id] = uow.cases.add_many([case], [event])
    webhook_events.cases_changed(uow, EventType.CASE_CREATED, [case_id])
    return case_id


def _unit(uow: UnitOfWork, code: str, location: str) -> Unit:
    found = uow.units.find(code)
    if found is None:
        raise ValidationFailed("unknown unit", [FieldError(location, f"no unit {code!r}")])
    return found


def _priority(value: str) -> str:
    if value not in set(Priority):
        raise ValidationFailed(
            "unknown priority",
            [FieldError("priority", f"expected one of {', '.join(Priority)}, got {value!r}")],
        )
    return value


def create(
    uow: UnitOfWork, principal: Principal, *, unit: str, title: str, priority: str, note: str = ""
) -> int:
    """Open a case by hand (e.g. a complaint by phone) in a unit the principal may see."""
    require(principal, Permission.WORK_CASES)
    target = _unit(uow, unit, "unit")
    require_unit(principal, target)
    if not title.strip():
        raise ValidationFailed("empty title", [FieldError("title", "expected some text")])
    case_id = open_case(
        uow,
        unit=target,
        audience="customer",
        title=title.strip(),
        priority=_priority(priority),
        actor=principal.name,
    )
    if note.strip():
        uow.cases.add_note(case_id, principal.name, utcnow(), note.strip())
    audit.record(uow, principal, AuditAction.CASE_CREATE, f"case:{case_id}", {"unit": target.code})
    return case_id


@dataclass(frozen=True)
class CaseQuery:
    status: str | None = None
    unit: str | None = None
    owner_me: bool = False
    overdue: bool | None = None
    after: int = 0
    limit: int = 100


def _visible(uow: UnitOfWork, principal: Principal, case: CaseRecord) -> Unit:
    unit = uow.units.get(case.unit_id)
    if unit is None or not principal.sees_unit(unit.path):
        raise NotFound(f"no case {case.id}")
    return unit


def find(uow: UnitOfWork, principal: Principal, query: CaseQuery) -> list[dict[str, Any]]:
    """Cases the principal may see (managers: their subtree), oldest first."""
    require(principal, Permission.WORK_CASES)
    if query.status is not None and query.status not in set(CaseStatus):
        raise ValidationFailed(
            "unknown status",
            [
                FieldError(
                    "status", f"expected one of {', '.join(CaseStatus)}, got {query.status!r}"
                )
            ],
        )
    units = uow.units.all()
    scope: list[int] | None = None
    if query.unit is not None:
        root = _unit(uow, query.unit, "unit")
        require_unit(principal, root)
        scope = [u.id for u in uow.units.subtree(root.path)]
    elif principal.role is Role.MANAGER:
        scope = [u.id for u in units if principal.sees_unit(u.path)]
    owner = None
    if query.owner_me:
        owner = principal.id if principal.kind == "user" and principal.id is not None else -1
    now = utcnow()
    rows = uow.cases.find(
        CaseFilter(
            status=query.status,
            unit_ids=scope,
            owner_id=owner,
            overdue_at=now if query.overdue else None,
            limit=min(max(query.limit, 1), MAX_PAGE),
            after_id=query.after,
        )
    )
    if query.overdue is False:
        rows = [r for r in rows if not _overdue(r, now)]
    codes = {u.id: u.code for u in units}
    emails = {u.id: u.email for u in uow.users.all()}
    return [_summary(r, codes, emails, now) for r in rows]


def _overdue(case: CaseRecord, now: datetime) -> bool:
    return case.status in WAITING and case.due_at < now


def _summary(
    case: CaseRecord, codes: Mapping[int, str], emails: Mapping[int, str], now: datetime
) -> dict[str, Any]:
    return {
        "id": case.id,
        "title": case.title,
        "unit": codes.get(case.unit_id, ""),
        "audience": case.audience,
        "rule_id": case.rule_id,
        "owner": emails.get(case.owner_id) if case.owner_id else None,
        "status": case.status,
        "priority": case.priority,
        "opened_at": case.opened_at,
        "due_at": case.due_at,
        "overdue": _overdue(case, now),
        "first_contact_at": case.first_contact_at,
        "resolved_at": case.resolved_at,
        "resolution_code": case.resolution_code,
        "escalation_level": case.escalation_level,
    }


def detail(
    uow: UnitOfWork,
    principal: Principal,
    case_id: int,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> dict[str, Any]:
    """One case with its notes, events and the feedback behind it.

    A customer case names its response; an employee case (a protected audience) shows only
    the comment and the unit, and the comment only when the unit holds at least the comment
    threshold of responses to the survey (``comment_withheld`` says why otherwise).
    """
    require(principal, Permission.WORK_CASES)
    case = uow.cases.get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    unit = _visible(uow, principal, case)
    emails = {u.id: u.email for u in uow.users.all()}
    out = _summary(case, {unit.id: unit.code}, emails, utcnow())
    out["notes"] = uow.cases.notes(case.id)
    out["events"] = uow.cases.events(case.id)
    out["response_id"] = None
    out["comments"] = []
    out["comment_withheld"] = None
    out["follow_up"] = _follow_up(uow, case)
    if case.response_id is None:
        return out
    if confidentiality.protects(policy, case.audience):
        group = uow.cases.responses_in_unit(case.response_id)
        if group < policy.min_comments:
            out["comment_withheld"] = (
                f"Fewer than {policy.min_comments} responses in {unit.code}: the comment "
                "is not shown, to protect its author."
            )
        else:
            out["comments"] = uow.cases.comments(case.response_id)
        return out
    out["response_id"] = case.response_id
    out["comments"] = uow.cases.comments(case.response_id)
    return out


def _follow_up(uow: UnitOfWork, case: CaseRecord) -> dict[str, Any] | None:
    """The follow-up survey sent when the case closed and, once answered, its answers
    (customer cases only: employee cases never get one)."""
    if case.follow_up_invitation_id is None:
        return None
    if case.follow_up_response_id is None:
        return {"status": "sent", "response_id": None, "answers": []}
    answers = uow.cases.answers(case.follow_up_response_id)
    return {"status": "answered", "response_id": case.follow_up_response_id, "answers": answers}


@dataclass(frozen=True)
class CaseChange:
    status: str | None = None
    owner: str | None = None  # a user's e-mail
    note: str | None = None
    resolution_code: str | None = None


def update(uow: UnitOfWork, principal: Principal, case_id: int, change: CaseChange) -> None:
    """Change status, owner or resolution code, or add a note; each change is an event."""
    require(principal, Permission.WORK_CASES)
    case = uow.cases.get(case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    unit = _visible(uow, principal, case)
    now = utcnow()
    values: dict[str, Any] = {}
    events: list[tuple[str, str | None, str | None]] = []
    if change.resolution_code is not None:
        if change.resolution_code not in RESOLUTION_CODES:
            raise ValidationFailed(
                "unknown resolution code",
                [FieldError("resolution_code", f"expected one of {', '.join(RESOLUTION_CODES)}")],
            )
        values["resolution_code"] = change.resolution_code
        events.append(("resolution", case.resolution_code, change.resolution_code))
    if change.status is not None and change.status != case.status:
        if change.status not in set(CaseStatus):
            raise ValidationFailed(
                "unknown status",
                [FieldError("status", f"expected one of {', '.join(CaseStatus)}")],
            )
        new = CaseStatus(change.status)
        if new not in TRANSITIONS[CaseStatus(case.status)]:
            raise ValidationFailed(
                "status change not allowed",
                [FieldError("status", f"a {case.status} case cannot become {new}")],
            )
        code = values.get("resolution_code", case.resolution_code)
        if new in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and code is None:
            raise ValidationFailed(
                "a resolution code is needed",
                [FieldError("resolution_code", f"required to make a case {new}", "required")],
            )
        values["status"] = new.value
        if new is CaseStatus.IN_PROGRESS and case.first_contact_at is None:
            values["first_contact_at"] = now
        if new in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and case.resolved_at is None:
            values["resolved_at"] = now
            values.setdefault("first_contact_at", case.first_contact_at or now)
        events.append(("status", case.status, new.value))
    notify: int | None = None
    if change.owner is not None:
        user = uow.users.by_email(change.owner.strip().lower())
        if user is None or not user.is_active:
            raise ValidationFailed("unknown owner", [FieldError("owner", "no active user")])
        if not user.principal().can(Permission.WORK_CASES) or not user.principal().sees_unit(
            unit.path
        ):
            raise ValidationFailed(
                "owner cannot work this case",
                [FieldError("owner", f"{user.email} may not work cases of {unit.code}")],
            )
        if user.id != case.owner_id:
            values["owner_id"] = user.id
            notify = user.id
            events.append(("owner", str(case.owner_id or ""), str(user.id)))
    if values:
        uow.cases.update(case.id, **values)
    for kind, old, new_value in events:
        uow.cases.add_event(
            case_id=case.id,
            at=now,
            actor=principal.name,
            kind=kind,
            from_value=old,
            to_value=new_value,
            notify_user_id=notify if kind == "owner" else None,
        )
    if change.note is not None and change.note.strip():
        uow.cases.add_note(case.id, principal.name, now, change.note.strip())
    elif not values and change.note is not None:
        raise ValidationFailed("empty note", [FieldError("note", "expected some text")])
    closed = values.get("status") == CaseStatus.CLOSED
    event = EventType.CASE_CLOSED if closed else EventType.CASE_UPDATED
    webhook_events.cases_changed(uow, event, [case.id])


def open_for_matches(
    uow: UnitOfWork,
    matches: Sequence[tuple[int, int, int, str, str, str]],
    units: Mapping[int, Unit],
) -> list[int]:
    """Open a case per (rule id, response id, unit id, audience, title, priority) match,
    skipping pairs that already have one; cases and events are inserted in two statements."""
    have = uow.cases.opened_for([m[1] for m in matches])
    now = utcnow()
    owners = Owners(uow)
    rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for rule_id, response_id, unit_id, audience, title, priority in matches:
        if (rule_id, response_id) in have:
            continue
        have.add((rule_id, response_id))
        rows.append(
            _new_case(
                uow,
                owners,
                unit=units[unit_id],
                audience=audience,
                title=title,
                priority=priority,
                actor=f"rule:{rule_id}",
                rule_id=rule_id,
                response_id=response_id,
                now=now,
            )
        )
    if not rows:
        return []
    ids = uow.cases.add_many([c for c, _ in rows], [e for _, e in rows])
    webhook_events.cases_changed(uow, EventType.CASE_CREATED, ids)
    return ids
