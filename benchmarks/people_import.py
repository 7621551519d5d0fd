"""People directory import on SQLite against a raw ``sqlite3`` executemany of the same rows.

Issue 14 goal: 100,000 people import in at most 3× the time of a raw batched INSERT of the
rows Rapport stores, measured in the same run. Both sides start from a fresh copy of the
same migrated file holding a 3-level tree of 60 units, use the production pragmas (WAL,
foreign keys, ``synchronous=FULL``) and write in one transaction; each is the best of
``--runs``. Before timing, the script checks that the baseline stores exactly Rapport's
rows. A re-import of the same file (every row an update) is timed too.

    uv run python benchmarks/people_import.py               # 100,000 people, best of 3
    uv run python benchmarks/people_import.py --rows 20000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import random
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _common import (
    Case,
    SqliteTemplates,
    best_of,
    migrated_sqlite,
    report_rows,
    verdict,
)

from rapport.domain.org import SYSTEM
from rapport.services import people, unit_import
from rapport.storage.uow import Database

GOAL_RATIO = 3.0
SEED = 14
COLUMNS = (
    "kind", "external_id", "unit_id", "name", "email", "phone", "language",
    "relationship_start", "consent_email", "consent_sms", "attributes",
)  # fmt: skip
HEADER = (
    "external_id", "kind", "unit", "name", "email", "phone", "language",
    "relationship_start", "consent_email", "consent_sms", "segment", "channel",
)  # fmt: skip
SEGMENTS = ("premium", "everyday", "student", "business")
FIRST = ("Ana", "Ben", "Chloé", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun")
LAST = ("Smith", "Okafor", "García", "Nguyen", "Müller", "Kowalski", "Rossi", "Tanaka")


def units_csv() -> bytes:
    """acme → 5 regions → 11 stores each, + 4 head-office departments: 61 units."""
    lines = ["code,parent,name,kind", "acme,,Acme,company"]
    for r in range(5):
        lines.append(f"r{r},acme,Region {r},region")
        lines += [f"r{r}-s{s},r{r},Store {r}-{s},store" for s in range(11)]
    lines += [f"hq-{d},acme,HQ {d},department" for d in range(4)]
    return ("\n".join(lines) + "\n").encode()


def people_csv(rows: int, stores: list[str]) -> bytes:
    """Customers (90%) and employees with names, e-mails in mixed case, phones, dates and
    two attribute columns."""
    rng = random.Random(SEED)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    start = date(2010, 1, 1)
    for i in range(rows):
        kind = "employee" if i % 10 == 0 else "customer"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        w.writerow((
            f" {kind[0].upper()}{i:07d} ", kind, rng.choice(stores), f"{first} {last}",
            f"{first}.{last}{i}@Example.com", f"+44 20 79{rng.randrange(10**6):06d}",
            rng.choice(("en", "en", "fr", "de")),
            (start + timedelta(days=rng.randrange(5000))).isoformat(),
            rng.choice(("yes", "no")), rng.choice(("yes", "no", "")),
            rng.choice(SEGMENTS), rng.choice(("email", "sms", "")),
        ))  # fmt: skip
    return out.getvalue().encode("utf-8")


def raw_insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" * len(COLUMNS))
    conn.executemany(f"INSERT INTO people ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")


def stored(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM people ORDER BY id").fetchall()
    conn.close()
    return rows


def rapport_import(db: Database, data: bytes) -> None:
    with db.unit_of_work() as uow:
        people.import_people(uow, SYSTEM, data)


class Bench(SqliteTemplates):
    def __init__(self, workdir: Path, rows: int) -> None:
        self.workdir = workdir
        self.template = migrated_sqlite(workdir / "template.db")
        db = Database(f"sqlite:///{self.template}")
        with db.unit_of_work() as uow:
            unit_import.import_units(uow, SYSTEM, units_csv())
            stores = sorted(u.code for u in uow.units.all() if "-s" in u.code)
        db.dispose()
        self.data = people_csv(rows, stores)
        check = self.fresh_db("check-rapport")
        rapport_import(check, self.data)
        check.dispose()
        self.rows = stored(workdir / "check-rapport.db")
        self.loaded = workdir / "check-rapport.db"  # the template of the re-import
        conn = self.fresh_conn("check-raw")
        raw_insert(conn, self.rows)
        conn.close()
        if stored(workdir / "check-raw.db") != self.rows:
            raise SystemExit("the baseline does not store the same people rows as Rapport")

    def cases(self) -> dict[str, Case[Any]]:
        return {
            "raw sqlite3 executemany INSERT": Case(
                lambda run: self.fresh_conn(f"raw-{run}"), lambda c: raw_insert(c, self.rows)
            ),
            "Rapport people import (all new)": Case(
                lambda run: self.fresh_db(f"new-{run}"), lambda db: rapport_import(db, self.data)
            ),
            "Rapport re-import (all updates)": Case(
                lambda run: self.fresh_db(f"again-{run}", self.loaded),
                lambda db: rapport_import(db, self.data),
            ),
        }

    def profile(self, top: int) -> None:
        db = self.fresh_db("profile")
        profiler = cProfile.Profile()
        profiler.runcall(rapport_import, db, self.data)
        stats = pstats.Stats(profiler).strip_dirs()
        print(f"\n--- cProfile of import_people: top {top} by own time ---")
        stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="people in the CSV")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per case")
    parser.add_argument("--profile", action="store_true", help="cProfile one Rapport import")
    parser.add_argument("--top", type=int, default=25, help="functions shown by --profile")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.rows)
        print(
            f"people_import: {len(bench.data) / 1e6:.1f} MB CSV → {len(bench.rows):,} people "
            f"in 61 units; best of {args.runs}; SQLite {sqlite3.sqlite_version}",
            flush=True,
        )
        timings = best_of(args.runs, bench.cases())
        raw = timings["raw sqlite3 executemany INSERT"]
        print(f"{'':36} {'wall':>9} {'rows/s':>16} {'ratio':>7}   {'cpu':>11} {'ratio':>7}")
        for label, timing in timings.items():
            report_rows(label, timing, len(bench.rows), raw)
        ratio = timings["Rapport people import (all new)"].wall / raw.wall
        print(f"goal: ratio ≤ {GOAL_RATIO:g}× → {verdict(ratio <= GOAL_RATIO)} ({ratio:.2f}×)")
        if args.profile:
            bench.profile(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
