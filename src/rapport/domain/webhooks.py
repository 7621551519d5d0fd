"""Outbound webhooks by the Standard Webhooks specification (https://www.standardwebhooks.com):
event types, secrets, signatures and the retry schedule (``docs/closed-loop.md``, "Webhooks").

A message is signed with HMAC-SHA256 over ``{webhook-id}.{webhook-timestamp}.{body}``, keyed
by the base64-decoded part of the endpoint's secret after ``whsec_``; the header
``webhook-signature`` carries ``v1,`` and the base64 digest.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import random
import secrets
from typing import Final

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the prefix, not a secret
#: Secrets are 24 to 64 random bytes, as the specification recommends.
SECRET_BYTES: Final = (24, 64)


class EventType(enum.StrEnum):
    RESPONSE_CREATED = "response.created"
    CASE_CREATED = "case.created"
    CASE_UPDATED = "case.updated"
    CASE_ESCALATED = "case.escalated"
    CASE_CLOSED = "case.closed"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt (the first, or a retry)
    SENDING = "sending"  # claimed by a deliverer until its lease ends
    DELIVERED = "delivered"
    DEAD = "dead"  # every attempt failed: a dead letter, until replayed


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` and 32 random bytes in base64.

    >>> len(decode_secret(new_secret()))
    32
    """
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; ValueError says what is wrong.

    >>> decode_secret("whsec_" + "A" * 32)[:3]
    b'\\x00\\x00\\x00'
    """
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"expected a secret starting with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError as exc:
        raise ValueError(f"expected base64 after {SECRET_PREFIX!r}") from exc
    low, high = SECRET_BYTES
    if not low <= len(key) <= high:
        raise ValueError(f"expected {low} to {high} bytes of key, got {len(key)}")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of one message.

    The specification's own example (its reference libraries' test):

    >>> sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
    ...      1614265330, b'{"test": 2432232314}')
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    """
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers and the content type."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before the attempt after failed attempt number ``attempt`` (1, 2, ...):
    exponential (``base · 2^(attempt−1)``, at most ``cap``) with "equal jitter" (half of it
    fixed, half random), so endpoints coming back up are not hit by every retry at once.

    >>> 30 <= retry_delay(2, base=30, cap=3600, rng=random.Random(1)) <= 60
    True
    """
    delay = min(cap, base * 2.0 ** (attempt - 1))
    return delay / 2 + (rng or random.Random()).uniform(0, delay / 2)
