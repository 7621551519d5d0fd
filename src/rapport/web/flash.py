"""One-time messages shown at the top of the next page (redirect-after-POST).

A form handler that succeeded calls :func:`flash` and answers ``303 See Other``; the page
it redirects to shows the message once, above the fold, and the browser's history holds a
GET that can be reloaded safely. Messages live in the signed session cookie, so they stay
short: a sentence each, never a list of rows or links.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

FLASH_KEY = "flash"
KINDS = ("notice", "warning")
MAX_MESSAGES = 5


def flash(request: Request, message: str, kind: str = "notice") -> None:
    """Queue ``message`` for the next page this session shows."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    queued: list[Any] = list(request.session.get(FLASH_KEY) or [])
    queued.append({"kind": kind, "message": message})
    request.session[FLASH_KEY] = queued[-MAX_MESSAGES:]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    """The queued messages, removed from the session (each is shown once)."""
    queued = request.session.pop(FLASH_KEY, None)
    if not isinstance(queued, list):
        return []
    return [m for m in queued if isinstance(m, dict) and m.get("kind") in KINDS]
