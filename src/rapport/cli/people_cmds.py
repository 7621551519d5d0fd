"""``rapport people ...``: the people directory (customers and employees) from the shell.

Commands act as the built-in ``system`` principal and are recorded in the audit log.
"""

from __future__ import annotations

import json
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
from rapport.domain.org import SYSTEM, PersonKind

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


KindArg = Annotated[PersonKind, typer.Argument(help="customer or employee")]
IdArg = Annotated[str, typer.Argument(help="The person's external id")]


@people_app.command("export")
def export_person(
    kind: KindArg,
    external_id: IdArg,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here (default: stdout)")
    ] = None,
) -> None:
    """Everything held about a person as JSON (a GDPR access request; audited)."""
    from rapport.services import personal_data

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            data = personal_data.export_person(uow, SYSTEM, kind, external_id)
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Wrote {out}.", highlight=False)


@people_app.command("erase")
def erase_person(
    kind: KindArg,
    external_id: IdArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase a person: identity and contact data deleted, responses kept as anonymous data
    (no person link, no free text, no identifying attributes). Audited; cannot be undone."""
    from rapport.services import personal_data

    if not yes:
        typer.confirm(f"Erase {kind.value} {external_id}? This cannot be undone", abort=True)
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            erased = personal_data.erase_person(uow, SYSTEM, kind, external_id)
    console.print(
        f"Erased {kind.value} {external_id}: {erased.responses} response(s) kept anonymously, "
        f"{erased.invitations} invitation(s) unlinked, {erased.comments} comment text(s) removed, "
        f"{erased.case_notes} case note(s) removed, {erased.learnings} learning(s) cleared "
        "of their identity.",
        highlight=False,
    )


@people_app.command("retention")
def retention(
    apply: Annotated[bool, typer.Option("--apply", help="Erase them (default: dry run)")] = False,
    months: Annotated[
        int | None,
        typer.Option("--months", min=1, help="Override RAPPORT_RETENTION_MONTHS"),
    ] = None,
) -> None:
    """People with no invitation or response activity for RAPPORT_RETENTION_MONTHS months
    (added to the directory before then): listed, or erased with --apply."""
    from rapport.services import personal_data

    settings = load_settings()
    limit = months or settings.retention_months
    if limit is None:
        fail("retention is off: set RAPPORT_RETENTION_MONTHS (or pass --months)")
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            found = personal_data.retention_candidates(uow, SYSTEM, limit)
            for c in found:
                typer.echo(f"{c.kind}\t{c.external_id}")
            if apply:
                personal_data.apply_retention(uow, SYSTEM, limit)
    verb = "Erased" if apply else "Would erase (dry run; --apply to erase)"
    console.print(f"{verb}: {len(found)} people inactive for {limit} months.", highlight=False)
