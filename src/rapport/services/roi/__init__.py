"""The ROI simulator for a principal (issue 16, item 6): "if these units raise their employee
index by X, what follows, and does it pay?"

:func:`simulate` fits the linkage over every unit the principal sees
(:func:`rapport.services.linkage.linkage`, so employee cells only as the anonymity policy
shows them), takes its paths employee hearts → customer hearts, customer hearts → revenue
and customer hearts → churn, reads the chosen units' revenue per period from the stored
outcomes, and hands them with the user's costs to :func:`rapport.analytics.roi.roi`. A path
is taken at the ``within`` level (units compared with themselves) and, when the data cannot
bound it there, at the ``pooled`` level, as the linkage's headline does, saying so; when
neither has an estimate the result says why instead of a number. Views only format what
:func:`figures` returns, so the page and its PDF show the same strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import pandas as pd

from rapport.analytics import roi as analysis
from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Permission, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.services import linkage
from rapport.services import outcomes as outcome_store
from rapport.services.access import require
from rapport.services.roi._text import figures, money, percent, points, report, statement
from rapport.services.roi._types import (
    BASELINE_PERIODS,
    CHURN,
    REVENUE,
    PathUsed,
    RoiOutcome,
    RoiRequest,
)
from rapport.storage.uow import UnitOfWork

__all__ = [
    "CHURN",
    "REVENUE",
    "PathUsed",
    "RoiOutcome",
    "RoiRequest",
    "figures",
    "money",
    "percent",
    "points",
    "report",
    "simulate",
    "statement",
]


def simulate(
    engine: AnalyticsEngine,
    uow: UnitOfWork,
    principal: Principal,
    request: RoiRequest,
    policy: SuppressionPolicy,
) -> RoiOutcome:
    """The ROI of ``request`` for ``principal``; ValidationFailed names the field at fault
    (``rise``, ``horizon``, ``one_off_cost``, ``units``, ``revenue``, …)."""
    require(principal, Permission.VIEW_RESULTS)
    if request.period not in BASELINE_PERIODS:
        raise ValidationFailed(
            "the ROI request is not valid",
            [FieldError("period", f"expected month or quarter, got {request.period!r}")],
        )
    units, revenue, source = _baseline(uow, principal, request)
    scenario = _scenario(request, revenue)
    stored = linkage.stored_outcomes(uow, principal, (REVENUE, CHURN), request.period)
    fitted = linkage.linkage(
        engine,
        principal,
        linkage.LinkageRequest(
            request.employee_survey,
            request.customer_survey,
            indices=("hearts",),
            lag=request.lag,
            period=request.period,
            confidence=request.confidence,
        ),
        policy,
        stored,
    )
    notes: list[str] = []
    to_customer = _choose(fitted.paths, "employee hearts", "customer hearts", notes)
    to_revenue = _choose(fitted.paths, "customer hearts", REVENUE, notes)
    to_churn = _choose(fitted.paths, "customer hearts", CHURN, notes, required=False)
    if to_revenue is None:  # said in the result, like any path without an estimate
        to_revenue = PathUsed(
            f"customer hearts → {REVENUE}", "within", None, None, None, None, 0,
            "no stored revenue of the units to link customer hearts to (docs/outcomes.md)",
        )  # fmt: skip
    result = analysis.roi(
        scenario,
        _estimate(to_revenue),
        _estimate(to_customer) if to_customer else None,
        _estimate(to_churn) if to_churn else None,
        confidence=request.confidence,
        seed=request.seed,
    )
    if result.note:
        notes.append(result.note)
    used = [p for p in (to_customer, to_revenue, to_churn) if p is not None]
    if request.lever == "customer":
        used = [p for p in used if p.name != "employee hearts → customer hearts"]
    churn_scale = 100.0 if _shares(stored) else 1.0
    outcome = RoiOutcome(
        request,
        units,
        revenue,
        source,
        result,
        used,
        notes,
        "",
        churn_scale,
        fitted.employee_survey.key,
        fitted.customer_survey.key,
    )
    table = figures(outcome)
    return replace(outcome, statement=statement(outcome), figures=table)


def _scenario(request: RoiRequest, revenue: float) -> analysis.Scenario:
    try:
        return analysis.Scenario(
            rise=request.rise,
            horizon=request.horizon,
            revenue=revenue,
            one_off_cost=request.one_off_cost,
            per_period_cost=request.per_period_cost,
            lever=request.lever,
            lag=request.lag,
            margin=request.margin,
        )
    except ValueError as error:
        problems = []
        for part in str(error).split("; "):
            location, _, message = part.partition(": ")
            problems.append(FieldError(location, message or part))
        raise ValidationFailed("the ROI scenario is not valid", problems) from error


def _baseline(
    uow: UnitOfWork, principal: Principal, request: RoiRequest
) -> tuple[list[str], float, str]:
    """The investing units (those at the bottom of their subtrees with revenue) and their
    revenue per period: each unit's mean over its latest year of stored figures, summed."""
    chosen: list[str | None] = [*request.units] or [None]
    found: dict[str, list[tuple[date, float]]] = {}
    paths: dict[str, str] = {}
    for code in chosen:
        try:
            _, subtree = outcome_store.scope(uow, principal, code)
        except ValidationFailed as error:
            raise ValidationFailed(
                "unknown unit", [FieldError("units", f"no unit {code!r} in your scope")]
            ) from error
        paths.update({u.code: u.path for u in subtree})
        for value in outcome_store.list_outcomes(
            uow, principal, unit=code, outcome=REVENUE, grain=request.period
        ):
            found.setdefault(value.unit, []).append((value.period, value.value))
    leaves = [
        c for c in found if not any(paths[o].startswith(paths[c] + "/") for o in found if o != c)
    ]
    if request.revenue is not None:
        return sorted(leaves) or [c or "all" for c in chosen], request.revenue, "entered"
    if not leaves:
        raise ValidationFailed(
            "no revenue for these units",
            [FieldError("revenue", "no stored revenue for the chosen units: enter it")],
        )
    keep = BASELINE_PERIODS[request.period]
    total = sum(
        sum(v for _, v in sorted(found[c])[-keep:]) / len(sorted(found[c])[-keep:]) for c in leaves
    )
    return sorted(leaves), total, f"stored: each unit's mean over up to {keep} {request.period}s"


