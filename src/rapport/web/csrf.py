"""CSRF protection for form POSTs: a per-session token, compared in constant time."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from rapport.errors import PermissionDenied

FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[FIELD] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Dependency for every form POST: the form must echo the session's token."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get(FIELD)
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise PermissionDenied("The form has expired; reload the page and try again.")
    if not hmac.compare_digest(sent, expected):
        raise PermissionDenied("The form has expired; reload the page and try again.")
