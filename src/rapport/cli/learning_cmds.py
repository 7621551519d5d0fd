"""``rapport learnings add | list``: the learning log from the command line
(docs/closed-loop.md "Learning log"). ``add`` acts as the built-in ``system`` principal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database

learnings_app = typer.Typer(help="The breakdown learning log.", no_args_is_help=True)
FIELDS = {
    "title",
    "what_happened",
    "impact",
    "learnt",
    "owner",
    "review_on",
    "survey",
    "metric",
    "changes",
    "cases",
    "responses",
    "units",
    "themes",
}


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        fail(f"{where}: expected a date such as 2026-03-01, got {value!r}")


def _input(data: dict[str, Any], source: Path) -> Any:
    from rapport.domain.learnings import LearningChange
    from rapport.services.learnings import LearningInput

    unknown = sorted(set(data) - FIELDS)
    if unknown:
        fail(
            f"{source}: unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(FIELDS))}"
        )
    changes = []
    for i, c in enumerate(data.get("changes") or []):
        if not isinstance(c, dict):
            fail(f"{source}: changes[{i}]: expected an object with area and description")
        changes.append(
            LearningChange(
                str(c.get("area", "")),
                str(c.get("description", "")),
                _date(c.get("changed_on"), f"changes[{i}].changed_on"),
            )
        )
    fields = {k: v for k, v in data.items() if k not in ("changes", "review_on")}
    return LearningInput(
        **fields, changes=changes, review_on=_date(data.get("review_on"), "review_on")
    )


@learnings_app.command("add")
def add(
    learning: Annotated[
        Path, typer.Argument(help="A JSON file: the body of POST /api/v1/learnings.")
    ],
) -> None:
    """Write a learning from a JSON file (title, what_happened, changes, units, themes, ...)."""
    from rapport.domain.org import SYSTEM
    from rapport.services import learnings

    try:
        data = json.loads(learning.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{learning}: {exc}")
    if not isinstance(data, dict):
        fail(f"{learning}: expected a JSON object")
    given = _input(data, learning)
    with friendly_errors():
        db = open_database(load_settings())
        with db.unit_of_work() as uow:
            made = learnings.create(uow, SYSTEM, given)
        db.dispose()
    console.print(f"Learning {made.id} written: {made.title} ({len(made.changes)} change(s)).")


@learnings_app.command("list")
def list_(
    theme: Annotated[str | None, typer.Option(help="Only learnings with this theme.")] = None,
) -> None:
    """Every learning, oldest first, with its themes, units and changes."""
    from rapport.domain.org import SYSTEM
    from rapport.services import learnings

    with friendly_errors():
        db = open_database(load_settings())
        with db.unit_of_work(readonly=True) as uow:
            found = learnings.find(uow, SYSTEM, theme=theme)
        db.dispose()
    if not found:
        console.print("No learnings.")
    for x in found:
        units = ", ".join(x.units) or "whole organisation"
        themes = ", ".join(x.themes) or "no theme"
        console.print(f"{x.id}  {x.title}  [{themes}; {units}]", markup=False)
        for c in x.changes:
            when = f" from {c.changed_on}" if c.changed_on else ""
            console.print(f"    {c.area}: {c.description}{when}", markup=False)