def _choose(
    paths: Sequence[linkage.PathRow],
    source: str,
    target: str,
    notes: list[str],
    *,
    required: bool = True,
) -> PathUsed | None:
    """The path at the within level, else pooled (noting why); None if not fitted."""
    rows = {p.level: p for p in paths if p.source == source and p.target == target}
    if not rows:
        return None
    chosen = rows.get("within") or next(iter(rows.values()))
    if chosen.estimate is None and rows.get("pooled") and rows["pooled"].estimate is not None:
        notes.append(
            f"{source} → {target}: no within-unit estimate ({chosen.note}); the pooled "
            "estimate is used, in which differences between units count too"
        )
        chosen = rows["pooled"]
    if chosen.estimate is None and not required:
        return None
    return PathUsed(
        f"{source} → {target}",
        chosen.level,
        chosen.estimate,
        chosen.lower,
        chosen.upper,
        chosen.se,
        chosen.n_units,
        chosen.note,
    )


def _estimate(path: PathUsed) -> analysis.PathEstimate:
    return analysis.PathEstimate(
        path.name, path.estimate, path.se, path.n_units, path.level, path.note
    )


def _shares(stored: pd.DataFrame | None) -> bool:
    if stored is None:
        return False
    churn = stored[stored["metric"] == CHURN]["value"]
    return len(churn) > 0 and float(churn.abs().max()) <= 1
