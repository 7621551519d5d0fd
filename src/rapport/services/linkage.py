"""Service-profit linkage for a principal (issue 16, item 4): employee → customer → outcome.

:func:`linkage` reads the unit × period tables of the employee and the customer survey's
indices through :func:`rapport.services.metrics.compute` — so employee cells are only those
the anonymity policy shows (whole closed periods, groups of at least the threshold, the
differencing audit; suppressed cells are left out of the panel, never read around) — keeps
the units at the bottom of the tree that have data (stores, departments: a region's figure
is its stores' again) and hands the panel to :func:`rapport.analytics.linkage.link`.
Outcomes are a unit × period frame passed in (``unit`` code, ``period`` and one column per
outcome, or long ``metric``/``value``) or read from the stored outcomes by name
(:func:`stored_outcomes`); without any the outcome paths are skipped.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from rapport.analytics import linkage as analysis
from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics.catalog import SurveyInfo
from rapport.analytics.suppression import Measure, SuppressionPolicy
from rapport.domain.org import Permission, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.services import metrics
from rapport.services import outcomes as outcome_store
from rapport.services.access import require
from rapport.storage.uow import UnitOfWork

PERIODS = ("month", "quarter")
MAX_LAG = 12
LOG_OUTCOMES = ("revenue", "sales")
"""Money outcomes compared in percent (100·ln): a store twice the size moves twice as much."""


@dataclass(frozen=True)
class LinkageRequest:
    """What to link: an employee and a customer survey (id or key), the indices to pair,
    the lag of the customer side in periods, the period, and optionally a unit's subtree."""

    employee_survey: int | str
    customer_survey: int | str
    indices: Sequence[str] = ("hearts", "minds")
    lag: int = 1
    period: str = "month"
    unit: str | None = None
    confidence: float = 0.95
    log_outcomes: Sequence[str] = LOG_OUTCOMES


@dataclass(frozen=True)
class PathRow:
    """One path at one level (within, pooled, between): see ``docs/linkage.md``."""

    source: str
    target: str
    level: str
    lag: int
    estimate: float | None
    lower: float | None
    upper: float | None
    standardised: float | None
    n_units: int
    n_periods: int
    n_cells: int
    p_value: float | None
    naive: float | None
    naive_lower: float | None
    naive_upper: float | None
    reliability: float | None
    within_r2: float | None
    scale: str
    note: str | None
    statement: str
    se: float | None = None
    """The estimate's cluster-robust standard error (the ROI simulator propagates it)."""


@dataclass(frozen=True)
class LinkageResult:
    employee_survey: SurveyInfo
    customer_survey: SurveyInfo
    lag: int
    period: str
    confidence: float
    anonymity_threshold: int | None
    suppressed_cells: int
    """Employee unit-periods withheld by the anonymity policy (left out of the panel)."""
    statement: str
    """The headline: employee hearts → customer hearts."""
    paths: list[PathRow]


def linkage(
    engine: AnalyticsEngine,
    principal: Principal,
    request: LinkageRequest,
    policy: SuppressionPolicy,
    outcomes: pd.DataFrame | None = None,
) -> LinkageResult:
    """The linkage paths for ``principal``, with a headline statement.

    Raises PermissionDenied, NotFound (a survey or the unit) or ValidationFailed naming the
    field (``employee_survey``, ``customer_survey``, ``lag``, ``period``, ``confidence``,
    ``outcome``).
    """
    require(principal, Permission.VIEW_RESULTS)
    _check(request)
    sides = {}
    suppressed = 0
    surveys = {}
    for field, audience, survey in (
        ("employee_survey", "employee", request.employee_survey),
        ("customer_survey", "customer", request.customer_survey),
    ):
        frames = []
        for index in request.indices:
            result = metrics.compute(
                engine,
                principal,
                metrics.MetricRequest(
                    survey=survey,
                    metric=index,
                    by=("unit",),
                    period=request.period,
                    unit=request.unit,
                    confidence=request.confidence,
                ),
                policy,
            )
            if result.survey is None or result.survey.audience != audience:
                found = result.survey.audience if result.survey else "none"
                raise ValidationFailed(
                    f"the {audience} side needs an {audience} survey",
                    [FieldError(field, f"expected an {audience} survey, got a {found} survey")],
                )
            surveys[audience] = result.survey
            if index == request.indices[0]:
                suppressed += sum(r.suppressed for r in result.rows if audience == "employee")
            frames.append(index_cells(result.rows, index, request.period))
        sides[audience] = _merge(frames)
    outcome_table = outcome_frame(outcomes, request.period)
    try:
        table = analysis.link(
            sides["employee"],
            sides["customer"],
            outcome_table,
            indices=request.indices,
            lag=request.lag,
            log_outcomes=request.log_outcomes,
            period=request.period,
            confidence=request.confidence,
        )
    except ValueError as error:
        raise ValidationFailed(
            "the linkage cannot be computed", [FieldError("outcome", str(error))]
        ) from error
    paths = [PathRow(**_plain(row)) for row in table.to_dict("records")]
    threshold = policy.threshold(Measure.SCORES) if policy.protects("employee") else None
    return LinkageResult(
        surveys["employee"],
        surveys["customer"],
        request.lag,
        request.period,
        request.confidence,
        threshold,
        suppressed,
        headline(paths, request.indices[0]),
        paths,
    )


