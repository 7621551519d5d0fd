"""CSRF protection for form POSTs: a per-session token, compared in constant time.

The same token protects cookie-authenticated API writes (``X-CSRF-Token``, see
:mod:`rapport.api.csrf`); pages expose it to scripts in ``<meta name="csrf-token">``.
"""

from __future__ import annotations

import secrets

from fastapi import Request

from rapport.api.csrf import CSRF_FIELD, token_matches
from rapport.errors import PermissionDenied

FIELD = CSRF_FIELD


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
    if not token_matches(form.get(FIELD), request.session.get(FIELD)):
        raise PermissionDenied("The form has expired; reload the page and try again.")
