"""Authorisation: every service checks the principal here, not only the routes."""

from __future__ import annotations

from rapport.domain.org import Permission, Principal, Unit
from rapport.errors import PermissionDenied


def require(principal: Principal, permission: Permission) -> None:
    """Raise PermissionDenied unless the principal's role grants ``permission``."""
    if not principal.can(permission):
        raise PermissionDenied(f"Your role ({principal.role.value}) may not {permission.value}.")


def require_unit(principal: Principal, unit: Unit) -> None:
    """Raise PermissionDenied unless the unit is inside the principal's scope."""
    if not principal.sees_unit(unit.path):
        raise PermissionDenied(f"Unit {unit.code} is outside your part of the organisation.")


def visible_units(principal: Principal, units: list[Unit]) -> list[Unit]:
    """The units a principal may see, in the order given."""
    return [u for u in units if principal.sees_unit(u.path)]
