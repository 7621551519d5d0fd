"""Imports from other survey tools: preview (dry run) and import, one report shape.

:func:`preview` reads the files and reports what an import would do, writing nothing.
:func:`import_plan` creates the survey — saved and **published** (responses always point
at a published, frozen version; an unchanged definition imported again reuses its version)
— and imports the responses through the CSV import's all-or-nothing path
(:func:`rapport.services.response_import.store_rows`), idempotent by the source's response
id: importing the same files again adds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Permission, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_responses import CsvRow
from rapport.importers.formats import ImportPlan, ReadOptions, read_plan
from rapport.importers.formats.tags import apply_tags, read_tag_overrides
from rapport.services import confidentiality
from rapport.services.access import require
from rapport.services.response_import import store_rows
from rapport.services.surveys import get_published, save_definition
from rapport.storage.uow import UnitOfWork

__all__ = [
    "FORMAT_LABELS",
    "ToolImportResult",
    "check_allowed",
    "import_plan",
    "imported_report",
    "plan_files",
    "preview",
    "read_tag_overrides",
]


@dataclass(frozen=True)
class ToolImportResult:
    survey_key: str
    version: int
    imported: int
    skipped: int
    survey_id: int


FORMAT_LABELS: Final[dict[str, str]] = {
    "qualtrics": "Qualtrics (.qsf, responses .csv)",
    "limesurvey": "LimeSurvey (.lss or .lsa, responses .csv, .txt or .lsr)",
    "surveyjs": "SurveyJS (.json, results .json, .csv or .xlsx)",
    "surveymonkey": "SurveyMonkey (responses export .csv or .xlsx)",
    "google-forms": "Google Forms (responses .csv)",
}
"""The formats of :data:`rapport.importers.formats.FORMATS` as the import page names them."""


def check_allowed(principal: Principal) -> None:
    """Imports from other tools create surveys and import data: analysts and admins."""
    require(principal, Permission.MANAGE_SURVEYS)
    require(principal, Permission.IMPORT_DATA)


def plan_files(
    principal: Principal,
    fmt: str,
    definition: bytes,
    responses: bytes | None,
    options: ReadOptions,
    tags: Mapping[str, tuple[str, ...]] | None = None,
) -> ImportPlan:
    """The plan of an import (analysts and admins: it creates surveys and imports data),
    with ``tags`` (question id → construct tags, from :func:`read_tag_overrides`) replacing
    the importer's tags."""
    check_allowed(principal)
    return apply_tags(read_plan(fmt, definition, responses, options), tags or {})


def preview(
    principal: Principal,
    fmt: str,
    definition: bytes,
    responses: bytes | None,
    options: ReadOptions,
    tags: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """The dry-run report (docs/importers.md): what would be created, mapped and dropped."""
    return plan_files(principal, fmt, definition, responses, options, tags).summary()


def import_plan(
    uow: UnitOfWork,
    principal: Principal,
    plan: ImportPlan,
    *,
    unit: str | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
    keep_original: bool = False,
) -> ToolImportResult:
    """Create (publish) the survey and import the plan's responses into ``unit`` (code or
    path; default: the organisation's root unit), all or nothing."""
    check_allowed(principal)
    confidentiality.check_import(principal, policy, audience=plan.definition.audience.value)
    unit_code = unit or _root_code(uow)
    version = save_definition(uow, principal, plan.definition, publish=True)
    published = get_published(uow, plan.definition.key)
    rows = [
        CsvRow(
            line=r.line,
            meta={
                "unit": unit_code,
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else "",
                "language": r.language or "",
            },
            raw=r.answers,
            key=r.key,
            attributes=r.attributes,
        )
        for r in plan.responses
    ]
    result = store_rows(
        uow,
        principal,
        published,
        rows,
        "",
        keep_original=keep_original,
        scope=f"import:{plan.format}",
    )
    return ToolImportResult(
        plan.definition.key, version.version, result.rows, result.skipped, version.survey_id
    )


def imported_report(result: ToolImportResult) -> dict[str, Any]:
    """The report's ``imported`` object (docs/importers.md)."""
    return {
        "survey": result.survey_key,
        "version": result.version,
        "responses": result.imported,
        "skipped": result.skipped,
    }


def _root_code(uow: UnitOfWork) -> str:
    roots = [u for u in uow.units.all() if u.parent_id is None]
    if len(roots) != 1:
        message = "name the unit the responses belong to (the organisation has no single root)"
        raise ValidationFailed(message, [FieldError("unit", message, "required")])
    return roots[0].code
