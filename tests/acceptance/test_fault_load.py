"""Faults and load (issue 17, item 6): rule-triggering responses submitted concurrently over
HTTP while the server is killed (SQLite) or the database restarts (PostgreSQL); afterwards
every accepted response exists once, with one case, and every response and case has exactly
one webhook message per subscriber, delivered and seen by the receiver under one webhook-id.

Real parts only: ``rapport serve`` in a child process (its own session, so SIGKILL takes
every worker), a throwaway PostgreSQL cluster of the test's own, a threaded HTTP receiver
that verifies each Standard Webhooks signature and answers 500 for the first part of the
run, and client threads that retry every request that did not get a 2xx, with the same
``Idempotency-Key``.

``RAPPORT_FAULT_N`` sets the number of responses per engine (the CI default keeps both
engines within a few minutes on a shared 2-core machine), ``RAPPORT_FAULT_WORKERS`` the
server's worker processes; ``-s`` prints the figures (docs/closed-loop.md "Faults and load").
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage import migrate
from rapport.storage.uow import Database
from tests._pg_cluster import Cluster, throwaway_cluster
from tests.conftest import _free_port
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration._webhook_receiver import Receiver, receiver

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fault-load")]

N = int(os.environ.get("RAPPORT_FAULT_N", "500"))
CLIENTS = int(os.environ.get("RAPPORT_FAULT_CLIENTS", "24"))
#: Server processes; each imports the whole app at start (about a minute on a busy machine).
WORKERS = int(os.environ.get("RAPPORT_FAULT_WORKERS", "1"))
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes
EVENTS = ["response.created", "case.created"]
RULE = {
    "name": "Detractor",
    "survey": "every-type",
    "priority": "high",
    "condition": {"question": "nps", "op": "<=", "value": 6},
}
#: The receiver answers 500 until this share of the responses has been accepted.
RECEIVER_DOWN_UNTIL = 0.2
#: The fault strikes when this share has been accepted.
FAULT_AT = 0.5
SERVER_ENV = {
    "RAPPORT_SECRET_KEY": "fault-load-secret",
    "RAPPORT_WEBHOOK_DELIVER_SECONDS": "0.5",
    "RAPPORT_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "RAPPORT_WEBHOOK_RETRY_CAP_SECONDS": "4",
    "RAPPORT_WEBHOOK_MAX_ATTEMPTS": "100",  # none may die while the receiver is down
    "RAPPORT_WEBHOOK_TIMEOUT_SECONDS": "5",
    "RAPPORT_WEBHOOK_LEASE_SECONDS": "20",  # what a killed deliverer held is sent again soon
    "RAPPORT_CASE_SWEEP_SECONDS": "5",  # it mails the owner: to a port nobody listens on
}


def body(i: int) -> dict[str, Any]:
    """Response ``i``: a detractor (NPS 0–6) in store north-1 (whose manager, up the tree,
    owns the cases), with comments on every fourth."""
    answers = {**GOOD_ANSWERS, "nps": i % 7}
    if i % 4:
        del answers["why"], answers["comment"]
    return {"answers": answers, "unit": "north-1"}


def seed(url: str) -> tuple[int, str]:
    """The organisation and survey of the integration tests, and an admin API token;
    returns (survey id, token)."""
    db = Database(url)
    migrate.upgrade(db.engine)
    survey_id = seed_org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "fault-load", Role.ADMIN)
    db.dispose()
    return survey_id, token


@dataclass
class Server:
    """``rapport serve`` in a child process of its own session, restartable on one port."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    spent: float = 0.0  # CPU seconds of earlier processes since they were healthy
    base: float = 0.0  # CPU seconds of this process when it became healthy

    def cpu(self) -> float:
        """CPU seconds of the server process and its waited-for children so far (Linux)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def serving_cpu(self) -> float:
        """CPU seconds spent serving (start-up excluded), over every start."""
        return self.spent + self.cpu() - self.base

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [sys.executable, "-m", "rapport", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--workers", str(WORKERS)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd, env=self.env, stdout=out, stderr=out, start_new_session=True
            )
        self.starts += 1

    def wait_healthy(self, timeout: float = 240) -> None:
        # Each process imports the whole app: on a busy 2-core machine that can take 30 s.
        deadline = time.monotonic() + timeout
        while True:
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    self.base = self.cpu()
                    return
            assert self.proc is not None
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{self.tail()}")
            time.sleep(0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the server and its workers, and wait for the parent to end."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.spent = self.serving_cpu()
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        time.sleep(0.5)  # workers leave after the parent

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running(env: dict[str, str], tmp: Path) -> Iterator[Server]:
    server = Server(env, tmp / "server.log")
    server.start()
    try:
        server.wait_healthy()
        yield server
    finally:
        server.kill(signal.SIGTERM)


@dataclass
class Load:
    """``n`` submissions on ``clients`` threads; each retried until it gets a 2xx."""

    url: str
    token: str
    n: int
    clients: int
    accepted: dict[int, int] = field(default_factory=dict)  # request → response id
    replays: int = 0  # 200: the retry of a request already stored
    retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)  # 4xx: the product said no
    ok_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    give_up_at: float = field(default_factory=lambda: time.monotonic() + 1800)

    def run(self) -> float:
        """Send everything; returns the seconds taken."""
        began = time.monotonic()
        numbers = itertools.count()
        threads = [
            threading.Thread(target=self._client, args=(numbers,), daemon=True)
            for _ in range(self.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - began

    def _client(self, numbers: Iterator[int]) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(headers=headers, timeout=60) as client:
            for i in numbers:
                if i >= self.n:
                    return
                self._send(client, i)

    def _send(self, client: httpx.Client, i: int) -> None:
        key = {"Idempotency-Key": f"load-{i}"}
        for attempt in itertools.count():
            try:
                r = client.post(self.url, json=body(i), headers=key)
                label = str(r.status_code)
            except httpx.TransportError as exc:
                r, label = None, type(exc).__name__
            with self.lock:
                if r is not None and r.status_code in (200, 201):
                    self.accepted[i] = int(r.json()["id"])
                    self.replays += r.status_code == 200
                    self.ok_times.append(time.monotonic())
                    return
                if r is not None and 400 <= r.status_code < 500:
                    self.refused.append(f"{i}: {r.status_code} {r.text[:200]}")
                    return
                self.failures[label] += 1
                self.retries += 1
            if time.monotonic() > self.give_up_at:
                raise AssertionError(f"request {i} got no 2xx in time (last: {label})")
            time.sleep(min(0.05 * 2**attempt, 1.0))

    def longest_gap(self) -> float:
        """The longest time no request was accepted: the outage as clients saw it."""
        times = sorted(self.ok_times)
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def settle(url: str, seconds: float = 600) -> None:
    """Wait until every outbox message is delivered (none pending, sending or dead)."""
    engine = create_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            with engine.connect() as conn:
                left = dict(
                    conn.execute(
                        text(
                            "SELECT status, count(*) FROM webhook_deliveries "
                            "WHERE status <> 'delivered' GROUP BY status"
                        )
                    ).all()
                )
            if not left:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"messages not delivered: {left}")
            time.sleep(0.5)
    finally:
        engine.dispose()


def check(url: str, load: Load, hook: Receiver, endpoint: int) -> dict[str, int]:
    """Nothing lost, nothing duplicated; returns the redelivery counts."""
    assert not load.refused, load.refused[:5]
    assert len(load.accepted) == load.n, "a request never got a 2xx"
    engine = create_engine(url)
    with engine.connect() as conn:
        responses = conn.execute(text("SELECT id, idempotency_key FROM responses")).all()
        cases = conn.execute(text("SELECT id, response_id FROM cases")).all()
        messages = conn.execute(
            text("SELECT msg_id, event_type, body, status, endpoint_id FROM webhook_deliveries")
        ).all()
    engine.dispose()
    # Every accepted response exists exactly once, under the id the client was given.
    keys = Counter(key for _, key in responses)
    assert [k for k, c in keys.items() if c > 1] == []
    assert len(responses) == load.n
    stored = {key: rid for rid, key in responses}
    assert {f"load-{i}": rid for i, rid in load.accepted.items()} == stored
    # Every stored response has exactly one case.
    per_response = Counter(rid for _, rid in cases)
    assert set(per_response) == set(stored.values())
    assert set(per_response.values()) == {1}
    # Exactly one message per response and case for the one subscriber, each delivered.
    about = Counter((event, json.loads(b)["data"]["id"]) for _, event, b, _, _ in messages)
    expected = {("response.created", rid) for rid in stored.values()}
    expected |= {("case.created", cid) for cid, _ in cases}
    assert set(about) == expected
    assert set(about.values()) == {1}, "a duplicated message"
    assert {(status, e) for _, _, _, status, e in messages} == {("delivered", endpoint)}
    # The receiver accepted every message, under its own webhook-id, every signature valid.
    got = list(hook.got)
    unverified = [(r.headers, len(r.body)) for r in got if not r.verified]
    assert unverified == [], "a signature did not verify"
    accepted = Counter(r.headers["webhook-id"] for r in got if 200 <= r.answered < 300)
    assert set(accepted) == {msg_id for msg_id, *_ in messages}
    seen = {(r.payload["type"], r.payload["data"]["id"]) for r in got}
    assert seen == expected
    return {
        "redelivered": sum(c - 1 for c in accepted.values()),
        "refused_by_receiver": sum(1 for r in got if r.answered >= 300),
        "messages": len(messages),
    }


def run_under_fault(
    url: str, env: dict[str, str], tmp: Path, fault: Callable[[Server], None], label: str
) -> None:
    survey_id, token = seed(url)
    with receiver(SECRET) as hook, running(env, tmp) as server:
        hook.then = 500  # down at first; recovers during the run
        admin = {"Authorization": f"Bearer {token}"}
        made = httpx.post(
            f"{server.url}/api/v1/webhooks",
            json={"url": hook.url, "events": EVENTS, "secret": SECRET},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        rule = httpx.post(f"{server.url}/api/v1/alert-rules", json=RULE, headers=admin)
        assert rule.status_code == 201, rule.text
        load = Load(f"{server.url}/api/v1/surveys/{survey_id}/responses", token, N, CLIENTS)
        faulted: dict[str, float] = {}

        def conduct() -> None:
            while len(load.accepted) < RECEIVER_DOWN_UNTIL * N:
                time.sleep(0.05)
            hook.then = 200
            while len(load.accepted) < FAULT_AT * N:
                time.sleep(0.05)
            began = time.monotonic()
            fault(server)
            faulted["seconds"] = time.monotonic() - began

        conductor = threading.Thread(target=conduct, daemon=True)
        conductor.start()
        cpu_before = server.serving_cpu()
        seconds = load.run()
        conductor.join(timeout=300)
        assert "seconds" in faulted, "the fault did not happen"
        began = time.monotonic()
        try:
            settle(url)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{server.tail()}") from None
        drained = time.monotonic() - began
        cpu_ms = (server.serving_cpu() - cpu_before) * 1000 / N
    figures = check(url, load, hook, made.json()["id"])
    print(
        f"\nfault-load {label}: {N} responses on {CLIENTS} clients in {seconds:.1f} s "
        f"({N / seconds:.0f}/s; server CPU {cpu_ms:.1f} ms a response, its webhook "
        f"deliveries included); fault took {faulted['seconds']:.1f} s, longest time with "
        f"nothing accepted {load.longest_gap():.1f} s; {load.retries} retries "
        f"({dict(load.failures)}), {load.replays} answered as replays; "
        f"{figures['messages']} messages delivered {drained:.1f} s after the last response, "
        f"{figures['refused_by_receiver']} POSTs refused by the receiver while down, "
        f"{figures['redelivered']} redelivered under the same webhook-id"
    )


def test_sqlite_server_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rapport.db'}"
    env = {**os.environ, **SERVER_ENV, "RAPPORT_DATA_DIR": str(tmp_path)}
    env.update(RAPPORT_SMTP_PORT=str(_free_port()))
    env.pop("RAPPORT_DATABASE_URL", None)

    def kill_and_restart(server: Server) -> None:
        server.kill()
        server.start()
        server.wait_healthy()

    run_under_fault(url, env, tmp_path, kill_and_restart, "SQLite, server SIGKILLed")


@pytest.mark.postgres
def test_postgres_restarted_immediately_mid_run(tmp_path: Path) -> None:
    with throwaway_cluster() as cluster:
        admin = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE rapport"))
        admin.dispose()
        url = cluster.url("rapport")
        env = {**os.environ, **SERVER_ENV, "RAPPORT_DATA_DIR": str(tmp_path)}
        env.update(RAPPORT_DATABASE_URL=url, RAPPORT_SMTP_PORT=str(_free_port()))

        def restart_database(_: Server, own: Cluster = cluster) -> None:
            own.restart_immediately()

        run_under_fault(url, env, tmp_path, restart_database, "PostgreSQL, restarted (immediate)")
