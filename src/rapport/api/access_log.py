"""One access-log line per request: method, route, status, duration (a pure ASGI middleware).

The path is logged as the matched route's template (``/s/{token}``, ``/qr/{token}.{fmt}``)
and never with its query string, so respondent link tokens and query parameters do not
reach the log. Requests that match no route are logged by their path alone.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("rapport.access")


def route_path(scope: Scope) -> str:
    """The template of the route that served ``scope``, else its path (no query).

    >>> route_path({"path": "/s/abc", "query_string": b"x=1"})
    '/s/abc'
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template if "{" in template or template == scope["path"] else template + "/..."
    return str(scope["path"])


class AccessLogMiddleware:
    """Logs ``METHOD route status duration`` on the ``rapport.access`` logger (INFO)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            if logger.isEnabledFor(logging.INFO):
                ms = (time.perf_counter() - began) * 1000
                logger.info("%s %s %d %.1fms", scope["method"], route_path(scope), status, ms)
