"""Rapport's exceptions, in one hierarchy.

Each error carries a stable ``type`` slug used as the RFC 9457 problem ``type``
(``https://rapport.dev/problems/<slug>``) and an HTTP status for the API edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One invalid input: where (field, question id or row/column) and what was expected."""

    location: str
    message: str
    code: str = "invalid"


@dataclass
class RapportError(Exception):
    """Base of every error Rapport raises on purpose."""

    detail: str
    errors: Sequence[FieldError] = field(default_factory=tuple)

    slug = "error"
    title = "Error"
    status = 500

    def __str__(self) -> str:
        return self.detail


class ValidationFailed(RapportError):
    slug = "validation"
    title = "The input is not valid"
    status = 422


class NotFound(RapportError):
    slug = "not-found"
    title = "Not found"
    status = 404


class Conflict(RapportError):
    slug = "conflict"
    title = "Conflict"
    status = 409


class AuthenticationFailed(RapportError):
    slug = "authentication"
    title = "Authentication required"
    status = 401


class PermissionDenied(RapportError):
    slug = "forbidden"
    title = "Not allowed"
    status = 403


class Confidential(PermissionDenied):
    """What was asked would show employee answers below the anonymity rules
    (``docs/confidentiality.md``): raw rows, a staff submission, a cross-survey figure."""

    slug = "confidential"
    title = "Not shown, to protect anonymity"


class CsrfRejected(PermissionDenied):
    """A cookie-authenticated write without the session's CSRF token (``X-CSRF-Token``)."""

    slug = "csrf"
    title = "Missing or wrong CSRF token"


class Throttled(RapportError):
    slug = "throttled"
    title = "Too many requests"
    status = 429


class Gone(RapportError):
    slug = "gone"
    title = "No longer available"
    status = 410


class Unavailable(RapportError):
    """The database cannot serve now (down, restarting, locked too long): retry later."""

    slug = "unavailable"
    title = "Service unavailable"
    status = 503
    #: Seconds a client should wait before retrying (the ``Retry-After`` header).
    retry_after = 5


PROBLEM_BASE = "https://rapport.dev/problems/"
