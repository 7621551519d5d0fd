"""Freed memory goes back to the operating system after a slow request (web/memory.py)."""

from __future__ import annotations

import asyncio
import ctypes
import platform
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from rapport.web import memory

GLIBC = platform.libc_ver()[0] == "glibc"


def _fresh(script: str, *args: str) -> str:
    """What ``script`` prints, run with ``args`` in a fresh interpreter (allocator settings
    and memory figures of its own)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_return_freed_gives_freed_heap_pages_back() -> None:
    """In a fresh interpreter: 200 MB of 2 KB blocks (glibc's heap, not pymalloc's
    arenas), every one but each 50th freed. The survivors pin the heap, so it cannot
    shrink from its top; ``return_freed`` hands back the free pages between them."""
    script = textwrap.dedent(
        """
        from rapport.web.memory import return_freed

        def rss_mb():
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024

        blocks = [bytearray(b"x" * 2048) for _ in range(100_000)]
        kept = blocks[::50]
        del blocks
        before = rss_mb()
        returned = return_freed()
        print(before, rss_mb(), returned, len(kept))
        """
    )
    said = _fresh(script)
    before, after, returned, _ = said.split()
    assert returned == "True"
    assert float(before) - float(after) > 100, said


def _client(said: list[str]) -> TestClient:
    """A real ASGI app behind the middleware: ``/slow`` takes 80 ms, ``/quick`` none."""

    async def slow(request: Request) -> PlainTextResponse:
        await asyncio.sleep(0.08)
        said.append("answered")
        return PlainTextResponse("ok")

    async def quick(request: Request) -> PlainTextResponse:
        said.append("answered")
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/slow", slow), Route("/quick", quick)])
    wrapped = memory.ReturnFreedMemory(app, settle=lambda: said.append("settled"), after=0.05)
    return TestClient(wrapped)


def test_a_slow_request_settles_after_its_answer() -> None:
    said: list[str] = []
    with _client(said) as client:
        assert client.get("/slow").text == "ok"
    assert said == ["answered", "settled"]


def test_a_quick_request_leaves_the_allocator_alone() -> None:
    said: list[str] = []
    with _client(said) as client:
        assert client.get("/quick").text == "ok"
    assert said == ["answered"]


SETTLE = """
import gc, weakref
from rapport.web.memory import Settle

class Node:
    pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a

settle = Settle(freeze={freeze}, full_every=4)
kept = [Node() for _ in range(1000)]
dropped = cycle()
gone = weakref.ref(dropped)
del dropped
settle()
print("cycle dropped before a settle collected:", gone() is None)
print("frozen after a settle:", gc.get_freeze_count() >= 1000)
late = cycle()
late_ref = weakref.ref(late)
settle()  # late is alive: frozen with the rest
del late
settle()
print("frozen cycle after the 2nd settle:", late_ref() is None)
settle()  # the 4th: collects the frozen ones too
print("frozen cycle after the full settle:", late_ref() is None)
gc.collect()
print("any cycle after gc.collect:", late_ref() is None)
"""


def _settle_in_a_fresh_interpreter(freeze: bool) -> list[str]:
    said = _fresh(SETTLE.format(freeze=freeze))
    return [line.rsplit(" ", 1)[1] for line in said.splitlines()]


def test_settle_collects_the_garbage_then_freezes_what_is_kept() -> None:
    """After a settle, what was kept is frozen (later collections do not walk it) and a
    cycle dropped before it is gone; a frozen object that becomes cyclic garbage waits
    for the full settle (every ``full_every``-th), then goes too."""
    assert _settle_in_a_fresh_interpreter(True) == ["True", "True", "False", "True", "True"]


def test_settle_without_freezing_leaves_the_collector_as_it_was() -> None:
    """Off (``freeze_kept=False``): nothing is frozen, and the collector frees every
    cycle when it runs, as without a settle."""
    found = _settle_in_a_fresh_interpreter(False)
    assert found[1] == "False"
    assert found[-1] == "True"


def test_soon_settles_in_the_background_and_once_for_requests_ending_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``soon`` returns at once (the request's connection is not kept waiting); the
    settle runs in its own thread, and the requests that ask while it runs are settled by
    one more, not one each."""
    calls: list[str] = []
    started, release = threading.Event(), threading.Event()

    def freed() -> bool:
        calls.append(threading.current_thread().name)
        started.set()
        release.wait(10)
        return True

    monkeypatch.setattr(memory, "return_freed", freed)
    settle = memory.Settle(freeze=False)
    settle.soon()
    assert started.wait(10), "the background settle ran"
    for _ in range(3):
        settle.soon()  # while it runs
    release.set()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert calls == ["rapport-settle", "rapport-settle"]


