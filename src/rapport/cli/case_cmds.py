"""``rapport cases escalate`` (for cron) and ``rapport alerts add | list``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database

cases_app = typer.Typer(help="Follow-up cases: escalate overdue ones.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alert rules that open cases.", no_args_is_help=True)


@cases_app.command("escalate")
def escalate(
    mail: Annotated[bool, typer.Option(help="E-mail new and escalated owners.")] = True,
) -> None:
    """Move overdue cases to the manager one level up, then e-mail owners not yet told.

    Safe to run from several hosts at once: each case moves once per overdue period."""
    from rapport.services import case_sweeper, cases
    from rapport.services.notify import SmtpNotifier

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        cases.configure(db, settings.case_sla_hours)
        notifier = SmtpNotifier.from_settings(settings) if mail else None
        moved, sent = case_sweeper.sweep(
            db, notifier, settings.link_base(), link_secret=settings.resolved_secret_key()
        )
    console.print(f"Escalated {moved} overdue case(s); sent {sent} e-mail(s).")


@alerts_app.command("add")
def add(
    rule: Annotated[Path, typer.Argument(help="A JSON file: name, condition, survey, ...")],
) -> None:
    """Add an alert rule from a JSON file (the body of ``POST /api/v1/alert-rules``)."""
    from rapport.domain.org import SYSTEM
    from rapport.services import alerts

    try:
        data = json.loads(rule.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{rule}: {exc}")
    if not isinstance(data, dict):
        fail(f"{rule}: expected a JSON object")
    fields = {"name", "condition", "survey", "audience", "unit", "priority", "active"}
    unknown = sorted(set(data) - fields)
    if unknown:
        fail(f"{rule}: unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(fields))}")
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            made = alerts.create_rule(
                uow,
                SYSTEM,
                alerts.RuleInput(
                    name=str(data.get("name", "")), **{k: v for k, v in data.items() if k != "name"}
                ),
            )
    console.print(f"Added alert rule {made.id}: {made.name} ({made.priority}).")


@alerts_app.command("list")
def list_rules() -> None:
    """Every alert rule with its condition."""
    from rapport.domain.org import SYSTEM
    from rapport.services import alerts

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work(readonly=True) as uow:
            rules = alerts.list_rules(uow, SYSTEM)
    for r in rules:
        state = "active" if r.active else "inactive"
        console.print(f"{r.id}  {r.name}  [{r.priority}, {state}]  {json.dumps(r.condition)}")
