"""Grouped NPS/CSAT/CES through Rapport's engine against hand-written SQL, on SQLite.

Issue goal (b): on 1,000,000 answer rows (333,334 responses × NPS, CSAT, CES) in the real
schema, each metric grouped by unit × month takes at most 1.2× the hand-written query and
under 0.3 s. Rapport's side is everything an analyst waits for: item lookup, the unit tree,
the metric statement, roll-up to regions and the company, and an estimate with its interval
per group. The hand-written side is one ``sqlite3`` query returning the same per-store,
per-month counts. Both run on the same file; best of ``--runs``, interleaved.

The synthetic data (units × months × NPS/CSAT/CES) and the comparison loop are shared with
``metrics_postgres.py`` and ``metrics_duckdb.py``.

    uv run python benchmarks/metrics_sqlite.py                 # 1,000,000 answer rows
    uv run python benchmarks/metrics_sqlite.py --rows 300000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from _common import Case, Timing, best_of, migrated_sqlite, verdict

from rapport.analytics.engines import AnalyticsEngine, OperationalEngine
from rapport.analytics.metrics import Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.results import compute_metric
from rapport.storage.db import make_engine

SEED = 20261123
REGIONS = ("north", "south", "east", "west", "central")
STORES_PER_REGION = 8
QUESTIONS = (
    ("nps", "nps", "loyalty.recommend", 0.0, 10.0),
    ("csat", "csat", "satisfaction.overall", 1.0, 5.0),
    ("ces", "ces", "mind.effort", 1.0, 7.0),
)
METRICS = {
    "NPS": ("nps", "nps"),
    "CSAT top-2": ("csat_top2", "csat"),
    "CES mean": ("ces_mean", "ces"),
}
YEAR_SECONDS = 365 * 86_400


@dataclass(frozen=True)
class Synthetic:
    """Responses and their answers as columns, plus the catalogue rows around them."""

    units: list[dict[str, Any]]
    response_unit: np.ndarray
    submitted: np.ndarray  # datetime64[us], UTC, during 2025
    answers: dict[str, np.ndarray]  # question id -> one value per response

    @property
    def responses(self) -> int:
        return int(self.response_unit.size)


def synthetic(answer_rows: int, seed: int = SEED) -> Synthetic:
    """``answer_rows`` answers: a third each of NPS 0–10, CSAT 1–5, CES 1–7."""
    rng = np.random.default_rng(seed)
    units: list[dict[str, Any]] = [_unit(1, None, "company", "company", "company")]
    stores = []
    for r, region in enumerate(REGIONS):
        region_id = 2 + r * (STORES_PER_REGION + 1)
        units.append(_unit(region_id, 1, region, "region", f"company/{region}"))
        for s in range(STORES_PER_REGION):
            code = f"{region}-{s + 1:02d}"
            units.append(
                _unit(region_id + 1 + s, region_id, code, "store", f"company/{region}/{code}")
            )
            stores.append(region_id + 1 + s)
    n = -(-answer_rows // len(QUESTIONS))
    seconds = np.sort(rng.integers(0, YEAR_SECONDS, n))
    submitted = np.datetime64("2025-01-01T00:00:00", "us") + seconds.astype("timedelta64[s]")
    mood = rng.normal(0, 1, n)
    answers = {
        "nps": np.clip(np.round(7.2 + 2.2 * mood + rng.normal(0, 1.2, n)), 0, 10),
        "csat": np.clip(np.round(3.8 + 0.9 * mood + rng.normal(0, 0.6, n)), 1, 5),
        "ces": np.clip(np.round(5.1 + 1.2 * mood + rng.normal(0, 0.8, n)), 1, 7),
    }
    return Synthetic(units, rng.choice(np.array(stores), n), submitted, answers)


def _unit(uid: int, parent: int | None, code: str, kind: str, path: str) -> dict[str, Any]:
    return {"id": uid, "parent_id": parent, "code": code, "name": code.title(), "kind": kind,
            "path": path, "depth": path.count("/")}  # fmt: skip


def catalogue_rows() -> dict[str, list[dict[str, Any]]]:
    """The survey, its published version and its three scored items."""
    now = "2025-01-01 00:00:00.000000"
    return {
        "surveys": [{"id": 1, "key": "bench", "title": "Benchmark", "audience": "customer",
                     "anonymous": False, "created_at": now}],
        "survey_versions": [{"id": 1, "survey_id": 1, "version": 1, "status": "published",
                             "definition": "{}", "checksum": "0" * 64, "created_at": now,
                             "published_at": now}],
        "survey_items": [{"id": i + 1, "survey_version_id": 1, "question_id": q, "item": "",
                          "qtype": t, "tags": tag, "scale_min": lo, "scale_max": hi,
                          "reverse_keyed": False}
                         for i, (q, t, tag, lo, hi) in enumerate(QUESTIONS)],
    }  # fmt: skip


def sqlite_timestamps(values: np.ndarray) -> list[str]:
    """SQLAlchemy's SQLite storage format: ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    return [s.replace("T", " ") for s in np.datetime_as_string(values, unit="us")]


