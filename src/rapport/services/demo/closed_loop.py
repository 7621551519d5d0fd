"""The demo's closed loop: an alert rule made before any response is stored (so cases open
through the real rule path, in the storing transaction), then a few of its cases closed
with learnings that match the planted effects (``docs/demo-data.md`` "Cases and
learnings").

- *Taken for granted* in the drifting stores: a change in October's successor months with
  no planted recovery — the page should say the data cannot credit it.
- *Unheard staff* in the west region: the fresh-experience programme of January 2026,
  whose planted customer effect (+4 hearts) the difference in differences recovers.
- *Returns policy*, organisation-wide and without units: a before/after difference.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from rapport.domain.learnings import LearningChange
from rapport.domain.org import SYSTEM, Principal
from rapport.services import alerts, learnings
from rapport.services.demo.models import DemoOrganisation
from rapport.storage.repositories.cases import CaseFilter
from rapport.storage.uow import UnitOfWork

RULE_NAME = "Detractor or anger"
RULE_CONDITION: dict[str, Any] = {
    "any": [
        {"question": "nps", "op": "<=", "value": 6},
        {"question": "emotion:anger", "op": "answered"},
    ]
}
SURVEY = "customer-relationship"


def add_rule(uow: UnitOfWork) -> int:
    """The demo's rule on the customer survey: "NPS ≤ 6 or anger in the comment"."""
    rule = alerts.RuleInput(
        name=RULE_NAME, condition=RULE_CONDITION, survey=SURVEY, priority="high"
    )
    return alerts.create_rule(uow, SYSTEM, rule).id


def _month_after(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _first_case(uow: UnitOfWork, unit_code: str) -> int | None:
    unit = uow.units.by_code(unit_code)
    if unit is None:
        return None
    found = uow.cases.find(CaseFilter(unit_ids=[unit.id], limit=1))
    return found[0].id if found else None


def _entries(org: DemoOrganisation) -> list[tuple[str, learnings.LearningInput]]:
    """The learnings and the store whose first case each closes; none when the generated
    organisation is too small or short to hold the planted effects they tell of."""
    drift = org.truth.get("drift", {})
    programme = org.truth.get("programme", {})
    drifting = list(drift.get("stores") or [])
    west = list(programme.get("stores") or [])
    started, launched = drift.get("start_period"), programme.get("start_period")
    if not (drifting and west and isinstance(started, date) and isinstance(launched, date)):
        return []
    drift_seen = _month_after(started, 6)
    return [
        (
            drifting[0],
            learnings.LearningInput(
                title="Long-standing customers feel taken for granted",
                what_happened=(
                    "Regular customers of five stores said, in so many words, that they are "
                    "taken for granted: nobody greets them, offers go to newcomers only."
                ),
                impact="Hearts fell about 2 points a month from October 2025; minds held.",
                learnt=(
                    "Routines built for efficiency crowded out attention to people we know; "
                    "no one was accountable for the relationship once the sale was easy."
                ),
                owner="Head of retail operations",
                review_on=_month_after(drift_seen, 3),
                survey=SURVEY,
                metric="hearts",
                changes=[
                    LearningChange(
                        "people",
                        "Store teams call five regulars a week to ask how we are doing",
                        drift_seen,
                    ),
                    LearningChange("policies", "Loyalty offers for long-standing customers too"),
                ],
                units=drifting,
                themes=["taken for granted", "ignored"],
            ),
        ),
        (
            west[0],
            learnings.LearningInput(
                title="West stores: staff felt unheard, customers felt it too",
                what_happened="Staff pulse comments in the west region said ideas went nowhere.",
                impact="Employee hearts below the chain; customer hearts followed a month later.",
                learnt="How staff are treated reaches customers within a month.",
                owner="West regional manager",
                survey=SURVEY,
                metric="hearts",
                changes=[
                    LearningChange(
                        "people",
                        "Fresh-experience programme: staff shape one change a month",
                        launched,
                    )
                ],
                units=[str(programme["region"])],
                themes=["staff"],
            ),
        ),
        (
            drifting[-1],
            learnings.LearningInput(
                title="Returns policy read as distrust",
                what_happened="Receipts demanded for every return, also from known customers.",
                impact="Detractor comments about returns at the tills.",
                learnt="A fraud rule applied to everyone tells loyal customers we doubt them.",
                owner="Customer policy lead",
                survey=SURVEY,
                metric="nps",
                changes=[
                    LearningChange(
                        "policies",
                        "Returns without receipt for loyalty-card holders",
                        _month_after(drift_seen, 2),
                    )
                ],
                themes=["returns"],
            ),
        ),
    ]


def close_with_learnings(uow: UnitOfWork, org: DemoOrganisation, principal: Principal) -> int:
    """Close the first case of each learning's store with its learning; returns how many."""
    closed = 0
    for store, entry in _entries(org):
        case_id = _first_case(uow, store)
        if case_id is None:
            continue
        organisation_wide = entry.units is None  # closing would link the store: link after
        learnings.close_case(
            uow,
            principal,
            case_id,
            resolution_code="contacted_resolved",
            note="Called the customer back; the learning below came out of it.",
            learning=None if organisation_wide else entry,
        )
        if organisation_wide:
            learnings.create(uow, principal, replace(entry, cases=[case_id]))
        closed += 1
    return closed
