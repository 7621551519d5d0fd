"""Benchmark the whole-table suppression audit on the demo's employee tables.

Usage (from the repository root)::

    uv run python benchmarks/suppression_audit.py [--runs 3] [--units 40] [--months 15]

For each employee table (grouped by unit and a second, sometimes a third, dimension) it
times ``metrics.compute`` with the audit of tables of several dimensions
(``rapport.analytics.metrics.suppression``) against the same call deciding line by line
only (the audit switched off in this process), best of ``--runs``, and prints the ratio and
the cells each shows. Goal: every two-way table within 5× of line-only decisions. The
three-way table is reported, not held to the goal: its audit takes the solver path.
Decisions of table levels are cached by content (``rapport.analytics.suppression.cache``);
every timed call here starts from an empty cache, and the cached call is reported apart.

It then times an employee unit × month metric end to end (SQL and suppression,
``metrics.compute``) against the same metric for the customer survey (no suppression) in
the same run, and prints the ratio (first call, and with the level decisions cached).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from _common import Case, best_of, migrated_sqlite, verdict

from rapport.analytics.engines import open_engine
from rapport.analytics.metrics import suppression as metrics_suppression
from rapport.analytics.suppression import SuppressionPolicy, cache
from rapport.domain.org import SYSTEM
from rapport.services import demo, metrics
from rapport.services.metrics import MetricRequest
from rapport.storage.uow import Database

SURVEY = "employee-relationship"
TABLES: dict[str, MetricRequest] = {
    "hearts unit × tenure band": MetricRequest(
        SURVEY, "hearts", by=["unit"], attribute="tenure_band"
    ),
    "hearts unit × role": MetricRequest(SURVEY, "hearts", by=["unit"], attribute="role"),
    "hearts unit × month": MetricRequest(SURVEY, "hearts", by=["unit"], period="month"),
    "hearts unit, segment role=cashier": MetricRequest(
        SURVEY, "hearts", by=["unit"], segment="role=cashier"
    ),
    "comment emotions unit × month": MetricRequest(
        SURVEY, "comment_emotions", by=["unit"], period="month"
    ),
    # Employee results come by closed month (the default policy): tables without a period
    # show the latest closed month, and a period must be the policy's.
    "hearts unit × month × role (3-way)": MetricRequest(
        SURVEY, "hearts", by=["unit"], period="month", attribute="role"
    ),
}
GOAL_RATIO = 5.0


CUSTOMER_SURVEY = "customer-relationship"


@contextmanager
def lines_only() -> Iterator[None]:
    """Switch the audit off (and the cache of decisions): every level keeps its
    line-by-line decisions."""
    with (
        patch.object(metrics_suppression._Audit, "cells_to_hide", lambda self, shown: []),
        patch.object(cache, "LEVELS", cache.DecisionCache(max_bytes=0)),
    ):
        yield


def uncached(run: int) -> None:
    """A case's setup: every timed call audits from scratch."""
    cache.LEVELS.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--months", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = migrated_sqlite(Path(folder) / "demo.db")
        db = Database(f"sqlite:///{path}")
        demo.load(db, demo.generate(seed=7, units=args.units, months=args.months))
        engine = open_engine("operational", engine=db.engine)
        policy = SuppressionPolicy()

        def shown(request: MetricRequest) -> tuple[int, int]:
            result = metrics.compute(engine, SYSTEM, request, policy)
            return sum(not row.suppressed for row in result.rows), len(result.rows)

        print(f"Demo (seed 7, {args.units} units, {args.months} months), employee survey;")
        print(f"best of {args.runs}, wall seconds; cells shown of all cells\n")
        header = f"{'table':<38} {'lines':>7} {'audited':>8} {'ratio':>6} {'shown':>15}"
        print(header)
        print("-" * len(header))
        two_way_ok = True
        for name, request in TABLES.items():

            def compute(request: MetricRequest = request) -> object:
                return metrics.compute(engine, SYSTEM, request, policy)

            with lines_only():
                before = shown(request)
                line = best_of(args.runs, {"x": Case(uncached, lambda _: compute())})
            after = shown(request)
            audit = best_of(args.runs, {"x": Case(uncached, lambda _: compute())})
            ratio = audit["x"].wall / line["x"].wall
            cells = f"{after[0]} (was {before[0]}) / {after[1]}"
            print(f"{name:<38} {line['x'].wall:>7.2f} {audit['x'].wall:>8.2f} {ratio:>6.1f} "
                  f"{cells:>15}")  # fmt: skip
            if "3-way" not in name:
                two_way_ok &= ratio <= GOAL_RATIO
        print()
        employee_vs_customer(engine, policy, args.runs)
        db.dispose()
    print(
        f"\n{verdict(two_way_ok)}: every two-way table audited within {GOAL_RATIO:.0f}× of "
        "line-only decisions"
    )


def employee_vs_customer(engine: object, policy: SuppressionPolicy, runs: int) -> None:
    """An employee unit × month metric (SQL + suppression) against the customer one."""
    requests = {
        "employee": MetricRequest(SURVEY, "hearts", by=["unit"], period="month"),
        "customer": MetricRequest(CUSTOMER_SURVEY, "hearts", by=["unit"], period="month"),
    }

    def case(request: MetricRequest, setup: object) -> Case[None]:
        return Case(setup, lambda _: metrics.compute(engine, SYSTEM, request, policy))  # type: ignore[arg-type]

    cold = best_of(runs, {who: case(r, uncached) for who, r in requests.items()})
    warm = best_of(runs, {who: case(r, lambda run: None) for who, r in requests.items()})
    for label, found in (("first call", cold), ("decisions cached", warm)):
        ratio = found["employee"].wall / found["customer"].wall
        print(
            f"hearts unit × month, {label:<16} employee {found['employee'].wall:6.2f} s   "
            f"customer {found['customer'].wall:6.2f} s   ratio {ratio:4.2f}"
        )


if __name__ == "__main__":
    main()
