"""Administering users and API tokens: list, change role, (de)activate, set password, revoke.

Every change that alters what someone may do ends that user's sessions, so it takes effect
at once for every browser they are logged in on. All of it needs ``manage_users`` (admins).
"""

from __future__ import annotations

from rapport.domain.audit import AuditAction
from rapport.domain.org import ApiToken, Permission, Principal, Role, UserAccount
from rapport.errors import Conflict, FieldError, NotFound, ValidationFailed
from rapport.services import sessions
from rapport.services.access import require
from rapport.services.auth import check_password, hash_password
from rapport.services.clock import utcnow
from rapport.storage.uow import UnitOfWork


def list_users(uow: UnitOfWork, principal: Principal) -> list[tuple[UserAccount, int]]:
    """Every user with the number of their open sessions."""
    require(principal, Permission.MANAGE_USERS)
    open_sessions = uow.sessions.open_counts(utcnow())
    return [(u, open_sessions.get(u.id, 0)) for u in uow.users.all()]


def find_user(uow: UnitOfWork, principal: Principal, user: int | str) -> UserAccount:
    """A user by id or e-mail address; NotFound names what was looked for."""
    require(principal, Permission.MANAGE_USERS)
    found = uow.users.get(user) if isinstance(user, int) else uow.users.by_email(user.lower())
    if found is None:
        raise NotFound(f"No user {user!r}.")
    return found


def _keeps_an_admin(uow: UnitOfWork, user: UserAccount, role: Role, active: bool) -> None:
    losing = user.role is Role.ADMIN and user.is_active and (role is not Role.ADMIN or not active)
    if losing and uow.users.count_active_admins() <= 1:
        raise Conflict(f"{user.email} is the last active admin; make someone else admin first.")


def update_user(
    uow: UnitOfWork,
    principal: Principal,
    user_id: int,
    *,
    role: Role | None = None,
    unit: str | None = None,
    active: bool | None = None,
) -> UserAccount:
    """Change a user's role (and unit scope) or active flag; ends their sessions.

    A manager needs a unit (given by code or path). The last active admin cannot be
    demoted or deactivated (nobody could administer Rapport any more).
    """
    user = find_user(uow, principal, user_id)
    new_role = role or user.role
    new_active = user.is_active if active is None else active
    unit_id = user.unit_id
    if unit is not None:
        found = uow.units.find(unit)
        if found is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {unit!r}")])
        unit_id = found.id
    if new_role is Role.MANAGER and unit_id is None:
        raise ValidationFailed(
            "manager without unit", [FieldError("unit", "a manager must be scoped to a unit")]
        )
    _keeps_an_admin(uow, user, new_role, new_active)
    now = utcnow()
    changed = False
    if (new_role, unit_id) != (user.role, user.unit_id):
        uow.users.set_role(user.id, new_role, unit_id)
        detail = {"from": user.role.value, "to": new_role.value, "unit": unit}
        uow.audit.record(principal.name, AuditAction.USER_ROLE, user.email, now, detail)
        changed = True
    if new_active != user.is_active:
        uow.users.set_active(user.id, new_active)
        action = AuditAction.USER_ACTIVATE if new_active else AuditAction.USER_DEACTIVATE
        uow.audit.record(principal.name, action, user.email, now)
        changed = True
    if changed:
        sessions.end_all(uow, user.id, now)
    updated = uow.users.get(user.id)
    if updated is None:
        raise RuntimeError("internal error: expected updated is not None")
    return updated


def set_password(uow: UnitOfWork, principal: Principal, email: str, password: str) -> None:
    """Give a user a new password; every session they have is ended."""
    user = find_user(uow, principal, email)
    check_password(password)
    now = utcnow()
    uow.users.set_password_hash(user.id, hash_password(password))
    sessions.end_all(uow, user.id, now)
    uow.audit.record(principal.name, AuditAction.USER_PASSWORD, user.email, now)


def list_tokens(uow: UnitOfWork, principal: Principal) -> list[ApiToken]:
    require(principal, Permission.MANAGE_USERS)
    return uow.tokens.all()


def find_token(uow: UnitOfWork, principal: Principal, ref: int | str) -> ApiToken:
    """A token by id, or by its printed prefix (``rpt_AbCd12``) when that names one token."""
    require(principal, Permission.MANAGE_USERS)
    if isinstance(ref, int) or ref.isdigit():
        found = uow.tokens.get(int(ref))
        if found is None:
            raise NotFound(f"No API token with id {ref}.")
        return found
    matches = uow.tokens.by_prefix(ref)
    if not matches:
        raise NotFound(f"No API token starts with {ref!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(t.id) for t in matches)
        raise Conflict(f"{ref!r} names {len(matches)} tokens (ids {ids}); give the id.")
    return matches[0]


def revoke_token(uow: UnitOfWork, principal: Principal, ref: int | str) -> ApiToken:
    """Revoke a token (by id or prefix); it fails on its next request. Idempotent."""
    token = find_token(uow, principal, ref)
    if uow.tokens.revoke(token.id, utcnow()):
        detail = {"id": token.id, "prefix": token.prefix}
        uow.audit.record(principal.name, AuditAction.TOKEN_REVOKE, token.name, utcnow(), detail)
    revoked = uow.tokens.get(token.id)
    if revoked is None:
        raise RuntimeError("internal error: expected revoked is not None")
    return revoked
