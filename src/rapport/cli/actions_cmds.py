"""``rapport actions ...``: log fresh-experience actions, list them, and estimate their
effect (difference in differences; docs/relationship-health.md "Effects of actions").

``add`` acts as the built-in ``system`` principal (recorded in the audit log); ``effect``
reads metrics as an analyst, suppressed as for one.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database
from rapport.domain.org import SYSTEM

actions_app = typer.Typer(help="Fresh-experience actions and their effect.", no_args_is_help=True)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date such as 2026-01-01, got '{value}'")


@actions_app.command("add")
def add(
    unit: Annotated[str, typer.Argument(help="Unit code or path; the action covers its subtree.")],
    title: Annotated[str, typer.Argument(help="What is done.")],
    started: Annotated[str, typer.Option("--started", help="First day, YYYY-MM-DD.")],
    ended: Annotated[str | None, typer.Option("--ended", help="Last day, YYYY-MM-DD.")] = None,
    description: Annotated[str, typer.Option(help="Details.")] = "",
    intended: Annotated[str, typer.Option("--intended", help="Intended customer effect.")] = "",
) -> None:
    """Log an action for a unit."""
    from rapport.services import actions

    started_on = _date(started, "--started")
    if started_on is None:
        fail("--started is required")
    new = actions.NewAction(unit, title, started_on, description, intended, _date(ended, "--ended"))
    with friendly_errors():
        db = open_database(load_settings())
        with db.unit_of_work() as uow:
            found = actions.log_action(uow, SYSTEM, new)
        db.dispose()
    console.print(f"Action {found.id} logged for {found.unit_code} from {found.started_on}.")


@actions_app.command("list")
def list_(
    unit: Annotated[str | None, typer.Option(help="Only actions in this unit's subtree.")] = None,
) -> None:
    """List the actions, newest first."""
    from rich.table import Table

    from rapport.client import ANALYST
    from rapport.services import actions

    with friendly_errors():
        db = open_database(load_settings())
        with db.unit_of_work(readonly=True) as uow:
            found = actions.list_actions(uow, ANALYST, unit)
        db.dispose()
    table = Table(title="Actions")
    for column in ("id", "unit", "started", "ended", "title"):
        table.add_column(column)
    for a in found:
        table.add_row(str(a.id), a.unit_code, str(a.started_on), str(a.ended_on or ""), a.title)
    console.print(table)


@actions_app.command("effect")
def effect(
    action_id: Annotated[int, typer.Argument(help="Action id (see `rapport actions list`).")],
    survey: Annotated[str, typer.Option(help="Survey id or key.")],
    metric: Annotated[str, typer.Option(help="hearts, minds, nps, …")] = "hearts",
) -> None:
    """Estimate an action's effect on a survey metric, with its event study."""
    from rich.table import Table

    from rapport.client import ANALYST
    from rapport.services import actions
    from rapport.services import metrics as metrics_service

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        analytics = metrics_service.engine_from_settings(settings, db)
        found = actions.action_effect(
            db,
            analytics,
            ANALYST,
            action_id,
            survey,
            metrics_service.policy_from_settings(settings),
            metric,
        )
        analytics.dispose()
        db.dispose()
    e = found.effect
    console.print(
        f"[bold]{found.action.title}[/bold] ({found.action.unit_code}) on "
        f"{found.metric} of {found.survey_key}"
    )
    console.print(e.message)
    console.print(
        f"method: {e.method}; treated {e.n_treated}, comparison {e.n_control}"
        + (f", excluded {', '.join(found.excluded_units)}" if found.excluded_units else "")
    )
    table = Table(title="Event study (months from the start)")
    for column in ("month", "difference", "interval"):
        table.add_column(column, justify="right")
    for p in e.event_study:
        table.add_row(
            str(p.relative_period), f"{p.estimate:+.1f}", f"{p.lower:+.1f} – {p.upper:+.1f}"
        )
    console.print(table)
