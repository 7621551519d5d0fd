"""Grouped NPS/CSAT/CES through Rapport's engine against hand-written SQL, on PostgreSQL.

Issue goal (c): on 1,000,000 answer rows (333,334 responses × NPS, CSAT, CES), loaded with
``COPY`` into a database created by the real migrations, each metric grouped by unit × month
takes at most 1.2× the hand-written query (psycopg, same server, same data). Rapport's side
includes item lookup, the unit tree, a read-only REPEATABLE READ transaction, roll-up and
an interval per group. The database is created for the run and dropped afterwards.

    uv run python benchmarks/metrics_postgres.py
    RAPPORT_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        uv run python benchmarks/metrics_postgres.py --rows 300000
"""

from __future__ import annotations

import argparse
import io
import os
import uuid

import numpy as np
import psycopg
from metrics_sqlite import QUESTIONS, catalogue_rows, compare, raw_sql, report, synthetic
from sqlalchemy import create_engine, make_url, text

from rapport.analytics.engines import OperationalEngine
from rapport.storage import migrate

ADMIN_URL = os.environ.get(
    "RAPPORT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MONTH = "date_trunc('month', r.submitted_at AT TIME ZONE 'UTC')"


def _copy(cur: psycopg.Cursor, table: str, columns: list[str], lines: str) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(lines)


def load(url: str, rows: int) -> int:
    """Create the schema with the migrations and COPY the synthetic data in."""
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    data = synthetic(rows)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for name, table_rows in {"units": data.units, **catalogue_rows()}.items():
            columns = list(table_rows[0])
            body = "".join(
                "\t".join("\\N" if r[c] is None else str(r[c]) for c in columns) + "\n"
                for r in table_rows
            )
            _copy(cur, name, columns, body)
        ids = np.arange(1, data.responses + 1)
        stamps = np.datetime_as_string(data.submitted, unit="us")
        buffer = io.StringIO()
        for rid, unit, stamp in zip(ids.tolist(), data.response_unit.tolist(), stamps, strict=True):
            buffer.write(f"{rid}\t1\t1\t{unit}\tcustomer\tlink\ten\t{stamp}+00\t{{}}\n")
        columns = ["id", "survey_id", "survey_version_id", "unit_id", "audience", "channel",
                   "language", "submitted_at", "attributes"]  # fmt: skip
        _copy(cur, "responses", columns, buffer.getvalue())
        buffer = io.StringIO()
        for question, values in data.answers.items():
            for rid, value in zip(ids.tolist(), values.tolist(), strict=True):
                buffer.write(f"{rid}\t{question}\t\t{value}\n")
        _copy(
            cur, "answers", ["response_id", "question_id", "item", "value_num"], buffer.getvalue()
        )
        for table in (
            "units",
            "surveys",
            "survey_versions",
            "survey_items",
            "responses",
            "answers",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return data.responses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="answer rows")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        responses = load(url, args.rows)
        engine = OperationalEngine(create_engine(url), aggregates=False)  # the raw SQL layer
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as raw_conn:

            def raw(metric: str) -> list[tuple[object, ...]]:
                return raw_conn.execute(raw_sql(metric, MONTH)).fetchall()

            results = compare(engine, {"raw SQL": raw}, args.runs)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    answers = responses * len(QUESTIONS)
    report(
        f"PostgreSQL: {answers:,} answer rows ({responses:,} responses), unit × month, "
        f"best of {args.runs}",
        results,
        goal_ratio=1.2,
    )


if __name__ == "__main__":
    main()
