"""Benchmark the ROI simulator from a fitted linkage (issue 16, item 6).

Usage (from the repository root)::

    uv run python benchmarks/roi.py [--units 400] [--months 36] [--draws 20000]
        [--horizon 12] [--runs 3]

A seeded unit × month panel with planted paths (employee hearts (t − 1) → customer hearts
(t), 0.5 points per point; customer hearts → revenue, 0.8 % per point; cells of 4–12
employees and 15–30 customers, as tests/reference/test_reference_linkage.py) is linked
once by :func:`rapport.analytics.linkage.link`; then timed, best of ``--runs``, rounds
interleaved:

- ``roi``: :func:`rapport.analytics.roi.roi` of a 5-point employee hearts rise over
  ``--horizon`` months from the two fitted within paths, ``--draws`` parametric draws: every
  figure's interval, P(ROI > 0), the delta-method interval and the payback timeline;
- baseline ``raw draws``: the same simulation written as bare numpy — the Student t draws
  of both slopes and the ROI's percentiles only (the least any simulated interval costs);
- baseline ``linkage fit``: ``link`` of the panel (what the ROI page runs first).

Goal: the ROI simulation adds little to the linkage it rests on — at most 5 % of the
linkage fit's CPU time at 400 units × 36 months — and stays within 10× the raw draws
(it computes a dozen intervals and a timeline where the raw draws compute one).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import Case, best_of, verdict
from threadpoolctl import threadpool_limits

from rapport.analytics.linkage import link
from rapport.analytics.roi import Scenario, path_estimate, roi

SHARE_OF_LINKAGE = 0.05
RAW_RATIO = 10.0


def planted_panel(units: int, months: int, seed: int = 16) -> tuple[pd.DataFrame, ...]:
    """Employee and customer cell means with sampling variances, and revenue."""
    rng = np.random.default_rng(seed)
    ex = 62 + rng.normal(0, 6, units)[:, None] + rng.normal(0, 6, (units, months + 1))
    cx = 58 + rng.normal(0, 2, units)[:, None] + 0.5 * (ex[:, :-1] - 62)
    cx = cx + rng.normal(0, 1.5, (units, months))
    ex = ex[:, 1:]
    revenue = np.exp(
        np.log(1e5) + rng.normal(0, 0.35, units)[:, None] + 0.008 * (cx - 58)
        + rng.normal(0, 0.02, (units, months))
    )  # fmt: skip
    unit, period = np.meshgrid(np.arange(units), np.arange(months), indexing="ij")
    base = pd.DataFrame({"unit": [f"u{u:03d}" for u in unit.ravel()], "period": period.ravel()})

    def cells(latent: np.ndarray, low: int, high: int) -> dict[str, np.ndarray]:
        n = rng.integers(low, high + 1, latent.size)
        return {
            "hearts": latent.ravel() + rng.normal(0, 15 / np.sqrt(n)),
            "hearts_var": 225 * rng.chisquare(n - 1) / (n - 1) / n,
        }

    return (
        base.assign(**cells(ex, 4, 12)),
        base.assign(**cells(cx, 15, 30)),
        base.assign(revenue=revenue.ravel()),
    )


def raw_draws(a: float, se_a: float, b: float, se_b: float, units: int, draws: int) -> None:
    """The bare simulation: t draws of both slopes, the ROI of each, its percentiles."""
    rng = np.random.default_rng(0)
    slope_a = a + se_a * rng.standard_t(units - 1, draws)
    slope_b = b + se_b * rng.standard_t(units - 1, draws)
    gain = 1e6 * np.expm1(5 * slope_a * slope_b / 100)
    np.percentile((gain * 11 - 150_000) / 150_000, [2.5, 97.5])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    threadpool_limits(1)  # as create_app: one BLAS thread
    employee, customer, revenue = planted_panel(args.units, args.months)
    fitted = link(employee, customer, revenue, indices=("hearts",), log_outcomes=["revenue"])
    within = fitted[fitted["level"] == "within"].set_index("target")
    to_customer = path_estimate(within.loc["customer hearts"].to_dict())
    to_revenue = path_estimate(within.loc["revenue"].to_dict())
    scenario = Scenario(
        rise=5, horizon=args.horizon, revenue=1e6, one_off_cost=100_000, per_period_cost=5_000
    )
    result = roi(scenario, to_revenue, to_customer, draws=args.draws)
    a, b = to_customer, to_revenue
    if not (a.usable and b.usable):
        raise SystemExit(f"the linkage gave no estimate: {a.note or b.note}")
    cases = {
        "roi": Case(lambda run: None, lambda _: roi(scenario, b, a, draws=args.draws)),
        "raw draws": Case(
            lambda run: None,
            lambda _: raw_draws(
                float(a.estimate or 0),
                float(a.se or 0),
                float(b.estimate or 0),
                float(b.se or 0),
                a.n_units,
                args.draws,
            ),
        ),
        "linkage fit": Case(
            lambda run: None,
            lambda _: link(
                employee, customer, revenue, indices=("hearts",), log_outcomes=["revenue"]
            ),
        ),
    }
    timings = best_of(args.runs, cases)
    print(
        f"panel {args.units} units × {args.months} months; paths: employee → customer "
        f"{a.estimate:.3f} (se {a.se:.3f}), customer → revenue {b.estimate:.3f} %/pt "
        f"(se {b.se:.3f}); ROI {result.roi.value:.2f} [{result.roi.lower:.2f}, "
        f"{result.roi.upper:.2f}], P(ROI > 0) {result.probability_positive:.3f}"
    )
    for name, timing in timings.items():
        print(f"{name:<12} {1000 * timing.wall:9.1f} ms wall {1000 * timing.cpu:9.1f} ms CPU")
    sim, raw, fit = timings["roi"], timings["raw draws"], timings["linkage fit"]
    share, ratio = sim.cpu / fit.cpu, sim.cpu / raw.cpu
    print(
        f"roi / raw draws: {ratio:.2f}× CPU ({sim.wall / raw.wall:.2f}× wall); "
        f"roi / linkage fit: {share:.3f}× CPU ({sim.wall / fit.wall:.3f}× wall)"
    )
    ok = share <= SHARE_OF_LINKAGE and ratio <= RAW_RATIO
    print(
        f"{verdict(ok)}: ROI simulation ≤ {SHARE_OF_LINKAGE:.0%} of the linkage fit and "
        f"≤ {RAW_RATIO:.0f}× the raw draws (CPU)"
    )


if __name__ == "__main__":
    main()
