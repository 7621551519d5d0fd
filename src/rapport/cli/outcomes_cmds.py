"""``rapport outcomes ...``: business outcomes per unit and period from the shell.

Commands act as the built-in ``system`` principal and are recorded in the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database
from rapport.domain.org import SYSTEM
from rapport.domain.outcomes import Grain

outcomes_app = typer.Typer(
    help="Business outcomes (revenue, churn, complaints, ...) per unit and period.",
    no_args_is_help=True,
)


@outcomes_app.command("import")
def import_outcomes(
    file: Annotated[
        Path, typer.Argument(help="CSV: unit,period and one numeric column per outcome.")
    ],
) -> None:
    """Create or replace outcome figures from a CSV (period YYYY-MM, YYYY-Www or YYYY-Qn;
    an empty cell is no figure). All or nothing: every bad row and column is listed."""
    from rapport.services import outcome_import

    if not file.is_file():
        fail(f"no file {file}")
    data = file.read_bytes()
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            result = outcome_import.import_outcomes(uow, SYSTEM, data)
    console.print(
        f"Imported {file.name}: {result.rows} rows, {result.created} figures added, "
        f"{result.updated} replaced ({', '.join(result.outcomes)}).",
        highlight=False,
    )


@outcomes_app.command("list")
def list_outcomes(
    unit: Annotated[str | None, typer.Option(help="Unit code or path")] = None,
    outcome: Annotated[str | None, typer.Option(help="One outcome, e.g. revenue")] = None,
    grain: Annotated[Grain | None, typer.Option(help="week, month or quarter")] = None,
    rollup: Annotated[
        bool, typer.Option("--rollup", help="One series for the unit, rolled up its subtree")
    ] = False,
) -> None:
    """Outcome figures as a table (rolled up with --rollup: sums of money and counts,
    means of rates)."""
    from rapport.services import outcomes

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work(readonly=True) as uow:
            found = outcomes.list_outcomes(
                uow, SYSTEM, unit=unit, outcome=outcome, grain=grain, rollup=rollup
            )
    table = Table("unit", "period", "outcome", "value", "units", "rollup")
    for v in found:
        table.add_row(
            v.unit, v.period_label, v.name, f"{v.value:,.2f}", str(v.units), v.rollup or ""
        )
    console.print(table)
