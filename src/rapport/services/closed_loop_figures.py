"""The closed-loop figures a dashboard shows: one tile per ``cases.*`` metric.

Every figure comes from :func:`rapport.services.metrics.compute`, so the manager scope and,
for an employee survey, closed periods and the anonymity gate apply as to every other tile.
A customer survey's figures are over every case to date in the focus unit's subtree; an
employee survey's are for its latest closed period (the only periods it is shown by).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal
from rapport.services import metrics
from rapport.services.dashboard_frames import metric_request
from rapport.services.metric_memo import MetricMemo

#: (metric, label, unit of its value) in the order the dashboard shows them.
CLOSED_LOOP_METRICS: tuple[tuple[str, str, str], ...] = (
    ("cases.time_to_first_contact", "Time to first contact", "h"),
    ("cases.time_to_resolution", "Time to resolution", "h"),
    ("cases.closed_within_sla", "Closed within SLA", "%"),
    ("cases.repeat_issue_rate", "Repeat issues", "%"),
    ("cases.recovery_effect", "Recovery (follow-up NPS − original)", "pts"),
)


@dataclass(frozen=True)
class ClosedLoopFigure:
    name: str
    label: str
    unit: str
    row: metrics.ResultRow | None
    """The figure (None: no case counts towards it)."""


def closed_loop_figures(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey: dict[str, Any],
    focus: str | None,
    memo: MetricMemo | None = None,
) -> list[ClosedLoopFigure]:
    """One figure per closed-loop metric for ``survey`` (or every survey of its audience)
    in ``focus``'s subtree.

    Example: ``closed_loop_figures(engine, admin, policy, {"id": 1, "audience":
    "customer"}, None)[0].row.value`` is the mean hours to first contact.
    """
    protected = policy.protects(str(survey["audience"]))
    memo = memo or MetricMemo()
    found = []
    for name, label, unit in CLOSED_LOOP_METRICS:
        request = metric_request(survey, name, [], policy.period if protected else None, focus)
        rows = metrics.compute(engine, principal, request, policy, memo=memo).rows
        if protected:  # the latest closed period with a row
            rows = sorted((r for r in rows if r.period is not None), key=lambda r: r.period)[-1:]  # type: ignore[arg-type, return-value]
        row = rows[0] if rows and rows[0].n else None
        found.append(ClosedLoopFigure(name, label, unit, row))
    return found
