"""Root command: ``rapport init | serve | demo | user | token | db``."""

from __future__ import annotations

from typing import Annotated

import typer

from rapport._version import __version__
from rapport.cli import access_cmds, metrics_cmds, serve_cmds, survey_cmds, text_cmds
from rapport.cli._common import console, friendly_errors, load_settings, open_database, state

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
app.add_typer(survey_cmds.survey_app, name="survey")
app.add_typer(survey_cmds.responses_app, name="responses")
app.add_typer(text_cmds.text_app, name="text")
app.add_typer(metrics_cmds.metrics_app, name="metrics")
app.command("snapshot")(metrics_cmds.snapshot)
app.command("serve")(serve_cmds.serve)
app.command("demo")(serve_cmds.demo)


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
def init() -> None:
    """Create the database (if missing) and bring its schema up to date."""
    from rapport.storage import migrate

    settings = load_settings()
    with friendly_errors():
        settings.resolved_secret_key()
        db = open_database(settings, upgrade=True)
        console.print(
            f"Database ready at [bold]{db.engine.url.render_as_string()}[/] "
            f"(schema {migrate.current_revision(db.engine)})."
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
