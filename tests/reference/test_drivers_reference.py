"""Key-driver weights against published values and independent exact computations.

Data and reference values: ``tests/data/keydriver/PROVENANCE.md``.
"""

from __future__ import annotations

from itertools import combinations, permutations
from math import factorial
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from rapport.analytics.drivers import lmg, logistic_relative_weights, relative_weights
from rapport.analytics.drivers._weights import lmg_from_corr, relative_weights_from_corr

DATA = Path(__file__).resolve().parent.parent / "data" / "keydriver"
ATTITUDE_DRIVERS = ["complaints", "privileges", "learning", "raises", "critical", "advance"]
Matrix = npt.NDArray[np.float64]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name).drop(columns="rownames")


def _assert_each(weights: pd.Series, expected: dict[str, float] | pd.Series, tol: float) -> None:
    for driver, value in dict(expected).items():
        assert weights[driver] == pytest.approx(value, abs=tol), driver


def _ols_r_squared(df: pd.DataFrame, outcome: str, drivers: tuple[str, ...]) -> float:
    if not drivers:
        return 0.0
    fit = sm.OLS(df[outcome], sm.add_constant(df[list(drivers)])).fit()
    return float(fit.rsquared)


def _shapley_by_permutations(df: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.Series:
    """LMG the definition's way: the mean gain of each driver over all p! orders of entry.

    Each subset's R² is a statsmodels OLS fit on the rows (not the correlation matrix).
    """
    r2 = {
        frozenset(subset): _ols_r_squared(df, outcome, subset)
        for size in range(len(drivers) + 1)
        for subset in combinations(drivers, size)
    }
    gains = dict.fromkeys(drivers, 0.0)
    for order in permutations(drivers):
        entered: frozenset[str] = frozenset()
        for driver in order:
            gains[driver] += r2[entered | {driver}] - r2[entered]
            entered = entered | {driver}
    return pd.Series(gains) / factorial(len(drivers))


def _orthonormal_counterparts(x: Matrix) -> tuple[Matrix, Matrix]:
    """Johnson's Z by the singular value decomposition of the z-scored rows, and Λ = corr(X, Z).

    Z = √(n − 1)·U V' is the orthonormal matrix closest to the standardised drivers
    (Johnson 2000, eq. 4); Λ is measured on the rows, not taken from an eigen-decomposition.
    """
    standard = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    u, _, vt = np.linalg.svd(standard, full_matrices=False)
    z = np.sqrt(x.shape[0] - 1) * u @ vt
    p = x.shape[1]
    lam = np.corrcoef(standard, z, rowvar=False)[:p, p:]
    return z, lam


def _relative_weights_by_svd(df: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.Series:
    z, lam = _orthonormal_counterparts(df[drivers].to_numpy(float))
    y = df[outcome].to_numpy(float)
    beta = sm.OLS((y - y.mean()) / y.std(ddof=1), z).fit().params
    return pd.Series((lam**2) @ (np.asarray(beta) ** 2), index=drivers)


def test_attitude_lmg_reproduces_the_published_shares() -> None:
    # Published to three decimals: a correct value lies within 5e-4 of each.
    weights = lmg(_read("attitude.csv"), "rating", ATTITUDE_DRIVERS)
    published = {
        "complaints": 0.371,
        "learning": 0.156,
        "raises": 0.120,
        "privileges": 0.051,
        "advance": 0.028,
        "critical": 0.007,
    }
    _assert_each(weights, published, 5e-4)
    assert weights.attrs["r_squared"] == pytest.approx(0.733, abs=5e-4)
    assert weights.sum() == pytest.approx(weights.attrs["r_squared"], abs=1e-12)
    assert list(weights.sort_values(ascending=False).index) == list(published)


def test_attitude_lmg_equals_shapley_over_all_orders_of_ols_fits() -> None:
    df = _read("attitude.csv")
    expected = _shapley_by_permutations(df, "rating", ATTITUDE_DRIVERS)
    weights = lmg(df, "rating", ATTITUDE_DRIVERS)
    _assert_each(weights, expected, 1e-6)
    full = _ols_r_squared(df, "rating", tuple(ATTITUDE_DRIVERS))
    assert weights.sum() == pytest.approx(full, abs=1e-6)


def test_attitude_relative_weights_equal_an_svd_computation() -> None:
    df = _read("attitude.csv")
    expected = _relative_weights_by_svd(df, "rating", ATTITUDE_DRIVERS)
    weights = relative_weights(df, "rating", ATTITUDE_DRIVERS)
    _assert_each(weights, expected, 1e-6)
    assert weights.sum() == pytest.approx(0.7326019925, abs=1e-6)


def test_mtcars_relative_weights_match_the_rwa_package() -> None:
    # rwa README (martinctc/rwa); printed to 7 significant digits, tolerance 1e-6.
    df = _read("mtcars.csv")
    drivers = ["cyl", "disp", "hp", "gear"]
    raw = relative_weights(df, "mpg", drivers)
    published = {"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744, "gear": 0.0963886}
    _assert_each(raw, published, 1e-6)
    assert raw.attrs["r_squared"] == pytest.approx(0.7791896, abs=1e-6)
    shares = relative_weights(df, "mpg", drivers, rescale=True) * 100
    rescaled = {"cyl": 29.32274, "disp": 28.50999, "hp": 29.79691, "gear": 12.37037}
    _assert_each(shares, rescaled, 1e-4)  # percentage points: 1e-6 of the whole


def test_mtcars_five_driver_relative_weights_match_the_rwa_package() -> None:
    df = _read("mtcars.csv")
    raw = relative_weights(df, "mpg", ["cyl", "disp", "hp", "gear", "wt"])
    published = {
        "wt": 0.23642417,
        "cyl": 0.18833374,
        "hp": 0.18809142,
        "disp": 0.16479802,
        "gear": 0.07345304,
    }
    _assert_each(raw, published, 1e-6)


def test_mtcars_lmg_matches_relaimpo_and_domir() -> None:
    # domir README (jluchman/domir): relaimpo's calc.relimp(type = "lmg") and domir's general
    # dominance values, printed to 7 significant digits; tolerance 1e-6.
    weights = lmg(_read("mtcars.csv"), "mpg", ["am", "vs", "cyl"])
    _assert_each(weights, {"am": 0.1774892, "vs": 0.2027032, "cyl": 0.3817849}, 1e-6)
    assert weights.attrs["r_squared"] == pytest.approx(0.7619773, abs=1e-6)


def test_mtcars_lmg_equals_shapley_over_all_orders_of_ols_fits() -> None:
    df = _read("mtcars.csv")
    drivers = ["cyl", "disp", "hp", "gear", "wt"]
    expected = _shapley_by_permutations(df, "mpg", drivers)
    weights = lmg(df, "mpg", drivers)
    _assert_each(weights, expected, 1e-6)


def _planted_orthogonal(seed: int, n: int, coefficients: list[float]) -> pd.DataFrame:
    """Drivers made exactly uncorrelated (QR), outcome with planted slopes and noise."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(n, len(coefficients)))
    q, _ = np.linalg.qr(raw - raw.mean(axis=0))
    drivers = q * np.sqrt(n - 1)
    outcome = drivers @ np.array(coefficients) + rng.normal(size=n)
    frame = pd.DataFrame(drivers, columns=[f"d{i}" for i in range(len(coefficients))])
    frame["y"] = outcome
    return frame


def test_uncorrelated_drivers_get_their_squared_correlation() -> None:
    # With uncorrelated drivers R² splits exactly into the squared simple correlations, and
    # both methods must return them (Johnson 2000; Grömping 2006, section 2).
    frame = _planted_orthogonal(seed=16, n=400, coefficients=[0.9, 0.5, 0.2, 0.0])
    drivers = ["d0", "d1", "d2", "d3"]
    squared = frame[drivers].corrwith(frame["y"]) ** 2
    for method in (lmg, relative_weights):
        weights = method(frame, "y", drivers)
        for driver in drivers:
            assert weights[driver] == pytest.approx(squared[driver], abs=1e-10), driver
    ranked = lmg(frame, "y", drivers).sort_values(ascending=False).index
    assert list(ranked[:3]) == ["d0", "d1", "d2"]


def _logistic_weights_by_sklearn(df: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.Series:
    """Tonidandel & LeBreton's weights with Z by SVD and an unpenalised sklearn fit."""
    z, lam = _orthonormal_counterparts(df[drivers].to_numpy(float))
    y = df[outcome].to_numpy(float)
    model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000, solver="lbfgs")
    model.fit(z, y)
    b = model.coef_[0]
    probability = model.predict_proba(z)[:, 1]
    r_o = np.corrcoef(y, probability)[0, 1]
    standardised = b * z.std(axis=0, ddof=1) * r_o / (z @ b).std(ddof=1)
    return pd.Series((lam**2) @ standardised**2, index=drivers)


def _planted_churn(seed: int, n: int) -> pd.DataFrame:
    """Correlated drivers; churn follows a logistic model with planted slopes 1.2, 0.6, 0."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    drivers = rng.normal(size=(n, 3)) + 0.5 * common[:, None]
    logit = -0.3 + drivers @ np.array([1.2, 0.6, 0.0])
    churn = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(drivers, columns=["price", "wait", "noise"])
    frame["churn"] = churn
    return frame


def test_logistic_relative_weights_equal_an_independent_fit() -> None:
    frame = _planted_churn(seed=7, n=2000)
    drivers = ["price", "wait", "noise"]
    expected = _logistic_weights_by_sklearn(frame, "churn", drivers)
    weights = logistic_relative_weights(frame, "churn", drivers)
    _assert_each(weights, expected, 1e-6)
    assert weights.sum() == pytest.approx(weights.attrs["r_squared"], abs=1e-12)
    # The independent weights sum to the squared correlation of outcome and sklearn's
    # fitted probability (R²_O), which is what the attrs report.
    assert weights.attrs["r_squared"] == pytest.approx(expected.sum(), abs=1e-6)
    assert list(weights.sort_values(ascending=False).index) == drivers


def test_logistic_relative_weights_on_mtcars_transmission() -> None:
    df = _read("mtcars.csv")
    drivers = ["cyl", "hp", "wt"]
    expected = _logistic_weights_by_sklearn(df, "am", drivers)
    weights = logistic_relative_weights(df, "am", drivers)
    _assert_each(weights, expected, 1e-6)


@pytest.mark.slow
def test_bootstrap_intervals_cover_the_population_weights() -> None:
    # 200 seeded data sets of 300 rows from a known population: four correlated drivers,
    # slopes 0.5, 0.3, 0.2, 0.1 and unit noise. The population weights follow exactly from
    # the population correlation matrix. A 95% interval should cover them in about 95% of
    # data sets; percentile intervals run a little short (measured 92.5–94.5%). With 200
    # data sets the Monte Carlo standard error is 1.5 points: 0.88 is ~4.5 SE below 0.95.
    rxx = np.array(
        [[1, 0.5, 0.3, 0.2], [0.5, 1, 0.4, 0.1], [0.3, 0.4, 1, 0.3], [0.2, 0.1, 0.3, 1.0]]
    )
    slopes = np.array([0.5, 0.3, 0.2, 0.1])
    sd_y = np.sqrt(slopes @ rxx @ slopes + 1.0)
    population = np.empty((5, 5))
    population[0, 0] = 1.0
    population[0, 1:] = population[1:, 0] = rxx @ slopes / sd_y
    population[1:, 1:] = rxx
    truth = {
        lmg: lmg_from_corr(population),
        relative_weights: relative_weights_from_corr(population),
    }
    root = np.linalg.cholesky(rxx)
    covered = {method: np.zeros(4) for method in truth}
    datasets = 200
    for dataset in range(datasets):
        rng = np.random.default_rng(1000 + dataset)
        x = rng.normal(size=(300, 4)) @ root.T
        frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
        frame["y"] = x @ slopes + rng.normal(size=300)
        for method, weights in truth.items():
            result = method(frame, "y", ["a", "b", "c", "d"], ci=0.95, n_boot=300, seed=dataset)
            inside = (result["lower"] <= weights) & (weights <= result["upper"])
            covered[method] += inside.to_numpy()
    for method, hits in covered.items():
        coverage = hits / datasets
        assert ((coverage >= 0.88) & (coverage <= 0.99)).all(), (method.__name__, coverage)