def stored_outcomes(
    uow: UnitOfWork, principal: Principal, names: Sequence[str], period: str
) -> pd.DataFrame | None:
    """The stored outcomes ``names`` of every unit the principal sees, each unit's own
    figures at ``period``'s grain, as the long frame :func:`linkage` takes (None if none)."""
    found = []
    for name in names:
        found += outcome_store.list_outcomes(uow, principal, outcome=name, grain=period)
    if not found:
        return None
    return pd.DataFrame(
        [(v.unit, v.period, v.name, v.value) for v in found],
        columns=["unit", "period", "metric", "value"],
    )


def headline(paths: Sequence[PathRow], index: str = "hearts") -> str:
    """The within-unit employee → customer statement; when the data cannot bound it, why,
    followed by the pooled one (which lets differences between units count too)."""
    chosen = {
        p.level: p
        for p in paths
        if p.source == f"employee {index}" and p.target == f"customer {index}"
    }
    within, pooled = chosen.get("within"), chosen.get("pooled")
    if within is None or pooled is None:
        return f"No employee {index} → customer {index} path to estimate."
    if within.estimate is not None or pooled.estimate is None:
        return within.statement
    return f"{within.statement} {pooled.statement}"


def _check(request: LinkageRequest) -> None:
    problems = []
    if request.period not in PERIODS:
        problems.append(FieldError("period", f"expected month or quarter, got {request.period!r}"))
    if not 0 <= request.lag <= MAX_LAG:
        problems.append(FieldError("lag", f"expected 0 to {MAX_LAG} periods, got {request.lag}"))
    if not 0 < request.confidence < 1:
        problems.append(
            FieldError("confidence", f"expected between 0 and 1, got {request.confidence}")
        )
    if not request.indices:
        problems.append(FieldError("indices", "name at least one index (hearts, minds)"))
    if problems:
        raise ValidationFailed("the linkage request is not valid", problems)


def index_cells(rows: Sequence[metrics.ResultRow], index: str, period: str) -> pd.DataFrame:
    """Shown cells of the units at the bottom of the tree: ``unit``, ``period`` (number),
    the index, its sampling variance ``<index>_var`` and respondents ``<index>_n``."""
    shown = [r for r in rows if r.value is not None and not r.suppressed and r.unit_path]
    paths = {r.unit_path for r in rows if r.n > 0 and r.unit_path}
    leaves = {p for p in paths if not any(q.startswith(f"{p}/") for q in paths)}
    records = []
    for r in shown:
        if r.unit_path not in leaves or r.period is None:
            continue
        sd = r.detail.get("sd", float("nan"))
        records.append(
            (r.unit_code, analysis.period_number(r.period, period), r.value, sd**2 / r.n, r.n)
        )
    return pd.DataFrame(records, columns=["unit", "period", index, f"{index}_var", f"{index}_n"])


def _merge(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame, on=["unit", "period"], how="outer")
    return merged


def outcome_frame(outcomes: pd.DataFrame | None, period: str) -> pd.DataFrame | None:
    """A wide ``unit`` × ``period`` frame of outcomes, periods numbered like the indices."""
    if outcomes is None or len(outcomes) == 0:
        return None
    frame = outcomes.rename(columns={"unit_code": "unit"})
    missing = [c for c in ("unit", "period") if c not in frame.columns]
    if missing:
        raise ValidationFailed(
            "the outcomes need unit and period columns",
            [FieldError("outcome", f"missing column {c!r}") for c in missing],
        )
    if {"metric", "value"} <= set(frame.columns):
        frame = frame.pivot_table(
            index=["unit", "period"], columns="metric", values="value", aggfunc="mean"
        ).reset_index()
        frame.columns.name = None
    numbers = []
    for row, value in enumerate(frame["period"]):
        try:
            numbers.append(analysis.period_number(_day(value), period))
        except (TypeError, ValueError) as error:
            raise ValidationFailed(
                "an outcome period is not a date",
                [FieldError(f"outcome[{row}].period", f"expected YYYY-MM or a date: {error}")],
            ) from error
    frame = frame.assign(period=numbers, unit=frame["unit"].astype(str))
    # One row per unit-period: a quarter's months are averaged.
    return frame.groupby(["unit", "period"], as_index=False).mean(numeric_only=True)


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Period):
        return value.start_time.date()
    text = str(value)
    return date.fromisoformat(text if len(text) > 7 else f"{text}-01")


def _plain(row: Mapping[Hashable, Any]) -> dict[str, Any]:
    """NaN (pandas' missing) as None, numpy scalars as Python numbers."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        key = str(key)
        if value is None or (isinstance(value, float) and value != value):
            out[key] = None
        elif hasattr(value, "item"):
            out[key] = value.item()
        else:
            out[key] = value
    return out
