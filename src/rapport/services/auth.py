"""Authentication: users with argon2 password hashes, login throttling, API tokens.

Authorisation lives in :mod:`rapport.services.access`.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rapport.domain.audit import AuditAction
from rapport.domain.org import Principal, Role, UserAccount
from rapport.errors import AuthenticationFailed, Conflict, FieldError, Throttled, ValidationFailed
from rapport.services.clock import as_utc, utcnow
from rapport.storage.uow import UnitOfWork

_hasher = PasswordHasher()
TOKEN_PREFIX = "rpt_"  # noqa: S105 - a public prefix, not a secret
MIN_PASSWORD_LENGTH = 10
THROTTLE_WINDOW = timedelta(minutes=1)
#: API tokens expire after this many days unless created otherwise (RAPPORT_TOKEN_DEFAULT_DAYS).
DEFAULT_TOKEN_DAYS = 90
#: "Last used" of a token or session is written at most this often (not per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)
LOGIN_FAILED = "The e-mail address or password is not correct."


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong e-mail costs as much time as
    a wrong password and the response does not reveal which of the two was wrong."""
    return _hasher.hash("rapport-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password: str) -> None:
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
    check_password(password)
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
    uow.audit.record("system", AuditAction.USER_CREATE, email, utcnow(), {"role": role.value})
    return user


def authenticate(
    uow: UnitOfWork, email: str, password: str, client: str, per_minute: int = 5
) -> Principal:
    """Check a login. Raises Throttled after ``per_minute`` failures for the e-mail or client.

    Counting and deciding is one atomic step: the attempt is recorded as a failure under a
    lock on its keys and committed *before* the password is checked, so concurrent guesses
    each see the ones before them; a correct password turns the record into a success. At
    most ``per_minute`` passwords are ever checked per key and minute. The error never says
    whether the e-mail or the password was wrong. The unit of work is committed twice.
    """
    now = utcnow()
    email = email.strip().lower()
    keys = (f"email:{email}", f"client:{client}")
    since = now - THROTTLE_WINDOW
    uow.login_attempts.lock(keys)
    if any(uow.login_attempts.failures_since(k, since) >= per_minute for k in keys):
        raise Throttled("Too many failed logins; wait a minute and try again.")
    user = uow.users.by_email(email)
    attempts = [uow.login_attempts.record(key, False, now) for key in keys]
    uow.commit()  # counted for concurrent attempts; no transaction is open while we verify
    ok = _verify(user.password_hash if user else _dummy_hash(), password)
    if not ok or user is None or not user.is_active:
        uow.audit.record(email, AuditAction.LOGIN_FAILED, client, now)
        uow.commit()  # the failure must be recorded although we raise
        raise AuthenticationFailed(LOGIN_FAILED)
    uow.login_attempts.mark_success(attempts)
    if _hasher.check_needs_rehash(user.password_hash):
        uow.users.set_password_hash(user.id, hash_password(password))
    uow.users.touch_login(user.id, now)
    uow.audit.record(email, AuditAction.LOGIN, client, now)
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
    return user.principal()


def secret_hash(token: str) -> str:
    """How API tokens and session ids are stored: their SHA-256. They carry 256 random
    bits, so a fast hash is enough (there is no dictionary to attack)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    uow: UnitOfWork,
    name: str,
    role: Role,
    unit_path: str | None = None,
    *,
    expires_days: int | None = DEFAULT_TOKEN_DAYS,
    actor: str = "system",
) -> str:
    """Create an API token and return it; only its hash is stored, so it is shown once.

    The token stops working after ``expires_days`` days (``None`` or 0: never).
    """
    unit_id = None
    if role is Role.MANAGER and not unit_path:
        raise ValidationFailed(
            "manager without unit", [FieldError("unit", "a manager token needs a unit")]
        )
    if expires_days is not None and expires_days < 0:
        raise ValidationFailed(
            "bad expiry",
            [FieldError("expires_days", f"expected 0 or more days, got {expires_days}")],
        )
    if unit_path:
        unit = uow.units.find(unit_path)
        if unit is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit '{unit_path}'")])
        unit_id = unit.id
    now = utcnow()
    expires_at = now + timedelta(days=expires_days) if expires_days else None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = uow.tokens.add(
        name, secret_hash(token), token[:10], role, unit_id, now, expires_at=expires_at
    )
    detail = {"id": token_id, "role": role.value, "expires_at": _iso(expires_at)}
    uow.audit.record(actor, AuditAction.TOKEN_CREATE, name, now, detail)
    return token


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def principal_for_token(uow: UnitOfWork, token: str) -> Principal:
    """The token's principal; revoked, expired and unknown tokens are all a 401.

    "Last used" is written at most once a minute per token, not on every request.
    """
    record = uow.tokens.by_hash(secret_hash(token))
    now = utcnow()
    if record is None or record.revoked:
        raise AuthenticationFailed("The API token is not valid.")
    if record.expired(now):
        raise AuthenticationFailed("The API token has expired; create a new one.")
    last = record.last_used_at
    if last is None or now - as_utc(last) >= LAST_USED_RESOLUTION:
        uow.defer(lambda w: w.tokens.touch(record.id, now))
    return Principal("token", record.id, record.name, record.role, record.unit_path)
