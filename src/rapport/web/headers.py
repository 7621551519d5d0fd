"""Security headers on every response, in one middleware.

The Content-Security-Policy allows nothing the pages do not use (docs/security.md gives the
reason for each directive):

- scripts only from our origin (``script-src 'self'``): no inline script, no inline event
  handler, no ``eval``. Charts need no ``'unsafe-eval'`` because vega-embed renders with
  ``ast: true`` and the vendored CSP-safe ``vega-interpreter``;
- styles only from our stylesheet (no inline ``style`` attributes in templates; Vega sets
  styles through the CSSOM, which CSP allows);
- images from our origin and ``data:`` URIs (QR codes are inline SVG data URIs);
- no plugins, no framing by other sites, no ``<base>`` or form targets elsewhere.

``/docs`` (Swagger UI) is vendored too and started from a file: it needs no exception.

Every response except static files is ``Cache-Control: no-store``: pages, API answers and
exports carry personal or response data that must not stay in shared or browser caches.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = {
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "object-src": "'none'",
}
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    **_COMMON,
}
STATIC_PREFIX = "/static/"


def policy_text(policy: dict[str, str]) -> str:
    """>>> policy_text({"default-src": "'self'", "object-src": "'none'"})
    "default-src 'self'; object-src 'none'"
    """
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def headers_for(path: str) -> dict[str, str]:
    """The security headers a response to ``path`` carries."""
    headers = {
        "Content-Security-Policy": policy_text(CSP),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if not path.startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeadersMiddleware:
    """Adds :func:`headers_for` to every HTTP response (a route's own value wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
