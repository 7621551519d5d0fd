"""Response exports of a demo survey in every format, against the CSV export of the same rows.

Issue 18 (item 5) adds JSON and SPSS ``.sav`` beside CSV and Parquet. Each format is timed
as the API route runs it: the rows read through ``services.responses.export_for`` (the
confidentiality gate and the audit entry included) and rendered by
``exporters.responses.render``; the baseline is the CSV export, measured in the same run
and interleaved with the others, best of ``--runs``. Goal: every format within 3× of CSV.

The database is the demo organisation (``rapport demo``: 40 units × 15 months), generated
into a temporary folder, or a copy of ``--db`` (e.g. a benchmark folder's ``rapport.db``).

    uv run python benchmarks/response_export.py --db /work/bench/demo/rapport.db
    uv run python benchmarks/response_export.py --units 6 --months 3 --runs 1   # smoke
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _common import Case, best_of, migrated_sqlite, verdict

from rapport.domain.org import SYSTEM
from rapport.exporters.responses import FORMATS, render
from rapport.services import demo, responses, surveys
from rapport.storage.uow import Database

GOAL_RATIO = 3.0
SURVEY = "customer-relationship"


def export(db: Database, fmt: str) -> int:
    with db.unit_of_work() as uow:
        sid = surveys.get_published(uow, SURVEY).survey.id
        done = responses.export_for(uow, SYSTEM, sid, fmt=fmt)
        return len(render(fmt, done.published.definition, done.rows, done.org_name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a demo SQLite file to copy (default: generate)")
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--months", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rapport.db"
        if args.db:
            shutil.copy(args.db, path)
            db = Database(f"sqlite:///{path}")
        else:
            db = Database(f"sqlite:///{migrated_sqlite(path)}")
            demo.load(db, demo.generate(units=args.units, months=args.months))
        with db.unit_of_work() as uow:
            sid = surveys.get_published(uow, SURVEY).survey.id
            rows = len(responses.export_for(uow, SYSTEM, sid).rows)
        sizes = {fmt: export(db, fmt) for fmt in FORMATS}
        cases = {fmt: Case(lambda run: None, lambda _, f=fmt: export(db, f)) for fmt in FORMATS}
        timings = best_of(args.runs, cases)
        db.dispose()
    base = timings["csv"]
    print(f"{SURVEY}: {rows:,} responses, best of {args.runs} (ratio to CSV, same run)")
    print(f"{'format':<8} {'wall s':>8} {'cpu s':>8} {'ratio':>7} {'rows/s':>10} {'size':>12}")
    worst = 0.0
    for fmt, t in timings.items():
        ratio = t.cpu / base.cpu
        worst = max(worst, ratio)
        print(
            f"{fmt:<8} {t.wall:8.3f} {t.cpu:8.3f} {ratio:6.2f}× {rows / t.wall:10,.0f}"
            f" {sizes[fmt]:>10,} B"
        )
    print(f"{verdict(worst <= GOAL_RATIO)}: slowest format {worst:.2f}× CSV (goal ≤ {GOAL_RATIO}×)")


if __name__ == "__main__":
    main()
