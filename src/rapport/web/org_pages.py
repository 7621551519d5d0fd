"""The organisation tree page for admins: ``/admin/units`` — list, add, rename, move,
archive and reopen units, upload a units CSV.

Every change goes through :mod:`rapport.services.units` or
:mod:`rapport.services.unit_import` by a CSRF-protected form; success redirects (303) back
with a message, a refused change shows the page again with the reason (422/409).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from rapport.api.deps import DbDep
from rapport.domain.org import Permission, Principal, UnitKind
from rapport.errors import Conflict, FieldError, NotFound, ValidationFailed
from rapport.services import org, unit_import, units
from rapport.services.access import require
from rapport.storage.uow import Database
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
# Routes are matched in order: /admin/units/import is declared before /admin/units/{code}.
CsrfChecked = [Depends(verify_csrf)]
UnitCode = Annotated[str, Path(max_length=1000)]
BACK = "/admin/units"


def _page(
    request: Request,
    principal: Principal,
    db: Database,
    report: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    require(principal, Permission.MANAGE_ORG)
    with db.unit_of_work(readonly=True) as uow:
        tree = org.list_units(uow, principal)
    codes = {u.id: u.code for u in tree}
    context = {
        "units": tree,
        "parents": {u.id: codes.get(u.parent_id) for u in tree if u.parent_id is not None},
        "kinds": [k.value for k in UnitKind],
        "report": report,
    }
    return render(request, "admin_units.html", context, status_code=status)


def _report(exc: ValidationFailed | Conflict | NotFound) -> dict[str, object]:
    return {"message": exc.detail, "errors": [(e.location, e.message) for e in exc.errors]}


@router.get("/admin/units", response_class=HTMLResponse)
def units_page(request: Request, principal: PagePrincipal, db: DbDep) -> HTMLResponse:
    return _page(request, principal, db)


@router.post("/admin/units", dependencies=CsrfChecked)
def add_unit(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    code: Annotated[str, Form(max_length=80)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[UnitKind, Form()],
    parent: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        with db.unit_of_work() as uow:
            unit = units.create(uow, principal, code.strip(), name, kind, parent or None)
    except (ValidationFailed, Conflict) as exc:
        return _page(request, principal, db, _report(exc), exc.status)
    flash(request, f"Added {unit.name} ({unit.code}).")
    return RedirectResponse(BACK, status_code=303)


def _import(db: Database, principal: Principal, data: bytes) -> unit_import.UnitImportResult:
    with db.unit_of_work() as uow:
        return unit_import.import_units(uow, principal, data)


@router.post("/admin/units/import", dependencies=CsrfChecked)
async def import_units(request: Request, principal: PagePrincipal, db: DbDep) -> Response:
    """Upload a ``code,parent,name,kind`` CSV: all or nothing, every bad row listed."""
    require(principal, Permission.MANAGE_ORG)
    upload = (await request.form()).get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed(
                "No file was chosen.", [FieldError("file", "choose a CSV file to import")]
            )
        data = await upload.read()
        result = await run_in_threadpool(_import, db, principal, data)
    except ValidationFailed as exc:
        return await run_in_threadpool(_page, request, principal, db, _report(exc), 422)
    flash(
        request,
        f"Imported {upload.filename}: {result.created} added, {result.updated} renamed, "
        f"{result.moved} moved, {result.unchanged} unchanged.",
    )
    return RedirectResponse(BACK, status_code=303)


@router.post("/admin/units/{code}", dependencies=CsrfChecked)
def change_unit(
    request: Request,
    code: UnitCode,
    principal: PagePrincipal,
    db: DbDep,
    action: Annotated[str, Form(pattern="^(rename|move|archive|reopen)$")],
    name: Annotated[str, Form(max_length=200)] = "",
    parent: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """One change per form: ``action`` says which (rename, move, archive, reopen)."""
    try:
        with db.unit_of_work() as uow:
            if action == "rename":
                unit = units.rename(uow, principal, code, name)
                message = f"Renamed {unit.code} to {unit.name}."
            elif action == "move":
                if not parent:
                    raise ValidationFailed(
                        "no parent", [FieldError("parent", "choose the new parent", "required")]
                    )
                unit = units.move(uow, principal, code, parent)
                message = f"Moved {unit.code} to {unit.parent_path}."
            elif action == "archive":
                unit = units.archive(uow, principal, code)
                message = f"Archived {unit.code} from {unit.closed_on}; its history stays."
            else:
                unit = units.reopen(uow, principal, code)
                message = f"Reopened {unit.code}."
    except (ValidationFailed, Conflict, NotFound) as exc:
        return _page(request, principal, db, _report(exc), exc.status)
    flash(request, message)
    return RedirectResponse(BACK, status_code=303)
