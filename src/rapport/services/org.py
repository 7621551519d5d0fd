"""Organisation use cases: the unit tree as a principal may see it."""

from __future__ import annotations

from rapport.domain.org import Permission, Principal, Unit
from rapport.services.access import require, visible_units
from rapport.storage.uow import UnitOfWork


def list_units(uow: UnitOfWork, principal: Principal) -> list[Unit]:
    """Units in tree order; managers get their own subtree only."""
    require(principal, Permission.VIEW_RESULTS)
    return visible_units(principal, uow.units.all())


def organisation_name(uow: UnitOfWork) -> str:
    """The name of the root unit, used for ``{org}`` in survey texts."""
    roots = [u for u in uow.units.all() if u.parent_id is None]
    return roots[0].name if roots else "us"
