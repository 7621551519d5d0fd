"""Sustained response submission over HTTP, on SQLite and PostgreSQL, against raw INSERTs.

Issue goal: one server answers ``POST /api/v1/surveys/{id}/responses`` at 200 req/s with
p99 < 100 ms on both databases on a 2-core machine, loses no accepted response and never
answers 5xx. The script starts ``rapport serve`` itself (loopback only) on a throwaway
SQLite file and on a PostgreSQL database it creates and drops, offers each rate for a
bounded time with an *open-loop* generator (requests leave on schedule whatever the
server's speed; latency is measured from the scheduled time, so a slow server cannot hide
its queue), then counts the stored rows and times a raw batched INSERT of the same rows.

    uv run python benchmarks/ingest_load.py                     # 50/100/200/400 req/s, 10 s each
    uv run python benchmarks/ingest_load.py --engines sqlite --rates 200 --workers 2
    uv run python benchmarks/ingest_load.py --smoke             # 1 s at 20 req/s, SQLite only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import verdict
from _http import ConnectionPool
from sqlalchemy import create_engine, make_url, text

from rapport.domain.org import SYSTEM, Role, UnitKind
from rapport.services import auth
from rapport.services.surveys import parse_definition, save_definition
from rapport.storage import migrate
from rapport.storage.uow import Database

GOAL_RATE = 200
GOAL_P99_MS = 100.0
PG_ADMIN_URL = os.environ.get(
    "RAPPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
STORES = 20
SURVEY: dict[str, Any] = {
    "key": "checkout",
    "title": {"en": "Checkout"},
    "audience": "customer",
    "pages": [
        {
            "id": "p1",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Recommend us?"},
                {"id": "csat", "type": "csat", "text": "How satisfied are you?"},
                {"id": "ces", "type": "ces", "text": "It was easy."},
                {"id": "comment", "type": "text", "text": "Anything else?"},
            ],
        }
    ],
}
COMMENTS = ("Friendly staff, quick checkout", "Queue was too long again", "")
TABLES = ("responses", "answers", "comment_analyses")


@dataclass
class RateResult:
    rate: int
    seconds: float
    sent: int = 0
    accepted: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def errors(self) -> int:
        return self.sent - self.accepted

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("5"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(engine: str, tmp: Path) -> Iterator[str]:
    """A migrated, empty database URL: a SQLite file, or a PostgreSQL database dropped after."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str) -> tuple[int, str]:
    """Stores, the survey and an API token; returns (survey id, token)."""
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.unit_of_work() as uow:
        company = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        for i in range(STORES):
            uow.units.add(f"store-{i:02d}", f"Store {i}", UnitKind.STORE, company)
        version = save_definition(uow, SYSTEM, parse_definition(SURVEY), publish=True)
        token = auth.create_token(uow, "bench", Role.ADMIN)
    db.dispose()
    return version.survey_id, token


