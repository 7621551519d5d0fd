"""The difference-in-differences bootstrap of a learning or action effect
(``analytics/relationships/wild_bootstrap.py``) against the straightforward response-level
wild cluster bootstrap it replaced.

Issue 13's ``/learnings`` at 400 units × 24 months spent 44 s of CPU and 7.2 GB in the
bootstrap, which rebuilt every draw's outcomes (n × B, and n × m × B for the pre-trend
test's scores). Both sides here run one DiD's inference on the same seeded panel (unit
levels, month shocks, AR(1) deviations, an effect planted on the treated units, a share of
cells missing): the interval by test inversion and the pre-trend Wald test with all the
leads, 1,999 draws. The straightforward side is the old code, kept as the oracle of
``tests/unit/analytics/test_relationships_wild_bootstrap.py`` and imported from it; it runs
at ``--baseline-units`` (it needs n·m·B floats), the per-cluster side at that size and at
``--units``. Peak memory is tracemalloc's (numpy reports its arrays to it), in an untimed
run of its own.

    uv run python benchmarks/wild_bootstrap.py
    uv run python benchmarks/wild_bootstrap.py --units 40 --baseline-units 20 --draws 199
"""

from __future__ import annotations

import argparse
import importlib.util
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import Case, best_of, verdict
from threadpoolctl import threadpool_limits

from rapport.analytics.relationships.wild_bootstrap import wald_draws, wild_cluster_interval

ORACLE = Path(__file__).parents[1] / "tests/unit/analytics/test_relationships_wild_bootstrap.py"
GOAL_SECONDS, GOAL_MB = 1.0, 100.0


def oracle() -> ModuleType:
    """The test module holding the response-level bootstrap and the panel simulation."""
    spec = importlib.util.spec_from_file_location("wild_bootstrap_oracle", ORACLE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {ORACLE}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_cluster(panel: tuple[Any, ...], draws: int) -> tuple[Any, ...]:
    y, d, x, leads, units, periods, _ = panel
    groups = int(units.max()) + 1
    interval = wild_cluster_interval(
        y, d, units, periods, correction=groups / (groups - 1), draws=draws
    )
    return interval, wald_draws(y, x, leads, units, periods, draws=draws)


def response_level(module: ModuleType, panel: tuple[Any, ...], draws: int) -> tuple[Any, ...]:
    y, d, x, leads, units, _, within = panel
    groups = int(units.max()) + 1
    interval = module._oracle_interval(
        y, d, units, within, correction=groups / (groups - 1), draws=draws
    )
    return interval, module._oracle_wald(y, x, leads, units, within, draws=draws)


def peak_mb(action: Any) -> float:
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--baseline-units", type=int, default=40)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--treated", type=int, default=5)
    parser.add_argument("--missing", type=float, default=0.05)
    parser.add_argument("--draws", type=int, default=1999)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    threadpool_limits(1)  # as create_app: one BLAS thread
    module = oracle()
    start = args.months // 2
    small = module._panel(1, args.baseline_units, args.months, args.treated, start, args.missing)
    large = module._panel(1, args.units, args.months, args.treated, start, args.missing)
    draws = args.draws
    cases = {
        "response level": Case(lambda run: small, lambda p: response_level(module, p, draws)),
        "per cluster": Case(lambda run: small, lambda p: per_cluster(p, draws)),
        "per cluster, large": Case(lambda run: large, lambda p: per_cluster(p, draws)),
    }
    timings = best_of(args.runs, cases)
    peaks = {
        "response level": peak_mb(lambda: response_level(module, small, draws)),
        "per cluster": peak_mb(lambda: per_cluster(small, draws)),
        "per cluster, large": peak_mb(lambda: per_cluster(large, draws)),
    }
    sizes = {
        "response level": args.baseline_units,
        "per cluster": args.baseline_units,
        "per cluster, large": args.units,
    }
    print(f"one DiD's interval and pre-trend test, {args.months} months, {draws} draws")
    for name, timing in timings.items():
        print(
            f"{name:<20} {sizes[name]:>5} units {timing.cpu:8.3f} s CPU {timing.wall:8.3f} s wall "
            f"{peaks[name]:9.1f} MB peak"
        )
    old, new, large = (timings[name] for name in sizes)
    (old_p, *old_ends), (old_seen, old_stats) = response_level(module, small, draws)
    (new_p, *new_ends), (new_seen, new_stats) = per_cluster(small, draws)
    worst = max(
        *(abs(a / b - 1) for a, b in zip(new_ends, old_ends, strict=True)),
        abs(new_seen / old_seen - 1),
        float(abs(new_stats / old_stats - 1).max()),
    )
    same = old_p == new_p and worst < 1e-9
    print(
        f"at {args.baseline_units} units: response level / per cluster "
        f"{old.cpu / new.cpu:.1f}× CPU, {peaks['response level'] / peaks['per cluster']:.1f}× "
        f"peak memory; p-values {'equal' if old_p == new_p else 'DIFFER'}, interval ends and "
        f"Wald statistics within {worst:.1e} relative"
    )
    ok = same and large.cpu <= GOAL_SECONDS and peaks["per cluster, large"] <= GOAL_MB
    print(
        f"{verdict(ok)}: same answers, and at {args.units} units ≤ {GOAL_SECONDS:.0f} s CPU "
        f"and ≤ {GOAL_MB:.0f} MB peak"
    )


if __name__ == "__main__":
    main()
