"""``rapport survey ...`` and ``rapport responses ...``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from rapport.cli._common import (
    console,
    err_console,
    fail,
    friendly_errors,
    load_settings,
    open_database,
    progress_bar,
)
from rapport.domain.org import SYSTEM

if TYPE_CHECKING:
    from rapport.services.notify import SmtpNotifier
    from rapport.settings import Settings

survey_app = typer.Typer(help="Survey definitions: import, export, list.", no_args_is_help=True)
responses_app = typer.Typer(help="Responses: import from CSV, export.", no_args_is_help=True)


TITLE_MIN_WIDTH = 12


def _survey_ref(value: str) -> int | str:
    return int(value) if value.isdigit() else value


@survey_app.command("list")
def list_surveys() -> None:
    """List surveys with their latest version and response counts."""
    from rapport.services import surveys

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            items = surveys.list_surveys(uow, SYSTEM)
    # Keys are what the other commands take: never cut. Short columns keep their width and
    # the title comes last and folds; a terminal too narrow even for that gets long lines.
    columns = ("id", "key", "audience", "version", "status", "responses")
    rows = [[str(s[c]) for c in columns] + [str(s["title"])] for s in items]
    table = Table()
    for name in columns:
        numeric = name in ("id", "version", "responses")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=True)
    table.add_column("title", overflow="fold", min_width=TITLE_MIN_WIDTH)
    for row in rows:
        table.add_row(*row)
    widths = [max([len(name), *(len(r[i]) for r in rows)]) for i, name in enumerate(columns)]
    needed = sum(widths) + TITLE_MIN_WIDTH + 3 * (len(columns) + 1) + 1  # cells, borders
    wide = console if console.width >= needed else Console(width=needed, file=console.file)
    wide.print(table)


@survey_app.command("import")
def import_survey(
    file: Annotated[
        Path,
        typer.Argument(
            help="A YAML or JSON survey definition, or a "
            "built-in template key such as "
            "customer-relationship."
        ),
    ],
    draft: Annotated[bool, typer.Option(help="Keep as a draft instead of publishing.")] = False,
) -> None:
    """Create a survey (or a new version of it) from a definition file."""
    from rapport.services import survey_definitions, surveys

    settings = load_settings()
    with friendly_errors():
        if file.exists():
            fmt = "json" if file.suffix.lower() == ".json" else "yaml"
            definition = survey_definitions.load_definition_text(file.read_text("utf-8"), fmt)
        elif str(file) in survey_definitions.list_templates():
            definition = survey_definitions.load_template(str(file))
        else:
            fail(f"{file}: no such file or built-in template")
        db = open_database(settings)
        with db.unit_of_work() as uow:
            version = surveys.save_definition(uow, SYSTEM, definition, publish=not draft)
    console.print(
        f"Survey [bold]{definition.key}[/] (id {version.survey_id}) version "
        f"{version.version}: {version.status}."
    )


@survey_app.command("export")
def export_survey(
    survey: Annotated[str, typer.Argument(help="Survey id or key.")],
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
) -> None:
    """Print the published definition of a survey."""
    from rapport.services import survey_definitions, surveys

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            published = surveys.get_published(uow, _survey_ref(survey))
        text = survey_definitions.dump_definition(published.definition, fmt)
    typer.echo(text)


@responses_app.command("import")
def import_responses(
    survey: Annotated[str, typer.Argument(help="Survey id or key.")],
    file: Annotated[Path, typer.Argument(help="CSV file (UTF-8, UTF-8 with BOM or Windows-1252).")],
) -> None:
    """Import responses from CSV: every row is checked first; any bad row imports nothing."""
    from rapport.services import response_import

    settings = load_settings()
    with friendly_errors():
        if not file.exists():
            fail(f"{file}: no such file")
        data = file.read_bytes()
        rows = max(data.count(b"\n") - 1, 1)
        db = open_database(settings)
        try:
            with progress_bar("Importing", 2 * rows) as advance, db.unit_of_work() as uow:
                result = response_import.import_responses(
                    uow, SYSTEM, _survey_ref(survey), data, advance
                )
        except Exception as exc:
            from rapport.errors import ValidationFailed

            if isinstance(exc, ValidationFailed) and exc.errors:
                for e in exc.errors[:50]:
                    console.print(f"  {e.location}: {e.message}", highlight=False)
                if len(exc.errors) > 50:
                    console.print(f"  ... and {len(exc.errors) - 50} more")
                fail(exc.detail)
            raise
    console.print(
        f"Imported {result.rows} responses into {result.survey_key} "
        f"(file encoding {result.encoding})."
    )


@responses_app.command("export")
def export_responses(
    survey: Annotated[str, typer.Argument(help="Survey id or key.")],
    out: Annotated[Path, typer.Option(help="Output file (.csv or .parquet).")],
) -> None:
    """Export responses (one row per response) to CSV or Parquet."""
    from rapport.exporters.responses import to_csv_bytes, to_parquet_bytes, wide_frame
    from rapport.services import responses, surveys

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            sid = surveys.get_published(uow, _survey_ref(survey)).survey.id
            frame = wide_frame(responses.iter_all_for(uow, SYSTEM, sid))
        data = to_parquet_bytes(frame) if out.suffix == ".parquet" else to_csv_bytes(frame)
        out.write_bytes(data)
    console.print(f"Wrote {len(frame)} responses to {out}.")


def _notifier(settings: Settings) -> SmtpNotifier:
    from rapport.services.notify import smtp_notifier

    return smtp_notifier(settings)


@survey_app.command("distribute")
def distribute(
    survey: Annotated[str, typer.Argument(help="Survey id or key.")],
    unit: Annotated[str, typer.Option(help="Unit code or path; its whole subtree is invited.")],
    attribute: Annotated[
        list[str] | None,
        typer.Option(help="Only people with this attribute, as KEY=VALUE (repeatable)."),
    ] = None,
    people_csv: Annotated[
        Path | None, typer.Option(help="CSV with an external_id column: invite only these people.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the links (CSV).")] = Path("links.csv"),
    qr_dir: Annotated[
        Path | None, typer.Option(help="Also write one QR code PNG per link.")
    ] = None,
    email: Annotated[bool, typer.Option(help="E-mail each link via RAPPORT_SMTP_*.")] = False,
    expires_days: Annotated[int | None, typer.Option(help="Links expire after N days.")] = None,
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="A new wave: invite people who already hold an invitation to this survey "
            "(without it they are skipped).",
        ),
    ] = False,
) -> None:
    """Create single-use invitation links for the people of a unit (once per person and
    survey; --again starts a new wave). Links start with RAPPORT_BASE_URL."""
    import csv
    from datetime import timedelta

    import segno

    from rapport.domain.survey import text_for
    from rapport.exporters.csv_safety import safe_cell
    from rapport.services import invitations, surveys
    from rapport.services.clock import utcnow

    settings = load_settings()
    base = _link_base(settings)
    with friendly_errors():
        attrs = dict(a.split("=", 1) for a in attribute or [] if "=" in a)
        ids = None
        if people_csv is not None:
            with people_csv.open(newline="", encoding="utf-8-sig") as fh:
                ids = [row["external_id"].strip() for row in csv.DictReader(fh)]
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        db = open_database(settings)
        with db.unit_of_work() as uow:
            wave = invitations.distribute_wave(
                uow,
                SYSTEM,
                _survey_ref(survey),
                unit=unit,
                attributes=attrs or None,
                external_ids=ids,
                link_secret=settings.resolved_secret_key(),
                expires_at=expires,
                again=again,
            )
            issued = wave.issued
            if email:
                defn = surveys.get_published(uow, _survey_ref(survey)).definition
                title = text_for(defn.title, defn.default_language, defn.default_language)
                invitations.send_invitations(
                    uow,
                    issued,
                    title,
                    base,
                    _notifier(settings),
                    link_secret=settings.resolved_secret_key(),
                )
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["external_id", "name", "email", "link"])
            for inv in issued:
                url = f"{base}/s/{inv.token}"
                cells = (inv.person.external_id, inv.person.name, inv.person.email, url)
                writer.writerow([safe_cell(c) for c in cells])  # names are not formulas
                if qr_dir is not None:
                    qr_dir.mkdir(parents=True, exist_ok=True)
                    segno.make(url, error="m").save(
                        str(qr_dir / f"{inv.person.external_id}.png"), scale=6
                    )
    skipped = (
        f" {wave.already_invited} already invited were skipped (--again invites them too)."
        if wave.already_invited
        else ""
    )
    console.print(
        f"Created {len(issued)} invitation links for {wave.unit_name} ({wave.unit_code}) in {out}"
        + (" and e-mailed them" if email else "")
        + "."
        + skipped
    )


def _link_base(settings: Settings) -> str:
    """RAPPORT_BASE_URL, or the default address with a warning on stderr."""
    from rapport.settings import BASE_URL_UNSET

    base = settings.link_base()
    if settings.base_url is None:
        err_console.print(f"[bold yellow]warning:[/] {BASE_URL_UNSET.format(base=base)}")
    return base


@survey_app.command("remind")
def remind(survey: Annotated[str, typer.Argument(help="Survey id or key.")]) -> None:
    """E-mail a reminder to everyone invited who has not answered (max two reminders)."""
    from rapport.services import invitations

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            sent = invitations.remind(
                uow,
                SYSTEM,
                _survey_ref(survey),
                link_secret=settings.resolved_secret_key(),
                base_url=_link_base(settings),
                notifier=_notifier(settings),
            )
    console.print(f"Sent {sent} reminders.")