@contextmanager
def server(url: str, tmp: Path, workers: int) -> Iterator[int]:
    """``rapport serve`` in a child process on a free loopback port; stopped afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "RAPPORT_DATA_DIR": str(tmp),
        "RAPPORT_DATABASE_URL": url,
        "RAPPORT_SECRET_KEY": "bench-secret",
    }
    cmd = [sys.executable, "-m", "rapport", "serve", "--host", "127.0.0.1", "--port", str(port)]
    # A session of its own: the server and any worker processes are stopped together.
    proc = subprocess.Popen([*cmd, "--workers", str(workers)], env=env, start_new_session=True)
    try:
        # Each process imports the whole app (pandas, scikit-learn, ...): on a busy 2-core
        # machine that alone can take 30 s, and the workers start after the parent.
        deadline = time.monotonic() + 240
        while asyncio.run(_health(port)) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is not None:
            print(f"the server had exited with code {proc.returncode} before the end")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        time.sleep(1)  # workers leave after the parent; their last commits must be in


async def _health(port: int) -> int:
    pool = ConnectionPool("127.0.0.1", port, limit=1)
    try:
        return await pool.request("GET", "/healthz", {}, b"")
    except OSError:
        return 0
    finally:
        await pool.close()


def body(i: int) -> bytes:
    answers: dict[str, Any] = {"nps": i % 11, "csat": 1 + i % 5, "ces": 1 + i % 7}
    comment = COMMENTS[i % len(COMMENTS)]
    if comment:
        answers["comment"] = comment
    return json.dumps({"answers": answers, "unit": f"store-{i % STORES:02d}"}).encode()


async def offer(
    port: int, survey_id: int, token: str, rate: int, seconds: float, first: int
) -> RateResult:
    """Send ``rate × seconds`` submissions on a fixed schedule; wait for every answer."""
    result = RateResult(rate, seconds)
    pool = ConnectionPool("127.0.0.1", port, limit=512)
    path = f"/api/v1/surveys/{survey_id}/responses"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    count = max(1, int(rate * seconds))

    async def one(i: int, due: float) -> None:
        key = {"Idempotency-Key": f"bench-{first + i}"}
        try:
            status = await asyncio.wait_for(
                pool.request("POST", path, {**headers, **key}, body(first + i)), 30
            )
            label = str(status)
        except Exception as exc:
            label = type(exc).__name__
        result.latencies.append(loop.time() - due)
        result.statuses[label] = result.statuses.get(label, 0) + 1
        if label in ("200", "201"):
            result.accepted += 1

    tasks = []
    for i in range(count):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
        result.sent += 1
    await asyncio.gather(*tasks)
    await pool.close()
    return result


def stored_responses(url: str, survey_id: int) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM responses WHERE survey_id = :s"), {"s": survey_id}
        ).scalar_one()
    engine.dispose()
    return int(n)


def raw_insert_seconds(url: str, survey_id: int) -> tuple[int, float]:
    """Time one transaction of driver ``executemany`` re-inserting the stored rows.

    The rows the server wrote (responses, answers, comment analyses) are read back and
    inserted again as copies with new ids, in one transaction, committed; then removed.
    """
    engine = create_engine(url)
    db_copy: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM responses")).scalar_one() or 0
        for table in TABLES:
            where = (
                "survey_id = :s"
                if table == "responses"
                else ("response_id IN (SELECT id FROM responses WHERE survey_id = :s)")
            )
            result = conn.execute(text(f"SELECT * FROM {table} WHERE {where}"), {"s": survey_id})
            db_copy[table] = (list(result.keys()), [tuple(r) for r in result])
    shift = int(top) + 1_000_000
    is_pg = engine.dialect.name == "postgresql"
    prepared: list[tuple[str, list[tuple[Any, ...]]]] = []
    for table in TABLES:
        columns, rows = db_copy[table]
        keep = [c for c in columns if not (table != "responses" and c == "id")]
        out = []
        for row in rows:
            values = dict(zip(columns, row, strict=True))
            if table == "responses":
                values["id"] += shift
                values["idempotency_key"] = None
            else:
                values["response_id"] += shift
            out.append(tuple(_driver_value(values[c], is_pg) for c in keep))
        mark = "%s" if is_pg else "?"
        sql = f"INSERT INTO {table} ({', '.join(keep)}) VALUES ({', '.join([mark] * len(keep))})"
        prepared.append((sql, out))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not is_pg:
            cur.execute("BEGIN IMMEDIATE")
        began = time.perf_counter()
        for sql, rows in prepared:
            cur.executemany(sql, rows)
        raw.commit()
        seconds = time.perf_counter() - began
        cur.execute(f"DELETE FROM responses WHERE id > {shift}")  # cascades to the others
        for table in TABLES[1:]:
            cur.execute(f"DELETE FROM {table} WHERE response_id > {shift}")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return len(db_copy["responses"][1]), seconds


def _driver_value(value: Any, is_pg: bool) -> Any:
    if is_pg and isinstance(value, dict | list):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


def run_engine(engine: str, rates: list[int], seconds: float, workers: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="rapport-ingest-") as tmp_name:
        tmp = Path(tmp_name)
        with database(engine, tmp) as url:
            survey_id, token = seed(url)
            results = []
            load_before = os.getloadavg()[0]
            with server(url, tmp, workers) as port:
                # Warm up every worker (the emotion model loads on first use); not reported.
                warm = asyncio.run(offer(port, survey_id, token, 10 * workers, 2, 0))
                first = warm.sent
                for rate in rates:
                    results.append(asyncio.run(offer(port, survey_id, token, rate, seconds, first)))
                    first += results[-1].sent
                    time.sleep(1)  # let the server drain before the next rate
            load_after = os.getloadavg()[0]
            ok = report(engine, workers, (load_before, load_after), results)
            found = stored_responses(url, survey_id)
            raw_rows, raw_seconds = raw_insert_seconds(url, survey_id)
    accepted = warm.accepted + sum(r.accepted for r in results)
    lost = accepted - found
    print(f"accepted {accepted}, stored afterwards {found}, lost {max(lost, 0)}")
    raw_rate = raw_rows / raw_seconds if raw_seconds else float("inf")
    best = max((r.rate for r in results if r.errors == 0 and r.pct(0.99) < GOAL_P99_MS), default=0)
    ratio = raw_rate / best if best else float("inf")
    print(
        f"raw batched INSERT of the same {raw_rows} responses: {raw_seconds:.3f} s "
        f"({raw_rate:,.0f} responses/s); highest rate with p99 < {GOAL_P99_MS:.0f} ms and "
        f"no errors: {best}/s → raw is {ratio:,.1f}× faster"
    )
    return ok and lost <= 0


def report(engine: str, workers: int, load: tuple[float, float], results: list[RateResult]) -> bool:
    """Print the table; whether every rate up to the goal met it."""
    print(f"\n{engine}: {workers} worker(s), load average {load[0]:.2f} → {load[1]:.2f}")
    print(
        f"{'rate/s':>7} {'sent':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'5xx':>5}  statuses"
    )
    ok = True
    for r in results:
        statuses = ", ".join(f"{k}×{v}" for k, v in sorted(r.statuses.items()))
        print(
            f"{r.rate:>7} {r.sent:>6} {r.pct(0.50):>8.1f} {r.pct(0.95):>8.1f} "
            f"{r.pct(0.99):>8.1f} {r.errors / r.sent:>7.1%} {r.server_errors:>5}  {statuses}"
        )
        if r.rate <= GOAL_RATE:
            ok = ok and r.pct(0.99) < GOAL_P99_MS and r.errors == 0
        ok = ok and r.server_errors == 0
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rates", default="50,100,200,400", help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per rate (at most 60)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--smoke", action="store_true", help="1 s at 20 req/s on SQLite")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    engines = args.engines.split(",")
    rates = [int(r) for r in args.rates.split(",")]
    seconds = min(args.seconds, 60.0)
    if args.smoke:
        engines, rates, seconds = ["sqlite"], [20], 1.0
    verdicts = [run_engine(e, rates, seconds, args.workers) for e in engines]  # every engine
    ok = all(verdicts)
    goal = f"p99 < {GOAL_P99_MS:.0f} ms up to {GOAL_RATE}/s, no 5xx, none lost"
    print(f"\n{verdict(ok)}: {goal} ({', '.join(engines)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
