"""CSV import of responses on SQLite against a raw ``sqlite3`` executemany of the same rows.

Issue goal: a 100,000-row CSV imports in under 3× the time of a raw ``executemany`` of
the same response and answer rows, measured in the same run. Both sides start from a
fresh copy of the same migrated, seeded database file, use the production connection
pragmas (WAL, foreign keys, ``synchronous=FULL``) and write in one transaction; each is
the best of ``--runs``. Before timing, the script checks that both sides store exactly
the same rows, so the ratio compares like with like.

    uv run python benchmarks/import_csv.py               # 100,000 rows, best of 3
    uv run python benchmarks/import_csv.py --rows 20000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    Case,
    best_of,
    connect_raw,
    fresh_copy,
    migrated_sqlite,
    report_rows,
    verdict,
)

from rapport.domain.org import SYSTEM, UnitKind
from rapport.services import response_import
from rapport.services.surveys import parse_definition, save_definition
from rapport.storage.uow import Database

GOAL_RATIO = 3.0
SEED = 42
REGIONS = ("north", "south", "east", "west")
STORES_PER_REGION = 10
COMMENT_SHARE = 0.3
BLANK = -1
PRAISE = (
    "Friendly staff",
    "Quick, easy and helpful",
    "Great advice from the team",
    "Lovely clean store",
    "The new self-checkout is brilliant",
    "Très bien, merci",
)
COMPLAINTS = (
    "Queue was too long",
    'The "express" till was closed',
    "Could not find my size",
    "Parking was a nightmare",
    "Shelves were half empty",
    "Nobody at the fitting rooms",
)
DETAILS = ("", " again", " today", ", waited {n} minutes", " on visit number {n}", " (aisle {n})")
SURVEY: dict[str, Any] = {
    "key": "store-visit",
    "title": {"en": "Store visit"},
    "audience": "customer",
    "pages": [
        {
            "id": "visit",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Recommend us?"},
                {"id": "csat", "type": "csat", "text": "How satisfied are you?"},
                {"id": "ces", "type": "ces", "text": "It was easy to get what I needed."},
                {
                    "id": "delight",
                    "type": "likert",
                    "scale": {"points": 5, "low": "Disagree", "high": "Agree"},
                    "text": "The visit delighted me.",
                },
                {
                    "id": "minds",
                    "type": "matrix",
                    "scale": {"points": 5, "low": "Disagree", "high": "Agree"},
                    "text": "The store was…",
                    "rows": [{"id": "ease", "text": "Easy"}, {"id": "fast", "text": "Fast"}],
                },
                {"id": "comment", "type": "text", "text": "Anything else?"},
            ],
        }
    ],
}
HEADER = ("unit", "submitted_at", "nps", "csat", "ces", "delight", "minds.ease", "minds.fast")
SCORES = (  # CSV column → (question id, item) of the answer row it becomes
    ("nps", ""),
    ("csat", ""),
    ("ces", ""),
    ("delight", ""),
    ("minds", "ease"),
    ("minds", "fast"),
)
RESPONSE_COLUMNS = (
    "id", "survey_id", "survey_version_id", "unit_id", "person_id", "audience", "channel",
    "language", "started_at", "submitted_at", "tenure_days", "attributes", "idempotency_key",
    "body_hash",
)  # fmt: skip
ANSWER_COLUMNS = ("response_id", "question_id", "item", "value_num", "value_text")
#: Tables Rapport fills from model output (emotions read in comments): the baseline inserts
#: the rows Rapport stored there instead of rebuilding them by hand.
DERIVED = ("comment_analyses",)

Rows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]  # table → (columns, rows)


@dataclass(frozen=True)
class Seeded:
    template: Path
    survey_id: int
    version_id: int
    unit_ids: dict[str, int]


@dataclass(frozen=True)
class Sample:
    """Generated responses: one row per response, column arrays of equal length."""

    units: list[str]
    submitted: list[datetime]
    scores: np.ndarray  # (rows, 6) ints, BLANK where unanswered (only CES may be)
    comments: list[str]

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow((*HEADER, "comment"))
        for i, unit in enumerate(self.units):
            stamp = self.submitted[i].strftime("%Y-%m-%dT%H:%M:%SZ")
            cells = ["" if v == BLANK else str(v) for v in self.scores[i].tolist()]
            writer.writerow((unit, stamp, *cells, self.comments[i]))
        return out.getvalue().encode("utf-8")


def generate(rows: int, stores: list[str]) -> Sample:
    """Realistic responses: skewed NPS, correlated scales, ~30% with a short comment."""
    rng = np.random.default_rng(SEED)
    nps_weights = np.array([2, 1, 1, 2, 2, 5, 6, 12, 20, 24, 25], dtype=float)
    nps = rng.choice(11, size=rows, p=nps_weights / nps_weights.sum())
    mood = nps / 10  # 0..1: later scales follow the NPS loosely

    def scale(points: int) -> np.ndarray:
        noisy = mood * (points - 1) + rng.normal(0, 0.9, rows)
        return np.clip(np.rint(noisy), 0, points - 1).astype(int) + 1

    ces = scale(7)
    ces[rng.random(rows) < 0.15] = BLANK  # an optional question left blank
    scores = np.column_stack([nps, scale(5), ces, scale(5), scale(5), scale(5)])
    start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    seconds = rng.integers(0, 365 * 86400, rows) + int(start)
    return Sample(
        units=[stores[i] for i in rng.integers(0, len(stores), rows)],
        submitted=[datetime.fromtimestamp(s, UTC) for s in seconds.tolist()],
        scores=scores,
        comments=generate_comments(rng, nps),
    )


def generate_comments(rng: np.random.Generator, nps: np.ndarray) -> list[str]:
    """~30% of rows get a comment: praise from promoters, complaints from detractors, with
    details and numbers, so that most comments are distinct, as in real exports."""
    out = [""] * len(nps)
    for i in np.flatnonzero(rng.random(len(nps)) < COMMENT_SHARE).tolist():
        clauses = []
        for _ in range(int(rng.integers(1, 3))):
            pool = PRAISE if rng.random() < nps[i] / 10 else COMPLAINTS
            detail = DETAILS[int(rng.integers(len(DETAILS)))].format(n=int(rng.integers(2, 60)))
            clauses.append(pool[int(rng.integers(len(pool)))] + detail)
        out[i] = ". ".join(clauses)
    return out


def seed(workdir: Path) -> Seeded:
    """A migrated SQLite file with 1 company, 4 regions, 40 stores and the survey published."""
    path = migrated_sqlite(workdir / "template.db")
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
        unit_ids = {}
        for region in REGIONS:
            parent = uow.units.add(region, region.title(), UnitKind.REGION, root)
            for n in range(1, STORES_PER_REGION + 1):
                store = uow.units.add(f"{region}-{n:02d}", f"{region} {n}", UnitKind.STORE, parent)
                unit_ids[store.code] = store.id
        version = save_definition(uow, SYSTEM, parse_definition(SURVEY))
    db.dispose()
    return Seeded(path, version.survey_id, version.id, unit_ids)


def raw_rows(sample: Sample, seeded: Seeded) -> Rows:
    """Response and answer rows exactly as Rapport stores them, with ids assigned up front."""
    responses, answers = [], []
    for i, (unit, submitted) in enumerate(zip(sample.units, sample.submitted, strict=True)):
        rid = i + 1
        stamp = submitted.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME
        responses.append(
            (rid, seeded.survey_id, seeded.version_id, seeded.unit_ids[unit], None,
             "customer", "import", "en", None, stamp, None, "{}", None, None)
        )  # fmt: skip
        for (question, item), value in zip(SCORES, sample.scores[i].tolist(), strict=True):
            if value != BLANK:
                answers.append((rid, question, item, float(value), None))
        if sample.comments[i]:
            answers.append((rid, "comment", "", None, sample.comments[i]))
    return {"responses": (RESPONSE_COLUMNS, responses), "answers": (ANSWER_COLUMNS, answers)}


def raw_insert(conn: sqlite3.Connection, tables: Rows) -> None:
    """One transaction, one ``executemany`` per table."""
    conn.execute("BEGIN IMMEDIATE")
    for table, (columns, rows) in tables.items():
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")


def rapport_import(db: Database, survey_id: int, data: bytes) -> None:
    with db.unit_of_work() as uow:
        response_import.import_responses(uow, SYSTEM, survey_id, data)


def stored(path: Path, tables: Iterable[str]) -> Rows:
    """Every row of ``tables`` in id order, without the ``id`` of tables that do not set it."""
    conn = sqlite3.connect(path)
    out: Rows = {}
    for table in tables:
        columns = RESPONSE_COLUMNS if table == "responses" else tuple(
            name for _, name, *_ in conn.execute(f"PRAGMA table_info({table})") if name != "id"
        )  # fmt: skip
        if columns:  # an empty list: the table does not exist in this schema version
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            out[table] = (columns, rows.fetchall())
    conn.close()
    return out


class Bench:
    """One benchmark run's fixtures: the seeded template, the CSV and the raw rows."""

    def __init__(self, workdir: Path, rows: int) -> None:
        self.workdir = workdir
        self.seeded = seed(workdir)
        self.sample = generate(rows, sorted(self.seeded.unit_ids))
        self.data = self.sample.csv_bytes()
        self.rows = raw_rows(self.sample, self.seeded)

    def fresh_db(self, name: str) -> Database:
        path = fresh_copy(self.seeded.template, self.workdir / f"{name}.db")
        db = Database(f"sqlite:///{path}")
        db.ping()  # open the pooled connection outside the timing, as the raw side does
        return db

    def fresh_conn(self, name: str) -> sqlite3.Connection:
        return connect_raw(fresh_copy(self.seeded.template, self.workdir / f"{name}.db"))

    def check_same_rows(self) -> None:
        """Both sides must store identical rows, or the ratio means nothing.

        Also takes the rows of :data:`DERIVED` tables for the baseline from Rapport's run.
        """
        db = self.fresh_db("check-rapport")
        rapport_import(db, self.seeded.survey_id, self.data)
        db.dispose()
        ours = stored(self.workdir / "check-rapport.db", [*self.rows, *DERIVED])
        self.rows.update({table: ours[table] for table in DERIVED if table in ours})
        conn = self.fresh_conn("check-raw")
        raw_insert(conn, self.rows)
        conn.close()
        for table, (_, rows) in stored(self.workdir / "check-raw.db", ours).items():
            if rows != ours[table][1]:
                raise SystemExit(f"the baseline does not store the same {table} rows as Rapport")

    def rapport_case(self) -> Case[Database]:
        return Case(
            lambda run: self.fresh_db(f"rapport-{run}"),
            lambda db: rapport_import(db, self.seeded.survey_id, self.data),
        )

    def raw_case(self) -> Case[sqlite3.Connection]:
        return Case(
            lambda run: self.fresh_conn(f"raw-{run}"),
            lambda conn: raw_insert(conn, self.rows),
        )

    def profile(self, top: int) -> None:
        db = self.fresh_db("profile")
        profiler = cProfile.Profile()
        profiler.runcall(rapport_import, db, self.seeded.survey_id, self.data)
        stats = pstats.Stats(profiler).strip_dirs()
        print(f"\n--- cProfile of import_responses: top {top} by cumulative time ---")
        stats.sort_stats("cumulative").print_stats(top)
        print(f"--- top {top} by own time ---")
        stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="responses in the CSV")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per side")
    parser.add_argument("--profile", action="store_true", help="cProfile one Rapport import")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.rows)
        bench.check_same_rows()
        counts = ", ".join(f"{len(rows):,} {table}" for table, (_, rows) in bench.rows.items())
        print(
            f"import_csv: {len(bench.data) / 1e6:.1f} MB CSV → {counts} rows; "
            f"best of {args.runs}; SQLite {sqlite3.sqlite_version}",
            flush=True,
        )
        cases: dict[str, Case[Any]] = {
            "raw sqlite3 executemany": bench.raw_case(),
            "Rapport import_responses": bench.rapport_case(),
        }
        timings = best_of(args.runs, cases)
        raw, ours = timings["raw sqlite3 executemany"], timings["Rapport import_responses"]
        print(f"{'':46} {'wall':>9} {'rows/s':>16} {'ratio':>7}   {'cpu':>11} {'ratio':>7}")
        for label, timing in timings.items():
            report_rows(label, timing, args.rows, raw, width=46)
        ratio = ours.wall / raw.wall
        print(f"goal: ratio ≤ {GOAL_RATIO:g}× → {verdict(ratio <= GOAL_RATIO)} ({ratio:.2f}×)")
        if args.profile:
            bench.profile(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
