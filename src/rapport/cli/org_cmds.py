"""``rapport org ...``: the organisation tree from the shell — import a CSV, show the tree,
add, rename, move, archive and reopen units.

Commands act as the built-in ``system`` principal and are recorded in the audit log like
changes made through the API or ``/admin/units``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database
from rapport.domain.org import SYSTEM, Unit, UnitKind

if TYPE_CHECKING:
    from rapport.storage.uow import UnitOfWork

org_app = typer.Typer(help="The organisation tree (units).", no_args_is_help=True)
T = TypeVar("T")
OnDate = Annotated[
    str | None, typer.Option("--on", help="The date it takes effect, YYYY-MM-DD (default today).")
]


def _date(value: str | None, option: str = "--on") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date such as 2026-12-01, got '{value}'")


def _kind(value: str) -> UnitKind:
    try:
        return UnitKind(value)
    except ValueError:
        fail(f"--kind must be one of {', '.join(k.value for k in UnitKind)}, got '{value}'")


def _write(change: Callable[[UnitOfWork], T]) -> T:
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            return change(uow)


@org_app.command("import")
def import_units(
    file: Annotated[Path, typer.Argument(help="CSV with columns code,parent,name,kind.")],
    on: OnDate = None,
) -> None:
    """Create or update units from a CSV (upsert by code; all or nothing, every bad row
    listed). A changed parent is a move dated --on."""
    from rapport.services import unit_import

    if not file.is_file():
        fail(f"no file {file}")
    data = file.read_bytes()
    moved_on = _date(on)
    result = _write(lambda uow: unit_import.import_units(uow, SYSTEM, data, moved_on))
    console.print(
        f"Imported {file.name}: {result.created} added, {result.updated} renamed, "
        f"{result.moved} moved, {result.unchanged} unchanged.",
        highlight=False,
    )


@org_app.command("tree")
def tree() -> None:
    """Show the tree: one unit a line, indented, with its code, kind and status."""
    from rapport.services import org

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work(readonly=True) as uow:
            found = org.list_units(uow, SYSTEM)
    if not found:
        console.print("No units yet: `rapport init --org NAME` or `rapport org import FILE`.")
    for u in found:
        status = f"  (archived {u.closed_on})" if u.closed_on else ""
        console.print(
            f"{'  ' * u.path.count('/')}{u.name}  [{u.code}, {u.kind.value}]{status}",
            highlight=False,
            markup=False,
        )


def _done(verb: str, unit: Unit) -> None:
    console.print(f"{verb} {unit.name} ({unit.path}).", highlight=False, markup=False)


@org_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="Unit code (letters, digits, - _ .).")],
    name: Annotated[str, typer.Option(help="The unit's name.")],
    kind: Annotated[str, typer.Option(help="company, region, store, department, team, ...")],
    parent: Annotated[str | None, typer.Option(help="Parent code (none for the root).")] = None,
) -> None:
    """Add a unit."""
    from rapport.services import units

    parsed = _kind(kind)
    _done("Added", _write(lambda uow: units.create(uow, SYSTEM, code, name, parsed, parent)))


@org_app.command("rename")
def rename(
    code: Annotated[str, typer.Argument(help="Unit code.")],
    name: Annotated[str, typer.Argument(help="The new name.")],
) -> None:
    """Give a unit a new name (its code stays)."""
    from rapport.services import units

    _done("Renamed", _write(lambda uow: units.rename(uow, SYSTEM, code, name)))


@org_app.command("move")
def move(
    code: Annotated[str, typer.Argument(help="Unit code.")],
    parent: Annotated[str, typer.Argument(help="Code of the new parent.")],
    on: OnDate = None,
) -> None:
    """Move a unit (and its subtree) under another parent."""
    from rapport.services import units

    moved_on = _date(on)
    _done("Moved", _write(lambda uow: units.move(uow, SYSTEM, code, parent, moved_on)))


@org_app.command("archive")
def archive(code: Annotated[str, typer.Argument(help="Unit code.")], on: OnDate = None) -> None:
    """Close a unit: its history stays in past results; it takes no new responses."""
    from rapport.services import units

    closed_on = _date(on)
    _done("Archived", _write(lambda uow: units.archive(uow, SYSTEM, code, closed_on)))


@org_app.command("reopen")
def reopen(code: Annotated[str, typer.Argument(help="Unit code.")]) -> None:
    """Open an archived unit again."""
    from rapport.services import units

    _done("Reopened", _write(lambda uow: units.reopen(uow, SYSTEM, code)))
