"""Value types produced by the demo-data generator (plain Python values only).

The generator's output is handed to a loader that writes it to the database, to tests that
recover the planted effects, and to notebooks. Everything here is a frozen dataclass of plain
values (str, int, float, date, datetime, dict, list, None) so it serialises to JSON as is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# An answer value as the template contract shapes it: int (nps, csat, ces, likert), str (text),
# {row: int} (matrix) or {emotion: 1..3} (emotion picker).
AnswerValue = int | str | dict[str, int]


@dataclass(frozen=True)
class DemoUnit:
    """A node of the organisation tree; ``code`` is a slug unique across the tree.

    ``kind`` is one of ``company``, ``region``, ``office``, ``store``, ``department``.
    """

    code: str
    name: str
    kind: str
    parent_code: str | None


@dataclass(frozen=True)
class DemoPerson:
    """A customer or an employee of a unit.

    ``attributes`` holds strings only: customers carry ``segment``, ``preferred_channel`` and
    ``language``; employees carry ``role``, ``contract`` and ``language``.
    """

    external_id: str
    kind: str
    unit_code: str
    name: str
    email: str
    relationship_start: date
    attributes: dict[str, str]


@dataclass(frozen=True)
class DemoResponse:
    """One submitted survey response, answers keyed by the template's question ids.

    ``person_external_id`` is who answered; for the anonymous employee survey the loader
    stores no identity, only the allowed attributes and a tenure band. Optional text
    questions left unanswered are absent from ``answers`` (never an empty string).
    """

    survey_key: str
    unit_code: str
    person_external_id: str | None
    submitted_at: datetime
    language: str
    answers: dict[str, AnswerValue]


@dataclass(frozen=True)
class DemoWave:
    """One round of e-mailed invitations: who was invited to a unit's survey, and how many
    answered (the survey is anonymous: not who)."""

    survey_key: str
    unit_code: str
    sent_at: datetime
    invited: tuple[str, ...]  # external ids
    answered: int


@dataclass(frozen=True)
class DemoOutcome:
    """A business figure for a unit and month (``period`` is the first day of the month)."""

    unit_code: str
    period: date
    metric: str
    value: float


@dataclass(frozen=True)
class DemoAction:
    """A fresh-experience action run for the employees of a unit."""

    unit_code: str
    kind: str
    title: str
    started_on: date
    description: str
    intended_effect: str = ""


@dataclass(frozen=True)
class DemoOrganisation:
    """Everything the generator produces, plus ``truth``: the planted effects and their sizes."""

    units: list[DemoUnit]
    people: list[DemoPerson]
    responses: list[DemoResponse]
    outcomes: list[DemoOutcome]
    actions: list[DemoAction]
    truth: dict[str, Any]
    waves: list[DemoWave] = field(default_factory=list)

    def checksum(self) -> str:
        """SHA-256 of a canonical JSON rendering of everything, truth included.

        Two organisations generated with the same arguments have the same checksum.
        """
        text = json.dumps(
            self,
            default=_plain,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            allow_nan=False,
        )
        return hashlib.sha256(text.encode("ascii")).hexdigest()


def _plain(value: object) -> object:
    """JSON fallback for dataclasses and dates (datetimes keep their UTC offset)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not a plain value: {type(value).__name__}")
