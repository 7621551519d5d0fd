"""Metric aggregates: refreshing them after new responses, reading them, and what they cost.

Issue 13 item 1. Three figures, each a ratio to a baseline measured in the same run:

1. **Refresh.** On ``--size`` answer rows (a third each NPS, CSAT, CES, as
   ``metrics_sqlite.py`` generates them) in SQLite, adding 1,000 new responses to
   ``metric_aggregates`` (:func:`rapport.storage.aggregates.add_responses`, what every
   storing path runs) against rebuilding them from every response
   (:func:`~rapport.storage.aggregates.rebuild`). Goal ≥ 20×.
2. **Reading.** The hearts index (or ``index:mind.effort`` on synthetic data) and the NPS by
   unit × month through :func:`compute_metric`, from the answers against from the
   aggregates, on ``--database`` (e.g. ``/work/bench/org400.db``, copied and migrated
   first) or the synthetic file. Results are checked equal first.
3. **Ingest.** CPU per response stored through ``services.responses.submit`` (one unit of
   work each, as the form and the API do), with and without the aggregate upsert.

    uv run python benchmarks/aggregates_refresh.py                    # 3,000,000 answers
    uv run python benchmarks/aggregates_refresh.py --size 300000 --database /work/bench/org400.db
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import Case, best_of, verdict
from metrics_sqlite import load_sqlite, sqlite_timestamps, synthetic
from sqlalchemy import Connection, text

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.metrics import Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.results import compute_metric
from rapport.domain.org import SYSTEM, UnitKind
from rapport.services import responses, surveys
from rapport.storage import aggregates, migrate
from rapport.storage.uow import Database

NEW_RESPONSES = 1_000


def refresh(path: Path, runs: int) -> float:
    """Time adding 1,000 new responses to the aggregates against a full rebuild."""
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        aggregates.rebuild(conn)
        last = int(conn.execute(text("SELECT max(id) FROM responses")).scalar_one())
    extra = synthetic(NEW_RESPONSES * 3, seed=99)
    stamps = sqlite_timestamps(extra.submitted)
    new_ids = list(range(last + 1, last + 1 + extra.responses))

    @contextmanager
    def rolled_back() -> Iterator[Connection]:
        with db.engine.connect() as conn:  # the engine begins IMMEDIATE
            try:
                yield conn
            finally:
                conn.rollback()

    def with_new_responses(conn: Connection) -> Connection:
        conn.exec_driver_sql(
            "INSERT INTO responses (id, survey_id, survey_version_id, unit_id, audience, "
            "channel, language, submitted_at, attributes) "
            "VALUES (?, 1, 1, ?, 'customer', 'link', 'en', ?, '{}')",
            list(zip(new_ids, extra.response_unit.tolist(), stamps, strict=True)),
        )
        for question, values in extra.answers.items():
            conn.exec_driver_sql(
                "INSERT INTO answers (response_id, question_id, item, value_num) "
                "VALUES (?, ?, '', ?)",
                [(rid, question, v) for rid, v in zip(new_ids, values.tolist(), strict=True)],
            )
        return conn

    timings: dict[str, list[float]] = {"increment": [], "rebuild": []}
    for _ in range(runs):
        with rolled_back() as conn:
            with_new_responses(conn)
            started = time.perf_counter()
            aggregates.add_responses(conn, new_ids)
            timings["increment"].append(time.perf_counter() - started)
        with rolled_back() as conn:
            started = time.perf_counter()
            aggregates.rebuild(conn)
            timings["rebuild"].append(time.perf_counter() - started)
    db.dispose()
    increment, rebuild = min(timings["increment"]), min(timings["rebuild"])
    ratio = rebuild / increment
    print(
        f"  refresh: {NEW_RESPONSES:,} new responses {increment:7.3f} s   full rebuild "
        f"{rebuild:7.3f} s   ratio {ratio:7.1f}× (goal ≥20×)  {verdict(ratio >= 20)}"
    )
    return ratio


def reading(path: Path, runs: int, survey: int, index: str) -> list[float]:
    """The index and the NPS by unit × month, raw answers against aggregates."""
    db = Database(f"sqlite:///{path}")
    fast, slow = OperationalEngine(db.engine), OperationalEngine(db.engine, aggregates=False)
    ratios = []
    for metric in (index, "nps"):
        query = MetricQuery(
            get_metric(metric), Grouping.of(["unit"], period="month"), Filters((survey,))
        )
        a, b = compute_metric(fast, query), compute_metric(slow, query)
        assert a.source == "aggregates", metric
        assert b.source == "raw", metric
        assert [(r.key, r.n) for r in a.rows] == [(r.key, r.n) for r in b.rows], metric
        timed = best_of(
            runs,
            {
                "raw": Case(lambda run, q=query: q, lambda q: compute_metric(slow, q).rows),
                "aggregates": Case(lambda run, q=query: q, lambda q: compute_metric(fast, q).rows),
            },
        )
        ratio = timed["raw"].wall / timed["aggregates"].wall
        ratios.append(ratio)
        print(
            f"  {metric:16s} unit × month ({len(a.rows):,} rows): raw {timed['raw'].wall:7.3f} s"
            f"   aggregates {timed['aggregates'].wall:6.3f} s   {ratio:6.1f}× faster"
            f"  {verdict(timed['aggregates'].wall < 0.3)} (<0.3 s)"
        )
    fast.dispose()
    slow.dispose()
    db.dispose()
    return ratios


def ingest(folder: Path, count: int) -> tuple[float, float]:
    """CPU ms per stored response with and without the aggregate upsert (in-process)."""
    db = Database(f"sqlite:///{folder / 'ingest.db'}")
    migrate.upgrade(db.engine)
    definition = surveys.parse_definition(
        {"key": "pulse", "title": "Pulse", "audience": "customer",
         "pages": [{"id": "p", "questions": [
             {"id": "nps", "type": "nps", "text": "?", "tags": ["loyalty.recommend"]},
             {"id": "delight", "type": "likert", "text": "?", "tags": ["heart.delight"],
              "scale": {"points": 5}},
             {"id": "minds", "type": "matrix", "text": "?", "scale": {"points": 5},
              "rows": [{"id": "ease", "text": "E", "tags": ["mind.ease"]},
                       {"id": "fast", "text": "F", "tags": ["mind.fast"]}]}]}]}
    )  # fmt: skip
    with db.unit_of_work() as uow:
        unit = uow.units.add("shop", "Shop", UnitKind.STORE)
        surveys.save_definition(uow, SYSTEM, definition)
    answers: dict[str, Any] = {"nps": 9, "delight": 4, "minds": {"ease": 4, "fast": 3}}

    def loop() -> float:
        started = time.process_time()
        for i in range(count):
            with db.unit_of_work() as uow:
                published = surveys.get_published(uow, "pulse")
                sub = responses.Submission(
                    answers={**answers, "nps": i % 11}, unit_id=unit.id,
                    submitted_at=datetime(2026, 1 + i % 12, 1 + i % 28, tzinfo=UTC),
                )  # fmt: skip
                responses.submit(uow, published, sub)
        return (time.process_time() - started) / count * 1000

    original = aggregates.add_responses
    results = {"with": [], "without": []}  # type: dict[str, list[float]]
    for _ in range(3):  # interleaved, best of three
        results["with"].append(loop())
        aggregates.add_responses = lambda conn, ids: None  # type: ignore[assignment]
        try:
            results["without"].append(loop())
        finally:
            aggregates.add_responses = original  # type: ignore[assignment]
    db.dispose()
    with_, without = min(results["with"]), min(results["without"])
    print(
        f"  ingest: {without:5.2f} ms CPU per response without aggregates, {with_:5.2f} ms "
        f"with (+{with_ - without:4.2f} ms, {with_ / without:4.2f}×)"
    )
    return with_, without


def migrated_copy(source: Path, folder: Path) -> Path:
    """``source`` copied into ``folder`` and migrated (0007 builds its aggregates)."""
    target = folder / source.name
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    db = Database(f"sqlite:///{target}")
    started = time.perf_counter()
    migrate.upgrade(db.engine)
    print(f"  {source.name}: migrated (aggregates built) in {time.perf_counter() - started:.1f} s")
    db.dispose()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=3_000_000, help="answer rows")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", type=Path, help="a Rapport SQLite file to read (copied)")
    parser.add_argument("--ingest", type=int, default=300, help="responses per ingest loop")
    args = parser.parse_args()
    data = synthetic(args.size)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "bench.db"
        load_sqlite(path, data)
        print(f"Aggregates: {data.responses * 3:,} answer rows ({data.responses:,} responses)")
        ratio = refresh(path, args.runs)
        if args.database:
            target = migrated_copy(args.database, folder)
            with sqlite3.connect(target) as conn:
                survey = conn.execute("SELECT id FROM surveys ORDER BY id").fetchone()[0]
            reads = reading(target, args.runs, survey, "hearts")
        else:
            with Database(f"sqlite:///{path}").engine.begin() as conn:
                aggregates.rebuild(conn)
            reads = reading(path, args.runs, 1, "index:mind.effort")
        ingest(folder, args.ingest)
    ok = ratio >= 20 and min(reads) > 1
    print(f"{verdict(ok)}: aggregates refresh ≥20× faster than a rebuild, reads faster than raw")


if __name__ == "__main__":
    main()
