"""Freed memory goes back to the operating system after a slow request (web/memory.py)."""

from __future__ import annotations

import asyncio
import platform
import subprocess
import sys
import textwrap

import pytest
from starlette.types import Message, Receive, Scope, Send

from rapport.web import memory

GLIBC = platform.libc_ver()[0] == "glibc"


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
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    before, after, returned, _ = done.stdout.split()
    assert returned == "True"
    assert float(before) - float(after) > 100, done.stdout


def _app(seconds: float) -> tuple[memory.ReturnFreedMemory, list[str]]:
    said: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(seconds)
        said.append("answered")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return memory.ReturnFreedMemory(app, after=0.05), said


def _call(app: memory.ReturnFreedMemory, kind: str = "http") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app({"type": kind, "path": "/"}, receive, send))
    return sent


def test_a_slow_request_returns_freed_memory_after_its_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, said = _app(0.08)
    monkeypatch.setattr(memory, "return_freed", lambda: said.append("trimmed") or True)
    sent = _call(app)
    assert said == ["answered", "trimmed"]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


def test_a_quick_request_leaves_the_allocator_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    app, said = _app(0.0)
    monkeypatch.setattr(memory, "return_freed", lambda: said.append("trimmed") or True)
    _call(app)
    assert said == ["answered"]
