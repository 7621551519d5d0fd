"""One computation per page: no page request sends the same SQL statement twice.

Each page of the demo organisation is requested over real HTTP while every statement the
server sends is recorded (SQLAlchemy's ``before_cursor_execute``); a statement whose text
and parameters repeat within one request is work the page did twice (a trend and the
comparison of the same metric, the unit tree read for every metric, ...).
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from rapport.services import demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._web_login import login

PAGES = [
    "/",
    "/dashboard",
    "/dashboard?survey=employee-relationship",
    "/dashboard?survey=employee-relationship&unit=northwind/head-office/hq-it",
    "/surveys/1",
    "/surveys/1/comments",
    "/surveys/2/comments",
]


#: Transaction control carries no data: a page may open several short transactions.
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
#: Threads of background jobs (comment themes found off the request path).
BACKGROUND = "rapport-themes"


class Statements:
    """Every statement any engine of this process sends while recording."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.recording = False
        self._lock = threading.Lock()

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if threading.current_thread().name.startswith(BACKGROUND):
            return  # a background job's work, not the page's (it may run during a request)
        if self.recording and not statement.lstrip().upper().startswith(CONTROL):
            with self._lock:
                self.seen.append((statement, repr(params)))


@pytest.fixture(scope="module")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("demo")
    shutil.copy(sqlite_template, folder / "rapport.db")
    db = Database(f"sqlite:///{folder / 'rapport.db'}")
    demo.load(db, demo.generate(seed=7))
    with LiveServer(make_settings(folder, db), db) as server:
        yield server
    db.dispose()


@pytest.fixture(scope="module")
def statements() -> Iterator[Statements]:
    recorder = Statements()
    event.listen(Engine, "before_cursor_execute", recorder)
    yield recorder
    event.remove(Engine, "before_cursor_execute", recorder)


@pytest.mark.parametrize("path", PAGES)
def test_no_statement_repeats_within_a_page(
    demo_server: LiveServer, statements: Statements, path: str
) -> None:
    with httpx.Client(base_url=demo_server.url, timeout=120) as client:
        login(client, demo.DEMO_ADMIN, demo.DEMO_PASSWORD)
        statements.seen.clear()
        statements.recording = True
        try:
            page = client.get(path)
        finally:
            statements.recording = False
    assert page.status_code == 200, page.text[:500]
    counted = Counter(statements.seen)
    repeated = {text[:160]: n for (text, _), n in counted.items() if n > 1}
    assert statements.seen, "no statement recorded: the listener is not attached"
    assert not repeated, f"{path}: {len(statements.seen)} statements, repeated: {repeated}"
