"""Decline alarms: missing periods, small n, bad input (the statistics: tests/reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.relationships.alarms import THRESHOLD, decline_alarms, first_alarms


def frame(values: list[float], n: list[int] | None = None, se: float = 2.0) -> pd.DataFrame:
    counts = n or [30] * len(values)
    return pd.DataFrame(
        {
            "unit": "store-01",
            "period": [f"2025-{m + 1:02d}" for m in range(len(values))],
            "signal": "hearts",
            "estimate": values,
            "lower": [v - 1.96 * se for v in values],
            "upper": [v + 1.96 * se for v in values],
            "n": counts,
            "se": se,
        }
    )


def test_small_n_periods_are_skipped_and_said_so() -> None:
    values = [60, 60, 60, 20, 54, 54, 54, 54]
    n = [30, 30, 30, 4, 30, 30, 30, 30]  # the 20 rests on 4 answers: ignored
    alarms = decline_alarms(frame(values, n), signals=("hearts",), process=0.0)
    assert alarms["status"].tolist()[:4] == ["baseline"] * 3 + ["insufficient_data"]
    assert not alarms["alarm"].iloc[3]
    # the CUSUM carries over the skipped period; each later period falls 6 points against a
    # baseline of three periods (se 2/√3), less the reference value 1
    z = 6 / np.sqrt(4 + 4 / 3)
    expected = np.cumsum([z - 1.0] * 4)
    assert alarms["cusum"].iloc[4:].to_numpy() == pytest.approx(expected)
    assert alarms["alarm"].iloc[4:].tolist() == list(expected > THRESHOLD)


def test_too_few_usable_periods_is_insufficient_data() -> None:
    alarms = decline_alarms(frame([60, 40, 30], [30, 30, 5]), signals=("hearts",), process=0.0)
    assert set(alarms["status"]) == {"insufficient_data"}
    assert not alarms["alarm"].any()
    assert first_alarms(alarms)["first_alarm"].isna().all()


def test_a_rise_never_alarms() -> None:
    alarms = decline_alarms(frame([50, 50, 50, *range(55, 100, 5)]), signals=("hearts",))
    assert not alarms["alarm"].any()


def test_bad_input_names_the_problem() -> None:
    with pytest.raises(ValueError, match=r"missing column.*upper"):
        decline_alarms(frame([60]).drop(columns="upper"), signals=("hearts",))
    with pytest.raises(ValueError, match=r"no rows for signal.*nps"):
        decline_alarms(frame([60, 61, 62]))
    doubled = pd.concat([frame([60]), frame([61])], ignore_index=True)
    with pytest.raises(ValueError, match="row 1 repeats unit 'store-01'"):
        decline_alarms(doubled, signals=("hearts",))


def panel(seed: int = 7) -> pd.DataFrame:
    """Stores whose true level moves 3 points a period and regions that move 0.5, one store
    falling 2 points a period from its eighth month; the regions are not read in month 5
    (their part of the frame has a period fewer)."""
    rng = np.random.default_rng(seed)
    rows = []
    for depth, units, moves in ((2, 6, 3.0), (1, 3, 0.5)):
        for u in range(units):
            level = 60.0
            for m in range(14):
                if depth == 1 and m == 5:
                    continue
                level += rng.normal(0, moves) - (2.0 if (depth, u) == (2, 0) and m >= 7 else 0)
                for signal in ("hearts", "nps"):
                    value = level + rng.normal(0, 1.5) - (10 if signal == "nps" else 0)
                    rows.append((f"d{depth}-{u}", depth, f"2025-{m + 1:02d}", signal, value))
    found = pd.DataFrame(rows, columns=["unit", "depth", "period", "signal", "estimate"])
    return found.assign(lower=found["estimate"] - 2.94, upper=found["estimate"] + 2.94, n=40)


def test_within_estimates_the_spread_of_each_depth_apart_in_one_pass() -> None:
    """``within="depth"`` gives exactly the rows of running the detector on each depth's part
    of the frame alone (each with its own σ), the oracle; pooling the σ of both depths
    gives other paths, so the test can tell the two apart."""
    data = panel()
    key = ["unit", "period", "signal"]
    apart = pd.concat(
        [decline_alarms(part) for _, part in data.groupby("depth")], ignore_index=True
    )
    together = decline_alarms(data, within="depth")
    pd.testing.assert_frame_equal(
        together.sort_values(key).reset_index(drop=True),
        apart.sort_values(key).reset_index(drop=True),
        check_exact=True,
    )
    pooled = decline_alarms(data).sort_values(key).reset_index(drop=True)
    assert not np.allclose(pooled["cusum"], together.sort_values(key)["cusum"], equal_nan=True)
    falling = together[(together["unit"] == "d2-0") & (together["signal"] == "hearts")]
    assert falling["alarm"].any()
