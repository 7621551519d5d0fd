"""``rapport risk fit data.csv --target Attrition``: a calibrated risk model of a CSV file.

Needs no database: the file is the data (the IBM attrition and Telco churn samples in
``tests/data/risk/`` are the examples). Prints the out-of-fold AUC with DeLong's interval,
the Brier score beside the base rate's, the calibration curve and the drivers with their
bootstrap intervals; ``--scores`` writes each row's risk to a CSV.

``rapport risk units panel.csv --target staff_turnover_rate --driver hearts --driver minds``:
the unit-level model where people are not known, on a unit × period CSV (``unit``,
``period`` as ``YYYY-MM`` or a date, the driver indices and the rate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli._common import console, fail

risk_app = typer.Typer(help="Attrition and churn risk models.", no_args_is_help=True)


@risk_app.command("fit")
def fit(
    file: Annotated[Path, typer.Argument(help="CSV with one row per person.")],
    target: Annotated[str, typer.Option(help="The yes/no column to predict.")],
    model: Annotated[str, typer.Option(help="logistic | gradient_boosting")] = "logistic",
    exclude: Annotated[
        list[str] | None, typer.Option(help="A column not to use (repeatable).")
    ] = None,
    positive: Annotated[
        str | None, typer.Option(help="The target value that counts as yes, if not yes/1.")
    ] = None,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    top: Annotated[int, typer.Option(min=1, help="Drivers shown.")] = 10,
    scores: Annotated[Path | None, typer.Option(help="Write each row's risk to this CSV.")] = None,
) -> None:
    """Fit, cross-validate and explain a calibrated risk model of TARGET."""
    import pandas as pd

    from rapport.analytics.risk import fit_risk

    if not file.is_file():
        fail(f"no file {file}")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
        found = fit_risk(
            frame, target, exclude=exclude or (), positive=positive, model=model, folds=folds
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        fail(f"{file.name}: {error}")
    auc = found.auc
    console.print(
        f"{target}: {found.n:,} rows, {found.n_positive:,} yes ({found.prevalence:.1%}); "
        f"{model}, {found.folds}-fold cross-validated, calibrated"
    )
    console.print(
        f"AUC {auc.auc:.3f} [{auc.lower:.3f}, {auc.upper:.3f}] (95%, DeLong)   "
        f"Brier {found.brier:.4f} (base rate {found.brier_baseline:.4f}, "
        f"skill {found.brier_skill:.1%})   calibration error {found.calibration_error:.3f}"
    )
    curve = Table(title="Calibration (quantile bins)")
    for name in ("predicted", "observed", "n"):
        curve.add_column(name, justify="right")
    for row in found.calibration.itertuples():
        curve.add_row(f"{row.predicted:.3f}", f"{row.observed:.3f}", f"{row.n:,}")
    console.print(curve)
    drivers = Table(
        title=f"Drivers: logistic relative weights (R²_O {found.r_squared:.3f}, "
        f"n {found.drivers_n:,}; 95% bootstrap intervals)"
    )
    for name in ("driver", "weight", "95% interval", "share", "direction", "reference"):
        drivers.add_column(name, justify="left" if name in ("driver", "reference") else "right")
    for row in found.drivers.head(top).itertuples():
        reference = row.reference if isinstance(row.reference, str) else ""
        drivers.add_row(
            str(row.driver),
            f"{row.weight:.4f}",
            f"[{row.lower:.4f}, {row.upper:.4f}]",
            f"{row.share:.1%}",
            str(row.direction),
            reference,
        )
    console.print(drivers)
    for column, reason in found.left_out.items():
        console.print(f"not used: {column} ({reason})", markup=False)
    for note in found.notes:
        console.print(f"note: {note}", markup=False)
    if scores is not None:
        out = frame.assign(risk=found.risk.round(6), out_of_fold=found.labelled)
        out.to_csv(scores, index=False)
        console.print(f"risk of {len(out):,} rows written to {scores}")


@risk_app.command("units")
def units(
    file: Annotated[Path, typer.Argument(help="CSV with one row per unit and period.")],
    target: Annotated[str, typer.Option(help="The rate column (0–1) to predict.")],
    driver: Annotated[list[str], typer.Option(help="An index column (repeatable).")],
    lag: Annotated[int, typer.Option(min=0, max=12, help="Periods between index and rate.")] = 1,
    period: Annotated[str, typer.Option(help="month | quarter")] = "month",
    weight: Annotated[
        str | None, typer.Option(help="Column of each rate's base (respondents), if any.")
    ] = None,
) -> None:
    """Fit next-period TARGET rates per unit on the lagged DRIVER indices."""
    import pandas as pd

    from rapport.analytics.linkage import period_number
    from rapport.analytics.risk import fit_unit_risk

    if not file.is_file():
        fail(f"no file {file}")
    try:
        frame = pd.read_csv(file, dtype={"unit": str})
        if "period" not in frame.columns:
            raise ValueError("column 'period' is not in the file")
        days = pd.to_datetime(frame["period"].astype(str), format="mixed")
        frame["period"] = [period_number(day.date(), period) for day in days]
        found = fit_unit_risk(frame, target, driver, lag=lag, weight=weight)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        fail(f"{file.name}: {error}")
    console.print(
        f"{target}: {found.n_cells:,} unit-periods of {found.n_units} units "
        f"(base rate {found.base_rate:.2%}); binomial GLM, cluster-robust by unit, lag {lag}"
    )
    table = Table(title="Drivers: change in log-odds per 10 index points (95% interval)")
    for name in ("driver", "estimate", "95% interval", "p", "reliability"):
        table.add_column(name, justify="left" if name == "driver" else "right")
    for row in found.drivers.itertuples():
        table.add_row(
            str(row.driver),
            f"{row.estimate:+.3f}",
            f"[{row.lower:+.3f}, {row.upper:+.3f}]",
            f"{row.p_value:.3g}",
            _share(row.reliability, ".2f"),
        )
    console.print(table)
    risks = Table(title=f"Predicted {target}, {lag} period(s) after each unit's latest indices")
    for name in ("unit", "risk", "95% interval", "latest observed"):
        risks.add_column(name, justify="left" if name == "unit" else "right")
    for row in found.units.itertuples():
        risks.add_row(
            str(row.unit),
            f"{row.risk:.2%}",
            f"[{row.lower:.2%}, {row.upper:.2%}]",
            _share(row.observed, ".2%"),
        )
    console.print(risks)
    for note in found.notes:
        console.print(f"note: {note}", markup=False)


def _share(value: object, spec: str) -> str:
    """``value`` formatted, or blank when missing (NaN)."""
    number = float(str(value))
    return "" if number != number else format(number, spec)
