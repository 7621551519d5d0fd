"""Qualtrics import (``.qsf`` + current-layout response CSV) against Rapport's own CSV import
of the same answers, on SQLite, in the same run.

Issue 18 item 6: a 100,000-response Qualtrics CSV imports within a small factor of Rapport's
own CSV import (``response_import.import_responses``) of the same answers. The survey is a
realistic customer survey written as a .qsf: descriptive text, NPS, a single choice with
recode values, a multiple choice, a 5-point Likert matrix of 3 statements, a slider and a
comment box. The Qualtrics file has the export's 3 header rows (JSON ImportIds) and its
metadata columns (StartDate, EndDate, Status, IPAddress, Progress, Duration, Finished,
RecordedDate, ResponseId, UserLanguage, …). The Qualtrics side is timed from the bytes of
both files (reading the .qsf, mapping the columns, checking, writing); the baseline from the
bytes of the Rapport CSV. Both start from a fresh copy of the same migrated database with the
survey published, and must store the same answer rows (checked before timing).

    uv run python benchmarks/import_qualtrics.py               # 100,000 responses, best of 3
    uv run python benchmarks/import_qualtrics.py --rows 300 --runs 1
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _common import Case, best_of, fresh_copy, migrated_sqlite, report_ratio

from rapport.domain.org import SYSTEM, UnitKind
from rapport.importers.formats import ReadOptions, read_plan
from rapport.services import response_import, tool_import
from rapport.services.surveys import save_definition
from rapport.storage.uow import Database

GOAL_RATIO = 2.0
SEED = 18
START = datetime(2024, 1, 1, tzinfo=UTC)


def _choices(labels: list[str]) -> dict[str, Any]:
    return {str(i): {"Display": label} for i, label in enumerate(labels, start=1)}


def _sq(qid: str, tag: str, kind: str, selector: str, text: str, **more: Any) -> dict[str, Any]:
    payload = {
        "QuestionID": qid,
        "DataExportTag": tag,
        "QuestionType": kind,
        "Selector": selector,
        "QuestionText": text,
        **more,
    }
    return {"Element": "SQ", "PrimaryAttribute": qid, "Payload": payload}


def qsf() -> dict[str, Any]:
    """A customer survey as Qualtrics exports it (one block, a page break after the intro)."""
    elements = [
        _sq("QID7", "intro", "DB", "TB", "<p>Thanks for shopping with us.</p>"),
        _sq(
            "QID1",
            "nps",
            "MC",
            "NPS",
            "How likely are you to recommend us to a friend?",
            Choices={str(i): {"Display": str(i)} for i in range(11)},
            ChoiceOrder=[str(i) for i in range(11)],
        ),
        _sq(
            "QID2",
            "channel",
            "MC",
            "SAVR",
            "How did you shop?",
            SubSelector="TX",
            Choices=_choices(["In store", "Online", "App", "Phone"]),
            RecodeValues={"1": "10", "2": "11", "3": "12", "4": "13"},
        ),
        _sq(
            "QID3",
            "bought",
            "MC",
            "MAVR",
            "What did you buy?",
            SubSelector="TX",
            Choices=_choices(["Food", "Clothes", "Electronics", "Home", "Garden"]),
        ),
        _sq(
            "QID4",
            "store",
            "Matrix",
            "Likert",
            "The store was…",
            SubSelector="SingleAnswer",
            Choices=_choices(["Clean", "Easy to find my way", "Well stocked"]),
            Answers=_choices(["1", "2", "3", "4", "5"]),
        ),
        _sq(
            "QID5",
            "wait",
            "Slider",
            "HSLIDER",
            "How long did you wait (minutes)?",
            Choices=_choices(["Minutes"]),
            Configuration={"CSSliderMin": 0, "CSSliderMax": 60, "NumDecimals": "0"},
        ),
        _sq("QID6", "comment", "TE", "SL", "Anything else?"),
    ]
    block = {
        "Type": "Default",
        "Description": "Visit",
        "ID": "BL_1",
        "BlockElements": [
            {"Type": "Question", "QuestionID": "QID7"},
            {"Type": "Page Break"},
            *({"Type": "Question", "QuestionID": f"QID{i}"} for i in range(1, 7)),
        ],
    }
    return {
        "SurveyEntry": {
            "SurveyID": "SV_bench",
            "SurveyName": "Store visit",
            "SurveyLanguage": "EN",
        },
        "SurveyElements": [
            {"Element": "BL", "Payload": [block]},
            {"Element": "FL", "Payload": {"Flow": [{"ID": "BL_1", "Type": "Block"}]}},
            *elements,
        ],
    }


def generate(rows: int) -> tuple[bytes, bytes]:
    """(Qualtrics current-layout CSV, Rapport CSV) of the same generated answers."""
    rng = np.random.default_rng(SEED)
    nps = rng.choice(11, size=rows, p=np.array([2, 1, 1, 2, 2, 5, 6, 12, 20, 24, 25]) / 100)
    channel = rng.integers(0, 4, size=rows)
    bought = rng.random((rows, 5)) < 0.35
    store = np.clip(np.round(3 + (nps[:, None] - 7) / 3 + rng.normal(0, 0.8, (rows, 3))), 1, 5)
    wait = rng.integers(0, 61, size=rows)
    commented = rng.random(rows) < 0.3
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration", "Finished"]
    meta += ["RecordedDate"]
    meta += ["ResponseId", "DistributionChannel", "UserLanguage"]
    meta_ids = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished"]
    meta_ids += ["recordedDate", "_recordId", "distributionChannel", "userLanguage"]
    tags = ["nps", "channel", *(f"bought_{k}" for k in range(1, 6))]
    tags += [*(f"store_{k}" for k in range(1, 4)), "wait_1", "comment", "nps_NPS_GROUP"]
    ids = ["QID1", "QID2", *(f"QID3_{k}" for k in range(1, 6))]
    ids += [*(f"QID4_{k}" for k in range(1, 4)), "QID5_1", "QID6_TEXT", "QID1_NPS_GROUP"]
    qt, own = io.StringIO(), io.StringIO()
    q, r = csv.writer(qt, lineterminator="\r\n"), csv.writer(own, lineterminator="\n")
    q.writerow([*meta, *tags])
    q.writerow([*meta, *tags])  # the question texts: not read
    q.writerow(
        [json.dumps({"ImportId": i, **({"timeZone": "UTC"} if i == "recordedDate" else {})})
         for i in [*meta_ids, *ids]]
    )  # fmt: skip
    r.writerow(["unit", "submitted_at", "nps", "channel", "bought", "store.row_1",
                "store.row_2", "store.row_3", "wait_1", "comment"])  # fmt: skip
    for i in range(rows):
        when = START + timedelta(minutes=7 * i)
        stamp = when.strftime("%Y-%m-%d %H:%M:%S")
        ticks = ["1" if t else "" for t in bought[i].tolist()]
        comment = f"Visit {i}: queue was {int(wait[i])} minutes" if commented[i] else ""
        scores = [str(int(v)) for v in store[i].tolist()]
        group = "Promoter" if nps[i] >= 9 else "Detractor" if nps[i] <= 6 else "Passive"
        q.writerow(
            [stamp, stamp, "0", "", "100", "312", "1", stamp, f"R_{i:015d}", "anonymous", "EN",
             str(int(nps[i])), str(10 + int(channel[i])), *ticks, *scores, str(int(wait[i])),
             comment, group]
        )  # fmt: skip
        chosen = ";".join(f"option_{k + 1}" for k, t in enumerate(bought[i].tolist()) if t)
        r.writerow(
            ["acme", when.isoformat(), str(int(nps[i])), f"option_{10 + int(channel[i])}",
             chosen, *scores, str(int(wait[i])), comment]
        )  # fmt: skip
    return qt.getvalue().encode("utf-8"), own.getvalue().encode("utf-8")


class Bench:
    def __init__(self, workdir: Path, rows: int) -> None:
        self.workdir = workdir
        self.definition = json.dumps(qsf()).encode()
        self.qualtrics, self.own = generate(rows)
        plan = read_plan("qualtrics", self.definition, None, ReadOptions("bench"))
        self.template = migrated_sqlite(workdir / "template.db")
        db = Database(f"sqlite:///{self.template}")
        with db.unit_of_work() as uow:
            uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
            version = save_definition(uow, SYSTEM, plan.definition, publish=True)
        self.survey_id = version.survey_id
        db.dispose()

    def fresh_db(self, name: str) -> Database:
        db = Database(f"sqlite:///{fresh_copy(self.template, self.workdir / f'{name}.db')}")
        db.ping()
        return db

    def qualtrics_import(self, db: Database) -> None:
        plan = read_plan("qualtrics", self.definition, self.qualtrics, ReadOptions("bench"))
        with db.unit_of_work() as uow:
            tool_import.import_plan(uow, SYSTEM, plan, unit="acme")

    def own_import(self, db: Database) -> None:
        with db.unit_of_work() as uow:
            response_import.import_responses(uow, SYSTEM, self.survey_id, self.own)

    def answers(self, name: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.workdir / f"{name}.db")
        try:
            return conn.execute(
                "SELECT r.submitted_at, a.question_id, a.item, a.value_num, a.value_text "
                "FROM answers a JOIN responses r ON r.id = a.response_id ORDER BY 1, 2, 3"
            ).fetchall()
        finally:
            conn.close()

    def check_same_rows(self) -> int:
        for name, run in (("check-qt", self.qualtrics_import), ("check-own", self.own_import)):
            db = self.fresh_db(name)
            run(db)
            db.dispose()
        ours, theirs = self.answers("check-qt"), self.answers("check-own")
        if ours != theirs or not ours:
            raise SystemExit("the two imports do not store the same answer rows")
        return len(ours)

    def case(self, label: str, run: Any) -> Case[Database]:
        return Case(lambda n: self.fresh_db(f"{label}-{n}"), run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="responses in the CSV")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per side")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.rows)
        answers = bench.check_same_rows()
        print(
            f"import_qualtrics: {len(bench.qualtrics) / 1e6:.1f} MB Qualtrics CSV / "
            f"{len(bench.own) / 1e6:.1f} MB Rapport CSV → {args.rows:,} responses, "
            f"{answers:,} answers (identical on both sides); best of {args.runs}",
            flush=True,
        )
        timings = best_of(
            args.runs,
            {
                "Rapport CSV import": bench.case("own", bench.own_import),
                "Qualtrics .qsf + CSV import": bench.case("qt", bench.qualtrics_import),
            },
        )
        report_ratio(
            timings, args.rows, "Rapport CSV import", "Qualtrics .qsf + CSV import", GOAL_RATIO
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
