"""The page that imports a survey and its responses from another tool (``/imports``).

Upload (format, survey file, optional responses file) → the mapping preview of the dry run
(source question → Rapport question, type and construct tags; unsupported features; warnings;
response count; languages) with the tags editable → commit, which applies the edited tags.
Between the two the files wait on the server (:mod:`rapport.services.upload_stash`); the
browser holds only a random token. Analysts and admins, as ``POST /api/v1/imports``.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from rapport.api.deps import DbDep, SettingsDep, get_policy
from rapport.domain.org import Principal
from rapport.domain.survey import CONSTRUCT_TAGS
from rapport.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from rapport.importers.formats import ReadOptions
from rapport.services import org, tool_import, upload_stash
from rapport.settings import Settings
from rapport.storage.uow import Database
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
CsrfChecked = [Depends(verify_csrf)]
Token = Annotated[str, Path(max_length=64)]
TAG_FIELD = "tags."  # one text field per mapping row: tags.<question id>
Refused = (ValidationFailed, PermissionDenied, Conflict)


def _report(exc: ValidationFailed | PermissionDenied | Conflict) -> dict[str, Any]:
    return {"message": exc.detail, "errors": [(e.location, e.message) for e in exc.errors]}


def _form_page(
    request: Request,
    principal: Principal,
    report: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    tool_import.check_allowed(principal)
    context = {
        "formats": tool_import.FORMAT_LABELS,
        "values": {"format": "qualtrics", "audience": "customer", "timezone": "UTC"}
        | (values or {}),
        "report": report,
    }
    return render(request, "tool_import.html", context, status_code=status)


@router.get("/imports", response_class=HTMLResponse)
def import_form(request: Request, principal: PagePrincipal) -> HTMLResponse:
    """Choose the tool and upload its files."""
    return _form_page(request, principal)


def _text(form: FormData, name: str, default: str = "", limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else default


async def _file(form: FormData, name: str) -> tuple[str, bytes] | None:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return upload.filename.rsplit("/", 1)[-1], await upload.read()


@router.post("/imports", dependencies=CsrfChecked)
async def upload(request: Request, principal: PagePrincipal, settings: SettingsDep) -> Response:
    """Preview the uploaded files (nothing is written to the database) and keep them for
    the commit; a file that cannot be read shows the form again with what is wrong (422)."""
    tool_import.check_allowed(principal)
    form = await request.form()
    definition: tuple[str, bytes] | None = None
    responses: tuple[str, bytes] | None = None
    values = {
        name: _text(form, name)
        for name in ("format", "survey_key", "audience", "timezone")
        if _text(form, name)
    }
    try:
        definition = await _file(form, "definition")
        responses = await _file(form, "responses")
        if definition is None:
            message = "choose the survey file exported from the tool"
            raise ValidationFailed(
                "No survey file was chosen.", [FieldError("definition", message)]
            )
        name = definition[0]
        options = ReadOptions(
            name.rsplit(".", 1)[0] or name,
            values.get("survey_key"),
            values.get("audience", "customer"),
            values.get("timezone", "UTC"),
        )
        meta = {
            "format": values.get("format", ""),
            "options": [
                options.source_name,
                options.survey_key,
                options.audience,
                options.timezone,
            ],
            "files": [name, responses[0] if responses else None],
        }
        token = await run_in_threadpool(
            _preview_and_keep, principal, settings, meta, definition[1], responses
        )
    except ValidationFailed as exc:
        names = [f[0] for f in (definition, responses) if f is not None]
        report = _report(exc) | {"files": " and ".join(names) or "The files"}
        return _form_page(request, principal, report, values, 422)
    return RedirectResponse(f"/imports/{token}", status_code=303)


def _preview_and_keep(
    principal: Principal,
    settings: Settings,
    meta: dict[str, Any],
    definition: bytes,
    responses: tuple[str, bytes] | None,
) -> str:
    data = responses[1] if responses else None
    plan = tool_import.plan_files(
        principal, meta["format"], definition, data, ReadOptions(*meta["options"])
    )
    meta["report"] = plan.summary()
    return upload_stash.keep(_root(settings), principal, meta, definition, data)


def _root(settings: Settings) -> FsPath:
    return upload_stash.folder(settings.data_dir)


def _preview_page(
    request: Request,
    principal: Principal,
    db: Database,
    stash: upload_stash.Stash,
    edited: dict[str, str] | None = None,
    unit: str | None = None,
    report: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        units = org.list_units(uow, principal)
    summary = stash.meta["report"]
    shown = {m["question_id"]: " ".join(m["tags"]) for m in summary["mapping"]}
    context = {
        "token": stash.token,
        "r": summary,
        "files": stash.meta["files"],
        "format_label": tool_import.FORMAT_LABELS.get(summary["format"], summary["format"]),
        "tags": shown | (edited or {}),
        "known_tags": sorted(CONSTRUCT_TAGS),
        "units": units,
        "unit": unit or next((u.code for u in units if u.parent_id is None), ""),
        "report": report,
    }
    return render(request, "tool_import_preview.html", context, status_code=status)


@router.get("/imports/{token}", response_class=HTMLResponse)
def preview_page(
    request: Request, token: Token, principal: PagePrincipal, db: DbDep, settings: SettingsDep
) -> HTMLResponse:
    """The mapping preview of the kept upload, tags editable, and the commit button."""
    tool_import.check_allowed(principal)
    stash = upload_stash.load(_root(settings), principal, token)
    return _preview_page(request, principal, db, stash)


def split_tags(text: str) -> tuple[str, ...]:
    """Tags as typed in a preview field: separated by spaces or commas.

    >>> split_tags("loyalty.recommend, mind.ease  ")
    ('loyalty.recommend', 'mind.ease')
    """
    return tuple(t for t in re.split(r"[\s,]+", text) if t)


@router.post("/imports/{token}", dependencies=CsrfChecked)
async def commit(
    request: Request, token: Token, principal: PagePrincipal, db: DbDep, settings: SettingsDep
) -> Response:
    """``action=import``: import with the edited tags, then open the survey's page;
    ``action=discard``: drop the kept files. A refused import shows the preview again with
    every problem listed (422) and nothing written."""
    tool_import.check_allowed(principal)
    form = await request.form()
    root = _root(settings)
    stash = await run_in_threadpool(upload_stash.load, root, principal, token)
    if _text(form, "action") == "discard":
        upload_stash.discard(root, token)
        flash(request, f"Discarded the upload of {stash.meta['files'][0]}; nothing was imported.")
        return RedirectResponse("/imports", status_code=303)
    edited = {
        key.removeprefix(TAG_FIELD): value
        for key, value in form.multi_items()
        if key.startswith(TAG_FIELD) and isinstance(value, str)
    }
    unit = _text(form, "unit", limit=1000) or None
    try:
        result = await run_in_threadpool(
            _commit, request, principal, db, stash, edited, unit, settings
        )
    except Refused as exc:
        return await run_in_threadpool(
            _preview_page, request, principal, db, stash, edited, unit, _report(exc), exc.status
        )
    upload_stash.discard(root, token)
    flash(
        request,
        f"Imported survey {result.survey_key} (version {result.version}) from "
        f"{stash.meta['files'][0]}: {result.imported} responses added, {result.skipped} "
        "already there.",
    )
    return RedirectResponse(f"/surveys/{result.survey_id}", status_code=303)


def _commit(
    request: Request,
    principal: Principal,
    db: Database,
    stash: upload_stash.Stash,
    edited: dict[str, str],
    unit: str | None,
    settings: Settings,
) -> tool_import.ToolImportResult:
    """Read the kept files again, apply the tags that differ from the importer's, import."""
    before = {m["question_id"]: tuple(m["tags"]) for m in stash.meta["report"]["mapping"]}
    overrides = {
        qid: split_tags(text) for qid, text in edited.items() if split_tags(text) != before.get(qid)
    }
    options = ReadOptions(*stash.meta["options"])
    plan = tool_import.plan_files(
        principal, stash.meta["format"], stash.definition, stash.responses, options, overrides
    )
    with db.unit_of_work() as uow:
        return tool_import.import_plan(
            uow,
            principal,
            plan,
            unit=unit,
            policy=get_policy(request),
            keep_original=settings.keep_original_comments,
        )
