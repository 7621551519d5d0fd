"""``rapport people ...``: the people directory (customers and employees) from the shell.

Commands act as the built-in ``system`` principal and are recorded in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rapport.cli._common import (
    console,
    fail,
    friendly_errors,
    load_settings,
    open_database,
    progress_bar,
)
from rapport.domain.org import SYSTEM

people_app = typer.Typer(
    help="The people directory (customers and employees).", no_args_is_help=True
)


@people_app.command("import")
def import_people(
    file: Annotated[Path, typer.Argument(help="CSV: external_id,kind,unit and optional columns.")],
) -> None:
    """Create or update people from a CSV (upsert by kind and external id; all or nothing,
    every bad row listed). Columns besides name, email, phone, language,
    relationship_start, consent_email and consent_sms become attributes."""
    from rapport.services import people

    if not file.is_file():
        fail(f"no file {file}")
    data = file.read_bytes()
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with progress_bar(f"Importing {file.name}", 0) as advance, db.unit_of_work() as uow:
            result = people.import_people(uow, SYSTEM, data, advance)
    console.print(
        f"Imported {file.name}: {result.created} added, {result.updated} updated "
        f"(file encoding {result.encoding}).",
        highlight=False,
    )
