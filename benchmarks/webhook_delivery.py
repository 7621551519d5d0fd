"""Webhook delivery throughput: the outbox deliverer against the same signed POSTs sent
without it.

``--messages`` outbox rows (case payloads of about 600 bytes) to one local receiver (a
threaded ``http.server`` answering 200) are sent by ``deliver_due`` end to end: claim a batch
by conditional UPDATE, sign, POST on ``workers`` threads, record each result and attempt,
commit. The baseline signs and POSTs the identical bodies through the same sender and the
same number of threads, with no database. Both start from the same state each run (a fresh
copy of the filled SQLite file); each is the best of ``--runs``. The ratio is what the
durable outbox costs per message.

    uv run python benchmarks/webhook_delivery.py                     # 2,000 messages
    uv run python benchmarks/webhook_delivery.py --messages 100 --runs 1
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _common import Case, SqliteTemplates, best_of, migrated_sqlite, report_rows, verdict

from rapport.domain.webhooks import headers, new_secret
from rapport.services.webhooks.deliverer import DeliveryPolicy, deliver_due, post
from rapport.storage.uow import Database

GOAL_RATIO = 2.0
POLICY = DeliveryPolicy()


class Sink:
    """A local receiver counting what it accepted."""

    def __init__(self) -> None:
        self.count = 0
        lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    sink.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def case_body(n: int) -> str:
    now = datetime.now(UTC).isoformat()
    data = {
        "id": n, "title": "Detractor or anger", "unit": f"s{n % 400:04d}",
        "audience": "customer", "rule_id": 1, "response_id": 10_000 + n,
        "owner": "store.manager@example.com", "status": "open", "priority": "high",
        "opened_at": now, "due_at": now, "first_contact_at": None, "resolved_at": None,
        "resolution_code": None, "escalation_level": 0,
    }  # fmt: skip
    return json.dumps({"type": "case.created", "timestamp": now, "data": data})


class Bench(SqliteTemplates):
    def __init__(self, workdir: Path, messages: int, sink: Sink) -> None:
        self.workdir, self.sink = workdir, sink
        self.template = migrated_sqlite(workdir / "template.db")
        self.secret = new_secret()
        self.bodies = [case_body(n) for n in range(messages)]
        db = Database(f"sqlite:///{self.template}")
        now = datetime.now(UTC)
        with db.unit_of_work() as uow:
            hook = uow.webhooks.add_endpoint(
                url=sink.url, events=["case.created"], secret=self.secret, description="",
                created_by="bench", created_at=now,
            )  # fmt: skip
            uow.webhooks.add_deliveries(
                [
                    {
                        "endpoint_id": hook.id,
                        "msg_id": f"msg_{n:026d}",
                        "event_type": "case.created",
                        "body": body,
                        "status": "pending",
                        "attempts": 0,
                        "next_at": now,
                        "created_at": now,
                    }
                    for n, body in enumerate(self.bodies)
                ]
            )
        db.dispose()

    def raw(self, _: object) -> None:
        def send(n: int) -> int | None:
            body = self.bodies[n].encode()
            sent = headers(self.secret, f"msg_{n:026d}", int(time.time()), body)
            return post(self.sink.url, body, sent, POLICY.timeout_seconds).status

        with ThreadPoolExecutor(max_workers=POLICY.workers) as pool:
            statuses = list(pool.map(send, range(len(self.bodies))))
        if statuses != [200] * len(self.bodies):
            raise SystemExit("the baseline's POSTs did not all succeed")

    def outbox(self, db: Database) -> None:
        report = deliver_due(db, POLICY)
        if report.delivered != len(self.bodies):
            raise SystemExit(f"delivered {report.delivered} of {len(self.bodies)}")
        db.dispose()

    def cases(self) -> dict[str, Case[Any]]:
        return {
            "signed POSTs, no outbox": Case(lambda run: None, self.raw),
            "outbox deliver_due (SQLite)": Case(
                lambda run: self.fresh_db(f"run-{run}"), self.outbox
            ),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages in the outbox")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per case")
    args = parser.parse_args(argv)
    sink = Sink()
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.messages, sink)
        print(
            f"webhook_delivery: {args.messages:,} messages to a local receiver, "
            f"{POLICY.workers} sending threads, batches of {POLICY.batch}; best of {args.runs}",
            flush=True,
        )
        timings = best_of(args.runs, bench.cases())
    raw = timings["signed POSTs, no outbox"]
    print(f"{'':36} {'wall':>9} {'msgs/s':>16} {'ratio':>7}   {'cpu':>11} {'ratio':>7}")
    for label, timing in timings.items():
        report_rows(label, timing, args.messages, raw)
    outbox = timings["outbox deliver_due (SQLite)"]
    ratio = outbox.wall / raw.wall
    expected = 2 * args.runs * args.messages
    if sink.count != expected:
        raise SystemExit(f"the receiver accepted {sink.count} messages, expected {expected}")
    print(
        f"goal: ratio ≤ {GOAL_RATIO:g}× → {verdict(ratio <= GOAL_RATIO)} "
        f"({ratio:.2f}× wall, {args.messages / outbox.wall:,.0f} messages/s through the outbox)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
