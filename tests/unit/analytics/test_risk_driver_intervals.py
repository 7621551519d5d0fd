"""The risk drivers' bootstrap intervals against an independent computation.

``fit_risk`` bounds each driver's logistic relative weight (a category's summed over its
levels) by a seeded percentile bootstrap. Here the same resamples (the same generator,
seed and row draws) are weighed again without Rapport's code: the orthonormal counterpart
from scipy's matrix square root, the logistic fit by scikit-learn (unpenalised), Menard's
standardisation by its formula, the level sums and numpy's quantiles. Tolerance 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import sqrtm
from sklearn.linear_model import LogisticRegression

from rapport.analytics.risk import fit_risk

SEED, RESAMPLES, N = 3, 60, 300


def _people() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "pay": rng.normal(size=N),
            "commute": rng.normal(size=N),
            # "basic" is the most frequent level, so it is the reference.
            "plan": rng.choice(["basic", "plus", "pro"], N, p=[0.5, 0.3, 0.2]),
        }
    )
    logit = -1.0 - 1.2 * frame["pay"] + 0.3 * frame["commute"] + 0.8 * (frame["plan"] == "pro")
    frame["left"] = np.where(rng.random(N) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


def _weights(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    standard = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    corr = np.corrcoef(standard, rowvar=False)
    root = np.real(sqrtm(corr))
    z = standard @ np.linalg.inv(root)
    model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(z, y)
    slopes = model.coef_[0]
    r_outcome = np.corrcoef(y, model.predict_proba(z)[:, 1])[0, 1]
    beta = slopes * r_outcome / (z @ slopes).std(ddof=1)
    return (root**2) @ beta**2


def test_driver_intervals_match_an_independent_bootstrap() -> None:
    frame = _people()
    fit = fit_risk(frame, "left", driver_resamples=RESAMPLES, seed=SEED)
    x = np.column_stack(
        [frame["pay"], frame["commute"], frame["plan"] == "plus", frame["plan"] == "pro"]
    ).astype(float)
    y = (frame["left"] == "yes").to_numpy(float)
    groups = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=float)
    rng = np.random.default_rng(SEED)
    samples = np.array(
        [
            _weights(x[rows], y[rows]) @ groups
            for rows in (rng.integers(0, N, size=N) for _ in range(RESAMPLES))
        ]
    )
    lower, upper = np.quantile(samples, [0.025, 0.975], axis=0)
    found = fit.drivers.set_index("driver").loc[["pay", "commute", "plan"]]
    np.testing.assert_allclose(found["weight"], _weights(x, y) @ groups, atol=1e-6)
    np.testing.assert_allclose(found["lower"], lower, atol=1e-6)
    np.testing.assert_allclose(found["upper"], upper, atol=1e-6)
    assert (found["lower"] < found["weight"]).all() and (found["weight"] < found["upper"]).all()
    assert not any("bootstrap" in note for note in fit.notes)


def test_driver_resamples_must_be_a_count() -> None:
    with pytest.raises(ValueError, match="driver_resamples"):
        fit_risk(_people(), "left", driver_resamples=1)
