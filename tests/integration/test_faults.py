"""Database faults are answered honestly: 503 problem+json with Retry-After, never 500.

- A throwaway PostgreSQL 15 cluster that the test creates, starts, stops mid-traffic and
  starts again (``initdb``/``pg_ctl`` run as the ``postgres`` OS user: root may not).
- A SQLite file whose write lock another process holds (``BEGIN EXCLUSIVE``).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage import migrate
from rapport.storage.uow import Database
from tests._pg_cluster import Cluster, throwaway_cluster
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org

ANSWERS = {"nps": 9, "csat": 5}
PROBLEM = "application/problem+json"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as own:
        yield own


@dataclass
class Traffic:
    """Submissions sent one after another with idempotency keys until stopped."""

    url: str
    headers: dict[str, str]
    statuses: list[int] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)
    retry_after: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=15) as client:
            i = 0
            while not self.stop.is_set():
                key = f"fault-{i}"
                r = client.post(
                    self.url,
                    json={"answers": ANSWERS, "unit": "north-1"},
                    headers={**self.headers, "Idempotency-Key": key},
                )
                self.statuses.append(r.status_code)
                if r.status_code in (200, 201):
                    self.accepted.add(key)
                elif r.status_code == 503:
                    assert r.headers["content-type"] == PROBLEM
                    assert r.json()["type"].endswith("/unavailable")
                    self.retry_after.add(r.headers["retry-after"])
                i += 1
                time.sleep(0.02)


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_outage_is_503_with_retry_after_and_nothing_accepted_is_lost(
    cluster: Cluster, tmp_path: Path
) -> None:
    admin = Database(cluster.url())
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CREATE DATABASE rapport")
    admin.dispose()
    db = Database(cluster.url("rapport"), connect_timeout_s=2)
    migrate.upgrade(db.engine)
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "t", Role.ADMIN)
    with LiveServer(make_settings(tmp_path, db), db) as server, httpx.Client() as client:
        traffic = Traffic(
            f"{server.url}/api/v1/surveys/{sid}/responses", {"Authorization": f"Bearer {token}"}
        )
        sender = threading.Thread(target=traffic.run)
        sender.start()
        try:
            time.sleep(1.0)
            cluster.stop()
            time.sleep(1.5)
            began = time.perf_counter()
            health = client.get(server.url + "/healthz", timeout=10)
            health_seconds = time.perf_counter() - began
            during = len(traffic.statuses)
            cluster.start()
            time.sleep(1.5)
        finally:
            traffic.stop.set()
            sender.join(timeout=30)
        healthy_again = client.get(server.url + "/healthz", timeout=10)
    statuses = traffic.statuses
    assert 500 not in statuses, f"500 during the outage: {statuses}"
    assert 503 in statuses[:during], "the outage was not seen"
    assert statuses[-1] in (200, 201), "requests did not succeed after the restart"
    assert traffic.retry_after and all(v.isdigit() for v in traffic.retry_after)
    assert health.status_code == 503 and health_seconds < 3
    assert healthy_again.status_code == 200
    with db.unit_of_work(readonly=True) as uow:
        stored = {r[0] for r in uow.session.execute(_keys_sql(), {"s": sid})}
    assert traffic.accepted <= stored, "an accepted response was lost"
    db.dispose()


def _keys_sql():  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    return text("SELECT idempotency_key FROM responses WHERE survey_id = :s")


HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def test_sqlite_locked_by_another_process_is_503_with_retry_after(
    tmp_path: Path, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "t", Role.ADMIN)
    path = str(sqlite_db.engine.url.database)
    db = Database(f"sqlite:///{path}", busy_timeout_ms=300)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/surveys/{sid}/responses"
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            began = time.perf_counter()
            r = client.post(url, json={"answers": ANSWERS, "unit": "north-1"}, headers=headers)
            seconds = time.perf_counter() - began
            assert (r.status_code, r.headers["content-type"]) == (503, PROBLEM), r.text
            assert r.json()["type"].endswith("/unavailable")
            assert int(r.headers["retry-after"]) > 0
            assert seconds < 3  # the busy timeout (0.3 s), not a hang
            # Reads never wait for the write lock: the survey and /healthz still answer. The raw
            # listing is an audited read (docs/confidentiality.md): it needs the lock for its
            # audit entry, so it answers 503 rather than serve rows unrecorded.
            assert client.get(f"/api/v1/surveys/{sid}", headers=headers).status_code == 200
            listed = client.get(url, headers=headers)
            assert (listed.status_code, listed.headers["content-type"]) == (503, PROBLEM)
            assert client.get("/healthz").status_code == 200
        finally:
            holder.communicate("", timeout=10)
        after = client.post(url, json={"answers": ANSWERS, "unit": "north-1"}, headers=headers)
    assert after.status_code == 201
    db.dispose()
