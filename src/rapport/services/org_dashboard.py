"""What the organisation dashboard shows: KPI tiles, heatmap, trends, hearts-vs-minds quadrant
and emotions in comments, for one survey (or every customer survey) and part of the tree.

Every number comes from :func:`rapport.services.metrics.compute` (suppression, closed
periods and manager scope included); this module decides which of those rows a page may
draw. The rules, so a page never says more than the data do:

- **One period for every tile**: the latest period in which every KPI with data is shown and
  rests on enough responses (:data:`~rapport.analytics.estimates.MIN_N_FOR_ESTIMATE`).
  Newer periods with too few responses are listed as skipped, not shown.
- **Trends break at gaps**: every period between the first and the last has a row; a period
  with no responses, too few, or hidden to protect anonymity has no value (a gap in the
  line) and says why.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal, Unit
from rapport.errors import NotFound
from rapport.services import metrics, org, surveys
from rapport.services.closed_loop_figures import ClosedLoopFigure, closed_loop_figures
from rapport.services.dashboard_frames import (
    comment_emotions,
    empty_reason,
    metric_request,
    segment_options,
    shown,
    trend,
    unit_frames,
)
from rapport.services.metric_memo import MetricMemo
from rapport.services.outcomes import RecentOutcomes, recent_outcomes, with_experience
from rapport.storage.uow import UnitOfWork

#: Every survey of one audience together; employee results are only ever shown one survey
#: at a time (docs/confidentiality.md), so only customers have this choice.
AUDIENCE_CHOICES: dict[str, dict[str, Any]] = {
    f"audience:{kind}": {
        "id": None,
        "key": f"audience:{kind}",
        "title": f"All {kind} surveys",
        "audience": kind,
    }
    for kind in ("customer",)
}


def kpis(audience: str) -> tuple[tuple[str, str], ...]:
    """The tiles' metrics and labels; an employee survey's NPS is an eNPS.

    >>> kpis("employee")[0]
    ('nps', 'eNPS')
    """
    return (
        ("nps", "eNPS" if audience == "employee" else "NPS"),
        ("hearts", "Hearts"),
        ("minds", "Minds"),
    )


@dataclass(frozen=True)
class Tile:
    name: str
    label: str
    row: metrics.ResultRow | None
    """The figure for the dashboard's period (None: no responses then)."""
    previous: metrics.ResultRow | None = None
    arrow: str | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class Skipped:
    """A period newer than the tiles' one, left out because too few responded."""

    label: str
    n: int
    hidden: bool


@dataclass(frozen=True)
class OrgDashboard:
    survey: dict[str, Any]
    focus: str | None
    period: str
    segment: str | None
    segments: list[str]
    tiles: list[Tile]
    tiles_period: str | None
    """The period every tile is for (None: no period has enough responses)."""
    skipped: list[Skipped]
    heatmap: pd.DataFrame
    trend: pd.DataFrame
    quadrant: pd.DataFrame
    emotions: pd.DataFrame
    threshold: int | None
    empty_reasons: dict[str, str]
    """Why a chart has nothing to draw, by chart name."""
    units_window: str = "all responses to date"
    """What the unit charts (heatmap, quadrant) sum: every response so far, or, for
    employee surveys, the latest closed period only."""
    surveys: list[dict[str, Any]] = field(default_factory=list)
    """Every survey the principal may choose from (read once for the page)."""
    units: list[Unit] = field(default_factory=list)
    """The units the principal may focus on."""
    outcomes: RecentOutcomes | None = None
    """The focus unit's business outcomes of the last periods, beside the KPIs."""
    closed_loop: list[ClosedLoopFigure] = field(default_factory=list)
    """Closed-loop figures of the survey's cases in the focus subtree."""


def choose_survey(listed: list[dict[str, Any]], survey: str | None) -> dict[str, Any]:
    """The survey asked for (key, id or an audience choice), else the first listed."""
    if not listed:
        raise NotFound("No surveys yet: import one with `rapport survey import`.")
    return AUDIENCE_CHOICES.get(survey or "") or next(
        (s for s in listed if survey in (s["key"], str(s["id"]))), listed[0]
    )


