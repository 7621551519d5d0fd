"""Health rows built from the previous frame's (``services.relationships._health_rows_with``)
are those of staging every unit again, the oracle: whichever units changed, with new
periods, renamed, new or gone units, and alarms that come or go on units whose own rows
did not change (the spread σ is estimated over every unit of a depth)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rapport.services import relationships as rel

COLUMNS = ["unit", "unit_name", "depth", "period", "period_label", "signal", "estimate",
           "lower", "upper", "n"]  # fmt: skip


def org(seed: int, months: int = 12, stores: int = 12) -> pd.DataFrame:
    """Two regions and their stores, hearts, minds and NPS by month; some stores decline,
    some cells rest on too few responses, and store-02 has no row in the fifth month (the
    stage model's chains step through it all the same)."""
    rng = np.random.default_rng(seed)
    units = [(f"region-{r}", 1) for r in range(2)] + [(f"store-{s:02d}", 2) for s in range(stores)]
    rows = []
    for unit, depth in units:
        level, minds, fall = 60.0, 65.0, rng.choice([0.0, 0.0, 1.5, 3.0])
        for m in range(months):
            if unit == "store-02" and m == 4:
                continue
            period = date(2025 + m // 12, m % 12 + 1, 1)
            level += rng.normal(0, 2.0) - (fall if m >= 5 else 0.0)
            minds += rng.normal(0, 1.0)
            n = int(rng.choice([6, 25, 40, 40]))
            for signal, value in (("hearts", level), ("minds", minds), ("nps", level - 40)):
                estimate = value + rng.normal(0, 1.5)
                rows.append((unit, unit.title(), depth, period, period.strftime("%Y-%m"), signal,
                             estimate, estimate - 4.0, estimate + 4.0, n))  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def moved(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The frame with one to three stores' latest month moved (as new responses move it)."""
    out = frame.copy()
    last = out["period"].max()
    stores = sorted(set(out.loc[out["depth"] == 2, "unit"]))
    for unit in rng.choice(stores, size=int(rng.integers(1, 4)), replace=False):
        shift = float(rng.normal(0, 8))
        cells = (out["unit"] == unit) & (out["period"] == last)
        for column in ("estimate", "lower", "upper"):
            out.loc[cells, column] += shift
    return out


def alarms_of(rows: list[rel.HealthRow]) -> dict[tuple[str, date], bool]:
    return {(r.unit, r.period): r.alarm for r in rows}


def test_rows_after_moved_units_are_those_of_staging_every_unit() -> None:
    rng = np.random.default_rng(2026)
    flipped = 0
    for seed in range(25):
        before = org(seed)
        built = rel._health_rows_with(before, None)
        assert built.rows == rel._health_rows(before)
        after = moved(before, rng)
        again = rel._health_rows_with(after, built)
        assert again.rows == rel._health_rows(after), f"seed {seed}"
        was, now = alarms_of(built.rows), alarms_of(again.rows)
        changed = set(after.loc[(after != before).any(axis=1), "unit"])
        assert all(
            again.units[u].digest == built.units[u].digest for u in set(built.units) - changed
        )
        flipped += sum(was[k] != now[k] for k in was if k[0] not in changed)
    # Alarms of units whose own rows did not change came or went: that path was taken.
    assert flipped > 0


@pytest.mark.parametrize(
    "change",
    [
        "store with a gap",
        "new month",
        "renamed",
        "new unit",
        "new unit, hearts only",
        "gone unit",
        "nothing",
    ],
)
def test_rows_after_other_changes_are_those_of_staging_every_unit(change: str) -> None:
    before = org(11)
    built = rel._health_rows_with(before, None)
    if change == "store with a gap":  # staged alone, on the whole frame's months
        after = before.copy()
        cells = (after["unit"] == "store-02") & (after["period"] == after["period"].max())
        after.loc[cells, "estimate"] -= 9.0
    elif change == "new month":
        after = org(11, months=13)
    elif change == "renamed":
        after = before.assign(unit_name=before["unit_name"].where(
            before["unit"] != "store-03", "Store Three"))  # fmt: skip
    elif change == "new unit":
        extra = org(12, stores=14)
        after = pd.concat([before, extra[extra["unit"] == "store-13"]], ignore_index=True)
    elif change == "new unit, hearts only":  # alone it would have no minds rows at all
        extra = org(12, stores=14)
        mine = extra[(extra["unit"] == "store-13") & (extra["signal"] != "minds")]
        after = pd.concat([before, mine], ignore_index=True)
    elif change == "gone unit":
        after = before[before["unit"] != "store-05"].reset_index(drop=True)
    else:
        after = before.copy()
    again = rel._health_rows_with(after, built)
    assert again.rows == rel._health_rows(after)
    if change == "nothing":  # every unit's rows kept as they were
        assert all(again.units[u] is built.units[u] for u in built.units)
    if change == "renamed":
        assert {r.unit_name for r in again.rows if r.unit == "store-03"} == {"Store Three"}


def test_a_unit_staged_alone_has_the_stages_it_has_among_all() -> None:
    """The stage model's chains add each unit's sums in one order (``stages._times``): a
    unit staged with the others and alone on the same periods agree to the last bit."""
    from rapport.analytics.relationships import relationship_stages

    frame = org(5)
    staged = frame[frame["signal"].isin(rel.STAGE_SIGNALS)]
    periods = pd.Index(staged["period"].unique()).sort_values()
    everyone = relationship_stages(staged)
    for unit in ("store-00", "store-07", "region-1"):
        alone = relationship_stages(staged[staged["unit"] == unit], periods=periods)
        mine = everyone[everyone["unit"] == unit].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone.reset_index(drop=True), mine, check_exact=True)
