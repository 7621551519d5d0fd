"""Honeymoon-curve analytics against independent computations of the same data.

Band means and standard errors come from a pandas ``groupby`` of simulated responses
(``pd.cut`` on the day limits); the adjacent-band tests from statsmodels' two-sample z test
on the same responses; shrinkage from the formulas written out with numpy. Tolerance 1e-9
(the same formulas in double precision) unless stated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.weightstats import ztest

from rapport.analytics.relationships.consistency import reml_tau2
from rapport.analytics.relationships.tenure import (
    BAND_LABELS,
    TENURE_BANDS,
    band_differences,
    band_of,
    fresher_units,
    tenure_curve,
    tenure_fall,
    unit_falls,
)
from rapport.services.responses import TENURE_BANDS as STORED_BANDS
from rapport.services.responses import tenure_band

EDGES = [0, 90, 365, 1095, np.inf]


def responses(seed: int, n: int = 3000, honeymoon: float = 15.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # a third of them in their first year, so every band has responses
    days = np.where(rng.random(n) < 0.3, rng.integers(0, 365, n), rng.integers(0, 3000, n))
    hearts = 58 + honeymoon * np.exp(-days / 182.6) + rng.normal(0, 18, n)
    return pd.DataFrame({"days": days, "hearts": hearts})


def by_band(frame: pd.DataFrame, keys: tuple[str, ...] = ()) -> pd.DataFrame:
    band = pd.cut(frame["days"], EDGES, right=False, labels=list(BAND_LABELS)).astype(str)
    grouped = frame.assign(band=band).groupby([*keys, "band"])["hearts"]
    out = grouped.agg(estimate="mean", sd="std", n="size").reset_index()
    out["se"] = out["sd"] / np.sqrt(out["n"])
    return out.drop(columns="sd")


def test_bands_are_those_responses_are_stored_with() -> None:
    assert [(b.upper_days or 10**9, b.label) for b in TENURE_BANDS] == list(STORED_BANDS)
    for days in (0, 1, 89, 90, 364, 365, 1094, 1095, 9000):
        assert band_of(days) == tenure_band(days)
    with pytest.raises(ValueError, match="negative"):
        band_of(-1)


def test_curve_orders_bands_and_keeps_the_groupby_figures() -> None:
    data = responses(1)
    grouped = by_band(data)
    curve = tenure_curve(grouped.sample(frac=1, random_state=3))
    assert curve["band"].tolist() == list(BAND_LABELS)
    assert curve["lower_days"].tolist() == [0, 90, 365, 1095]
    assert curve["upper_days"].tolist()[:3] == [90, 365, 1095]
    assert pd.isna(curve["upper_days"].iloc[3])
    expected = data.groupby(pd.cut(data["days"], EDGES, right=False), observed=True)["hearts"]
    assert curve["estimate"].to_numpy() == pytest.approx(expected.mean().to_numpy(), abs=1e-9)
    assert curve["n"].tolist() == expected.size().tolist()
    # A band nobody answered in is listed without an estimate.
    missing = tenure_curve(grouped[grouped["band"] != "3-12m"])
    assert missing.loc[1, "n"] == 0 and np.isnan(missing.loc[1, "estimate"])


def test_adjacent_differences_match_a_two_sample_z_test() -> None:
    data = responses(2)
    data["band"] = pd.cut(data["days"], EDGES, right=False, labels=list(BAND_LABELS)).astype(str)
    pairs = band_differences(by_band(data))
    assert pairs["from_band"].tolist() == list(BAND_LABELS[:-1])
    for row in pairs.itertuples():
        later = data.loc[data["band"] == row.band, "hearts"]
        earlier = data.loc[data["band"] == row.from_band, "hearts"]
        # statsmodels' unequal-variance z test of the two samples (ddof=1 standard errors)
        z, p = ztest(later, earlier, usevar="unequal")
        assert row.difference == pytest.approx(later.mean() - earlier.mean(), abs=1e-9)
        assert row.p_value == pytest.approx(p, rel=1e-9)
        assert row.p_adjusted == pytest.approx(min(1.0, 3 * p), rel=1e-9)
        half = stats.norm.ppf(1 - 0.05 / 6) * row.difference / z
        assert row.upper - row.difference == pytest.approx(half, rel=1e-9)


def test_fall_is_the_largest_significant_one() -> None:
    curve = pd.DataFrame(
        {"band": list(BAND_LABELS), "estimate": [70.0, 64.0, 58.0, 57.0],
         "se": [1.0, 1.0, 0.5, 0.5], "n": [300, 400, 900, 1500]}
    )  # fmt: skip
    fall = tenure_fall(curve)
    assert fall is not None
    # two falls of 6 points; 64 → 58 has the smaller standard error but the same size:
    # the first (stable sort) of equal falls is reported
    assert (fall.from_band, fall.band, fall.comparisons) == ("0-3m", "3-12m", 3)
    curve.loc[2, "estimate"] = 56.0
    fall = tenure_fall(curve)
    assert fall is not None and (fall.band, fall.difference) == ("1-3y", -8.0)
    flat = curve.assign(estimate=60.0)
    assert tenure_fall(flat) is None
    # A rise is never a fall; a band below min_n is skipped (the pair spans it).
    rising = curve.assign(estimate=[50.0, 60.0, 70.0, 80.0])
    assert tenure_fall(rising) is None
    sparse = curve.assign(n=[300, 5, 900, 1500])
    assert band_differences(sparse)["from_band"].tolist() == ["0-3m", "1-3y"]


def test_fall_needs_its_columns() -> None:
    with pytest.raises(ValueError, match="missing se or lower/upper"):
        tenure_fall(pd.DataFrame({"band": ["0-3m"], "estimate": [1.0], "n": [10]}))
    with pytest.raises(ValueError, match="unknown band '2y'"):
        tenure_curve(pd.DataFrame({"band": ["2y"], "estimate": [1.0], "n": [10], "se": [1.0]}))


def test_fresher_units_shrink_by_the_written_out_formulas() -> None:
    rng = np.random.default_rng(5)
    frames = []
    for u in range(12):
        data = responses(100 + u, n=int(rng.integers(300, 1200)), honeymoon=0 if u < 2 else 15)
        frames.append(by_band(data).assign(unit=f"u{u:02d}"))
    frame = pd.concat(frames, ignore_index=True)
    found = fresher_units(frame).set_index("unit").sort_index()
    # independent: falls from a wide table, then Morris' empirical Bayes by hand
    wide = frame.pivot(index="unit", columns="band", values=["estimate", "se"])
    est, se = wide["estimate"][list(BAND_LABELS)], wide["se"][list(BAND_LABELS)]
    fall = ((est["1-3y"] + est["3y+"]) / 2 - (est["0-3m"] + est["3-12m"]) / 2).dropna()
    fall_se = (np.sqrt((se**2).sum(axis=1)) / 2)[fall.index]
    assert list(found.index) == list(fall.index) and len(fall) == 12
    x, s = fall.to_numpy(), fall_se.to_numpy()
    tau2 = reml_tau2(x, s)
    w = 1 / (s**2 + tau2)
    mu, var_mu = (w * x).sum() / w.sum(), 1 / w.sum()
    b = tau2 / (tau2 + s**2)
    d = b * (x - mu)
    spread = np.sqrt(b * s**2 + b**2 * var_mu)
    assert found["fall"].to_numpy() == pytest.approx(x, abs=1e-9)
    assert found["fall_se"].to_numpy() == pytest.approx(s, abs=1e-9)
    assert found["difference"].to_numpy() == pytest.approx(d, abs=1e-9)
    assert found["lower"].to_numpy() == pytest.approx(d - 1.959963985 * spread, abs=1e-6)
    assert found["organisation_fall"].iloc[0] == pytest.approx(mu, abs=1e-9)
    assert set(found.index[found["fresher"]]) == {"u00", "u01"}


def test_fresher_units_flag_nothing_without_real_differences() -> None:
    frame = pd.concat(
        [by_band(responses(200 + u, n=800)).assign(unit=f"u{u}") for u in range(10)],
        ignore_index=True,
    )
    found = fresher_units(frame)
    assert not found["fresher"].any()
    # Too few units to compare: listed, never flagged.
    few = fresher_units(frame[frame["unit"].isin(["u0", "u1"])])
    assert len(few) == 2 and not few["fresher"].any()
    # A unit missing a band is left out.
    gap = frame[~((frame["unit"] == "u3") & (frame["band"] == "0-3m"))]
    assert "u3" not in set(unit_falls(gap)["unit"])
    assert unit_falls(frame.iloc[0:0]).empty