def organisation_dashboard(
    uow: UnitOfWork,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    *,
    survey: str | None = None,
    period: str = "month",
    unit: str | None = None,
    segment: str | None = None,
    version: Hashable | None = None,
) -> OrgDashboard:
    """Everything the dashboard page draws, decided once for page, chart and CSV downloads.
    ``version``: the operational database's data version read before ``uow``'s first
    statement (what is read through ``uow`` may be kept under it), or None.

    Example: ``organisation_dashboard(uow, engine, admin, policy, survey="pulse")`` gives
    tiles for the latest period with enough responses, and trends with gaps where a period
    has too few (``trend["note"]`` says why).
    """
    listed = surveys.list_surveys(uow, principal, version=version)
    chosen = choose_survey(listed, survey)
    if policy.protects(str(chosen["audience"])):
        period = policy.period  # employee results: closed periods of one grain only
    focus = unit or principal.unit_path
    segment = segment or None
    memo = MetricMemo()  # trends, tiles and their comparisons share each table
    segments = segment_options(engine, principal, policy, chosen, focus, memo)
    names = kpis(str(chosen["audience"]))
    by_period = kpis_by_period(
        engine,
        principal,
        policy,
        names,
        metric_request(chosen, "nps", ["period"], period, focus, segment),
        memo,
    )
    current, before, skipped = tile_periods(by_period)
    tiles = [
        _tile(
            engine,
            principal,
            policy,
            chosen,
            period,
            focus,
            segment,
            name,
            label,
            current,
            before,
            by_period[name],
            memo,
        )
        for name, label in names
    ]
    trends = trend(by_period, dict(names), period)
    heat, quadrant, threshold = unit_frames(
        engine, principal, policy, chosen, focus, segment, names, memo
    )
    emotions = comment_emotions(engine, principal, policy, chosen, period, focus, segment, memo)
    label = next(
        (r.period_label for rows in by_period.values() for r in rows if r.period == current), None
    )
    empty = {
        "heatmap": empty_reason(heat),
        "trend": empty_reason(
            trends[trends["series"] != dict(names)["nps"]] if not trends.empty else trends
        ),
        "quadrant": empty_reason(heat),
        "emotions": empty_reason(emotions) if not emotions.empty else "no comments read",
    }
    return OrgDashboard(
        chosen,
        focus,
        period,
        segment,
        segments,
        tiles,
        label,
        skipped,
        heat,
        trends,
        quadrant,
        emotions,
        threshold,
        empty,
        f"the latest closed {period}"
        if policy.protects(str(chosen["audience"]))
        else "all responses to date",
        listed,
        org.list_units(uow, principal),
        _outcomes(uow, principal, focus, period, names, by_period, version),
        closed_loop_figures(engine, principal, policy, chosen, focus, memo),
    )


def _outcomes(
    uow: UnitOfWork,
    principal: Principal,
    focus: str | None,
    period: str,
    names: tuple[tuple[str, str], ...],
    by_period: dict[str, list[metrics.ResultRow]],
    version: Hashable | None,
) -> RecentOutcomes | None:
    """The focus unit's recent outcomes with each KPI of the same period beside them
    where a tile would show it (not hidden, enough responses)."""
    table = recent_outcomes(uow, principal, focus, period, version=version)
    if table is None:
        return None
    figures = {
        label: {r.period: r.value for r in by_period[name] if r.period is not None and shown(r)}
        for name, label in names
    }
    return with_experience(table, period, figures)


def kpis_by_period(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    names: tuple[tuple[str, str], ...],
    request: metrics.MetricRequest,
    memo: MetricMemo | None = None,
) -> dict[str, list[metrics.ResultRow]]:
    """Each KPI's rows by period: ``request`` (grouped by period) with each metric in turn."""
    found = {}
    for name, _ in names:
        result = metrics.compute(
            engine, principal, replace(request, metric=name), policy, memo=memo
        )
        found[name] = [r for r in result.rows if r.period is not None]
    return found


def tile_periods(
    by_period: dict[str, list[metrics.ResultRow]],
) -> tuple[date | None, date | None, list[Skipped]]:
    """The tiles' period and the one they are compared with: the two latest periods in
    which every KPI with any data is shown; and the newer periods passed over."""
    periods = sorted({r.period for rows in by_period.values() for r in rows if r.period})
    at = {name: {r.period: r for r in rows} for name, rows in by_period.items()}
    with_data = [name for name, rows in by_period.items() if rows]

    def complete(p: date) -> bool:
        return bool(with_data) and all(shown(at[name].get(p)) for name in with_data)

    good = [p for p in periods if complete(p)]
    current = good[-1] if good else (periods[-1] if periods else None)
    before = good[-2] if len(good) >= 2 else None
    skipped = []
    for p in periods:
        if current is not None and p > current:
            rows = [at[name][p] for name in with_data if p in at[name]]
            n = max((r.n for r in rows), default=0)
            label = rows[0].period_label if rows else str(p)
            skipped.append(Skipped(label or str(p), n, any(r.suppressed for r in rows)))
    return current, before, skipped


def _tile(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey: dict[str, Any],
    period: str,
    focus: str | None,
    segment: str | None,
    name: str,
    label: str,
    current: date | None,
    before: date | None,
    rows: list[metrics.ResultRow],
    memo: MetricMemo | None = None,
) -> Tile:
    at = {r.period: r for r in rows}
    row, previous = at.get(current), at.get(before)
    if not (shown(row) and shown(previous)):
        return Tile(name, label, row, previous if shown(previous) else None)
    if row is None or previous is None:  # shown() is false for None
        raise RuntimeError("internal error: a shown tile without its rows")
    cmp = metrics.compare(
        engine,
        principal,
        metric_request(survey, name, [], period, focus, segment),
        {"period": row.period_label or ""},
        {"period": previous.period_label or ""},
        policy,
        memo=memo,
    )
    arrow, p_value = None, None
    if cmp.difference is not None and cmp.difference.estimate is not None:
        p_value = cmp.difference.p_value
        if cmp.difference.significant:
            arrow = "up" if cmp.difference.estimate > 0 else "down"
    return Tile(name, label, row, previous, arrow, p_value)
