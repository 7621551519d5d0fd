"""Changing the organisation tree: create, rename, move, archive and reopen units.

Admins only (``manage_org``); every change is written to the audit log. A unit is never
deleted: archiving sets ``closed_on`` so a closed store keeps its history and stays in past
results, while new responses, links and invitations to it are refused. A move is dated and
kept in ``unit_moves``; results roll up through the *current* tree (docs/organisation.md).
"""

from __future__ import annotations

import re
from datetime import date

from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Principal, Unit, UnitKind, UnitMove
from rapport.errors import Conflict, FieldError, NotFound, ValidationFailed
from rapport.services import audit
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.storage.uow import UnitOfWork

#: Codes become path segments and URL parts: letters, digits, ``-``, ``_`` and ``.``.
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
CODE_HINT = "1-80 letters, digits, '-', '_' or '.', starting with a letter or digit"


def today() -> date:
    return utcnow().date()


def code_for(name: str) -> str:
    """A unit code made from a name.

    >>> code_for("Acme Stores Ltd.")
    'acme-stores-ltd'
    """
    code = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80]
    return code or "org"


def check_code(code: str, location: str = "code") -> FieldError | None:
    """The error for a code that cannot be a unit code, or None."""
    if CODE.match(code):
        return None
    return FieldError(location, f"expected {CODE_HINT}, got {code!r}", "code")


def parse_kind(value: str, location: str = "kind") -> UnitKind | FieldError:
    try:
        return UnitKind(value.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in UnitKind)
        return FieldError(location, f"expected one of {kinds}, got {value!r}", "kind")


def get(uow: UnitOfWork, code: str) -> Unit:
    """The unit with this code or path, or :class:`NotFound`."""
    found = uow.units.find(code)
    if found is None:
        raise NotFound(f"no unit with code or path {code!r}")
    return found


def require_open(unit: Unit, on: date | None = None, location: str = "unit") -> None:
    """Refuse new data for an archived unit (422, error code ``closed_unit``)."""
    if unit.closed(on or today()):
        message = f"unit {unit.code} was archived on {unit.closed_on}; it takes no new data"
        raise ValidationFailed("archived unit", [FieldError(location, message, "closed_unit")])


def _open_parent(uow: UnitOfWork, code: str, location: str = "parent") -> Unit:
    parent = uow.units.find(code)
    if parent is None:
        raise ValidationFailed(
            "unknown parent", [FieldError(location, f"no unit {code!r}", "unknown_parent")]
        )
    if parent.closed(today()):
        message = f"unit {parent.code} is archived; reopen it or choose another parent"
        raise ValidationFailed("archived parent", [FieldError(location, message, "closed_unit")])
    return parent


def create(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    name: str,
    kind: UnitKind,
    parent: str | None = None,
    opened_on: date | None = None,
) -> Unit:
    """Add a unit under ``parent`` (code or path); without a parent it is the root, and an
    organisation has one root.

    >>> # units.create(uow, SYSTEM, "north", "North", UnitKind.REGION, parent="acme")
    """
    require(principal, Permission.MANAGE_ORG)
    errors = [e for e in (check_code(code),) if e]
    if not name.strip():
        errors.append(FieldError("name", "expected a name", "required"))
    if errors:
        raise ValidationFailed("the unit is not valid", errors)
    if uow.units.by_code(code) is not None:
        raise Conflict(f"a unit with code {code!r} exists", [FieldError("code", "taken")])
    above = _open_parent(uow, parent) if parent else None
    if above is None and any(u.parent_id is None for u in uow.units.all()):
        raise ValidationFailed(
            "the organisation has a root",
            [FieldError("parent", "expected the code of the parent unit", "required")],
        )
    unit = uow.units.add(code, name.strip(), kind, above, opened_on or today())
    audit.record(uow, principal, AuditAction.UNIT_CREATE, f"unit:{code}", {"path": unit.path})
    return unit


def rename(uow: UnitOfWork, principal: Principal, code: str, name: str) -> Unit:
    """Give a unit a new name (its code, which paths and links use, stays)."""
    require(principal, Permission.MANAGE_ORG)
    unit = get(uow, code)
    if not name.strip():
        raise ValidationFailed("no name", [FieldError("name", "expected a name", "required")])
    done = uow.units.update(unit.id, name=name.strip())
    detail = {"from": unit.name, "to": done.name}
    audit.record(uow, principal, AuditAction.UNIT_RENAME, f"unit:{unit.code}", detail)
    return done


def move(
    uow: UnitOfWork, principal: Principal, code: str, parent: str, moved_on: date | None = None
) -> Unit:
    """Hang a unit and its subtree under another parent, from ``moved_on`` (default today).

    Refused for the root, under the unit itself or its own subtree (a cycle) and under an
    archived unit.
    """
    require(principal, Permission.MANAGE_ORG)
    unit = get(uow, code)
    target = _open_parent(uow, parent)
    if unit.parent_id is None:
        raise ValidationFailed(
            "the root cannot move", [FieldError("parent", "the root unit has no parent", "root")]
        )
    if unit.contains(target.path):
        message = f"{target.code} is {unit.code} or below it; the tree would have a cycle"
        raise ValidationFailed("cycle", [FieldError("parent", message, "cycle")])
    if target.id == unit.parent_id:
        return unit
    moved = uow.units.reparent(unit, target)
    when = moved_on or today()
    uow.units.add_move(UnitMove(unit.id, unit.parent_id, target.id, when, principal.name))
    detail = {"from": unit.parent_path, "to": target.path, "moved_on": when.isoformat()}
    audit.record(uow, principal, AuditAction.UNIT_MOVE, f"unit:{unit.code}", detail)
    return moved


def archive(
    uow: UnitOfWork, principal: Principal, code: str, closed_on: date | None = None
) -> Unit:
    """Close a unit from ``closed_on`` (default today): its history stays, new data is
    refused. Units with open children are refused (archive or move the children first)."""
    require(principal, Permission.MANAGE_ORG)
    unit = get(uow, code)
    if unit.closed_on is not None:
        return unit
    open_children = [
        u.code for u in uow.units.subtree(unit.path) if u.id != unit.id and u.closed_on is None
    ]
    if open_children:
        message = f"its units {', '.join(open_children[:5])} are open; archive or move them first"
        raise Conflict(
            f"{unit.code} has open units", [FieldError("unit", message, "open_children")]
        )
    when = closed_on or today()
    done = uow.units.update(unit.id, closed_on=when, closed_by=principal.name)
    detail = {"closed_on": when.isoformat()}
    audit.record(uow, principal, AuditAction.UNIT_ARCHIVE, f"unit:{unit.code}", detail)
    return done


def reopen(uow: UnitOfWork, principal: Principal, code: str) -> Unit:
    """Open an archived unit again (its parent must be open)."""
    require(principal, Permission.MANAGE_ORG)
    unit = get(uow, code)
    if unit.closed_on is None:
        return unit
    parent = uow.units.get(unit.parent_id) if unit.parent_id else None
    if parent is not None and parent.closed_on is not None:
        message = f"its parent {parent.code} is archived; reopen that first"
        raise Conflict(
            f"{unit.code} cannot reopen: {message}", [FieldError("unit", message, "closed_unit")]
        )
    done = uow.units.update(unit.id, closed_on=None, closed_by=None)
    audit.record(uow, principal, AuditAction.UNIT_REOPEN, f"unit:{unit.code}")
    return done
