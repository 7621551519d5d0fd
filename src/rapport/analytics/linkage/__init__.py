"""Service-profit linkage: employee index → customer index (lagged) → outcome, per unit.

:func:`link` lines up a unit × period panel — each unit's employee indices of period
``t − lag``, its customer indices of period ``t`` and, optionally, its business outcomes of
period ``t`` — and estimates every path twice:

- **within** units: two-way fixed effects (unit and period indicators), so a unit is compared
  with itself and months common to every unit cancel — "when a unit's employee index rose,
  did its customer index follow?";
- **between** units: the units' means over the panel — "do units with warmer employees have
  warmer customers?", open to every difference between units (size, location, format).

Each slope is corrected for the sampling error of its source (an index is a mean of a
handful of respondents) and has a cluster-robust interval by unit
(:mod:`rapport.analytics.linkage._estimate`). A standardised effect (SD of the target per
SD of the source, both net of sampling error) sits beside each, and a plain-language
statement per within path. Too few units or periods give no estimate and a note saying so.

Frames in, frame out: ``period`` is an integer count of periods (consecutive periods differ
by one; :func:`period_number`), every index column ``<name>`` may have a sampling-variance
column ``<name>_var``. docs/linkage.md has the method, its simulation check and run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date

import numpy as np
import pandas as pd

from rapport.analytics.linkage._estimate import (
    LEVELS,
    MIN_PERIODS,
    MIN_RELIABILITY,
    MIN_UNITS,
    SlopeFit,
    slope,
)

__all__ = [
    "LEVELS",
    "MIN_PERIODS",
    "MIN_RELIABILITY",
    "MIN_UNITS",
    "PATH_COLUMNS",
    "SlopeFit",
    "link",
    "period_number",
    "slope",
    "statement",
]

PATH_COLUMNS = (
    "source",
    "target",
    "level",
    "lag",
    "estimate",
    "lower",
    "upper",
    "standardised",
    "n_units",
    "n_periods",
    "n_cells",
    "p_value",
    "naive",
    "naive_lower",
    "naive_upper",
    "reliability",
    "within_r2",
    "scale",
    "note",
    "statement",
    "se",
)
STEP = 5.0
"""The rise in the source index a statement speaks of (points on the 0–100 scale)."""


def period_number(day: date, period: str) -> int:
    """Consecutive integers for consecutive periods (``month``, ``quarter``, ``year``).

    >>> period_number(date(2026, 1, 1), "month") - period_number(date(2025, 12, 1), "month")
    1
    """
    months = day.year * 12 + day.month - 1
    sizes = {"month": 1, "quarter": 3, "year": 12}
    if period not in sizes:
        raise ValueError(f"period: expected month, quarter or year, got {period!r}")
    return months // sizes[period]


def link(
    employee: pd.DataFrame,
    customer: pd.DataFrame,
    outcomes: pd.DataFrame | None = None,
    *,
    indices: Sequence[str] = ("hearts", "minds"),
    lag: int = 1,
    outcome_source: str = "hearts",
    log_outcomes: Sequence[str] = (),
    period: str = "month",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Paths employee ``index`` (t − lag) → customer ``index`` (t) for each of ``indices``,
    and customer ``outcome_source`` (t) → each outcome column (t), within and between units.

    ``employee`` and ``customer``: columns ``unit``, ``period`` (:func:`period_number`),
    ``<index>`` and optionally ``<index>_var`` (the cell mean's sampling variance, sd²/n).
    ``outcomes``: ``unit``, ``period`` and one numeric column per outcome; those named in
    ``log_outcomes`` are analysed as 100·ln(value), so their effect reads as percent.
    Returns one row per path and level (:data:`PATH_COLUMNS`). Example::

        link(ex, cx, outcomes, lag=1, log_outcomes=["revenue"])
    """
    if lag < 0:
        raise ValueError(f"lag: expected 0 or more periods, got {lag}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: expected a number between 0 and 1, got {confidence}")
    rows: list[dict[str, object]] = []
    ex = _prefixed(employee, "employee", indices)
    cx = _prefixed(customer, "customer", indices)
    shifted = ex.assign(period=ex["period"] + lag)
    panel = cx.merge(shifted, on=["unit", "period"], how="inner")
    for index in indices:
        source, target = f"employee {index}", f"customer {index}"
        if source in panel and target in panel:
            rows += _path(panel, source, target, lag, "points", period, confidence)
    if outcomes is not None and len(outcomes):
        source = f"customer {outcome_source}"
        names = [c for c in outcomes.columns if c not in ("unit", "period")]
        joined = cx.merge(outcomes, on=["unit", "period"], how="inner")
        for name in names:
            values = pd.to_numeric(joined[name], errors="coerce")
            scale = "value"
            if name in log_outcomes:
                if (values <= 0).any():
                    raise ValueError(f"outcome {name}: a logarithm needs positive values")
                values = 100 * np.log(values)
                scale = "percent"
            frame = joined.assign(**{name: values})
            if source in frame:
                rows += _path(frame, source, name, 0, scale, period, confidence)
    return pd.DataFrame(rows, columns=list(PATH_COLUMNS))


