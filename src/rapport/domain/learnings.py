"""Breakdown learnings: a blameless account of what broke, what it cost, what was learnt and
what changes — by area — with links to the cases, responses, comment themes and units it
came from (``docs/closed-loop.md`` "Learning log")."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class ChangeArea(enum.StrEnum):
    """Where a change lands: the five areas an experience is designed through."""

    PEOPLE = "people"
    POLICIES = "policies"
    PROCESSES = "processes"
    CHANNELS = "channels"
    TECHNOLOGY = "technology"


@dataclass(frozen=True)
class LearningChange:
    """One change made after a learning; ``changed_on`` is when it took effect, if known."""

    area: str
    description: str
    changed_on: date | None = None


@dataclass(frozen=True)
class Learning:
    """One learning entry. ``units`` are unit codes; ``survey_key`` and ``metric`` name the
    measure its changes should move (e.g. ``customer-relationship`` / ``hearts``)."""

    id: int
    title: str
    what_happened: str
    impact: str
    learnt: str
    owner: str
    review_on: date | None
    survey_key: str | None
    metric: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    changes: list[LearningChange] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    response_ids: list[int] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    unit_paths: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
