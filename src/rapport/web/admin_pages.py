"""Administration pages (admins): users, API tokens, the audit log.

Every change goes through :mod:`rapport.services.accounts` (which checks the permission and
ends the sessions of a changed user) by a CSRF-protected form, then redirects (303) back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rapport.api.deps import MAX_ID, DbDep
from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Role
from rapport.errors import Conflict, FieldError, ValidationFailed
from rapport.services import accounts, audit, org
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.web.csrf import verify_csrf
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
CsrfChecked = [Depends(verify_csrf)]


def _users_page(
    request: Request, principal: PagePrincipal, db: DbDep, error: str | None, status: int
) -> HTMLResponse:
    with db.unit_of_work() as uow:
        users = accounts.list_users(uow, principal)
        units = org.list_units(uow, principal)
    context = {
        "users": users,
        "units": units,
        "roles": [r.value for r in Role],
        "saved": request.query_params.get("saved"),
        "error": error,
    }
    return render(request, "admin_users.html", context, status_code=status)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, principal: PagePrincipal, db: DbDep) -> HTMLResponse:
    return _users_page(request, principal, db, None, 200)


@router.post("/admin/users/{user_id}", dependencies=CsrfChecked)
def update_user(
    request: Request,
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    principal: PagePrincipal,
    db: DbDep,
    role: Annotated[Role, Form()],
    active: Annotated[str, Form(pattern="^(yes|no)$")],
    unit: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        with db.unit_of_work() as uow:
            user = accounts.update_user(
                uow, principal, user_id, role=role, unit=unit or None, active=active == "yes"
            )
    except (ValidationFailed, Conflict) as exc:
        message = "; ".join([exc.detail, *(f"{e.location}: {e.message}" for e in exc.errors)])
        return _users_page(request, principal, db, message, exc.status)
    return RedirectResponse("/admin/users?" + urlencode({"saved": user.email}), status_code=303)


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, principal: PagePrincipal, db: DbDep) -> HTMLResponse:
    with db.unit_of_work() as uow:
        tokens = accounts.list_tokens(uow, principal)
    context = {"tokens": tokens, "now": utcnow(), "revoked": request.query_params.get("revoked")}
    return render(request, "admin_tokens.html", context)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=CsrfChecked)
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], principal: PagePrincipal, db: DbDep
) -> Response:
    with db.unit_of_work() as uow:
        token = accounts.revoke_token(uow, principal, token_id)
    return RedirectResponse("/admin/tokens?" + urlencode({"revoked": token.prefix}), 303)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=80)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    """The log with filters (a form that works without JavaScript); times are UTC."""
    require(principal, Permission.VIEW_AUDIT)
    with db.unit_of_work() as uow:
        items, next_before = audit.entries(
            uow,
            principal,
            actor=actor,
            action=action,
            since=_when(since, "since"),
            until=_when(until, "until"),
            before=before,
        )
    filters = {"actor": actor, "action": action, "since": since, "until": until}
    older = urlencode({**filters, "before": next_before}) if next_before else None
    context = {
        "items": items,
        "filters": filters,
        "older": older,
        "actions": [a.value for a in AuditAction],
    }
    return render(request, "admin_audit.html", context)


def _when(value: str, field: str) -> datetime | None:
    """A filter time from the form (``2026-11-30T09:00``, UTC); empty means no bound."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        message = f"expected a date and time such as 2026-11-30T09:00, got {value!r}"
        raise ValidationFailed(f"{field}: {message}", [FieldError(field, message)]) from None
