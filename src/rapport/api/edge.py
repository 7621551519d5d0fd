"""Errors answered by the edge middlewares, before routing: problem+json for the API, an
HTML page for browser pages.

The body-limit and NUL guards answer before any exception handler could run, so they
cannot rely on :func:`rapport.api.problems.install_problem_handlers`; they call
:func:`send_error` instead, which picks the form of the answer by path, as the handlers do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import Send

from rapport.errors import PROBLEM_BASE

#: Paths whose callers are programs: they always get problem+json.
MACHINE_PREFIXES = ("/api/", "/healthz", "/openapi.json")
#: Renders an error page: (status, title, detail) -> HTML document.
PageRenderer = Callable[[int, str, str], str]


def is_page_path(path: str) -> bool:
    """Whether ``path`` is a browser page (errors as HTML) rather than the API.

    >>> is_page_path("/surveys/3/import"), is_page_path("/api/v1/surveys")
    (True, False)
    """
    return not path.startswith(MACHINE_PREFIXES) and path not in ("/api", "/healthz")


async def send_error(
    send: Send,
    path: str,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    *,
    page: PageRenderer | None = None,
    close: bool = False,
) -> None:
    """Answer ``status``: an HTML page on page paths (when a renderer is wired), otherwise
    RFC 9457 problem+json. ``close``: the unread body is still coming, so the connection
    cannot be reused."""
    if page is not None and is_page_path(path):
        data = page(status, title, detail).encode()
        content_type = b"text/html; charset=utf-8"
    else:
        payload: dict[str, Any] = {
            "type": PROBLEM_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
        if errors:
            payload["errors"] = errors
        data = json.dumps(payload).encode()
        content_type = b"application/problem+json"
    headers = [(b"content-type", content_type), (b"content-length", str(len(data)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
