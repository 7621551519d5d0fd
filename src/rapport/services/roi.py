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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
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
from rapport.storage.uow import UnitOfWork

REVENUE = "revenue"
CHURN = "customer_churn_rate"
BASELINE_PERIODS = {"month": 12, "quarter": 4}
"""Revenue per period is each unit's mean over its latest year of stored figures."""
LEVEL_ORDER = ("within", "pooled")


@dataclass(frozen=True)
class RoiRequest:
    """A scenario on the linkage of an employee and a customer survey (id or key).

    ``units``: unit codes or paths whose subtrees invest (empty: every unit the principal
    sees); ``lever``: ``employee`` (its hearts index rises ``rise`` points) or ``customer``
    (customer hearts rise ``rise`` points); ``revenue``: revenue per period of those units
    (None: from the stored outcomes)."""

    employee_survey: int | str
    customer_survey: int | str
    rise: float = 5.0
    horizon: int = 12
    one_off_cost: float = 0.0
    per_period_cost: float = 0.0
    units: Sequence[str] = ()
    lever: str = "employee"
    margin: float = 1.0
    lag: int = 1
    period: str = "month"
    revenue: float | None = None
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class PathUsed:
    name: str
    level: str
    estimate: float | None
    lower: float | None
    upper: float | None
    se: float | None
    n_units: int
    note: str | None


@dataclass(frozen=True)
class RoiOutcome:
    request: RoiRequest
    units: list[str]
    """The investing units with revenue (the bottom of the tree: stores, departments)."""
    revenue: float
    """Their revenue per period."""
    revenue_source: str
    result: analysis.RoiResult
    paths: list[PathUsed]
    notes: list[str]
    statement: str
    churn_scale: float = 1.0
    """100 when churn is stored as a share (0.025): its change is shown in points of %."""
    employee_survey: str = ""
    """Survey keys (a title may hold a placeholder such as {org})."""
    customer_survey: str = ""
    figures: list[tuple[str, str, str]] = field(default_factory=list)
    """(label, value, interval) as the page and the PDF show them: :func:`figures`."""


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


def money(value: float | None) -> str:
    """Whole currency units with thousands separators and a true minus: ``-12,300``."""
    if value is None:
        return "—"
    return f"{value:,.0f}".replace("-", "−") if abs(value) >= 1 else "0"


def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}%".replace("-", "−")


