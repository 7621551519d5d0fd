"""``rapport serve`` and ``rapport demo``."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Annotated, Any

import typer

from rapport.cli._common import (
    console,
    fail,
    friendly_errors,
    load_settings,
    open_database,
    progress_bar,
)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes. SQLite (WAL) serves several with one writer at a time; "
            "PostgreSQL scales further.",
        ),
    ] = 1,
) -> None:
    """Serve the web app and API (creates and migrates the database first)."""
    import uvicorn

    from rapport.app import create_app
    from rapport.services import demo

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings, upgrade=True)
        app = create_app(settings, db)
        with db.unit_of_work() as uow:
            demo_login = demo.demo_admin_login(uow)
    console.print(f"Rapport is serving at [bold]http://{host}:{port}[/]  (Ctrl+C to stop)")
    if demo_login:
        console.print(f"Demo admin login: [bold]{demo_login[0]}[/] / [bold]{demo_login[1]}[/]")
    log_level = "info" if settings.debug else "warning"
    # Our access log (rapport.api.access_log) instead of uvicorn's, which would write query
    # strings; configured in every worker process by uvicorn itself.
    logs = {"log_level": log_level, "log_config": log_config(), "access_log": False}
    if workers == 1:
        uvicorn.run(app, host=host, port=port, **logs)  # type: ignore[arg-type]
        return
    db.dispose()  # each worker process opens its own connections
    # Several processes need an import string: each worker builds its app from the same
    # environment (settings are read from RAPPORT_* variables, the schema is migrated above).
    _serve_workers(
        uvicorn.Config(
            "rapport.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **logs,  # type: ignore[arg-type]
        )
    )


def _serve_workers(config: Any) -> None:
    """``uvicorn.run`` for several workers, with TCP_NODELAY on the shared socket.

    uvicorn binds the socket the workers share without naming TCP as its protocol, so
    asyncio does not switch Nagle's algorithm off on the connections they accept: every
    answer on a kept-alive connection then waited for the client's delayed ACK (44 ms per
    request, measured). Connections accepted from a listening socket with TCP_NODELAY
    inherit it.
    """
    import socket

    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration plus ``rapport.access`` at INFO on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["rapport_access"] = {
        "format": "%(asctime)s %(message)s",
        "datefmt": "%Y-%m-%dT%H:%M:%S%z",
    }
    config["handlers"]["rapport_access"] = {
        "formatter": "rapport_access",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["rapport.access"] = {
        "handlers": ["rapport_access"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def _first_month(start: str | None, months: int) -> date | None:
    """``--start``: a month's first day, None for the default; ``live`` ends at this month."""
    if start is None:
        return None
    if start.strip().lower() == "live":
        from rapport.services.demo.generator import live_start

        return live_start(months)
    try:
        return datetime.strptime(start.strip(), "%Y-%m").date()
    except ValueError:
        fail(f"--start must be a month as YYYY-MM or 'live', got {start!r}")


def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives identical data.")] = 7,
    units: Annotated[int, typer.Option(help="Approximate number of units (at least 40).")] = 40,
    months: Annotated[int, typer.Option(help="Months of history (at least 12).")] = 15,
    start: Annotated[
        str | None,
        typer.Option(help="First month, YYYY-MM (default 2025-07; 'live': the last is now)."),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database has data.")
    ] = False,
) -> None:
    """Load the demo organisation (Northwind Retail) with planted effects."""
    from rapport.services import demo as demo_service

    if units < 40:
        fail(f"--units must be at least 40, got {units}")
    if months < 12:
        fail(f"--months must be at least 12, got {months}")
    first = _first_month(start, months)
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings, upgrade=True)
        with db.unit_of_work() as uow:
            empty = uow.units.count() == 0
        if not empty:
            if if_empty:
                console.print("The database already has an organisation; demo not loaded.")
                return
            fail("the database already has data; use an empty database for the demo")
        console.print(f"Generating the demo organisation (seed {seed}) ...")
        org = demo_service.generate(seed=seed, units=units, months=months, start=first)
        with progress_bar("Loading responses", len(org.responses)) as advance:
            summary = demo_service.load(db, org, progress=advance)
    console.print(
        f"Loaded {summary.units} units, {summary.people} people, {summary.responses} responses, "
        f"{summary.outcomes} outcomes."
    )
    console.print(f"Demo admin login: [bold]{summary.admin_email}[/] / [bold]{summary.password}[/]")
