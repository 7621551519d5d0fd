"""Shifts of a share from a unit's baseline: has this period's share of annoyed comments,
of "taken for granted" in the emotion picker, of repeat complaints moved?

Like the stage model, each unit is compared with its own start: the **baseline** pools the
unit's first ``baseline_periods`` (3) usable periods (n ≥ ``min_n``, 10) of the signal,
``p₀ = Σ successes / Σ n``. Each later usable period's share ``p`` is compared with it by the
two-proportion z test with the pooled variance, ``z = (p − p₀) / √(p̄(1 − p̄)(1/n + 1/n₀))``;
the shift is **significant** when ``|z|`` exceeds the normal quantile of ``1 − α/2``
(α = 0.01: many signals are read every period, so the bar is higher than 5 %). Shares are
in percent, as the metrics engine gives them.

>>> import pandas as pd
>>> frame = pd.DataFrame({"unit": "a", "period": [1, 2, 3, 4], "signal": "picked.annoyance",
...                       "estimate": [10.0, 10.0, 10.0, 40.0], "n": [50, 50, 50, 50]})
>>> out = share_shifts(frame)
>>> out[["period", "baseline", "significant"]].values.tolist()[-1]
[4, 10.0, True]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

BASELINE_PERIODS = 3
ALPHA = 0.01


def share_shifts(
    frame: pd.DataFrame,
    baseline_periods: int = BASELINE_PERIODS,
    min_n: int = 10,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Per unit × signal × period after the baseline: ``estimate``, ``baseline``
    (percent), ``baseline_n``, ``z``, ``p_value`` and ``significant``. Input columns:
    ``unit``, ``period``, ``signal``, ``estimate`` (percent, NaN when hidden) and ``n``."""
    missing = [c for c in ("unit", "period", "signal", "estimate", "n") if c not in frame]
    if missing:
        raise ValueError(
            f"share frame: missing column(s) {', '.join(missing)} (expected unit, period, "
            "signal, estimate, n)"
        )
    frame = frame.astype({"estimate": float, "n": float})
    usable = frame[frame["estimate"].notna() & (frame["n"] >= min_n)].sort_values("period")
    usable = usable.assign(successes=usable["estimate"] / 100.0 * usable["n"])
    rank = usable.groupby(["unit", "signal"]).cumcount()
    base = usable[rank < baseline_periods].groupby(["unit", "signal"])
    pooled = pd.DataFrame({"base_successes": base["successes"].sum(), "baseline_n": base["n"].sum(),
                           "base_periods": base.size()})  # fmt: skip
    pooled = pooled[pooled["base_periods"] == baseline_periods]
    later = usable[rank >= baseline_periods].join(pooled, on=["unit", "signal"], how="inner")
    p = later["estimate"] / 100.0
    p0 = later["base_successes"] / later["baseline_n"]
    p_bar = (later["successes"] + later["base_successes"]) / (later["n"] + later["baseline_n"])
    se = np.sqrt(p_bar * (1 - p_bar) * (1 / later["n"] + 1 / later["baseline_n"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ((p - p0) / se).where(se > 0, 0.0)
    z = z.astype(float)
    p_value = 2 * stats.norm.sf(np.abs(z.to_numpy()))
    return pd.DataFrame(
        {
            "unit": later["unit"],
            "period": later["period"],
            "signal": later["signal"],
            "estimate": later["estimate"],
            "baseline": p0 * 100.0,
            "baseline_n": later["baseline_n"].astype(int),
            "z": z,
            "p_value": p_value,
            "significant": p_value < alpha,
        }
    ).reset_index(drop=True)
