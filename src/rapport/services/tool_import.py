"""Imports from other survey tools: preview (dry run) and import, one report shape.

:func:`preview` reads the files and reports what an import would do, writing nothing.
:func:`import_plan` creates the survey — saved and **published** (responses always point
at a published, frozen version; an unchanged definition imported again reuses its version)
— and imports the responses through the CSV import's all-or-nothing path
(:func:`rapport.services.response_import.store_rows`), idempotent by the source's response
id: importing the same files again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Permission, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_responses import CsvRow
from rapport.importers.formats import ImportPlan, ReadOptions, read_plan
from rapport.services import confidentiality
from rapport.services.access import require
from rapport.services.response_import import store_rows
from rapport.services.surveys import get_published, save_definition
from rapport.storage.uow import UnitOfWork


@dataclass(frozen=True)
class ToolImportResult:
    survey_key: str
    version: int
    imported: int
    skipped: int


def plan_files(
    principal: Principal,
    fmt: str,
    definition: bytes,
    responses: bytes | None,
    options: ReadOptions,
) -> ImportPlan:
    """The plan of an import (analysts and admins: it creates surveys and imports data)."""
    require(principal, Permission.MANAGE_SURVEYS)
    require(principal, Permission.IMPORT_DATA)
    return read_plan(fmt, definition, responses, options)


def preview(
    principal: Principal,
    fmt: str,
    definition: bytes,
    responses: bytes | None,
    options: ReadOptions,
) -> dict[str, Any]:
    """The dry-run report (docs/importers.md): what would be created, mapped and dropped."""
    return plan_files(principal, fmt, definition, responses, options).summary()


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
    require(principal, Permission.MANAGE_SURVEYS)
    require(principal, Permission.IMPORT_DATA)
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
    return ToolImportResult(plan.definition.key, version.version, result.rows, result.skipped)


def _root_code(uow: UnitOfWork) -> str:
    roots = [u for u in uow.units.all() if u.parent_id is None]
    if len(roots) != 1:
        message = "name the unit the responses belong to (the organisation has no single root)"
        raise ValidationFailed(message, [FieldError("unit", message, "required")])
    return roots[0].code
