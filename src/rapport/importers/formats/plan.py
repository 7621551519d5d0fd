"""What an import from another survey tool would do, before it does anything.

Every format module turns the tool's files into one :class:`ImportPlan`: the Rapport survey
definition, how each source question maps onto it, the responses as raw answers, and every
source feature that is *not* carried over with what happens to it (never a silent loss).
:meth:`ImportPlan.summary` is the report the CLI's ``--dry-run --json`` and
``POST /api/v1/imports`` print.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapport.domain.survey import (
    SurveyDefinition,
    SurveyDefinitionError,
    definition_from_dict,
    text_for,
)
from rapport.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class ReadOptions:
    """What the caller says about the files (the files do not say it themselves)."""

    source_name: str = "Imported survey"  # the definition file's name without extension
    survey_key: str | None = None  # default: from the survey's title or the file name
    audience: str = "customer"
    timezone: str = "UTC"  # of time stamps written without an offset (Google Forms)


@dataclass(frozen=True)
class MappingRow:
    """One source question (or matrix/grid row) and the Rapport question it became."""

    source: str
    question_id: str
    type: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unsupported:
    """A source feature that is not imported as such, and what happens to it instead."""

    source: str
    feature: str
    what_happens: str


@dataclass(frozen=True)
class SourceResponse:
    """One response as the source holds it: raw answers by Rapport question id.

    ``key`` identifies it in the source (its response id, or a content hash where the
    tool keeps none), so importing the same file twice adds nothing.
    """

    key: str
    answers: dict[str, Any]
    submitted_at: datetime | None = None
    language: str | None = None
    line: int = 0  # where it is in the source file (row or list position), for reports
    attributes: dict[str, str] = field(default_factory=dict)  # kept with the response


@dataclass
class ImportPlan:
    format: str
    definition: SurveyDefinition
    mapping: list[MappingRow] = field(default_factory=list)
    responses: list[SourceResponse] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The dry-run report: exactly the keys documented in docs/importers.md.

        ``questions`` counts every question of the Rapport definition (display text too).
        """
        d = self.definition
        return {
            "format": self.format,
            "survey": {
                "key": d.key,
                "title": text_for(d.title, d.default_language, d.default_language),
                "languages": list(d.languages),
                "questions": len(d.questions),
                "pages": len(d.pages),
            },
            "mapping": [
                {
                    "source": m.source,
                    "question_id": m.question_id,
                    "type": m.type,
                    "tags": list(m.tags),
                }
                for m in self.mapping
            ],
            "responses": len(self.responses),
            "unsupported": [
                {"source": u.source, "feature": u.feature, "what_happens": u.what_happens}
                for u in self.unsupported
            ],
            "warnings": list(self.warnings),
        }


def time_zone(name: str, where: str = "timezone") -> ZoneInfo:
    """The IANA time zone ``name``; ValidationFailed naming ``where`` when there is none.

    >>> time_zone("Europe/Paris").key
    'Europe/Paris'
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        message = f"unknown time zone {name!r}; expected an IANA name such as Europe/Paris"
        raise ValidationFailed(message, [FieldError(where, message, "timezone")]) from exc


def build_definition(data: dict[str, Any], source: str) -> SurveyDefinition:
    """The checked Rapport definition an importer assembled; ValidationFailed naming each
    path when the source does not make a valid survey (``source`` says what it came from)."""
    try:
        return definition_from_dict(data)
    except SurveyDefinitionError as exc:
        raise ValidationFailed(
            f"{source} does not make a valid Rapport survey",
            [FieldError(p.path, p.message, "definition") for p in exc.problems],
        ) from exc


class ContentKeys:
    """Response ids for sources that keep none: a hash of the response's content and its
    occurrence number, so identical responses stay distinct and a re-import finds them.

    >>> keys = ContentKeys("gf")
    >>> a, b = keys.key("same"), keys.key("same")
    >>> a != b and a.endswith(":1") and b.endswith(":2")
    True
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.seen: dict[str, int] = {}

    def key(self, content: str) -> str:
        digest = hashlib.sha256(content.encode()).hexdigest()[:32]
        self.seen[digest] = self.seen.get(digest, 0) + 1
        return f"{self.prefix}:{digest}:{self.seen[digest]}"