def points(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace("-", "−")


def _percent2(value: float | None) -> str:
    return percent(value, 2)


def _percent0(value: float | None) -> str:
    return percent(value, 0)


def _periods(value: float | None) -> str:
    """A payback: never when the gain does not exceed the running cost."""
    return "never" if value is None else points(value, 1)


def _interval(lower: str, upper: str) -> str:
    return f"{lower} to {upper}"


def figures(outcome: RoiOutcome) -> list[tuple[str, str, str]]:
    """(label, value, interval) rows, formatted once for the page and the PDF."""
    r = outcome.result
    if not r.estimable:
        return []
    per = outcome.request.period
    rows: list[tuple[str, analysis.Figure, Callable[[float | None], str]]] = [
        ("Customer hearts change (points)", r.customer_rise, points),
        (f"Revenue change per {per} (%)", r.revenue_pct, _percent2),
        (f"Revenue change over {outcome.request.horizon} {per}s", r.revenue_change, money),
        ("Benefit (revenue × margin)", r.benefit, money),
        ("ROI", _scaled(r.roi, 100), _percent0),
        (f"Payback ({per}s)", r.payback, _periods),
    ]
    table = [(label, fmt(f.value), _interval(fmt(f.lower), fmt(f.upper))) for label, f, fmt in rows]
    if r.churn_change is not None:
        unit = "percentage points" if outcome.churn_scale == 100 else "value"
        churn = _scaled(r.churn_change, outcome.churn_scale)
        table.append(
            (
                f"Churn change per {per} ({unit})",
                points(churn.value, 3),
                _interval(points(churn.lower, 3), points(churn.upper, 3)),
            )
        )
    table.append(("Cost", money(r.cost), ""))
    table.append(("P(ROI > 0)", f"{r.probability_positive:.2f}", ""))
    return table


def _scaled(figure: analysis.Figure, by: float) -> analysis.Figure:
    def times(v: float | None) -> float | None:
        return None if v is None else v * by

    return analysis.Figure(times(figure.value), times(figure.lower), times(figure.upper))


def statement(outcome: RoiOutcome) -> str:
    """The result in one paragraph, or why there is none."""
    r, q = outcome.result, outcome.request
    who = f"{len(outcome.units)} units" if len(outcome.units) != 1 else outcome.units[0]
    lever = "employee hearts index" if q.lever == "employee" else "customer hearts index"
    if not r.estimable:
        return f"No ROI for {who} raising their {lever} by {q.rise:g} points: {r.note}."
    level = f"{r.confidence:.0%} CI"
    roi, payback = _scaled(r.roi, 100), r.payback
    text = (
        f"If {who} raise their {lever} by {q.rise:g} points, revenue changes by "
        f"{money(r.revenue_change.value)} over {q.horizon} {q.period}s ({level} "
        f"{money(r.revenue_change.lower)} to {money(r.revenue_change.upper)}). Against a cost "
        f"of {money(r.cost)}, the ROI is {percent(roi.value, 0)} ({level} "
        f"{percent(roi.lower, 0)} to {percent(roi.upper, 0)}); P(ROI > 0) = "
        f"{r.probability_positive:.2f}."
    )
    if payback.value is None:
        text += " At these costs it does not pay back."
    else:
        text += f" Payback after {points(payback.value, 1)} {q.period}s."
    return text


METHOD = (
    "Method: the linkage paths (employee hearts → next-period customer hearts → revenue, "
    "customer hearts → churn), each corrected for the indices' sampling error with "
    "cluster-robust standard errors, are propagated by a parametric simulation from the "
    "fitted estimates ({draws:,} seeded draws, Student t on units − 1 degrees of freedom, "
    "paths independent); the interval is the draws' percentiles and P(ROI > 0) their share "
    "above zero. The delta method gives {delta} for the ROI. Revenue, costs and margin are "
    "taken as known. See docs/linkage.md (ROI)."
)


def _path_text(path: PathUsed, outcome: RoiOutcome) -> str:
    """A path's slope in the units the figures use (churn as a share: percentage points)."""
    if path.estimate is None or path.se is None:
        return f"not estimable: {path.note}" if path.note else "not estimable"
    scale, unit = 1.0, "points"
    if path.name.endswith(REVENUE):
        unit = "% revenue"
    elif path.name.endswith(CHURN):
        scale = outcome.churn_scale
        unit = "churn points" if scale == 100 else "churn"
    estimate, se = path.estimate * scale, path.se * scale
    return f"{estimate:.3g} {unit} per point (s.e. {se:.2g}, {path.n_units} units)".replace(
        "-", "−"
    )


def report(outcome: RoiOutcome) -> dict[str, object]:
    """Everything the page and the one-page PDF show, as display strings."""
    q, r = outcome.request, outcome.result
    lever = "Employee hearts index" if q.lever == "employee" else "Customer hearts index"
    delta = "no interval"
    if r.delta_lower is not None and r.delta_upper is not None:
        delta = _interval(percent(r.delta_lower * 100, 0), percent(r.delta_upper * 100, 0))
    chosen = ", ".join(q.units) if q.units else "every unit you see"
    return {
        "title": "Return on raising experience",
        "subtitle": f"{outcome.employee_survey} → {outcome.customer_survey} → revenue",
        "statement": outcome.statement,
        "confidence": f"{r.confidence:.0%}",
        "scenario": [
            ("Units", f"{chosen} ({len(outcome.units)} with revenue)"),
            ("Lever", f"{lever} +{q.rise:g} points"),
            ("Horizon", f"{q.horizon} {q.period}s (customers follow after {r.scenario.delay})"),
            (f"Revenue per {q.period}", f"{money(outcome.revenue)} ({outcome.revenue_source})"),
            ("One-off cost", money(q.one_off_cost)),
            (f"Cost per {q.period}", money(q.per_period_cost)),
            ("Margin", percent(q.margin * 100, 0)),
        ],
        "figures": outcome.figures,
        "paths": [(f"{p.name} ({p.level})", _path_text(p, outcome)) for p in outcome.paths],
        "notes": outcome.notes,
        "method": METHOD.format(draws=r.draws, delta=delta) if r.estimable else "",
        "footer": f"ROI simulator · seed {q.seed}",
    }
