"""Authentication and tokens against real databases."""

from __future__ import annotations

import pytest

from rapport.domain.org import Role, UnitKind
from rapport.errors import AuthenticationFailed, Conflict, Throttled, ValidationFailed
from rapport.services import auth
from rapport.storage.uow import Database

PASSWORD = "correct-horse-battery"


def _setup(db: Database) -> None:
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        uow.units.add("north", "North", UnitKind.REGION, root)
        auth.create_user(uow, "Admin@Example.com ", PASSWORD, Role.ADMIN)
        auth.create_user(uow, "boss@example.com", PASSWORD, Role.MANAGER, "north")


def test_login_succeeds_and_normalises_email(db: Database) -> None:
    _setup(db)
    with db.unit_of_work() as uow:
        principal = auth.authenticate(uow, "ADMIN@example.com", PASSWORD, "1.2.3.4")
    assert (principal.name, principal.role) == ("admin@example.com", Role.ADMIN)
    with db.unit_of_work() as uow:
        manager = auth.authenticate(uow, "boss@example.com", PASSWORD, "1.2.3.4")
    assert manager.unit_path == "acme/north"
    assert manager.sees_unit("acme/north/store-1") and not manager.sees_unit("acme/south")


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("admin@example.com", "wrong-password-123"),
        ("nobody@example.com", PASSWORD),
    ],
)
def test_wrong_email_or_password_gives_the_same_message(
    db: Database, email: str, password: str
) -> None:
    _setup(db)
    with pytest.raises(AuthenticationFailed) as err, db.unit_of_work() as uow:
        auth.authenticate(uow, email, password, "1.2.3.4")
    assert err.value.detail == auth.LOGIN_FAILED


def test_five_failures_in_a_minute_throttle_even_the_right_password(db: Database) -> None:
    _setup(db)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed), db.unit_of_work() as uow:
            auth.authenticate(uow, "admin@example.com", "nope-nope-nope", "9.9.9.9")
    with pytest.raises(Throttled), db.unit_of_work() as uow:
        auth.authenticate(uow, "admin@example.com", PASSWORD, "8.8.8.8")
    # Failures are durable: they were committed although the calls raised.
    with db.unit_of_work() as uow:
        assert uow.audit.recent(10)[0]["action"] == "login.failed"


def test_user_creation_validates_input(db: Database) -> None:
    _setup(db)
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        auth.create_user(uow, "x@example.com", "short", Role.VIEWER)
    assert err.value.errors[0].location == "password"
    with pytest.raises(ValidationFailed) as err, db.unit_of_work() as uow:
        auth.create_user(uow, "y@example.com", PASSWORD, Role.MANAGER)
    assert err.value.errors[0].location == "unit"
    with pytest.raises(Conflict), db.unit_of_work() as uow:
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.VIEWER)


def test_tokens_are_stored_hashed_and_resolve_to_a_principal(db: Database) -> None:
    _setup(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "etl", Role.MANAGER, "north")
    with db.unit_of_work() as uow:
        assert uow.tokens.by_hash(token) is None  # the raw token is not stored
        principal = auth.principal_for_token(uow, token)
    assert (principal.kind, principal.role, principal.unit_path) == (
        "token",
        Role.MANAGER,
        "acme/north",
    )
    with pytest.raises(AuthenticationFailed), db.unit_of_work() as uow:
        auth.principal_for_token(uow, token + "x")
