"""The ROI as text: every string the page and the one-page PDF show, formatted once
(:func:`figures`, :func:`statement`, :func:`report`), so the two carry the same numbers."""

from __future__ import annotations

from collections.abc import Callable

from rapport.analytics import roi as analysis
from rapport.services.roi._types import CHURN, REVENUE, PathUsed, RoiOutcome


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
