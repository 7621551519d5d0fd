"""Edge guards applied to every request before routing.

NUL characters cannot be stored by PostgreSQL text columns and are never meaningful in
survey data, so a request carrying one (in the path, the query or the body) is refused
with a 400 problem naming where it was, instead of failing deep inside the database.
CSV uploads are not buffered here (they stream to disk); the import checks them itself.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.api.edge import PageRenderer, send_error
from rapport.api.limits import IMPORT_PATH


class RejectNulMiddleware:
    def __init__(self, app: ASGIApp, page_error: PageRenderer | None = None) -> None:
        self.app = app
        self.page_error = page_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        where = None
        if b"%00" in raw_path.lower() or "\x00" in scope["path"]:
            where = "path"
        elif b"%00" in scope.get("query_string", b"").lower():
            where = "query"
        if where is None and IMPORT_PATH.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        # The body is at most RAPPORT_MAX_REQUEST_BYTES: BodyLimitMiddleware, outside
        # this one, refuses larger ones before they are read.
        chunks: list[bytes] = []
        more = True
        while more and where is None:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if where is None and (b"\x00" in body or b"\\u0000" in body or b"%00" in body):
            where = "body"
        if where is not None:
            await send_error(
                send,
                scope["path"],
                400,
                "nul-character",
                "The request contains a NUL character",
                f"NUL (\\u0000) characters are not accepted; found one in the {where}.",
                [{"location": where, "message": "remove NUL characters", "code": "nul"}],
                page=self.page_error,
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        await self.app(scope, replay, send)