def engine_query(metric: str, question: str) -> MetricQuery:
    """Rapport's side: the metric grouped by unit and month over the benchmark survey."""
    grouping = Grouping.of(["unit"], period="month")
    return MetricQuery(get_metric(metric), grouping, Filters(survey_ids=(1,)), question=question)


def raw_sql(metric: str, month: str, join_key: str = "a.response_id") -> str:
    """The hand-written query for one metric; ``month`` is the dialect's month expression.

    ``join_key`` lets the SQLite benchmark also time the query with Rapport's planner hint
    (``+a.response_id``), so the ratio is taken against the best hand-written SQL.
    """
    statistics = {
        "NPS": "SUM(CASE WHEN a.value_num >= 9 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN a.value_num <= 6 THEN 1 ELSE 0 END)",
        "CSAT top-2": "SUM(CASE WHEN a.value_num >= 4 THEN 1 ELSE 0 END)",
        "CES mean": "SUM(a.value_num - 4.0), SUM((a.value_num - 4.0) * (a.value_num - 4.0))",
    }[metric]
    question = METRICS[metric][1]
    return (
        f"SELECT r.unit_id, {month} AS month, COUNT(*), {statistics} "
        f"FROM answers a JOIN responses r ON r.id = {join_key} "
        f"WHERE r.survey_id = 1 AND a.question_id = '{question}' AND a.item = '' "
        "AND a.value_num IS NOT NULL GROUP BY r.unit_id, month"
    )


def compare(
    engine: AnalyticsEngine,
    raws: dict[str, Callable[[str], Sequence[Sequence[Any]]]],
    runs: int,
) -> dict[str, tuple[Timing, dict[str, Timing], Timing]]:
    """Check every side agrees on every metric, then time them all, interleaved.

    Rapport's timed path is :func:`compute_metric` plus the roll-up over the unit tree:
    what the hand-written query does, through the engine. Adding an estimate with its
    interval to every group (regions and company included) is timed apart.

    ``raws`` are hand-written variants (name → run one metric); each must return one row
    per store and month whose counts add up to Rapport's company total.
    """
    cases: dict[str, Case[Any]] = {}
    for label, (metric, question) in METRICS.items():
        query = engine_query(metric, question)
        rows = compute_metric(engine, query).rows
        top = max(rows, key=lambda r: r.n)  # the company's row for one month
        company_n = sum(r.n for r in rows if r.key[0] == top.key[0])
        for variant, raw in raws.items():
            raw_rows = raw(label)
            assert sum(int(r[2]) for r in raw_rows) == company_n, (label, variant)
            assert len({tuple(r[:2]) for r in raw_rows}) == len(raw_rows), (label, variant)
            cases[f"{variant} {label}"] = Case(lambda run, m=label: m, raw)
        cases[f"rapport {label}"] = Case(lambda run, q=query: q, partial(_engine_path, engine))
        cases[f"intervals {label}"] = Case(
            lambda run, q=query: compute_metric(engine, q), lambda table: table.rows
        )
    timings = best_of(runs, cases)
    return {
        label: (
            timings[f"rapport {label}"],
            {v: timings[f"{v} {label}"] for v in raws},
            timings[f"intervals {label}"],
        )
        for label in METRICS
    }


