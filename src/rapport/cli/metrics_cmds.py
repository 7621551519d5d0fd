"""``rapport metrics snapshot | rebuild-aggregates | show``: Parquet snapshots for DuckDB,
the aggregates metrics read, metric tables in the shell."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rapport.cli._common import console, friendly_errors, load_settings, open_database

if TYPE_CHECKING:
    from rapport.settings import Settings


def _snapshot_dir(settings: Settings, given: Path | None) -> Path:
    configured = getattr(settings, "snapshot_dir", None)
    return Path(given or configured or settings.data_dir / "snapshot")


metrics_app = typer.Typer(
    help="Metrics: analytics snapshots and metric tables.", no_args_is_help=True
)


@metrics_app.command("snapshot")
def snapshot(
    directory: Annotated[
        Path | None,
        typer.Argument(
            envvar="RAPPORT_SNAPSHOT_DIR",
            help="Where to write (default: RAPPORT_SNAPSHOT_DIR, else <data dir>/snapshot).",
        ),
    ] = None,
    include_text: Annotated[
        bool, typer.Option("--include-text", help="Also copy answer texts (comments).")
    ] = False,
) -> None:
    """Write the tables metrics read to Parquet, for RAPPORT_ANALYTICS_ENGINE=duckdb."""
    from rapport.analytics.engines import open_engine
    from rapport.analytics.snapshot import write_snapshot

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        source = open_engine("operational", engine=db.engine)
        try:
            target = _snapshot_dir(settings, directory)
            info = write_snapshot(source, target, include_text=include_text)
        finally:
            source.dispose()
            db.dispose()
        counts = ", ".join(f"{n:,} {t}" for t, n in info.rows.items())
        console.print(f"Snapshot [bold]{info.version}[/] written to {info.directory}: {counts}.")


@metrics_app.command("rebuild-aggregates")
def rebuild_aggregates() -> None:
    """Recompute the aggregates metrics read from the raw responses (exact, idempotent)."""
    import time

    from rapport.services import metrics as metrics_service

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        started = time.perf_counter()
        try:
            rows = metrics_service.rebuild_aggregates(db)
        finally:
            db.dispose()
        took = time.perf_counter() - started
        console.print(f"Rebuilt the metric aggregates: {rows:,} rows in {took:.1f} s.")


@metrics_app.command("show")
def show(
    survey: Annotated[str, typer.Argument(help="Survey id or key.")],
    metric: Annotated[str, typer.Option(help="nps, csat_top2, hearts, minds, ...")] = "nps",
    by: Annotated[list[str] | None, typer.Option(help="unit, period, attribute, ...")] = None,
    period: Annotated[str | None, typer.Option(help="week | month | quarter | year")] = None,
    attribute: Annotated[str | None, typer.Option(help="Person attribute to group by.")] = None,
    engine: Annotated[str | None, typer.Option(help="operational | duckdb")] = None,
    snapshot_dir: Annotated[
        Path | None, typer.Option(envvar="RAPPORT_SNAPSHOT_DIR", help="For --engine duckdb.")
    ] = None,
) -> None:
    """Print a metric table, suppressed as for an analyst."""
    from rich.table import Table

    from rapport.analytics.engines import open_engine
    from rapport.client import ANALYST
    from rapport.services import metrics as metrics_service

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        analytics = (
            metrics_service.engine_from_settings(settings, db)
            if engine is None
            else open_engine(
                engine, engine=db.engine, snapshot_dir=_snapshot_dir(settings, snapshot_dir)
            )
        )
        request = metrics_service.MetricRequest(
            survey=survey, metric=metric, by=by or [], period=period, attribute=attribute
        )
        result = metrics_service.compute(
            analytics, ANALYST, request, metrics_service.policy_from_settings(settings)
        )
        table = Table(title=f"{result.metric.title} ({result.engine})")
        for column in ("group", "n", "value", "interval", "note"):
            table.add_column(column, justify="left" if column in ("group", "note") else "right")
        for row in result.rows:
            group = " · ".join(
                str(v)
                for v in (row.unit_path, row.period_label, row.attribute, row.emotion)
                if v is not None
            )
            value = "" if row.value is None else f"{row.value:.1f}"
            interval = (
                "" if row.lower is None or row.upper is None else f"{row.lower:.1f}–{row.upper:.1f}"
            )
            note = f"hidden ({row.reason})" if row.suppressed else row.sufficiency.replace("_", " ")
            table.add_row(group or "all", str(row.n), value, interval, note)
        console.print(table)
        analytics.dispose()
        db.dispose()
