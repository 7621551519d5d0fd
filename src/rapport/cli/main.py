"""Root command: ``rapport init | serve | demo | user | token | db``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from rapport._version import __version__
from rapport.cli import (
    access_cmds,
    actions_cmds,
    case_cmds,
    import_cmds,
    learning_cmds,
    metrics_cmds,
    org_cmds,
    outcomes_cmds,
    people_cmds,
    risk_cmds,
    serve_cmds,
    survey_cmds,
    text_cmds,
    webhook_cmds,
)
from rapport.cli._common import console, friendly_errors, load_settings, open_database, state

if TYPE_CHECKING:
    from rapport.storage.uow import Database

app = typer.Typer(
    name="rapport",
    help="Rapport: customer and employee experience management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(access_cmds.user_app, name="user")
app.add_typer(access_cmds.token_app, name="token")
app.add_typer(org_cmds.org_app, name="org")
app.add_typer(people_cmds.people_app, name="people")
app.add_typer(outcomes_cmds.outcomes_app, name="outcomes")
app.add_typer(risk_cmds.risk_app, name="risk")
app.add_typer(survey_cmds.survey_app, name="survey")
app.add_typer(survey_cmds.responses_app, name="responses")
app.add_typer(text_cmds.text_app, name="text")
app.add_typer(metrics_cmds.metrics_app, name="metrics")
app.add_typer(actions_cmds.actions_app, name="actions")
app.add_typer(case_cmds.cases_app, name="cases")
app.add_typer(case_cmds.alerts_app, name="alerts")
app.add_typer(learning_cmds.learnings_app, name="learnings")
app.add_typer(webhook_cmds.webhooks_app, name="webhooks")
app.command("snapshot")(metrics_cmds.snapshot)
app.command("serve")(serve_cmds.serve)
app.command("demo")(serve_cmds.demo)
app.command("import")(import_cmds.import_survey)


def _version(value: bool) -> None:
    if value:
        console.print(f"rapport {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    state.debug = debug


@app.command()
def init(
    org_name: Annotated[
        str | None,
        typer.Option("--org", help="Create the organisation's root unit with this name."),
    ] = None,
    code: Annotated[
        str | None, typer.Option(help="Code of the root unit (default: from --org).")
    ] = None,
) -> None:
    """Create the database (if missing) and bring its schema up to date; with --org, start
    an organisation of your own (its root unit) and say what to do next."""
    from rapport.storage import migrate

    settings = load_settings()
    with friendly_errors():
        settings.resolved_secret_key()
        db = open_database(settings, upgrade=True)
        console.print(
            f"Database ready at [bold]{db.engine.url.render_as_string()}[/] "
            f"(schema {migrate.current_revision(db.engine)})."
        )
        if org_name is not None:
            _start_organisation(db, org_name, code)


def _start_organisation(db: Database, name: str, code: str | None) -> None:
    from rapport.domain.org import SYSTEM, UnitKind
    from rapport.services import units

    with db.unit_of_work() as uow:
        roots = [u for u in uow.units.all() if u.parent_id is None]
        if roots:
            console.print(
                f"The organisation {roots[0].name} ({roots[0].code}) exists already; "
                "nothing added.",
                highlight=False,
                markup=False,
            )
            return
        root = units.create(uow, SYSTEM, code or units.code_for(name), name, UnitKind.COMPANY)
    console.print(
        f"Created the organisation {root.name} (unit code {root.code}). Next:\n"
        "  1. the first admin:   rapport user create you@example.com --role admin\n"
        "  2. your units:        rapport org import units.csv   (code,parent,name,kind)\n"
        "  3. your people:       rapport people import people.csv\n"
        "  4. a survey:          rapport survey import survey.json\n"
        "  then rapport serve and log in.",
        highlight=False,
        markup=False,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply Alembic migrations up to REVISION."""
    from rapport.storage import migrate

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings, check=False)
        migrate.upgrade(db.engine, revision)
        console.print(f"Schema at revision {migrate.current_revision(db.engine)}.")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from rapport.storage import migrate

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings, check=False)
        console.print(migrate.current_revision(db.engine) or "(empty database)")


def main() -> None:
    app()