def _engine_path(engine: AnalyticsEngine, query: MetricQuery) -> object:
    """Everything the engine does for the query: catalogue, SQL, fetch, unit roll-up."""
    table = compute_metric(engine, query)
    return table.totals([True] * len(query.grouping.by))


def report(
    title: str,
    results: dict[str, tuple[Timing, dict[str, Timing], Timing]],
    goal_ratio: float,
    goal_seconds: float | None = None,
) -> bool:
    """Print one line per metric and the verdict; True when every goal is met.

    The ratio is taken against the *fastest* hand-written variant (wall clock, best of N);
    "+intervals" is the extra time to attach an estimate and interval to every group.
    """
    print(title)
    ok = True
    limit = f"goal ≤{goal_ratio}×" + (f" and <{goal_seconds} s" if goal_seconds else "")
    for label, (ours, raws, intervals) in results.items():
        best = min(raws.values(), key=lambda t: t.wall)
        ratio = ours.wall / best.wall
        fine = ratio <= goal_ratio and (goal_seconds is None or ours.wall < goal_seconds)
        ok &= fine
        others = "   ".join(f"{v} {t.wall:6.3f} s" for v, t in raws.items())
        print(
            f"  {label:10s}  rapport {ours.wall:6.3f} s (cpu {ours.cpu:5.3f})   {others}   "
            f"ratio {ratio:4.2f} ({limit})  {verdict(fine)}   +intervals {intervals.wall:5.3f} s"
        )
    print(f"{verdict(ok)}: {title.split(':')[0]}")
    return ok


def load_sqlite(path: Path, data: Synthetic) -> None:
    """Bulk-load with ``executemany`` into a database created by the real migrations."""
    migrated_sqlite(path)
    conn = sqlite3.connect(path)
    with conn:
        for name, rows in {"units": data.units, **catalogue_rows()}.items():
            columns = list(rows[0])
            marks = ", ".join("?" for _ in columns)
            conn.executemany(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(r[c] for c in columns) for r in rows],
            )
        stamps = sqlite_timestamps(data.submitted)
        empty = json.dumps({})
        conn.executemany(
            "INSERT INTO responses (id, survey_id, survey_version_id, unit_id, audience, channel,"
            " language, submitted_at, attributes)"
            " VALUES (?, 1, 1, ?, 'customer', 'link', 'en', ?, ?)",
            zip(
                range(1, data.responses + 1),
                data.response_unit.tolist(),
                stamps,
                [empty] * data.responses,
                strict=True,
            ),
        )
        ids = np.arange(1, data.responses + 1).tolist()
        for question, values in data.answers.items():
            conn.executemany(
                "INSERT INTO answers (response_id, question_id, item, value_num)"
                " VALUES (?, ?, '', ?)",
                zip(ids, [question] * data.responses, values.tolist(), strict=True),
            )
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="answer rows")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = synthetic(args.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        load_sqlite(path, data)
        # The raw SQL layer against hand-written SQL (the loader bypasses the aggregates,
        # which benchmarks/aggregates_refresh.py times).
        engine = OperationalEngine(make_engine(f"sqlite:///{path}"), aggregates=False)
        raw_conn = sqlite3.connect(path)
        month = "substr(r.submitted_at, 1, 7)"
        raws = {
            "raw SQL": lambda m: raw_conn.execute(raw_sql(m, month)).fetchall(),
            "raw+hint": lambda m: raw_conn.execute(raw_sql(m, month, "+a.response_id")).fetchall(),
        }
        results = compare(engine, raws, args.runs)
        raw_conn.close()
        engine.dispose()
    answers = data.responses * len(QUESTIONS)
    report(
        f"SQLite: {answers:,} answer rows ({data.responses:,} responses), unit × month, "
        f"best of {args.runs}",
        results,
        goal_ratio=1.2,
        goal_seconds=0.3,
    )


if __name__ == "__main__":
    main()
