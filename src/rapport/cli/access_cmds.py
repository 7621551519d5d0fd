"""``rapport user ...`` and ``rapport token ...``: accounts and API tokens from the shell.

Commands act as the built-in ``system`` principal (whoever can run them can read the
database anyway) and are recorded in the audit log like changes made through the API.
"""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database
from rapport.domain.org import SYSTEM, Role

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
PASSWORD_ENV = "RAPPORT_NEW_PASSWORD"  # noqa: S105 - the name of a variable, not a password


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        fail(f"--role must be one of {', '.join(r.value for r in Role)}, got '{value}'")


def _new_password(env: str) -> str:
    return os.environ.get(env) or getpass.getpass("Password (10+ characters): ")


@user_app.command("create")
def create_user(
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their login).")],
    role: Annotated[str, typer.Option(help="admin, analyst, manager or viewer.")] = "viewer",
    unit: Annotated[str | None, typer.Option(help="Unit code or path (managers).")] = None,
    password_env: Annotated[
        str, typer.Option(help="Read the password from this environment variable if set.")
    ] = PASSWORD_ENV,
) -> None:
    """Create a user; the password is read from $RAPPORT_NEW_PASSWORD or asked for."""
    from rapport.services import auth

    parsed_role = _role(role)
    password = _new_password(password_env)
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            user = auth.create_user(uow, email, password, parsed_role, unit)
    console.print(
        f"Created {user.role.value} [bold]{user.email}[/]"
        + (f" for {user.unit_path}" if user.unit_path else "")
    )


@user_app.command("list")
def list_users() -> None:
    """Every user: role, unit, status, open sessions."""
    from rapport.services import accounts

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            users = accounts.list_users(uow, SYSTEM)
    for user, sessions in users:
        status = "active" if user.is_active else "deactivated"
        unit = f" {user.unit_path}" if user.unit_path else ""
        console.print(
            f"{user.id}\t{user.email}\t{user.role.value}{unit}\t{status}\t{sessions} sessions",
            highlight=False,
        )


def _update(
    email: str, *, role: Role | None = None, unit: str | None = None, active: bool | None = None
) -> None:
    from rapport.services import accounts

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            user = accounts.find_user(uow, SYSTEM, email)
            user = accounts.update_user(uow, SYSTEM, user.id, role=role, unit=unit, active=active)
    status = "active" if user.is_active else "deactivated"
    scope = f" for {user.unit_path}" if user.unit_path else ""
    console.print(
        f"{user.email}: {user.role.value}{scope}, {status}; their sessions were ended.",
        highlight=False,
    )


@user_app.command("set-role")
def set_role(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    role: Annotated[str, typer.Option(help="admin, analyst, manager or viewer.")],
    unit: Annotated[str | None, typer.Option(help="Unit code or path (managers).")] = None,
) -> None:
    """Change a user's role (and unit); ends every session they have."""
    _update(email, role=_role(role), unit=unit)


@user_app.command("deactivate")
def deactivate(email: Annotated[str, typer.Argument(help="The user's e-mail address.")]) -> None:
    """Stop a user from logging in; ends every session they have."""
    _update(email, active=False)


@user_app.command("activate")
def activate(email: Annotated[str, typer.Argument(help="The user's e-mail address.")]) -> None:
    """Let a deactivated user log in again."""
    _update(email, active=True)


@user_app.command("set-password")
def set_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    password_env: Annotated[
        str, typer.Option(help="Read the password from this environment variable if set.")
    ] = PASSWORD_ENV,
) -> None:
    """Give a user a new password; ends every session they have."""
    from rapport.services import accounts

    password = _new_password(password_env)
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            accounts.set_password(uow, SYSTEM, email, password)
    console.print(f"New password set for {email}; their sessions were ended.", highlight=False)


@token_app.command("create")
def create_token(
    role: Annotated[str, typer.Option(help="admin, analyst, manager or viewer.")] = "viewer",
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    unit: Annotated[str | None, typer.Option(help="Unit code or path (manager tokens).")] = None,
    expires_days: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Days until the token stops working; 0: never. "
            "Default: RAPPORT_TOKEN_DEFAULT_DAYS (90).",
        ),
    ] = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from rapport.services import auth

    parsed_role = _role(role)
    settings = load_settings()
    days = settings.token_default_days if expires_days is None else expires_days
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            token = auth.create_token(uow, name, parsed_role, unit, expires_days=days)
    console.print(token, soft_wrap=True, highlight=False)
    expiry = f"it expires in {days} days" if days else "it never expires"
    console.print(f"[dim]Store it now: it cannot be shown again; {expiry}.[/]", highlight=False)


@token_app.command("list")
def list_tokens() -> None:
    """Every API token: id, prefix, name, role, expiry and status (never the token)."""
    from rapport.services import accounts
    from rapport.services.clock import utcnow

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            tokens = accounts.list_tokens(uow, SYSTEM)
    now = utcnow()
    for t in tokens:
        status = "revoked" if t.revoked else "expired" if t.expired(now) else "active"
        expires = t.expires_at.date().isoformat() if t.expires_at else "never"
        console.print(
            f"{t.id}\t{t.prefix}\t{t.name}\t{t.role.value}\texpires {expires}\t{status}",
            highlight=False,
        )


@token_app.command("revoke")
def revoke_token(
    token: Annotated[str, typer.Argument(help="The token's id or its printed prefix (rpt_...).")],
) -> None:
    """Revoke an API token: it is refused from its next request."""
    from rapport.services import accounts

    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            revoked = accounts.revoke_token(uow, SYSTEM, token)
    console.print(f"Revoked token {revoked.id} ({revoked.prefix}, {revoked.name}).")
