"""Benchmark bootstrap intervals of key-driver weights (issue 16, item 2).

Usage (from the repository root)::

    uv run python benchmarks/drivers.py [--rows 100000] [--drivers 20] [--resamples 1000]
        [--lmg-drivers 10] [--runs 2] [--baseline-resamples 20] [--blas-threads 1]

Times ``relative_weights(..., ci=0.95, n_boot=R)`` on seeded data with planted effects
(``--drivers`` drivers, ``--rows`` rows) and ``lmg(..., ci=0.95, n_boot=R)`` on the first
``--lmg-drivers`` of them (LMG fits all 2^p subsets per resample, so it is timed at a smaller
size). Baselines, measured in the same run on ``--baseline-resamples`` resamples and scaled
per resample: the same public function refitted on each resample's rows (what a generic
bootstrap such as ``scipy.stats.bootstrap`` does), and one statsmodels OLS fit per resample
(a floor for any refitting approach). Goal: relative weights with 1,000 resamples of
100,000 rows × 20 drivers in < 5 s. The verdict uses the process's CPU time: it runs on one
thread, so on a quiet machine wall and CPU agree, while on the shared machine the wall clock
also counts the other processes (both are printed, and ratios in both). The process runs
BLAS on ``--blas-threads`` threads (1, as ``create_app`` sets); the bootstrap itself always
uses one (on this shared 2-core machine two threads took 13.5 s instead of 3.8 s).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from _common import Case, Timing, best_of, verdict
from threadpoolctl import threadpool_limits

from rapport.analytics.drivers import lmg, relative_weights

GOAL_SECONDS = 5.0


def planted(rows: int, drivers: int, seed: int = 16) -> tuple[pd.DataFrame, list[str]]:
    """Correlated drivers (one shared factor) and slopes falling from 1.0 to 0.05."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=rows)
    values = rng.normal(size=(rows, drivers)) + 0.6 * common[:, None]
    slopes = np.linspace(1.0, 0.05, drivers)
    outcome = values @ slopes + rng.normal(scale=2.0, size=rows)
    names = [f"driver_{i:02d}" for i in range(drivers)]
    frame = pd.DataFrame(values, columns=names)
    frame["outcome"] = outcome
    return frame, names


def refit_each_resample(
    frame: pd.DataFrame, names: list[str], weigh: Callable[..., object], resamples: int
) -> None:
    rng = np.random.default_rng(0)
    for _ in range(resamples):
        rows = frame.iloc[rng.integers(0, len(frame), size=len(frame))]
        weigh(rows, "outcome", names)


def ols_each_resample(frame: pd.DataFrame, names: list[str], resamples: int) -> None:
    rng = np.random.default_rng(0)
    exog = sm.add_constant(frame[names].to_numpy())
    endog = frame["outcome"].to_numpy()
    for _ in range(resamples):
        rows = rng.integers(0, len(frame), size=len(frame))
        sm.OLS(endog[rows], exog[rows]).fit()


def report(label: str, fast: Timing, resamples: int, baselines: dict[str, Timing], k: int) -> None:
    print(f"{label}: {fast.wall:.2f} s wall, {fast.cpu:.2f} s CPU for {resamples} resamples "
          f"({1000 * fast.cpu / resamples:.2f} ms CPU per resample)")  # fmt: skip
    for name, timing in baselines.items():
        ratio_wall = (timing.wall / k) / (fast.wall / resamples)
        ratio_cpu = (timing.cpu / k) / (fast.cpu / resamples)
        print(f"  baseline {name}: {1000 * timing.cpu / k:.1f} ms CPU per resample "
              f"(wall {1000 * timing.wall / k:.1f} ms), measured on {k} → counted-moments "
              f"bootstrap {ratio_cpu:.1f}× faster per resample in CPU, {ratio_wall:.1f}× "
              "in wall time")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--drivers", type=int, default=20)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--lmg-drivers", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--baseline-resamples", type=int, default=20)
    parser.add_argument("--blas-threads", type=int, default=1)
    args = parser.parse_args()

    frame, names = planted(args.rows, args.drivers)
    lmg_names = names[: args.lmg_drivers]
    k = args.baseline_resamples
    print(f"{args.rows:,} rows, seed 16; {args.resamples} resamples; best of {args.runs}; "
          f"BLAS threads {args.blas_threads}\n")  # fmt: skip
    with threadpool_limits(limits=args.blas_threads):
        point = relative_weights(frame, "outcome", names)
        found = list(point.sort_values(ascending=False).index[:3]) == names[:3]
        print(f"planted order of the 3 strongest drivers found: {found}")

        def rw_boot(_: object) -> object:
            return relative_weights(frame, "outcome", names, ci=0.95, n_boot=args.resamples)

        def lmg_boot(_: object) -> object:
            return lmg(frame, "outcome", lmg_names, ci=0.95, n_boot=args.resamples)

        timings = best_of(
            args.runs,
            {
                "rw": Case(lambda run: None, rw_boot),
                "rw refit": Case(
                    lambda run: None,
                    lambda _: refit_each_resample(frame, names, relative_weights, k),
                ),
                "ols": Case(lambda run: None, lambda _: ols_each_resample(frame, names, k)),
                "lmg": Case(lambda run: None, lmg_boot),
                "lmg refit": Case(
                    lambda run: None, lambda _: refit_each_resample(frame, lmg_names, lmg, k)
                ),
            },
        )
        start = time.process_time()
        lmg(frame, "outcome", names)
        lmg_point_cpu = time.process_time() - start

    report(
        f"relative_weights, {args.drivers} drivers, 95% percentile bootstrap",
        timings["rw"],
        args.resamples,
        {"refit per resample": timings["rw refit"], "one statsmodels OLS fit": timings["ols"]},
        k,
    )
    report(
        f"lmg, {args.lmg_drivers} drivers, 95% percentile bootstrap",
        timings["lmg"],
        args.resamples,
        {"refit per resample": timings["lmg refit"]},
        k,
    )
    print(f"lmg point estimate, {args.drivers} drivers ({2**args.drivers:,} subsets): "
          f"{lmg_point_cpu:.2f} s CPU")  # fmt: skip
    ok = found and timings["rw"].cpu < GOAL_SECONDS
    print(f"\n{verdict(ok)}: relative weights bootstrap {timings['rw'].cpu:.2f} s CPU "
          f"({timings['rw'].wall:.2f} s wall; goal < {GOAL_SECONDS:.0f} s), planted drivers "
          "found")  # fmt: skip


if __name__ == "__main__":
    main()
