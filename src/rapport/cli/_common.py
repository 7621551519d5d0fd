"""Shared CLI plumbing: settings, database, one-line errors, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from rapport.errors import RapportError

if TYPE_CHECKING:  # imported when a command runs: `rapport --help` stays fast
    from rapport.settings import Settings
    from rapport.storage.uow import Database

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    debug: bool = False


state = CliState()


def fail(message: str, code: int = 1) -> NoReturn:
    # One line, never wrapped, and the message taken literally (no Rich markup in it).
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def describe(exc: BaseException) -> str:
    """One line for the user; field errors are listed after the detail."""
    if isinstance(exc, RapportError):
        parts = [exc.detail] + [f"{e.location}: {e.message}" for e in exc.errors]
        return "; ".join(parts)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Errors become one clear line and exit 1; ``--debug`` shows the traceback."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if state.debug:
            raise
        fail(describe(exc))


def load_settings() -> Settings:
    from rapport.settings import get_settings

    try:
        return get_settings()
    except Exception as exc:  # pydantic's message names the bad RAPPORT_ variable
        fail(f"bad settings: {exc}".replace("\n", " "))


def open_database(settings: Settings, *, upgrade: bool = False, check: bool = True) -> Database:
    """Open the configured database.

    Only ``init``, ``db upgrade``, ``demo`` and ``serve`` create or migrate it
    (``upgrade=True``); every other command refuses a database whose schema is missing or
    behind, naming the command that fixes it, instead of migrating it silently.
    """
    from sqlalchemy import make_url

    from rapport.storage import migrate
    from rapport.storage.db import ensure_database
    from rapport.storage.uow import Database

    url = settings.resolved_database_url()
    if upgrade and ensure_database(url):
        console.print(f"Created database {make_url(url).database}.")
    db = Database(
        url,
        busy_timeout_ms=settings.db_busy_timeout_ms,
        connect_timeout_s=settings.db_connect_timeout_seconds,
    )
    if upgrade:
        migrate.upgrade(db.engine)
    elif check:
        current, head = migrate.current_revision(db.engine), migrate.head_revision(db.engine)
        if current is None:
            fail("the database has no Rapport schema yet; run `rapport init` first")
        if current != head:
            fail(
                f"the database schema is at revision {current}, this version needs {head}; "
                "run `rapport db upgrade`"
            )
    return db


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar; yields ``advance(n)``. Quiet when stdout is not a terminal."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not sys.stdout.isatty(),
    ) as progress:
        task = progress.add_task(description, total=total or None)
        yield lambda n: progress.advance(task, n)
