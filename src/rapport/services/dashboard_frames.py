"""The frames the organisation dashboard draws, and why a figure is not drawn.

A row is *shown* when it is not hidden, has a value and rests on enough responses
(:data:`~rapport.analytics.estimates.MIN_N_FOR_ESTIMATE`); otherwise the page gives the
reason (:func:`why_not_shown`). Trends have a row for every period from the first to the
last, with a null value (a gap in the line) and the reason where a period has no figure.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.estimates import Sufficiency
from rapport.analytics.periods import next_period
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal
from rapport.services import metrics
from rapport.services.metric_memo import MetricMemo

#: Person attributes offered as segments (customers: segment; employees: role, contract).
SEGMENT_ATTRIBUTES = ("segment", "role", "contract", "tenure_band")
HIDDEN = "hidden to protect anonymity"
TOO_FEW = "too few responses"
NO_RESPONSES = "no responses"


def metric_request(
    survey: dict[str, Any],
    metric: str,
    by: list[str],
    period: str | None,
    unit: str | None,
    segment: str | None = None,
) -> metrics.MetricRequest:
    """A request for the chosen survey, or for every survey of one audience."""
    return metrics.MetricRequest(
        survey=survey["id"],
        metric=metric,
        by=by,
        period=period,
        unit=unit,
        segment=segment,
        audience=survey["audience"],
    )


def shown(row: metrics.ResultRow | None) -> bool:
    """Whether a row's figure may be drawn: not hidden, with a value, on enough responses."""
    return (
        row is not None
        and not row.suppressed
        and row.value is not None
        and row.sufficiency not in (Sufficiency.NO_RESPONSES, Sufficiency.NOT_ENOUGH_RESPONSES)
    )


def why_not_shown(row: metrics.ResultRow | None) -> str | None:
    """The reason a page gives instead of a figure, or None when it may be shown."""
    if row is None or row.n == 0:
        return NO_RESPONSES
    if row.suppressed:
        return HIDDEN
    if not shown(row):
        return TOO_FEW
    return None


def trend(
    by_period: dict[str, list[metrics.ResultRow]], labels: dict[str, str], grain: str
) -> pd.DataFrame:
    """Every period from the first to the last of each series: a value where it may be
    shown, a gap (null) and the reason elsewhere, so lines break instead of joining."""
    return pd.DataFrame(
        [
            record
            for name, rows in by_period.items()
            for record in _series(labels[name], rows, grain)
        ]
    )


def _series(label: str, rows: list[metrics.ResultRow], grain: str) -> list[dict[str, Any]]:
    """One line of a trend chart, one record per period, gaps included."""
    at = {r.period: r for r in rows if r.period is not None}
    if not at:
        return []
    records = []
    p, last = min(at), max(at)
    while p <= last:
        row = at.get(p)
        reason = why_not_shown(row)
        records.append(
            {
                "series": label,
                "period": pd.Timestamp(p),
                "value": None if row is None or reason else row.value,
                "lower": None if row is None or reason else row.lower,
                "upper": None if row is None or reason else row.upper,
                "n": row.n if row is not None else 0,
                "note": reason or "",
            }
        )
        p = next_period(p, grain)
    return records


def unit_frames(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey: dict[str, Any],
    focus: str | None,
    segment: str | None,
    names: tuple[tuple[str, str], ...],
    memo: MetricMemo | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    """The heatmap (top two levels of the tree in view) and the quadrant (leaf units)."""
    heat: list[dict[str, Any]] = []
    quad: dict[str | None, dict[str, Any]] = {}
    threshold = None
    for name, label in names:
        request = metric_request(survey, name, ["unit"], None, focus, segment)
        result = metrics.compute(engine, principal, request, policy, memo=memo)
        threshold = result.anonymity_threshold
        depths = [r.unit_depth for r in result.rows if r.unit_depth is not None]
        top = min(depths) if depths else 0
        for r in result.rows:
            if r.unit_depth is None or r.unit_depth > top + 1:
                continue
            reason = why_not_shown(r)
            heat.append(
                {
                    "unit": r.unit_name,
                    "unit_code": r.unit_code,
                    "metric": label,
                    "value": None if reason else r.value,
                    "n": r.n,
                    "note": reason or "",
                }
            )
        if name in ("hearts", "minds"):
            leaf_depth = max(depths) if depths else 0
            for r in result.rows:
                if r.unit_depth == leaf_depth and shown(r):
                    quad.setdefault(r.unit_name, {"unit_code": r.unit_code})[name] = r.value
    quadrant = pd.DataFrame(
        [{"unit": k, **v} for k, v in quad.items() if "hearts" in v and "minds" in v]
    )
    return pd.DataFrame(heat), quadrant, threshold


def empty_reason(frame: pd.DataFrame) -> str:
    """Why a frame draws nothing: every group hidden, too few, or no responses at all."""
    notes = set(frame["note"]) if not frame.empty and "note" in frame else set()
    if HIDDEN in notes:
        return HIDDEN
    if TOO_FEW in notes:
        return TOO_FEW
    return NO_RESPONSES


def has_values(frame: pd.DataFrame) -> bool:
    """Whether a chart's frame has anything to draw."""
    return not frame.empty and "value" in frame and bool(frame["value"].notna().any())


def segment_options(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey: dict[str, Any],
    unit: str | None,
    memo: MetricMemo | None = None,
) -> list[str]:
    """``attribute=value`` of every segment with shown results in the viewer's scope."""
    options = []
    for name in SEGMENT_ATTRIBUTES:
        request = replace(metric_request(survey, "responses", [], None, unit), attribute=name)
        for row in metrics.compute(engine, principal, request, policy, memo=memo).rows:
            if row.attribute is not None and row.n > 0 and not row.suppressed:
                options.append(f"{name}={row.attribute}")
    return options


def comment_emotions(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey: dict[str, Any],
    period: str,
    unit: str | None,
    segment: str | None,
    memo: MetricMemo | None = None,
) -> pd.DataFrame:
    """Share of comments showing each emotion (neutral left out), per period; a period with
    too few comments (or hidden: under the comment threshold) is a gap in its line."""
    request = metric_request(survey, "comment_emotions", ["period"], period, unit, segment)
    rows = metrics.compute(engine, principal, request, policy, memo=memo).rows
    emotions: dict[str, list[metrics.ResultRow]] = {}
    for r in rows:
        if r.period and r.emotion and r.emotion != "neutral":
            emotions.setdefault(r.emotion, []).append(r)
    return pd.DataFrame(
        [record for name, found in emotions.items() for record in _series(name, found, period)]
    )
