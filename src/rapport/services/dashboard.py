"""The first survey dashboard: per unit (rolled up the tree) response counts and rate,
NPS with its interval, hearts and minds indices with intervals — all through suppression.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from rapport.analytics.estimates import Estimate, Sufficiency, sufficiency
from rapport.analytics.intervals import mean_estimate, proportion_estimate
from rapport.analytics.nps import count_nps_categories, nps_estimate
from rapport.analytics.suppression import Cell, Measure, SuppressionPolicy, suppress
from rapport.domain.org import Permission, Principal, Unit
from rapport.domain.survey import fill_placeholders
from rapport.services.access import require
from rapport.services.org import ancestors_by_unit, organisation_name, unit_cells_parent
from rapport.services.surveys import PublishedSurvey, get_published
from rapport.storage.uow import UnitOfWork


@dataclass(frozen=True)
class UnitResult:
    """One row of the dashboard. Estimates are None when suppressed or with no data."""

    unit: Unit
    depth: int
    n: int
    invited: int
    response_rate: Estimate | None
    nps: Estimate | None
    hearts: Estimate | None
    minds: Estimate | None
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


def survey_dashboard(
    uow: UnitOfWork, principal: Principal, survey_id: int, policy: SuppressionPolicy
) -> SurveyDashboard:
    """Dashboard rows for the units the principal may see, in tree order.

    Suppression decisions are taken over the *whole* unit tree before filtering by the
    principal's scope, so every viewer sees the same decisions and none can difference
    a manager's view against an admin's.
    """
    require(principal, Permission.VIEW_RESULTS)
    published = get_published(uow, survey_id)
    units = uow.units.all()
    scores = uow.results.response_scores(survey_id)
    invites = uow.results.invitation_counts(survey_id)
    ancestors = ancestors_by_unit(units)  # a region includes its stores
    recommend: dict[int, list[float]] = defaultdict(list)
    hearts: dict[int, list[float]] = defaultdict(list)
    minds: dict[int, list[float]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    sent: dict[int, int] = defaultdict(int)
    used: dict[int, int] = defaultdict(int)
    for s in scores:
        for a in ancestors[s.unit_id]:
            counts[a] += 1
            if s.recommend is not None:
                recommend[a].append(s.recommend)
            if s.hearts is not None:
                hearts[a].append(s.hearts)
            if s.minds is not None:
                minds[a].append(s.minds)
    for unit_id, (n_sent, n_used) in invites.items():
        for a in ancestors[unit_id]:
            sent[a] += n_sent
            used[a] += n_used
    cells = [Cell(u.path, counts[u.id], unit_cells_parent(u)) for u in units]
    decisions = suppress(cells, policy, audience=published.survey.audience, measure=Measure.SCORES)
    rows = []
    for u in units:
        if not principal.sees_unit(u.path):
            continue
        decision = decisions[u.path]
        n = counts[u.id]
        hidden = decision.suppressed
        rows.append(
            UnitResult(
                unit=u,
                depth=u.path.count("/"),
                n=n,
                invited=sent[u.id],
                response_rate=None
                if hidden or not sent[u.id]
                else proportion_estimate(used[u.id], sent[u.id]),
                nps=None
                if hidden or not recommend[u.id]
                else nps_estimate(*_categories(recommend[u.id])),
                hearts=None
                if hidden or not hearts[u.id]
                else mean_estimate(np.array(hearts[u.id])),
                minds=None if hidden or not minds[u.id] else mean_estimate(np.array(minds[u.id])),
                suppressed=hidden,
                reason=decision.reason.value if decision.reason else None,
                sufficiency=sufficiency(n),
            )
        )
    threshold = (
        policy.threshold(Measure.SCORES) if policy.protects(published.survey.audience) else None
    )
    visible_total = sum(
        counts[u.id] for u in units if u.parent_id is None and principal.sees_unit(u.path)
    )
    title = fill_placeholders(published.survey.title, {"org": organisation_name(uow)})
    return SurveyDashboard(published, rows, visible_total, threshold, title)


def _categories(values: list[float]) -> tuple[int, int, int]:
    c = count_nps_categories(np.array(values))
    return c.promoters, c.passives, c.detractors
