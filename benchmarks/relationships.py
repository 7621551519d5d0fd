"""Relationship health against computing its metrics alone, on DuckDB.

Issue 15's goal: relationship health (stages and decline alarms, ``services.relationships``)
for 400 units × 36 months on the DuckDB engine takes at most 2× computing the underlying
metrics (hearts, minds and NPS by unit × month through ``services.metrics.compute``) alone.

The Parquet snapshot is written directly with pyarrow: a company, regions of stores, one
customer survey (two ``heart.*`` items, two ``mind.*`` items and the recommendation question),
``--per-cell`` responses per store and month. Every 20th store is planted drifting from
month 12 (hearts −2 index points a month, minds flat, NPS following hearts); the script
also reports how many of them are flagged (alarm or ``taken_for_granted``/``at_risk``) in the
last month and how many other stores were ever alarmed. Both sides run on the same engine
(raw answers, no aggregate table), best of ``--runs``, interleaved.

    uv run python benchmarks/relationships.py
    uv run python benchmarks/relationships.py --units 40 --months 12 --runs 1
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _common import Case, best_of, verdict
from metrics_duckdb import empty_snapshot

from rapport.analytics.engines import DuckDBEngine
from rapport.analytics.snapshot import SNAPSHOT_TABLES
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM
from rapport.services import metrics, relationships

SEED = 20261202
STORES_PER_REGION = 40
GOAL = 2.0
START = np.datetime64("2023-01", "M")
DRIFT_FROM = 12
ITEMS = (  # question id, qtype, tag, scale
    ("cared", "likert", "heart.cared", 1.0, 5.0),
    ("valued", "likert", "heart.valued", 1.0, 5.0),
    ("needs", "likert", "mind.needs", 1.0, 5.0),
    ("easy", "likert", "mind.easy", 1.0, 5.0),
    ("recommend", "nps", "loyalty.recommend", 0.0, 10.0),
)


def units_tree(count: int) -> tuple[list[dict[str, Any]], list[int]]:
    """``count`` units: the company, a region per 40 stores, stores; and the store ids."""
    regions = max(1, round((count - 1) / (STORES_PER_REGION + 1)))
    stores = count - 1 - regions
    rows = [_unit(1, None, "company", "company", "company")]
    store_ids: list[int] = []
    for r in range(regions):
        region_id = len(rows) + 1
        code = f"region-{r + 1:02d}"
        rows.append(_unit(region_id, 1, code, "region", f"company/{code}"))
        for s in range(stores // regions + (r < stores % regions)):
            store = f"{code}-store-{s + 1:02d}"
            store_ids.append(len(rows) + 1)
            rows.append(_unit(len(rows) + 1, region_id, store, "store", f"company/{code}/{store}"))
    return rows, store_ids


def _unit(uid: int, parent: int | None, code: str, kind: str, path: str) -> dict[str, Any]:
    return {"id": uid, "parent_id": parent, "code": code, "name": code.title(), "kind": kind,
            "path": path, "depth": path.count("/"), "created_at": datetime(2023, 1, 1)}  # fmt: skip


def write_snapshot(folder: Path, units: int, months: int, per_cell: int) -> tuple[int, set[str]]:
    """The snapshot tables as Parquet; returns the responses written and the drifting stores."""
    rng = np.random.default_rng(SEED)
    unit_rows, stores = units_tree(units)
    codes = {u["id"]: u["code"] for u in unit_rows}
    drifting = set(stores[::20])
    cells = len(stores) * months
    n = cells * per_cell
    unit = np.repeat(np.tile(np.asarray(stores), months), per_cell)
    month = np.repeat(np.repeat(np.arange(months), len(stores)), per_cell)
    level = dict(zip(stores, rng.normal(0, 0.15, len(stores)), strict=True))
    store_level = np.array([level[u] for u in unit])
    drift = np.where(np.isin(unit, list(drifting)), np.maximum(0, month - DRIFT_FROM + 1), 0)
    heart = 3.4 + store_level - 0.08 * drift + rng.normal(0, 0.6, n)  # 0.08 = 2 index points
    mind = 3.8 + store_level + rng.normal(0, 0.6, n)
    answers = {
        "cared": heart + rng.normal(0, 0.5, n),
        "valued": heart + rng.normal(0, 0.5, n),
        "needs": mind + rng.normal(0, 0.5, n),
        "easy": mind + rng.normal(0, 0.5, n),
        "recommend": 2.0 * heart - 0.4 + rng.normal(0, 1.2, n),
    }
    seconds = rng.integers(0, 27 * 86_400, n).astype("timedelta64[s]")
    submitted = (START + month).astype("datetime64[s]") + seconds
    ids = np.arange(1, n + 1, dtype=np.int64)
    now = datetime(2023, 1, 1)
    tables: dict[str, pa.Table] = {
        "units": pa.Table.from_pylist(unit_rows),
        "surveys": pa.Table.from_pylist(
            [
                {
                    "id": 1,
                    "key": "bench",
                    "title": "Benchmark",
                    "audience": "customer",
                    "anonymous": False,
                    "created_at": now,
                }
            ]
        ),
        "survey_versions": pa.Table.from_pylist(
            [
                {
                    "id": 1,
                    "survey_id": 1,
                    "version": 1,
                    "status": "published",
                    "definition": "{}",
                    "checksum": "0" * 64,
                    "created_at": now,
                    "published_at": now,
                }
            ]
        ),
        "survey_items": pa.Table.from_pylist(
            [
                {
                    "id": i + 1,
                    "survey_version_id": 1,
                    "question_id": q,
                    "item": "",
                    "qtype": t,
                    "tags": tag,
                    "scale_min": lo,
                    "scale_max": hi,
                    "reverse_keyed": False,
                }
                for i, (q, t, tag, lo, hi) in enumerate(ITEMS)
            ]
        ),
        "responses": pa.table(
            {
                "id": ids,
                "survey_id": np.ones(n, dtype=np.int64),
                "survey_version_id": np.ones(n, dtype=np.int64),
                "unit_id": unit.astype(np.int64),
                "person_id": pa.nulls(n, pa.int64()),
                "audience": pa.array(["customer"] * n),
                "channel": pa.array(["link"] * n),
                "language": pa.array(["en"] * n),
                "submitted_at": pa.array(submitted.astype("datetime64[us]"), pa.timestamp("us")),
                "attributes": pa.array([json.dumps({})] * n),
            }
        ),
    }
    values = [
        np.clip(np.round(answers[q]), lo, hi) for q, _, _, lo, hi in ITEMS
    ]  # whole points on each scale
    tables["answers"] = pa.table(
        {
            "id": np.arange(1, n * len(ITEMS) + 1, dtype=np.int64),
            "response_id": np.tile(ids, len(ITEMS)),
            "question_id": pa.array(np.repeat([q for q, *_ in ITEMS], n)),
            "item": pa.array([""] * (n * len(ITEMS))),
            "value_num": np.concatenate(values).astype(np.float64),
        }
    )
    empty = empty_snapshot()  # every table with the column types ``rapport snapshot`` writes
    for name in SNAPSHOT_TABLES:
        table = tables.get(name, empty[name])
        missing = [c for c in empty[name].schema.names if c not in table.schema.names]
        for column in missing:  # columns the metrics do not read
            table = table.append_column(column, pa.nulls(len(table)))
        table = table.select(empty[name].schema.names).cast(empty[name].schema)
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
    return n, {codes[s] for s in drifting}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--per-cell", type=int, default=20, help="responses per store-month")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    policy = SuppressionPolicy()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        responses, drifting = write_snapshot(folder, args.units, args.months, args.per_cell)
        engine = DuckDBEngine(folder, aggregates=False)

        def metrics_alone(_: object) -> object:
            return [
                metrics.compute(
                    engine,
                    SYSTEM,
                    metrics.MetricRequest(survey="bench", metric=m, by=["unit"], period="month"),
                    policy,
                )
                for m in relationships.SIGNALS
            ]

        def health(_: object) -> relationships.RelationshipHealth:
            return relationships.relationship_health(engine, SYSTEM, "bench", policy, "month")

        found = relationships.as_frame(health(None).rows)
        timings = best_of(
            args.runs,
            {
                "metrics": Case(lambda run: run, metrics_alone),
                "health": Case(lambda run: run, health),
            },
        )
        engine.dispose()
    last = found[found["period"] == found["period"].max()]
    flagged = last["alarm"] | last["stage"].isin(["taken_for_granted", "at_risk"])
    caught = set(last.loc[flagged, "unit"]) & drifting
    stores = found[found["unit"].str.contains("-store-")]
    false = set(stores.loc[stores["alarm"], "unit"]) - drifting
    units, periods = found["unit"].nunique(), found["period"].nunique()
    ours, base = timings["health"], timings["metrics"]
    ratio = ours.wall / base.wall
    print(
        f"DuckDB: relationship health for {units} units × {periods} months "
        f"({responses:,} responses, {responses * len(ITEMS):,} answers), best of {args.runs}"
    )
    print(f"  metrics alone (hearts, minds, NPS)  {base.wall:6.3f} s (cpu {base.cpu:6.3f})")
    print(f"  relationship health                 {ours.wall:6.3f} s (cpu {ours.cpu:6.3f})")
    print(
        f"  ratio {ratio:4.2f} (cpu {ours.cpu / base.cpu:4.2f}; goal ≤{GOAL}×)   "
        f"planted drifting stores flagged in the last month: {len(caught)}/{len(drifting)}; "
        f"other stores ever alarmed: {len(false)}/{stores['unit'].nunique() - len(drifting)}"
    )
    print(f"{verdict(ratio <= GOAL)}: relationship health on DuckDB")


if __name__ == "__main__":
    main()
