"""Give the memory a request freed back to the operating system (glibc ``malloc_trim``).

A page of a large organisation builds whole-organisation tables, frames and a few MB of
HTML, keeps a little of it and drops the rest. CPython hands its small-object arenas back
when they empty, but glibc's ``malloc`` keeps the freed larger blocks (list and dict
storage, numpy buffers, page text) in its heaps, one per thread, for later use: the
server's resident memory climbed with every page that built something (at 400 units,
about 60 MB above what it held after ``malloc_trim``), and its peak was that plus the next
page's building. After a request that took at least :data:`TRIM_AFTER` seconds, and after
the warm-up, :func:`return_freed` asks glibc to return its free pages; a quick request
(a page read from kept tables) built nothing and is left alone.

Only memory that is free is returned: nothing kept, and nothing anyone sees, depends on
it. On a C library without ``malloc_trim`` (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from collections.abc import Callable
from functools import lru_cache

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

TRIM_AFTER = 0.05
"""Seconds a request must take for its freed memory to be returned after it: the requests
that built tables (0.1–3 s at 400 units); those served from what is kept take 2–40 ms."""


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (AttributeError, OSError):  # not glibc
        return None
    return trim


def return_freed() -> bool:
    """Return glibc's free heap pages to the operating system; True if some were. A
    ``ctypes`` call releases the interpreter lock: other threads run meanwhile."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


class ReturnFreedMemory:
    """After an HTTP request that took at least :data:`TRIM_AFTER` seconds, once its answer
    is sent, :func:`return_freed` in a worker thread (a pure ASGI middleware)."""

    def __init__(self, app: ASGIApp, after: float = TRIM_AFTER) -> None:
        self.app = app
        self.after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        await self.app(scope, receive, send)
        if time.perf_counter() - began >= self.after:
            await to_thread.run_sync(return_freed)
