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


def ancestors_by_unit(units: list[Unit]) -> dict[int, list[int]]:
    """Each unit's id → the ids of itself and every ancestor (root first), for roll-ups.

    A region's figures include its stores: add a store's response to every id in its list.
    """
    by_path = {u.path: u.id for u in units}
    out = {}
    for u in units:
        parts = u.path.split("/")
        out[u.id] = [by_path["/".join(parts[:i])] for i in range(1, len(parts) + 1)]
    return out


def unit_cells_parent(unit: Unit) -> str | None:
    """The path of a unit's parent (its suppression cell's parent), None for the root."""
    return unit.path.rsplit("/", 1)[0] if "/" in unit.path else None
