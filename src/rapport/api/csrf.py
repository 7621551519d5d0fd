"""CSRF protection for the API when the browser's session cookie authenticates a write.

A bearer token cannot be sent by another site, a cookie can: any page may make the
browser POST to ``/api/v1/...`` (a ``text/plain`` body needs no CORS preflight), and the
cookie goes along. So an unsafe request (POST, PUT, PATCH, DELETE) to ``/api/`` that
relies on the session cookie must echo the session's CSRF token in ``X-CSRF-Token`` --
the same token the pages put in their forms and in ``<meta name="csrf-token">``.
Requests with ``Authorization: Bearer`` are exempt (the cookie is then not used).
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from rapport.api.problems import problem
from rapport.errors import CsrfRejected

#: Session keys: the id of the server-side session, and the CSRF token of the session.
SESSION_KEY = "sid"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def token_matches(sent: object, expected: object) -> bool:
    """Constant-time comparison of two tokens; anything but two strings is a mismatch."""
    if not isinstance(sent, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def needs_token(scope: Scope) -> bool:
    """Whether this request is an unsafe API call authenticated by the session cookie."""
    if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
        return False
    if not scope["path"].startswith("/api/"):
        return False
    if Headers(scope=scope).get("authorization", "").lower().startswith("bearer "):
        return False
    session = scope.get("session") or {}
    return bool(session.get(SESSION_KEY))


class ApiCsrfMiddleware:
    """Refuse cookie-authenticated API writes without the CSRF header (403, ``csrf``).

    Must run inside ``SessionMiddleware`` (added before it), which decodes the cookie.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if needs_token(scope):
            sent = Headers(scope=scope).get(CSRF_HEADER)
            if not token_matches(sent, scope["session"].get(CSRF_FIELD)):
                err = CsrfRejected(
                    f"A request authenticated by the session cookie must send the page's "
                    f"CSRF token in {CSRF_HEADER} (or use an API token)."
                )
                response = problem(err.status, err.slug, err.title, err.detail, scope["path"])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
