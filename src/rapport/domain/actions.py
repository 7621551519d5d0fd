"""Fresh-experience actions: what was done for the employees of a unit, from when, and the
customer effect it is meant to have (``docs/relationship-health.md`` "Effects of actions")."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class ActionKind(enum.StrEnum):
    FRESH_EXPERIENCE = "fresh_experience"
    BREAKDOWN_LEARNING = "breakdown_learning"


@dataclass(frozen=True)
class Action:
    """One logged action; it covers its unit and every unit below it."""

    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    unit_path: str
    kind: str
    title: str
    description: str
    intended_effect: str
    started_on: date
    ended_on: date | None
    created_by: str | None
    created_at: datetime | None
