"""After a slow request: collect the garbage, freeze what is kept, and give the freed
memory back to the operating system (glibc ``malloc_trim``).

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

The same moments settle the cyclic garbage collector (:class:`Settle`,
``Settings.freeze_kept``). What the server keeps — about 700,000 objects after the warm-up at
400 units, tables, decisions, rows — lives for hours, and every full collection walked all
of it: 0.35–0.40 s of the interpreter lock, one every few pages after new responses, in
whichever request happened to allocate then. After a slow request (and after the warm-up)
the garbage is collected and what is left is frozen (``gc.freeze``): later collections
walk only what came after. Frozen objects are still freed when nothing refers to them;
only a frozen object that becomes part of a reference cycle would wait, so every
:data:`FULL_EVERY`-th settle collects the frozen ones too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

TRIM_AFTER = 0.05
"""Seconds a request must take for its freed memory to be returned after it: the requests
that built tables (0.1–3 s at 400 units); those served from what is kept take 2–40 ms."""
FULL_EVERY = 64
"""Every so many settles, the frozen objects are collected as well (``gc.unfreeze`` first:
0.4 s at 400 units)."""


M_ARENA_MAX = -8  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
ARENAS = 2
"""glibc malloc arenas the server's threads share (:func:`limit_arenas`)."""
MMAP_THRESHOLD = 128 * 1024
"""Blocks of at least this many bytes get a mapping of their own (:func:`map_large_blocks`):
glibc's own starting threshold, kept from drifting."""


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let the process's threads share ``arenas`` glibc malloc arenas (``mallopt``, as
    ``MALLOC_ARENA_MAX`` would); True if set. glibc gives threads up to eight arenas a
    core, and memory one request thread freed in its arena was not reused by another's:
    with two, and the free pages returned after slow requests, peak RSS at 400 units was
    about 15 MB lower, at no measured CPU cost (``docs/performance.md``)."""
    return _mallopt(M_ARENA_MAX, arenas)


def map_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Give every block of at least ``threshold`` bytes its own mapping, returned to the
    operating system when it is freed (``mallopt``, as ``MALLOC_MMAP_THRESHOLD_`` would);
    True if set. glibc's own threshold starts at 128 KiB but rises to the size of each
    mapped block freed, up to 32 MiB: after the first page that built a whole-organisation
    table, its frames, dicts and page text came from the heap and stayed there, spread
    between kept objects, until a trim. Fixed, the pages' large temporaries leave nothing
    behind: peak RSS at 400 units was 605–611 MB against 634–643 MB, at no measured CPU
    cost (``docs/performance.md``, fifteenth round)."""
    return _mallopt(M_MMAP_THRESHOLD, threshold)


def arrow_on_malloc() -> bool:
    """Let Arrow allocate with the C library's ``malloc`` (``pyarrow.system_memory_pool``)
    instead of its own pool (mimalloc in the wheels), as ``ARROW_DEFAULT_MEMORY_POOL=system``
    would; True if set. pandas 3 keeps text columns in Arrow arrays, so every frame a page
    builds allocates there, and mimalloc kept what was freed for itself: with glibc's
    ``malloc`` those blocks are returned like the rest (:func:`map_large_blocks`,
    :func:`return_freed`). Peak RSS at 400 units 588–591 → 551 MB, server CPU unchanged
    (``docs/performance.md``, sixteenth round)."""
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - a dependency of rapport and of pandas 3's text
        return False
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return True


def _mallopt(option: int, value: int) -> bool:
    """glibc's ``mallopt(option, value)``; False where it failed or there is none."""
    mallopt = getattr(_libc(), "mallopt", None)  # glibc's; not musl's or macOS's
    return bool(mallopt(option, value)) if mallopt is not None else False


def return_freed() -> bool:
    """Return glibc's free heap pages to the operating system; True if some were. A
    ``ctypes`` call releases the interpreter lock: other threads run meanwhile."""
    trim = getattr(_libc(), "malloc_trim", None)  # glibc's; not musl's or macOS's
    return bool(trim(0)) if trim is not None else False


class Settle:
    """What runs after a slow request and after the warm-up: with ``freeze``, collect the
    cyclic garbage and freeze what is left (every ``full_every``-th time, the frozen
    objects are collected too); then :func:`return_freed`. Without ``freeze`` (a process
    that hosts many applications, as the tests do), only the latter."""

    def __init__(self, freeze: bool, full_every: int = FULL_EVERY) -> None:
        self.freeze = freeze
        self.full_every = full_every
        self.settled = 0
        self._lock = threading.Lock()  # starting the worker
        self._settling = threading.Lock()  # one settle at a time
        self._wanted = threading.Event()
        self._worker: threading.Thread | None = None

    def soon(self) -> None:
        """Settle in the background, off the request's path: the answer is sent and the
        connection's next request is not kept waiting. Requests that ask while a settle
        is wanted or running are settled by it or by the next one."""
        self._wanted.set()
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="rapport-settle", daemon=True
                )
                self._worker.start()

    def _work(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            self()

    def __call__(self, full: bool = False) -> None:
        """Settle now (the warm-up's thread; the background worker of :meth:`soon`);
        ``full``: collect the frozen objects too this time (after the background refresh,
        which has just replaced every kept table of the pages it read)."""
        with self._settling:
            if self.freeze:
                self.settled += 1
                if full or self.settled % self.full_every == 0:
                    gc.unfreeze()
                gc.collect()
                gc.freeze()
            return_freed()


class ReturnFreedMemory:
    """After an HTTP request that took at least :data:`TRIM_AFTER` seconds, once its answer
    is sent, ``settle()`` — the server's :meth:`Settle.soon`, which returns at once (a pure
    ASGI middleware)."""

    def __init__(
        self, app: ASGIApp, settle: Callable[[], object] = return_freed, after: float = TRIM_AFTER
    ) -> None:
        self.app = app
        self.settle = settle
        self.after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        await self.app(scope, receive, send)
        if time.perf_counter() - began >= self.after:
            self.settle()
