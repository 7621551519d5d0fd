"""Administration API (admins): users, API tokens and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from rapport.api.deps import MAX_ID, PrincipalDep, UowDep
from rapport.api.types import IsoDateTime, UtcDateTime
from rapport.domain.org import ApiToken, Role, UserAccount
from rapport.services import accounts, audit
from rapport.services.clock import utcnow

router = APIRouter(prefix="/api/v1", tags=["administration"])
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id")]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="API token id")]


class UserOut(BaseModel):
    id: int
    email: str
    role: str
    unit: str | None = Field(description="Unit path a manager is scoped to")
    active: bool
    created_at: UtcDateTime | None
    last_login_at: UtcDateTime | None
    open_sessions: int


class UserPatch(BaseModel):
    """Fields to change; changing any of them ends the user's sessions."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    unit: str | None = Field(None, max_length=1000, description="Unit code or path (managers)")
    active: bool | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters (the rest is never stored)")
    role: str
    unit: str | None
    created_at: UtcDateTime | None
    expires_at: UtcDateTime | None
    last_used_at: UtcDateTime | None = Field(description="To the minute")
    revoked: bool
    expired: bool


class AuditOut(BaseModel):
    id: int
    at: UtcDateTime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before: int | None = Field(description="Pass as ?before= for the next, older page.")


def _user(user: UserAccount, open_sessions: int = 0) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role.value,
        unit=user.unit_path,
        active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        open_sessions=open_sessions,
    )


def _token(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        role=token.role.value,
        unit=token.unit_path,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked=token.revoked,
        expired=token.expired(utcnow()),
    )


@router.get("/users", response_model=list[UserOut], summary="Users (admins)")
def list_users(principal: PrincipalDep, uow: UowDep) -> list[UserOut]:
    return [_user(u, n) for u, n in accounts.list_users(uow, principal)]


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change a user's role, unit or active flag (ends their sessions)",
)
def update_user(user_id: UserId, body: UserPatch, principal: PrincipalDep, uow: UowDep) -> UserOut:
    user = accounts.update_user(
        uow, principal, user_id, role=body.role, unit=body.unit, active=body.active
    )
    return _user(user)


@router.get("/tokens", response_model=list[TokenOut], summary="API tokens (admins)")
def list_tokens(principal: PrincipalDep, uow: UowDep) -> list[TokenOut]:
    return [_token(t) for t in accounts.list_tokens(uow, principal)]


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke an API token (idempotent)",
)
def revoke_token(token_id: TokenId, principal: PrincipalDep, uow: UowDep) -> Response:
    accounts.revoke_token(uow, principal, token_id)
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (admins)")
def audit_log(
    principal: PrincipalDep,
    uow: UowDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[
        str | None,
        Query(max_length=80, description="One action, or a family ending in '.' (user.)"),
    ] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
) -> AuditPage:
    items, next_before = audit.entries(
        uow,
        principal,
        actor=actor,
        action=action,
        since=since,
        until=until,
        before=before,
        limit=limit,
    )
    return AuditPage(
        items=[
            AuditOut(
                id=e.id, at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail
            )
            for e in items
        ],
        next_before=next_before,
    )
