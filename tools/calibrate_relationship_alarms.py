"""Calibrate the decline-alarm threshold (``rapport.analytics.relationships.alarms``).

Simulates stable units — HORIZON periods, n drawn uniformly from 10…40 responses each period,
answers with sd 20, no change — runs the detector's baseline, standardisation and CUSUM, and
prints the threshold h whose share of units alarming (max CUSUM > h) is FALSE_ALARM_RATE,
with a bootstrap interval. Seeds 20261202 (200,000 units) and 5 (400,000) gave h = 4.30
and 4.31, bootstrap intervals up to 4.36; the shipped 4.40 leaves a margin (its share:
2.4–2.5 %).

    uv run python tools/calibrate_relationship_alarms.py [--units 200000] [--seed 20261202]
"""

from __future__ import annotations

import argparse

import numpy as np

from rapport.analytics.relationships.alarms import (
    BASELINE_PERIODS,
    FALSE_ALARM_RATE,
    HORIZON,
    REFERENCE,
    THRESHOLD,
    cusum,
)
from rapport.analytics.relationships.signals import baseline_means, first_usable


def stable_maxima(units: int, seed: int, horizon: int = HORIZON) -> np.ndarray:
    """The largest CUSUM of each simulated stable unit over ``horizon`` periods."""
    rng = np.random.default_rng(seed)
    n = rng.integers(10, 41, size=(units, horizon))
    se = 20.0 / np.sqrt(n)
    x = rng.normal(0.0, se)
    base, after = first_usable(np.ones(x.shape, dtype=bool), BASELINE_PERIODS)
    baseline, baseline_se = baseline_means(x, se, base)
    z = (baseline[:, None] - x) / np.sqrt(se**2 + baseline_se[:, None] ** 2)
    z[~after] = np.nan
    return np.nan_to_num(cusum(z, REFERENCE), nan=0.0).max(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    maxima = stable_maxima(args.units, args.seed)
    h = float(np.quantile(maxima, 1 - FALSE_ALARM_RATE))
    rng = np.random.default_rng(args.seed + 1)
    boot = [
        np.quantile(rng.choice(maxima, size=maxima.size), 1 - FALSE_ALARM_RATE) for _ in range(200)
    ]
    low, high = np.quantile(boot, [0.025, 0.975])
    print(f"h = {h:.4f} (bootstrap 95 %: {low:.4f}–{high:.4f})")
    print(f"shipped THRESHOLD = {THRESHOLD}: false-alarm share {np.mean(maxima > THRESHOLD):.4f}")
    for horizon in (12, 24, 36):
        share = np.mean(stable_maxima(args.units // 4, args.seed + horizon, horizon) > THRESHOLD)
        print(f"horizon {horizon}: false-alarm share {share:.4f}")


if __name__ == "__main__":
    main()