def _prefixed(frame: pd.DataFrame, side: str, indices: Sequence[str]) -> pd.DataFrame:
    for column in ("unit", "period"):
        if column not in frame.columns:
            raise ValueError(f"the {side} frame has no column {column!r}")
    columns = {}
    for index in indices:
        for suffix in ("", " var"):
            name = index + suffix.replace(" ", "_")
            if name in frame.columns:
                columns[name] = f"{side} {index}{suffix}"
    kept = frame[["unit", "period", *columns]].rename(columns=columns)
    return kept.astype({"period": np.int64})


def _path(
    panel: pd.DataFrame,
    source: str,
    target: str,
    lag: int,
    scale: str,
    period: str,
    confidence: float,
) -> list[dict[str, object]]:
    errors = {
        "source_error": f"{source} var" if f"{source} var" in panel else None,
        "target_error": f"{target} var" if f"{target} var" in panel else None,
    }
    rows = []
    for level in LEVELS:
        fit = slope(panel, source, target, level, confidence=confidence, **errors)
        row: dict[str, object] = {"source": source, "target": target, "lag": lag, "scale": scale}
        row.update(asdict(fit))
        row["within_r2"] = row.pop("r_squared") if level == "within" else None
        row["statement"] = statement(fit, source, target, lag, scale, period, confidence)
        rows.append(row)
    return rows


def statement(
    fit: SlopeFit,
    source: str,
    target: str,
    lag: int,
    scale: str,
    period: str,
    confidence: float = 0.95,
) -> str:
    """One sentence a reader can act on, with the interval, or why there is no estimate.

    >>> fit = SlopeFit("within", 0.5, 0.2, 0.8, 0.15, 0.001, 0.3, 0.1, 0.5, 0.6, 0.4, 0.5,
    ...                27, 14, 378)
    >>> statement(fit, "employee hearts", "customer hearts", 1, "points", "month")[:90]
    'Units whose employee hearts index rose 5 points saw their customer hearts index rise 2.5 p'
    """
    level = {"within": "within-unit", "pooled": "pooled", "between": "between-unit"}[fit.level]
    if fit.estimate is None or fit.lower is None or fit.upper is None:
        return f"No {level} estimate of {source} → {target}: {fit.note}."
    change, lower, upper = (v * STEP for v in (fit.estimate, fit.lower, fit.upper))
    bare = "percent" if scale == "percent" else "value"
    what = f"{target} index" if target.startswith(("customer ", "employee ")) else target
    interval = f"{confidence:.0%} CI {_amount(lower, bare)} to {_amount(upper, scale)}"
    size = _amount(abs(change), scale)
    if fit.level == "between":
        text = (
            f"Units whose {source} index was {STEP:.0f} points higher on average had a {what} "
            f"{size} {'higher' if change >= 0 else 'lower'} ({interval}; between "
            f"{fit.n_units} units, which also differ in other ways)."
        )
    else:
        how = (
            "within units: each compared with itself"
            if fit.level == "within"
            else "pooled: differences between units count too"
        )
        text = (
            f"Units whose {source} index rose {STEP:.0f} points saw their {what} "
            f"{'rise' if change >= 0 else 'fall'} {size} {_when(lag, period)} ({interval}; "
            f"{how}; {fit.n_units} units × {fit.n_periods} {period}s; corrected for "
            f"sampling error)."
        )
    if lower <= 0 <= upper:
        text += " The interval includes no effect."
    return text


def _amount(value: float, scale: str) -> str:
    """Two significant figures for small numbers, one decimal otherwise, with the unit."""
    text = f"{value:.2g}" if abs(value) < 1 else f"{value:.1f}"
    return text + {"percent": "%", "points": " points"}.get(scale, "")


def _when(lag: int, period: str) -> str:
    if lag == 0:
        return f"the same {period}"
    if lag == 1:
        return f"the next {period}"
    return f"{lag} {period}s later"
