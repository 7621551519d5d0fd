"""Importers from other survey tools: one :class:`ImportPlan` shape for every format.

>>> sorted(FORMATS)
['google-forms', 'limesurvey', 'qualtrics', 'surveyjs', 'surveymonkey']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats.google_forms import read_google_forms
from rapport.importers.formats.limesurvey import read_limesurvey
from rapport.importers.formats.plan import (
    ImportPlan,
    MappingRow,
    ReadOptions,
    SourceResponse,
    Unsupported,
)
from rapport.importers.formats.qualtrics import read_qualtrics
from rapport.importers.formats.surveyjs import read_surveyjs
from rapport.importers.formats.surveymonkey import read_surveymonkey

Reader = Callable[[bytes, bytes | None, ReadOptions], ImportPlan]
"""(definition file, responses file or None, options) → plan; raises ValidationFailed."""

FORMATS: Final[dict[str, Reader]] = {
    "surveyjs": read_surveyjs,
    "google-forms": read_google_forms,
    "qualtrics": read_qualtrics,
    "limesurvey": read_limesurvey,
    "surveymonkey": read_surveymonkey,
}


def read_plan(
    fmt: str, definition: bytes, responses: bytes | None, options: ReadOptions
) -> ImportPlan:
    """The plan of importing ``definition`` (and ``responses``) written by tool ``fmt``."""
    reader = FORMATS.get(fmt)
    if reader is None:
        known = ", ".join(sorted(FORMATS))
        message = f"unknown format {fmt!r}; expected one of {known}"
        raise ValidationFailed(message, [FieldError("format", message, "format")])
    return reader(definition, responses, options)


__all__ = [
    "FORMATS",
    "ImportPlan",
    "MappingRow",
    "ReadOptions",
    "SourceResponse",
    "Unsupported",
    "read_plan",
]
