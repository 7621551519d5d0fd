"""The ROI simulator's request and result (:mod:`rapport.services.roi`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapport.analytics import roi as analysis

REVENUE = "revenue"
CHURN = "customer_churn_rate"
BASELINE_PERIODS = {"month": 12, "quarter": 4}
"""Revenue per period is each unit's mean over its latest year of stored figures."""


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
