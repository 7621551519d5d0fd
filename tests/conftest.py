"""Shared fixtures: real SQLite and PostgreSQL databases, a live HTTP server, a browser.

The PostgreSQL database is created at the start of the session and dropped at its end
(server from ``RAPPORT_TEST_PG_URL``, default the local trust-auth server).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from hypothesis import settings
from sqlalchemy import create_engine, make_url, text

from rapport.analytics.suppression import cache
from rapport.app import create_app
from rapport.services import metrics
from rapport.settings import Settings
from rapport.storage import migrate
from rapport.storage.models import Base
from rapport.storage.uow import Database

# Property tests are derandomised and have no time limit: CI must be deterministic, and the
# shared 2-core machine is too slow for Hypothesis's 200 ms default deadline.
settings.register_profile(
    "rapport", derandomize=True, deadline=None, database=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "rapport"))

PG_ADMIN_URL = os.environ.get(
    "RAPPORT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def kept_tables(monkeypatch: pytest.MonkeyPatch) -> cache.DecisionCache:
    """Each test starts with no metric tables or decisions kept across requests
    (``services.metrics.KEPT``): a test that patches how tables are decided sees its own
    decisions, never an earlier test's. Requests within one test share them, as a
    server's do."""
    fresh = cache.DecisionCache(max_bytes=metrics.KEPT.max_bytes)
    monkeypatch.setattr(metrics, "KEPT", fresh)
    return fresh


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """Create a uniquely named PostgreSQL database for this session, drop it afterwards."""
    name = f"rapport_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - environment problem, say so plainly
        pytest.fail(f"PostgreSQL is required for the tests ({PG_ADMIN_URL}): {exc}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    migrate.upgrade(db.engine)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "rapport.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
        _truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """An empty SQLite database, for tests that are not about engine differences."""
    path = tmp_path / "rapport.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def make_settings(tmp_path: Path, db: Database, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": db.engine.url.render_as_string(hide_password=False),
        "secret_key": "test-secret-key-not-for-production",
        "warm_up": False,  # a background reader beside each test: on where a test says so
        "freeze_kept": False,  # gc.freeze is per process, and this one hosts every test's app
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real uvicorn server on a free loopback port, in a background thread."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        # The socket is bound here and handed to uvicorn: no other test can take the port
        # between choosing it and serving on it (a free port chosen first once was).
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        # Idle keep-alive connections kept 120 s, not uvicorn's 5 s: on a slow machine a
        # client reused a connection the server was closing after a long request of its
        # other client (ConnectionResetError), a race no user of one browser meets.
        config = uvicorn.Config(
            create_app(settings, db),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_keep_alive=120,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def live_server(tmp_path: Path, db: Database) -> Iterator[LiveServer]:
    with LiveServer(make_settings(tmp_path, db), db) as server:
        yield server


@pytest.fixture
def sqlite_live_server(tmp_path: Path, sqlite_db: Database) -> Iterator[LiveServer]:
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        yield server
