"""Consistency across units against independent computations and planted cases.

- DerSimonian–Laird τ², the random-effects mean and its standard error, Cochran's Q and I²
  against statsmodels' ``combine_effects`` (method ``chi2``), to 1e-9 (same formulas in
  double precision).
- REML τ² against a direct numerical maximisation of the restricted log-likelihood
  (scipy ``minimize_scalar``), to 1e-6 relative (the optimiser's tolerance).
- Planted: 400 units, true between-unit sd τ = 4 points, n from 10…60 (se 2.6–6.3): τ̂
  within ±0.6 (about 3 of its standard errors: sd 0.22 over seeds 1–40); empirical-Bayes
  estimates closer to the true unit levels than the raw ones (mean squared error at most
  80 % of the raw one; 50–75 % over seeds 1–30); three units planted at 100 (40 points, 10 τ,
  above the mean) ranked 1–3 and the only ones flagged, while a tiny unit (se of 3 answers)
  with a raw +15 is not flagged (all so on seeds 1–30).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from statsmodels.stats.meta_analysis import combine_effects

from rapport.analytics.relationships.consistency import (
    consistency_index,
    dersimonian_laird,
    outlier_units,
    random_effects,
    reml_tau2,
    shrunk_estimates,
)

TOLERANCE = 1e-9
rng = np.random.default_rng(1515)
CASES = [
    (np.array([1.0, 2, 5, 3, 0]), np.array([1.0, 0.5, 2, 1, 0.3])),
    (rng.normal(60, 5, 27), rng.uniform(4, 30, 27)),
    (rng.normal(10, 1, 8), rng.uniform(1, 3, 8)),  # little heterogeneity
    (np.array([60.0, 61, 59, 60.5]), np.array([9.0, 9, 9, 9])),  # none: τ² = 0
]


@pytest.mark.parametrize(("x", "variance"), CASES)
def test_dersimonian_laird_matches_statsmodels(x: np.ndarray, variance: np.ndarray) -> None:
    expected = combine_effects(x, variance, method_re="chi2", use_t=False)
    fit = random_effects(x, np.sqrt(variance), method="dl")
    # statsmodels leaves a negative moment estimate unfloored; with τ² = 0 the random-effects
    # mean is the fixed-effect one
    assert fit.tau2 == pytest.approx(max(0.0, expected.tau2), abs=TOLERANCE)
    if expected.tau2 >= 0:
        assert fit.mean == pytest.approx(expected.mean_effect_re, abs=TOLERANCE)
        assert fit.mean_se == pytest.approx(expected.sd_eff_w_re, abs=TOLERANCE)
    else:
        assert fit.mean == pytest.approx(expected.mean_effect_fe, abs=TOLERANCE)
        assert fit.mean_se == pytest.approx(expected.sd_eff_w_fe, abs=TOLERANCE)
    assert fit.q == pytest.approx(expected.q, abs=TOLERANCE)
    assert fit.reliability == pytest.approx(max(0.0, expected.i2), abs=TOLERANCE)


def restricted_log_likelihood(tau2: float, x: np.ndarray, variance: np.ndarray) -> float:
    w = 1.0 / (variance + tau2)
    mean = (w * x).sum() / w.sum()
    return float(
        -0.5 * (np.log(variance + tau2).sum() + np.log(w.sum()) + (w * (x - mean) ** 2).sum())
    )


@pytest.mark.parametrize(("x", "variance"), CASES)
def test_reml_maximises_the_restricted_likelihood(x: np.ndarray, variance: np.ndarray) -> None:
    upper = 10 * float(np.var(x)) + 1
    best = optimize.minimize_scalar(
        lambda t: -restricted_log_likelihood(t, x, variance),
        bounds=(0.0, upper),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert reml_tau2(x, np.sqrt(variance)) == pytest.approx(best.x, rel=1e-6, abs=1e-6)


def planted(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    generator = np.random.default_rng(seed)
    units = 400
    truth = 60 + generator.normal(0, 4.0, units)
    truth[:3] = 100.0  # planted outliers: 40 points, 10 τ, above the mean
    n = generator.integers(10, 61, units)
    se = 20 / np.sqrt(n)
    se[3] = 20 / np.sqrt(3)
    estimate = generator.normal(truth, se)
    estimate[3] = 75.0  # a tiny unit with a raw +15
    regions = np.array(["north", "south", "east", "west"])[np.arange(units) % 4]
    frame = pd.DataFrame(
        {
            "unit": [f"u{i:03d}" for i in range(units)],
            "estimate": estimate,
            "se": se,
            "n": 40,
            "region": regions,
        }
    )
    return frame, truth


def test_planted_between_unit_spread_is_recovered() -> None:
    frame, _ = planted(4)
    clean = frame.iloc[4:]  # the planted outliers and the tiny unit out: τ = 4
    result = consistency_index(clean).iloc[0]
    print(f"tau {result['tau']:.3f}, consistency {result['consistency']:.3f}")
    assert result["tau"] == pytest.approx(4.0, abs=0.6)
    assert result["mean"] == pytest.approx(60.0, abs=0.6)


def test_shrinkage_and_outliers() -> None:
    frame, truth = planted(4)
    shrunk = shrunk_estimates(frame).set_index("unit").loc[frame["unit"]]
    raw_mse = float(((frame["estimate"].to_numpy() - truth) ** 2).mean())
    eb_mse = float(((shrunk["shrunk"].to_numpy() - truth) ** 2).mean())
    print(f"MSE raw {raw_mse:.2f}, shrunk {eb_mse:.2f}")
    assert eb_mse <= 0.8 * raw_mse
    assert set(shrunk.loc[["u000", "u001", "u002"], "rank"]) == {1.0, 2.0, 3.0}
    assert set(shrunk.index[shrunk["outlier"]]) == {"u000", "u001", "u002"}
    assert not shrunk.loc["u003", "outlier"]
    assert outlier_units(frame)["unit"].tolist() == list(shrunk.sort_values("rank").index[:3])
    assert shrunk.loc["u003", "weight"] < 0.3  # pulled most of the way to the mean


def test_regions_are_fitted_on_their_own_units() -> None:
    frame, _ = planted(5)
    by_region = consistency_index(frame, by="region").set_index("group")
    assert list(by_region.index) == ["organisation", "east", "north", "south", "west"]
    west = frame[frame["region"] == "west"]
    fit = random_effects(west["estimate"].to_numpy(), west["se"].to_numpy())
    assert by_region.loc["west", "tau"] == pytest.approx(np.sqrt(fit.tau2), abs=TOLERANCE)
    assert by_region.loc["west", "units"] == 100
    shrunk = shrunk_estimates(frame, by="region")
    assert set(shrunk["group"]) == {"east", "north", "south", "west"}
    assert dersimonian_laird(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0


def test_bad_input_names_the_columns() -> None:
    with pytest.raises(ValueError, match="expected columns unit, estimate and se"):
        consistency_index(pd.DataFrame({"unit": ["a"], "estimate": [1.0]}))
    with pytest.raises(ValueError, match="unit 'a' appears twice"):
        consistency_index(pd.DataFrame({"unit": ["a", "a"], "estimate": [1.0, 2], "se": 1.0}))
    with pytest.raises(ValueError, match="no column 'region'"):
        consistency_index(
            pd.DataFrame({"unit": ["a", "b"], "estimate": [1.0, 2], "se": 1.0}), by="region"
        )
