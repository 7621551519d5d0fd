"""The first survey dashboard: per unit (rolled up the tree) response counts and rate,
NPS with its interval, hearts and minds indices with intervals.

Every figure comes from the metrics engine through :func:`rapport.services.metrics.compute`
(one definition per metric, suppression and manager scope applied there), read live from
the operational database so that a response just submitted is counted at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.estimates import Sufficiency, sufficiency
from rapport.analytics.periods import as_moment, next_period
from rapport.analytics.suppression import Measure, SuppressionPolicy
from rapport.domain.org import Permission, Principal, Unit
from rapport.domain.survey import fill_placeholders
from rapport.errors import ValidationFailed
from rapport.services import confidentiality, metrics
from rapport.services.access import require
from rapport.services.metric_memo import MetricMemo
from rapport.services.org import organisation_name
from rapport.services.surveys import PublishedSurvey, get_published
from rapport.storage.uow import UnitOfWork

#: The columns of the table, as metric names of the engine.
COLUMNS = ("responses", "response_rate", "nps", "hearts", "minds")


@dataclass(frozen=True)
class UnitResult:
    """One row of the dashboard. Figures are None when suppressed or with no data."""

    unit: Unit
    depth: int
    n: int
    invited: int
    response_rate: metrics.ResultRow | None
    nps: metrics.ResultRow | None
    hearts: metrics.ResultRow | None
    minds: metrics.ResultRow | None
    suppressed: bool
    reason: str | None
    sufficiency: Sufficiency


@dataclass(frozen=True)
class SurveyDashboard:
    published: PublishedSurvey
    rows: list[UnitResult]
    total_responses: int
    anonymity_threshold: int | None
    title: str
    period: str | None = None
    """Protected surveys: the closed period every figure is for (the latest with data)."""
    may_export: bool = False
    """Whether the principal may download the raw responses (``responses.export_for``)."""


def survey_dashboard(
    uow: UnitOfWork,
    engine: AnalyticsEngine,
    principal: Principal,
    survey_id: int,
    policy: SuppressionPolicy,
) -> SurveyDashboard:
    """Dashboard rows for the units the principal may see, in tree order.

    A unit's figures are shown only when its response count is revealed (the rate's own
    decision, over invitations, must allow it too); the metrics service takes every
    decision over the whole unit tree before narrowing to the principal's scope.
    """
    require(principal, Permission.VIEW_RESULTS)
    published = get_published(uow, survey_id)
    memo = MetricMemo()
    first = metrics.MetricRequest(survey=survey_id, metric="responses", by=["unit"])
    counted = metrics.compute(engine, principal, first, policy, memo=memo)
    since, until = _one_period(counted)
    columns = {"responses": {r.unit_id: r for r in counted.rows if r.unit_id is not None}}
    for name in COLUMNS[1:]:
        request = replace(first, metric=name, since=since, until=until)
        columns[name] = _by_unit(engine, principal, request, policy, memo)
    counts = columns["responses"]
    rows = []
    for unit in uow.units.all():
        count = counts.get(unit.id)
        if count is None:  # outside the principal's part of the organisation
            continue
        shown = {
            name: None if count.suppressed else _value(columns[name].get(unit.id))
            for name in COLUMNS
        }
        rate = columns["response_rate"].get(unit.id)
        rows.append(
            UnitResult(
                unit=unit,
                depth=unit.path.count("/"),
                n=count.n,
                invited=rate.n if rate else 0,
                response_rate=shown["response_rate"],
                nps=shown["nps"],
                hearts=shown["hearts"],
                minds=shown["minds"],
                suppressed=count.suppressed,
                reason=count.reason,
                sufficiency=sufficiency(count.n),
            )
        )
    threshold = (
        policy.threshold(Measure.SCORES) if policy.protects(published.survey.audience) else None
    )
    total = sum(r.n for r in rows if r.unit.parent_id is None)
    if not any(r.unit.parent_id is None for r in rows):  # a manager: their own top unit
        total = rows[0].n if rows else 0
    title = fill_placeholders(published.survey.title, {"org": organisation_name(uow)})
    label = next((r.period_label for r in counted.rows), None) if counted.closed_period else None
    may_export = principal.can(Permission.EXPORT) and confidentiality.may_read_raw(
        principal, policy, audience=published.survey.audience
    )
    return SurveyDashboard(published, rows, total, threshold, title, label, may_export)


def _one_period(result: metrics.MetricResult) -> tuple[datetime | None, datetime | None]:
    """For a protected survey, the window of the one closed period the first column shows,
    so that every column is for the same period."""
    found = next((r.period for r in result.rows if r.period is not None), None)
    if result.closed_period is None or found is None:
        return None, None
    return as_moment(found), as_moment(next_period(found, result.closed_period))


def _value(row: metrics.ResultRow | None) -> metrics.ResultRow | None:
    """The row when it has a value to show."""
    return None if row is None or row.suppressed or row.value is None else row


def _by_unit(
    engine: AnalyticsEngine,
    principal: Principal,
    request: metrics.MetricRequest,
    policy: SuppressionPolicy,
    memo: MetricMemo,
) -> dict[int, metrics.ResultRow]:
    """One metric by unit, rolled up; empty when the survey has nothing it reads (a
    readiness assessment has no NPS)."""
    try:
        result = metrics.compute(engine, principal, request, policy, memo=memo)
    except ValidationFailed:
        return {}
    return {row.unit_id: row for row in result.rows if row.unit_id is not None}
