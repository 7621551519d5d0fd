"""Authentication: users with argon2 password hashes, login throttling, API tokens.

Authorisation lives in :mod:`rapport.services.access`.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rapport.domain.org import Principal, Role, UserAccount
from rapport.errors import AuthenticationFailed, Conflict, FieldError, Throttled, ValidationFailed
from rapport.services.clock import as_utc, utcnow
from rapport.storage.uow import UnitOfWork

_hasher = PasswordHasher()
TOKEN_PREFIX = "rpt_"  # noqa: S105 - a public prefix, not a secret
MIN_PASSWORD_LENGTH = 10
THROTTLE_WINDOW = timedelta(minutes=1)
LOGIN_FAILED = "The e-mail address or password is not correct."
#: A token's ``last_used_at`` is written at most this often: a write per request would
#: put every API call, reads included, in the database's one-writer queue.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong e-mail costs as much time as
    a wrong password and the response does not reveal which of the two was wrong."""
    return _hasher.hash("rapport-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "password too short",
            [FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")],
        )


def create_user(
    uow: UnitOfWork, email: str, password: str, role: Role, unit_path: str | None = None
) -> UserAccount:
    """Create a user; managers must be scoped to a unit (given by code or path)."""
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed("bad e-mail", [FieldError("email", "expected an e-mail address")])
    _check_password(password)
    unit_id = None
    if role is Role.MANAGER and not unit_path:
        raise ValidationFailed(
            "manager without unit", [FieldError("unit", "a manager must be scoped to a unit")]
        )
    if unit_path:
        unit = uow.units.find(unit_path)
        if unit is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit '{unit_path}'")])
        unit_id = unit.id
    if uow.users.by_email(email) is not None:
        raise Conflict(f"a user with e-mail {email} already exists")
    user = uow.users.add(email, hash_password(password), role, unit_id, utcnow())
    uow.audit.record("system", "user.create", email, utcnow(), {"role": role.value})
    return user


def authenticate(
    uow: UnitOfWork, email: str, password: str, client: str, per_minute: int = 5
) -> Principal:
    """Check a login. Raises Throttled after ``per_minute`` failures for the e-mail or client.

    The error never says whether the e-mail or the password was wrong.
    """
    now = utcnow()
    email = email.strip().lower()
    keys = (f"email:{email}", f"client:{client}")
    since = now - THROTTLE_WINDOW
    if any(uow.login_attempts.failures_since(k, since) >= per_minute for k in keys):
        raise Throttled("Too many failed logins; wait a minute and try again.")
    user = uow.users.by_email(email)
    ok = _verify(user.password_hash if user else _dummy_hash(), password)
    success = bool(ok and user and user.is_active)
    for key in keys:
        uow.login_attempts.record(key, success, now)
    if not success or user is None:
        uow.audit.record(email, "login.failed", client, now)
        uow.commit()  # the failure must count towards throttling although we raise
        raise AuthenticationFailed(LOGIN_FAILED)
    if _hasher.check_needs_rehash(user.password_hash):
        uow.users.set_password_hash(user.id, hash_password(password))
    uow.users.touch_login(user.id, now)
    uow.audit.record(email, "login", client, now)
    return principal_for_user(user)


def password_matches(uow: UnitOfWork, email: str, password: str) -> bool:
    """Whether ``password`` is the user's current one; records nothing (no login)."""
    user = uow.users.by_email(email.strip().lower())
    return user is not None and _verify(user.password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_for_user(user: UserAccount) -> Principal:
    return Principal("user", user.id, user.email, user.role, user.unit_path)


def load_user_principal(uow: UnitOfWork, user_id: int) -> Principal | None:
    user = uow.users.get(user_id)
    if user is None or not user.is_active:
        return None
    return principal_for_user(user)


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(uow: UnitOfWork, name: str, role: Role, unit_path: str | None = None) -> str:
    """Create an API token and return it; only its hash is stored, so it is shown once."""
    unit_id = None
    if role is Role.MANAGER and not unit_path:
        raise ValidationFailed(
            "manager without unit", [FieldError("unit", "a manager token needs a unit")]
        )
    if unit_path:
        unit = uow.units.find(unit_path)
        if unit is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit '{unit_path}'")])
        unit_id = unit.id
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.tokens.add(name, _token_hash(token), token[:10], role, unit_id, utcnow())
    uow.audit.record("system", "token.create", name, utcnow(), {"role": role.value})
    return token


def principal_for_token(uow: UnitOfWork, token: str) -> Principal:
    record = uow.tokens.by_hash(_token_hash(token))
    if record is None or record.revoked:
        raise AuthenticationFailed("The API token is not valid.")
    now = utcnow()
    last = record.last_used_at
    if last is None or now - as_utc(last) >= TOKEN_TOUCH_INTERVAL:
        uow.defer(lambda w: w.tokens.touch(record.id, now))
    return Principal("token", record.id, record.name, record.role, record.unit_path)
