"""Request body limits at the edge: 401 before reading, 413 from Content-Length or while
streaming, over real sockets to a live server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org

MiB = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path, sqlite_db: Database) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path, sqlite_db, max_import_bytes=2 * MiB)
    with LiveServer(settings, sqlite_db) as live:
        yield live


def _token(db: Database) -> str:
    with db.unit_of_work() as uow:
        return auth.create_token(uow, "t", Role.ADMIN)


def _raw_post(port: int, path: str, headers: dict[str, str], first_bytes: int) -> tuple[int, float]:
    """Send the headers and the first bytes of a body, then read the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sent = time.perf_counter()
        sock.sendall(b"a" * first_bytes)
        status = sock.recv(4096).split(b" ", 2)[1]
        return int(status), time.perf_counter() - sent


def test_45_mb_anonymous_post_is_401_before_the_body_is_read(
    server: LiveServer, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    status, seconds = _raw_post(
        server.port,
        f"/api/v1/surveys/{sid}/responses/import",
        {"Content-Type": "text/csv", "Content-Length": str(45 * MiB)},
        first_bytes=64 * 1024,
    )
    # The answer comes while 45 MB are still unsent: the server did not wait to read them
    # (before the limits it read the whole body first, so this waited for ever).
    assert status == 401
    assert seconds < 2
    status, seconds = _raw_post(
        server.port,
        "/api/v1/surveys",
        {"Content-Type": "application/json", "Content-Length": str(45 * MiB)},
        first_bytes=1024,
    )
    assert (status, seconds < 2) == (401, True)


def test_over_limit_authenticated_post_is_413_problem(
    server: LiveServer, sqlite_db: Database
) -> None:
    token = _token(sqlite_db)
    status, _ = _raw_post(
        server.port,
        "/api/v1/surveys",
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Length": str(5 * MiB),
        },
        first_bytes=1024,
    )
    assert status == 413
    r = httpx.post(
        server.url + "/api/v1/surveys",
        content=b"[" + b" " * (MiB + 10) + b"]",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/too-large")


def test_chunked_body_over_the_limit_is_413(server: LiveServer, sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    token = _token(sqlite_db)

    def chunks() -> Iterator[bytes]:  # no Content-Length: httpx sends it chunked
        yield b"unit,nps\n"
        for _ in range(40):
            yield b"north-1,9\n" * 10_000

    r = httpx.post(
        f"{server.url}/api/v1/surveys/{sid}/responses/import",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=30,
    )
    assert r.status_code == 413, r.text
    assert r.json()["type"].endswith("/too-large")
    small = httpx.post(
        f"{server.url}/api/v1/surveys",
        content=iter([b'{"key": ', b"1}"]),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert small.status_code == 422  # within the limit: the route answers, not the guard
    with sqlite_db.unit_of_work() as uow:
        assert uow.responses.count(sid) == 0
    assert not list((Path(server.settings.data_dir) / "imports").glob("*"))
