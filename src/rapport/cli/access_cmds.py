"""``rapport user create`` and ``rapport token create``."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from rapport.cli._common import console, fail, friendly_errors, load_settings, open_database
from rapport.domain.org import Role
from rapport.services import auth

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        fail(f"--role must be one of {', '.join(r.value for r in Role)}, got '{value}'")


@user_app.command("create")
def create_user(
    email: Annotated[str, typer.Argument(help="The user's e-mail address (their login).")],
    role: Annotated[str, typer.Option(help="admin, analyst, manager or viewer.")] = "viewer",
    unit: Annotated[str | None, typer.Option(help="Unit code or path (managers).")] = None,
    password_env: Annotated[
        str, typer.Option(help="Read the password from this environment variable if set.")
    ] = "RAPPORT_NEW_PASSWORD",  # noqa: S107 - the name of a variable, not a password
) -> None:
    """Create a user; the password is read from $RAPPORT_NEW_PASSWORD or asked for."""
    parsed_role = _role(role)
    password = os.environ.get(password_env) or getpass.getpass("Password (10+ characters): ")
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            user = auth.create_user(uow, email, password, parsed_role, unit)
    console.print(
        f"Created {user.role.value} [bold]{user.email}[/]"
        + (f" for {user.unit_path}" if user.unit_path else "")
    )


@token_app.command("create")
def create_token(
    role: Annotated[str, typer.Option(help="admin, analyst, manager or viewer.")] = "viewer",
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    unit: Annotated[str | None, typer.Option(help="Unit code or path (manager tokens).")] = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    parsed_role = _role(role)
    settings = load_settings()
    with friendly_errors():
        db = open_database(settings)
        with db.unit_of_work() as uow:
            token = auth.create_token(uow, name, parsed_role, unit)
    console.print(token, soft_wrap=True, highlight=False)
    console.print("[dim]Store it now: it cannot be shown again.[/]", highlight=False)
