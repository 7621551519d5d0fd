"""The home page: where a programme lead starts.

Headline customer KPIs (NPS, hearts, minds over every customer survey, for the latest
period in which all three rest on enough responses, with intervals), then every survey with
its responses, response rate and when responses came in. Kept cheap: three metric queries
for the headline, one response-rate query per survey and one grouped count of responses,
scoped to the principal's part of the organisation.

Employee surveys show their responses and response rate for their latest closed period only,
through the metrics service like every employee figure (suppressed below the threshold), and
no dates: a count or a "latest response" that moves while a period is open points at whoever
just answered.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.periods import as_moment, period_floor
from rapport.analytics.suppression import SuppressionPolicy
from rapport.analytics.suppression.cache import content_key
from rapport.domain.org import Principal
from rapport.errors import ValidationFailed
from rapport.services import metrics, org, surveys
from rapport.services.clock import as_utc
from rapport.services.metric_memo import MetricMemo
from rapport.services.org_dashboard import Tile, kpis, kpis_by_period, tile_periods
from rapport.storage.repositories.surveys import SurveyActivity
from rapport.storage.uow import UnitOfWork

HEADLINE_MONTHS = 3
"""The headline looks for a month with enough responses among the last three with any."""


@dataclass(frozen=True)
class SurveyLine:
    id: int
    key: str
    title: str
    audience: str
    responses: int | None
    """Responses (employee surveys: in ``period``; None: hidden to protect anonymity)."""
    rate: metrics.ResultRow | None
    """The response rate over invitations (None: no invitations sent)."""
    first: str | None
    last: str | None
    period: str | None = None
    """Employee surveys: the closed period the figures are for."""


@dataclass(frozen=True)
class Step:
    """One step of *Getting started* for a new organisation, and whether it is done."""

    key: str
    label: str
    done: bool


@dataclass(frozen=True)
class Overview:
    headline: list[Tile]
    headline_period: str | None
    surveys: list[SurveyLine]
    units: int
    getting_started: list[Step] = field(default_factory=list)
    """Empty once the organisation has units below its root, people and a survey."""


def getting_started(uow: UnitOfWork, has_survey: bool | None = None) -> list[Step]:
    """What a new organisation still has to do (import units, people, a survey), or an
    empty list when it has done all three (``has_survey``: already known to the caller)."""
    surveyed = bool(uow.surveys.all()) if has_survey is None else has_survey
    steps = [
        Step("units", "Import your units (the organisation tree)", uow.units.count() > 1),
        Step("people", "Import your customers and employees", uow.people.count() > 0),
        Step("survey", "Create or import a survey", surveyed),
    ]
    return [] if all(s.done for s in steps) else steps


def overview(
    uow: UnitOfWork,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    memo: MetricMemo | None = None,
    listed: list[dict[str, Any]] | None = None,
    version: Hashable | None = None,
) -> Overview:
    """What the home page shows ``principal`` (``memo``: shared with the page's other reads;
    ``version``: the data version of ``uow``'s database read before its first statement,
    which keeps the responses' activity, or None).

    Example: ``overview(uow, engine, admin, policy).headline[0].row.value`` is the NPS of
    every customer survey in the latest month with enough responses.
    """
    units = org.list_units(uow, principal)
    listed = listed if listed is not None else surveys.list_surveys(uow, principal)
    scoped = len(units) < len(uow.units.all())  # a manager: their subtree's responses
    activity = _activity(uow, [u.id for u in units] if scoped else None, version)
    memo = memo if memo is not None else MetricMemo()
    lines = []
    for s in listed:
        seen = activity.get(s["id"])
        rate = _figure(engine, principal, policy, s["id"], "response_rate", memo)
        if policy.protects(str(s["audience"])):
            count = _figure(engine, principal, policy, s["id"], "responses", memo)
            shown = None if count is None or count.suppressed else count.n
            period = count.period_label if count else None
            lines.append(
                SurveyLine(
                    s["id"], s["key"], s["title"], s["audience"], shown, rate, None, None, period
                )
            )
            continue
        first, last = (_day(seen.first), _day(seen.last)) if seen else (None, None)
        n = seen.responses if seen else 0
        lines.append(SurveyLine(s["id"], s["key"], s["title"], s["audience"], n, rate, first, last))
    customer = [
        activity[s["id"]].last
        for s in listed
        if s["audience"] == "customer" and s["id"] in activity
    ]
    headline, label = (
        _headline(engine, principal, policy, max(customer), memo) if customer else ([], None)
    )
    return Overview(headline, label, lines, len(units), getting_started(uow, bool(listed)))


def _activity(
    uow: UnitOfWork, unit_ids: list[int] | None, version: Hashable | None
) -> dict[int, SurveyActivity]:
    """Each survey's responses, first and last submission (``unit_ids``: a manager's
    subtree), kept in ``services.metrics.KEPT`` under ``version`` when there is one (the
    grouped count reads every response): a commit that writes data gives a new one."""
    if version is None:
        return uow.responses.activity(unit_ids)
    kept = metrics.kept_value(
        content_key(["activity", version, unit_ids]),
        lambda: uow.responses.activity(unit_ids),
        lambda activity: 4 * len(activity),
    )
    return dict(kept)


def _day(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d")


def _figure(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    survey_id: int,
    metric: str,
    memo: MetricMemo,
) -> metrics.ResultRow | None:
    """A survey's one figure over the principal's part of the organisation (employee
    surveys: its latest closed period); None when there is nothing to count."""
    request = metrics.MetricRequest(survey=survey_id, metric=metric)
    try:
        rows = metrics.compute(engine, principal, request, policy, memo=memo).rows
    except ValidationFailed:
        return None
    return rows[-1] if rows and rows[-1].n > 0 else None


def _headline(
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    last: datetime,
    memo: MetricMemo,
) -> tuple[list[Tile], str | None]:
    """Customer NPS, hearts and minds by month over every customer survey, read from the
    last :data:`HEADLINE_MONTHS` months with responses only (the indices are the costly
    queries: a window keeps the page's time independent of the years of history)."""
    since = period_floor(as_utc(last), "month")
    for _ in range(HEADLINE_MONTHS - 1):
        since = period_floor(as_moment(since) - timedelta(days=1), "month")
    names = kpis("customer")
    request = metrics.MetricRequest(
        audience="customer", by=["period"], period="month", since=as_moment(since)
    )
    by_period = kpis_by_period(engine, principal, policy, names, request, memo)
    current, _, _ = tile_periods(by_period)
    tiles = [
        Tile(name, label, next((r for r in by_period[name] if r.period == current), None))
        for name, label in names
    ]
    label = next((t.row.period_label for t in tiles if t.row is not None), None)
    return tiles, label
