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
    from rapport.services.distribution import Delivery, Outcome
    from rapport.services.notify import SmtpNotifier
    from rapport.settings import Settings
    from rapport.storage.uow import Database

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
    out: Annotated[Path, typer.Option(help="Output file (.csv, .parquet, .json or .sav: SPSS).")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, parquet, json or sav (default: by the file suffix)."),
    ] = None,
) -> None:
    """Export responses (one row or record per response) to CSV, Parquet, JSON or SPSS."""
    from rapport.exporters.responses import FORMATS, format_for_suffix, render
    from rapport.services import responses, surveys

    chosen = fmt.lower() if fmt else format_for_suffix(out.suffix)
    if chosen is None or chosen not in FORMATS:
        given = f"--format {fmt}" if fmt else f"the suffix {out.suffix or '(none)'} of {out}"
        fail(
            f"{given}: expected one of {', '.join(FORMATS)} (or a file ending .csv, "
            ".parquet, .json or .sav)"
        )
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            sid = surveys.get_published(uow, _survey_ref(survey)).survey.id
            export = responses.export_for(uow, SYSTEM, sid, fmt=chosen)
        out.write_bytes(render(chosen, export.published.definition, export.rows, export.org_name))
    console.print(f"Wrote {len(export.rows)} responses to {out} ({chosen}).")


def _notifier(settings: Settings) -> SmtpNotifier:
    from rapport.services.notify import SmtpNotifier

    return SmtpNotifier.from_settings(settings)


@survey_app.command("distribute")
def distribute(
    survey: Annotated[str, typer.Argument(help="Survey id or key.")],
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to", help="Only people with this attribute, as KEY=VALUE (repeatable: all hold)."
        ),
    ] = None,
    people: Annotated[
        Path | None,
        typer.Option("--people", help="CSV of external_id[,kind]: invite only these people."),
    ] = None,
    unit: Annotated[
        str | None, typer.Option(help="Unit code or path: only people of its subtree.")
    ] = None,
    channel: Annotated[
        str, typer.Option(help="email (sent now via RAPPORT_SMTP_*), sms or link.")
    ] = "link",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show whom it would invite; write nothing.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the links (CSV; default links.csv unless e-mailed)."),
    ] = None,
    qr_dir: Annotated[
        Path | None, typer.Option(help="Also write one QR code PNG per link.")
    ] = None,
    expires_days: Annotated[int | None, typer.Option(help="Links expire after N days.")] = None,
) -> None:
    """Invite people to a survey: one single-use invitation per person with consent for
    the channel, skipping anyone invited to it within RAPPORT_QUIET_DAYS (so a second run
    invites nobody twice). Links start with RAPPORT_BASE_URL."""
    from datetime import timedelta

    from rapport.services import distribution
    from rapport.services.clock import utcnow

    settings = load_settings()
    base = _link_base(settings)
    with friendly_errors():
        refs = None
        if people is not None:
            if not people.exists():
                fail(f"{people}: no such file")
            refs = distribution.parse_people(people.read_bytes())
        selection = distribution.Selection(
            distribution.parse_filters(to or []), refs, unit, channel
        )
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        db = open_database(settings)
        with db.unit_of_work(readonly=dry_run) as uow:
            outcome = distribution.distribute(
                uow,
                SYSTEM,
                _survey_ref(survey),
                selection,
                link_secret=settings.resolved_secret_key(),
                quiet_days=settings.quiet_days,
                dry_run=dry_run,
                expires_at=expires,
            )
        delivery = _send(db, settings, outcome, base)
        if out is None and channel != "email" and not dry_run:
            out = Path("links.csv")
        if out is not None and outcome.issued:
            _write_links(outcome, base, out, qr_dir)
    _print_outcome(outcome, delivery, out if outcome.issued else None)


def _send(db: Database, settings: Settings, outcome: Outcome, base: str) -> Delivery:
    """E-mail the invitations just issued (after they are committed: a slow mail server
    never holds the survey's lock)."""
    from rapport.services import distribution

    with db.unit_of_work() as uow:
        return distribution.deliver(
            uow,
            outcome,
            base_url=base,
            notifier=_notifier(settings),
            link_secret=settings.resolved_secret_key(),
        )


def _write_links(outcome: Outcome, base: str, out: Path, qr_dir: Path | None) -> None:
    import csv

    import segno

    from rapport.exporters.csv_safety import safe_cell

    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["external_id", "name", "email", "phone", "link"])
        for inv in outcome.issued:
            url = f"{base}/s/{inv.token}"
            p = inv.person
            cells = (p.external_id, p.name, p.email or "", p.phone or "", url)
            writer.writerow([safe_cell(c) for c in cells])  # names are not formulas
            if qr_dir is not None:
                qr_dir.mkdir(parents=True, exist_ok=True)
                segno.make(url, error="m").save(str(qr_dir / f"{p.external_id}.png"), scale=6)


PREVIEW_ROWS = 20


def _print_outcome(outcome: Outcome, delivery: Delivery, out: Path | None) -> None:
    from rapport.services.distribution import REASON_TEXT, SkipReason

    verb = "Would invite" if outcome.dry_run else "Invited"
    console.print(
        f"{verb} {len(outcome.invited)} {outcome.audience}s to {outcome.survey_key} by "
        f"{outcome.channel}; skipped {len(outcome.skipped)}.",
        highlight=False,
    )
    for reason, count in outcome.skipped_counts().items():
        if count:
            text = REASON_TEXT[SkipReason(reason)]
            if reason == SkipReason.QUIET_PERIOD:
                text += f" ({outcome.quiet_days} days)"
            console.print(f"  skipped {count}: {text} [{reason}]", highlight=False, markup=False)
    if outcome.dry_run:
        for person in outcome.invited[:PREVIEW_ROWS]:
            console.print(f"  {person.external_id}  {person.name}", highlight=False, markup=False)
        if len(outcome.invited) > PREVIEW_ROWS:
            console.print(f"  ... and {len(outcome.invited) - PREVIEW_ROWS} more")
        console.print("Dry run: nothing was written.")
        return
    if outcome.channel == "email":
        console.print(f"E-mailed {delivery.sent} invitations.")
    if delivery.error:
        err_console.print(
            f"[bold yellow]warning:[/] {delivery.error}; `rapport survey remind` sends the rest."
        )
    if outcome.channel == "sms" and outcome.issued:
        console.print("Rapport sends no SMS itself: hand the links file to your SMS gateway.")
    if out is not None:
        console.print(f"Wrote {len(outcome.issued)} links to {out}.", highlight=False)


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
