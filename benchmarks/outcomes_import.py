"""Outcomes import on SQLite against a raw ``sqlite3`` executemany of the same rows.

Issue 16 item 1: 400 stores × 36 months × 6 outcomes (86,400 figures in 14,400 CSV rows)
through ``outcome_import.import_outcomes`` end to end (bytes → decoded → checked → upserted
→ committed) against one transaction of plain ``INSERT``s of the identical ``outcomes``
rows. Both sides start from a fresh copy of the same migrated file holding the unit tree,
use the production pragmas (WAL, foreign keys, ``synchronous=FULL``), and each is the best
of ``--runs``. Before timing, the script checks that the baseline stores exactly Rapport's
rows. A re-import of the same file (every figure replaced) is timed too.

    uv run python benchmarks/outcomes_import.py                  # 400 × 36 × 6, best of 3
    uv run python benchmarks/outcomes_import.py --units 40 --months 12 --runs 1
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sqlite3
import tempfile
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
from rapport.services import outcome_import, unit_import
from rapport.storage.uow import Database

GOAL_RATIO = 3.0
SEED = 16
COLUMNS = ("unit_id", "grain", "period", "metric", "value")
OUTCOMES = (
    "revenue", "sales", "revenue_growth_pct", "customer_churn_pct", "complaints", "staff_turnover",
)  # fmt: skip


def units_csv(stores: int) -> bytes:
    """acme → 10 regions → the stores, spread evenly."""
    lines = ["code,parent,name,kind", "acme,,Acme,company"]
    lines += [f"r{r},acme,Region {r},region" for r in range(10)]
    lines += [f"s{s:04d},r{s % 10},Store {s},store" for s in range(stores)]
    return ("\n".join(lines) + "\n").encode()


def outcomes_csv(stores: int, months: int) -> bytes:
    rng = random.Random(SEED)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("unit", "period", *OUTCOMES))
    for s in range(stores):
        for m in range(months):
            year, month = 2023 + m // 12, m % 12 + 1
            w.writerow((
                f"s{s:04d}", f"{year}-{month:02d}", round(rng.uniform(5e4, 5e5), 2),
                rng.randrange(500, 5000), round(rng.gauss(2, 5), 2), round(rng.uniform(0, 8), 2),
                rng.randrange(0, 30), rng.randrange(0, 4),
            ))  # fmt: skip
    return out.getvalue().encode()


def raw_insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" * len(COLUMNS))
    conn.executemany(f"INSERT INTO outcomes ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")


def stored(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    query = f"SELECT {', '.join(COLUMNS)} FROM outcomes ORDER BY unit_id, metric, period"
    rows = conn.execute(query).fetchall()
    conn.close()
    return rows


def rapport_import(db: Database, data: bytes) -> None:
    with db.unit_of_work() as uow:
        outcome_import.import_outcomes(uow, SYSTEM, data)


class Bench(SqliteTemplates):
    def __init__(self, workdir: Path, stores: int, months: int) -> None:
        self.workdir = workdir
        self.template = migrated_sqlite(workdir / "template.db")
        db = Database(f"sqlite:///{self.template}")
        with db.unit_of_work() as uow:
            unit_import.import_units(uow, SYSTEM, units_csv(stores))
        db.dispose()
        self.data = outcomes_csv(stores, months)
        check = self.fresh_db("check-rapport")
        rapport_import(check, self.data)
        check.dispose()
        self.loaded = workdir / "check-rapport.db"
        self.rows = stored(self.loaded)
        conn = self.fresh_conn("check-raw")
        raw_insert(conn, self.rows)
        conn.close()
        if stored(workdir / "check-raw.db") != self.rows:
            raise SystemExit("the baseline does not store the same outcome rows as Rapport")

    def cases(self) -> dict[str, Case[Any]]:
        return {
            "raw sqlite3 executemany INSERT": Case(
                lambda run: self.fresh_conn(f"raw-{run}"), lambda c: raw_insert(c, self.rows)
            ),
            "Rapport outcomes import (all new)": Case(
                lambda run: self.fresh_db(f"new-{run}"), lambda db: rapport_import(db, self.data)
            ),
            "Rapport re-import (all replaced)": Case(
                lambda run: self.fresh_db(f"again-{run}", self.loaded),
                lambda db: rapport_import(db, self.data),
            ),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=400, help="stores in the CSV")
    parser.add_argument("--months", type=int, default=36, help="months per store")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per case")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.units, args.months)
        print(
            f"outcomes_import: {len(bench.data) / 1e6:.1f} MB CSV, {args.units} units × "
            f"{args.months} months × {len(OUTCOMES)} outcomes → {len(bench.rows):,} figures; "
            f"best of {args.runs}; SQLite {sqlite3.sqlite_version}",
            flush=True,
        )
        timings = best_of(args.runs, bench.cases())
        raw = timings["raw sqlite3 executemany INSERT"]
        print(f"{'':36} {'wall':>9} {'rows/s':>16} {'ratio':>7}   {'cpu':>11} {'ratio':>7}")
        for label, timing in timings.items():
            report_rows(label, timing, len(bench.rows), raw)
        new = timings["Rapport outcomes import (all new)"]
        ratio = new.wall / raw.wall
        print(
            f"goal: ratio ≤ {GOAL_RATIO:g}× → {verdict(ratio <= GOAL_RATIO)} "
            f"({ratio:.2f}× wall, {new.cpu / raw.cpu:.2f}× CPU)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
