"""A small HTTP/1.1 keep-alive client on asyncio streams, for load generators.

A general client (httpx) spends about a millisecond of CPU per request; on a 2-core machine
that the server shares, the generator would then measure itself. This one writes the
request bytes and parses just the status line, headers and ``Content-Length`` body.
Loopback only: it refuses any other host.
"""

from __future__ import annotations

import asyncio
import ipaddress


class ConnectionPool:
    """Up to ``limit`` persistent connections to one loopback ``host:port``."""

    def __init__(self, host: str, port: int, limit: int = 256) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"load generators only target loopback addresses, not {host}")
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(limit)

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        """Send one request and return its status code (the body is read and dropped)."""
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            try:
                status, close = await _read_response(reader)
            except BaseException:
                writer.close()
                raise
            if close:
                writer.close()
            else:
                self._idle.append(conn)
            return status

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    first, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(first.split(" ", 2)[1])
    length, close = 0, False
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "transfer-encoding":
            raise RuntimeError("chunked responses are not expected from this endpoint")
    if length:
        await reader.readexactly(length)
    return status, close
