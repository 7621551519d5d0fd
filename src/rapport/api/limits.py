"""Request body limits, checked before a body is read (a pure ASGI middleware).

- A body larger than the limit is answered ``413`` problem+json from its
  ``Content-Length`` alone; a chunked body (no length) is counted while it streams and
  the request fails with :class:`BodyTooLarge` as soon as it passes the limit.
- A body sent to an authenticated route without any credential (no ``Authorization``
  header, no session cookie) is answered ``401`` before a byte of it is read, so an
  anonymous client cannot make the server read 45 MB to learn it must log in.
- CSV import routes have a limit of their own (``RAPPORT_MAX_IMPORT_BYTES``); every other
  request has ``RAPPORT_MAX_REQUEST_BYTES``.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.api.edge import PageRenderer, send_error

#: Routes that take a CSV upload: the API imports and the pages' upload forms.
IMPORT_PATH = re.compile(
    r"^/((api/v1/)?surveys/[^/]+/(responses/)?import|(api/v1|admin)/(units|people)/import|api/v1/outcomes/import)$"
)
#: Routes whose callers must be logged in (public: /login, /s/{token}, /healthz).
AUTHENTICATED_PATH = re.compile(r"^/(api/|surveys(/|$)|dashboard(/|$))")


class BodyTooLarge(Exception):
    """A streamed (chunked) body passed its limit; the edge answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


def body_limit(path: str, max_request_bytes: int, max_import_bytes: int) -> int:
    """The byte limit for a request to ``path``.

    >>> body_limit("/api/v1/surveys/3/responses/import", 10, 99)
    99
    >>> body_limit("/api/v1/people/import", 10, 99)
    99
    >>> body_limit("/api/v1/outcomes/import", 10, 99)
    99
    >>> body_limit("/api/v1/surveys/3/responses", 10, 99)
    10
    """
    return max_import_bytes if IMPORT_PATH.match(path) else max_request_bytes


class BodyLimitMiddleware:
    """401 without credentials and 413 over the limit, before the body is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_request_bytes: int,
        max_import_bytes: int,
        session_cookie: str = "rapport_session",
        page_error: PageRenderer | None = None,
    ) -> None:
        self.app = app
        self.page_error = page_error
        self.max_request_bytes = max_request_bytes
        self.max_import_bytes = max_import_bytes
        self.session_cookie = session_cookie.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        path = scope["path"]
        limit = body_limit(path, self.max_request_bytes, self.max_import_bytes)
        length = _content_length(headers.get(b"content-length"))
        has_body = bool(length) or (length is None and b"transfer-encoding" in headers)
        if has_body and AUTHENTICATED_PATH.match(path) and not self._has_credential(headers):
            await send_error(
                send,
                path,
                401,
                "authentication",
                "Authentication required",
                "Log in or send an API token (Authorization: Bearer ...) before a body.",
                page=self.page_error,
                close=True,
            )
            return
        if length is not None and length > limit:
            await _too_large(send, path, limit, self.page_error)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send, path, limit, self.page_error)

    def _has_credential(self, headers: dict[bytes, bytes]) -> bool:
        if headers.get(b"authorization", b"").strip():
            return True
        return self.session_cookie + b"=" in headers.get(b"cookie", b"")


def _content_length(value: bytes | None) -> int | None:
    if value is None:
        return None
    try:
        return max(int(value), 0)
    except ValueError:
        return None


async def _too_large(send: Send, path: str, limit: int, page: PageRenderer | None) -> None:
    await send_error(
        send,
        path,
        413,
        "too-large",
        "The request body is too large",
        f"Send at most {limit} bytes ({limit / 1024 / 1024:.1f} MB) to this route.",
        [{"location": "body", "message": f"at most {limit} bytes", "code": "too_large"}],
        page=page,
        close=True,
    )
