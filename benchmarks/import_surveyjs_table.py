"""SurveyJS results from SurveyJS Dashboard's CSV table against the same results as a JSON
list (the baseline), on SQLite, in the same run.

The CSV is written as survey-analytics' Tabulator downloads it: titles as headers, every
cell quoted, choices as their shown texts (a checkbox's joined by ", "), a Likert matrix
as one ``Title - Row`` column per row, the "other" text in its own column. The survey: an
NPS rating, a checkbox with "other", a yes/no, a 5-point matrix of 3 rows and a comment.
Both sides are timed from the bytes of the survey and the results file (mapping, checking,
writing) on a fresh copy of the same migrated database, and must store the same answer
rows (checked before timing).

    uv run python benchmarks/import_surveyjs_table.py               # 50,000 results, best of 3
    uv run python benchmarks/import_surveyjs_table.py --rows 300 --runs 1
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _common import Case, SqliteTemplates, best_of, migrated_sqlite, report_ratio

from rapport.domain.org import SYSTEM, UnitKind
from rapport.importers.formats import ReadOptions, read_plan
from rapport.services import tool_import
from rapport.storage.uow import Database

GOAL_RATIO = 2.0
SEED = 18
FEATURES = {"fast": "Fast delivery", "price": "Low prices", "help": "Helpful staff, always"}
ROWS = {"clean": "Clean", "stock": "Well stocked", "signs": "Easy to find my way"}
SCALE = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
SURVEY: dict[str, Any] = {
    "title": "Store visit",
    "elements": [
        {"type": "rating", "name": "nps", "rateMin": 0, "rateMax": 10,
         "title": "How likely are you to recommend us to a friend?"},
        {"type": "checkbox", "name": "liked", "title": "What did you like?", "showOtherItem": True,
         "choices": [{"value": v, "text": t} for v, t in FEATURES.items()]},
        {"type": "boolean", "name": "again", "title": "Would you shop here again?"},
        {"type": "matrix", "name": "store", "title": "The store was",
         "columns": [{"value": i, "text": t} for i, t in enumerate(SCALE, start=1)],
         "rows": [{"value": v, "text": t} for v, t in ROWS.items()]},
        {"type": "comment", "name": "comment", "title": "Anything else?"},
    ],
}  # fmt: skip


def generate(rows: int) -> tuple[bytes, bytes]:
    """(JSON results, Dashboard CSV) of the same generated answers."""
    rng = np.random.default_rng(SEED)
    nps = rng.choice(11, size=rows, p=np.array([2, 1, 1, 2, 2, 5, 6, 12, 20, 24, 25]) / 100)
    liked = rng.random((rows, 4)) < 0.4
    again = rng.random(rows) < 0.8
    store = rng.integers(1, 6, size=(rows, 3))
    commented = rng.random(rows) < 0.3
    results: list[dict[str, Any]] = []
    table = io.StringIO()
    out = csv.writer(table, quoting=csv.QUOTE_ALL, lineterminator="\n")
    out.writerow(
        [SURVEY["elements"][0]["title"], "What did you like?", "Other (describe)",
         "Would you shop here again?", *(f"The store was - {t}" for t in ROWS.values()),
         "Anything else?"]
    )  # fmt: skip
    for i in range(rows):
        chosen = [v for v, t in zip([*FEATURES, "other"], liked[i].tolist(), strict=True) if t]
        result: dict[str, Any] = {"nps": int(nps[i]), "again": bool(again[i])}
        result["store"] = {row: int(store[i, k]) for k, row in enumerate(ROWS)}
        if chosen:
            result["liked"] = chosen
        if "other" in chosen:
            result["liked-Comment"] = f"parking {i}"
        if commented[i]:
            result["comment"] = f"Visit {i}: fine"
        results.append(result)
        shown = [FEATURES.get(v, "Other (describe)") for v in chosen]
        out.writerow(
            [str(int(nps[i])), ", ".join(shown), result.get("liked-Comment", ""),
             "Yes" if again[i] else "No", *(SCALE[int(s) - 1] for s in store[i].tolist()),
             result.get("comment", "")]
        )  # fmt: skip
    return json.dumps(results).encode(), table.getvalue().encode()


class Bench(SqliteTemplates):
    def __init__(self, workdir: Path, rows: int) -> None:
        self.workdir = workdir
        self.survey = json.dumps(SURVEY).encode()
        self.json, self.csv = generate(rows)
        self.template = migrated_sqlite(workdir / "template.db")
        db = Database(f"sqlite:///{self.template}")
        with db.unit_of_work() as uow:
            uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
        db.dispose()

    def importer(self, results: bytes) -> Any:
        def run(db: Database) -> None:
            plan = read_plan("surveyjs", self.survey, results, ReadOptions("bench"))
            with db.unit_of_work() as uow:
                tool_import.import_plan(uow, SYSTEM, plan, unit="acme")

        return run

    def answers(self, name: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.workdir / f"{name}.db")
        try:  # dated at the import on both sides: compared without the time
            return conn.execute(
                "SELECT a.response_id, a.question_id, a.item, a.value_num, a.value_text "
                "FROM answers a ORDER BY 1, 2, 3"
            ).fetchall()
        finally:
            conn.close()

    def check_same_rows(self) -> int:
        for name, results in (("check-json", self.json), ("check-csv", self.csv)):
            db = self.fresh_db(name)
            self.importer(results)(db)
            db.dispose()
        ours, theirs = self.answers("check-csv"), self.answers("check-json")
        if ours != theirs or not ours:
            raise SystemExit("the two imports do not store the same answer rows")
        return len(ours)

    def case(self, label: str, results: bytes) -> Case[Database]:
        return Case(lambda n: self.fresh_db(f"{label}-{n}"), self.importer(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="results in each file")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per side")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.rows)
        answers = bench.check_same_rows()
        print(
            f"import_surveyjs_table: {len(bench.json) / 1e6:.1f} MB JSON / "
            f"{len(bench.csv) / 1e6:.1f} MB CSV → {args.rows:,} responses, {answers:,} answers "
            f"(identical on both sides); best of {args.runs}",
            flush=True,
        )
        timings = best_of(
            args.runs,
            {
                "SurveyJS JSON results import": bench.case("json", bench.json),
                "SurveyJS Dashboard CSV import": bench.case("csv", bench.csv),
            },
        )
        report_ratio(
            timings,
            args.rows,
            "SurveyJS JSON results import",
            "SurveyJS Dashboard CSV import",
            GOAL_RATIO,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