ARENAS = """
import sys, threading
from rapport.web.memory import limit_arenas

if sys.argv[1] == "limit":
    assert limit_arenas(1)
barrier = threading.Barrier(6)

def work():
    barrier.wait()  # all allocating at once: glibc gives contending threads arenas
    kept = [bytearray(1024) for _ in range(20_000)]
    barrier.wait()

threads = [threading.Thread(target=work) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
# A thread arena's heap is reserved 64 MiB-aligned, mapped without a file.
heaps = 0
for line in open("/proc/self/maps"):
    fields = line.split()
    start = int(fields[0].split("-")[0], 16)
    heaps += start % (64 << 20) == 0 and fields[1] == "rw-p" and len(fields) == 5
print(heaps)
"""


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_limit_arenas_keeps_threads_in_the_arenas_allowed() -> None:
    """Six threads allocating together get arenas of their own, unless the limit says
    one (the main arena only); the server sets two."""

    assert int(_fresh(ARENAS, "default")) >= 2
    assert int(_fresh(ARENAS, "limit")) == 0


MAPPED = """
import ctypes, sys
from rapport.web.memory import map_large_blocks

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "fixed":
    assert map_large_blocks()
large = bytearray(8 << 20)  # a large block mapped, then freed: glibc's threshold follows it
del large
before = libc.mallinfo2().hblkhd
block = bytearray(1 << 20)  # 1 MiB: above the fixed threshold, below the risen one
print(libc.mallinfo2().hblkhd - before >= 1 << 20)
"""


@pytest.mark.skipif(
    not GLIBC or not hasattr(ctypes.CDLL(None), "mallinfo2"),
    reason="mallopt and mallinfo2 (2.33) are glibc's",
)
def test_map_large_blocks_keeps_the_threshold_where_it_was_set() -> None:
    """After a large block is freed, glibc's own threshold rises past a 1 MiB block, which
    then comes from the heap; with the threshold fixed, that block is mapped on its own
    (mallinfo2's mapped bytes grow by it), so freeing it returns it to the system."""
    assert _fresh(MAPPED, "default").strip() == "False"
    assert _fresh(MAPPED, "fixed").strip() == "True"


ARROW = """
import sys
import pandas as pd
import pyarrow as pa
from rapport.web import memory

if sys.argv[1] == "malloc":
    memory.arrow_on_malloc()
pools = {"mimalloc": pa.mimalloc_memory_pool(), "system": pa.system_memory_pool()}
before = {name: pool.bytes_allocated() for name, pool in pools.items()}
texts = pd.Series([f"unit {i}" for i in range(100_000)])  # pandas 3: Arrow-backed text
grew = [name for name, pool in pools.items() if pool.bytes_allocated() - before[name] > 1e6]
print(texts.dtype, ",".join(grew))
"""


def test_arrow_on_malloc_puts_pandas_text_columns_on_malloc() -> None:
    """A pandas text column is an Arrow array: by default its buffers come from Arrow's
    mimalloc pool, which keeps what is freed; after ``arrow_on_malloc`` from the C
    library's ``malloc`` (Arrow's system pool), whose freed blocks go back to the system."""
    assert _fresh(ARROW, "default").strip() == "str mimalloc"
    assert _fresh(ARROW, "malloc").strip() == "str system"
