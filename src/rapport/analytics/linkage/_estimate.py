"""One path of a unit × period panel: within-unit and between-unit slopes, corrected for the
sampling error of the source index, with cluster-robust intervals.

The source of a path (an employee index, a customer index) is a *mean of respondents* per
unit and period, so it carries sampling error of variance ``sd² / n`` per cell. Error in a
regressor attenuates its slope towards zero by the reliability λ = true variance / observed
variance of what the regression uses (Fuller 1987, *Measurement Error Models*, §1.1). With
unit and period effects the regression uses the residual of the source after the effects,
x̃ = M x (M the annihilator of the effects' design), whose error variance is
Σ M_ii e_i (e_i the cell's sampling variance). The corrected estimator is the method of
moments one,

    β = x̃'ỹ / (x̃'x̃ − Σ M_ii e_i),

less its O(1/G) bias by the delete-one-unit jackknife. Its interval inverts the score test of
the moment condition a_g − β b_g (a = x̃ỹ, b = x̃² − M e, summed within each unit g) with a
cluster-robust variance (Liang & Zeger 1986): Fieller's (1954) set of every β the test does
not reject, a quadratic in β, bounded only when the source's true variation is clearly
above its sampling error — otherwise no estimate is given and the note says why. The
small-sample factor is G/(G − 1) · (n − 1)/(n − k), k not counting the unit effects nested
in the clusters, with a t reference on G − 1 degrees of freedom (Cameron & Miller 2015).
Without sampling variances this is OLS with cluster-robust errors; the uncorrected (naive)
OLS fit is computed with statsmodels beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

FloatArray = npt.NDArray[np.float64]

MIN_UNITS = 10
"""Fewer units than this: no estimate (cluster-robust intervals need many clusters)."""
MIN_PERIODS = 3
"""Fewer periods than this (after the lag): no within-unit estimate."""
MIN_RELIABILITY = 0.1
"""Below this share of true variation in the source, the correction is not trusted."""


@dataclass(frozen=True)
class SlopeFit:
    """One slope: ``estimate`` (corrected), its interval, the naive slope, what it rests on.

    ``estimate`` is None when the data are too few; ``note`` says why.
    """

    level: str
    estimate: float | None
    lower: float | None
    upper: float | None
    se: float | None
    p_value: float | None
    naive: float | None
    naive_lower: float | None
    naive_upper: float | None
    reliability: float | None
    standardised: float | None
    r_squared: float | None
    n_units: int
    n_periods: int
    n_cells: int
    note: str | None = None


LEVELS = ("within", "pooled", "between")
"""``within``: unit and period effects; ``pooled``: period effects only (every difference,
within and between units, counts); ``between``: one row per unit, its means."""


def slope(
    panel: pd.DataFrame,
    source: str,
    target: str,
    level: str = "within",
    *,
    source_error: str | None = None,
    target_error: str | None = None,
    confidence: float = 0.95,
) -> SlopeFit:
    """Slope of ``target`` on ``source`` at one of :data:`LEVELS`, corrected for the sampling
    error of both sides' cell means (the source's attenuates the slope; the target's only
    matters for the standardised effect), with an interval clustered by unit.

    ``panel`` has ``unit`` and ``period`` columns and one row per cell; ``source_error`` and
    ``target_error`` name columns of the cells' sampling variances (None: measured without
    error). Example::

        slope(panel, "employee hearts", "customer hearts", source_error="employee hearts var")
    """
    if level not in LEVELS:
        raise ValueError(f"level: expected within, pooled or between, got {level!r}")
    data = _complete(panel, source, target, source_error, target_error)
    n_units, n_periods = data["unit"].nunique(), data["period"].nunique()
    empty = _empty(level, n_units, n_periods, len(data))
    if n_units < MIN_UNITS or (level == "within" and n_periods < MIN_PERIODS):
        return _too_few(empty, n_units, n_periods)
    if level == "between":
        data = _unit_means(data, source, target, source_error, target_error)
        design = np.ones((len(data), 1))
    else:
        design = _effects(data, units=level == "within")
    # Unit indicators are nested in the clusters: they do not count as regressors in the
    # small-sample factor (Cameron & Miller 2015, §III.B; Stata's xtreg, fe).
    absorbed = n_units if level == "within" else 0
    fit = _fit(data, design, source, target, source_error, target_error, confidence, absorbed)
    return _finish(fit, empty)


def _unit_means(
    data: pd.DataFrame,
    source: str,
    target: str,
    source_error: str | None,
    target_error: str | None,
) -> pd.DataFrame:
    """One row per unit: the means of its cells, and their sampling variances."""
    grouped = data.groupby("unit", sort=True)
    means = grouped[[source, target]].mean()
    cells = grouped.size()
    for column in (source_error, target_error):
        if column is not None:  # the variance of a mean of independent cells
            means[column] = grouped[column].sum() / cells**2
    return means.reset_index()


@dataclass(frozen=True)
class _Fit:
    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float
    naive: float
    naive_lower: float
    naive_upper: float
    reliability: float
    standardised: float
    r_squared: float


def _fit(
    data: pd.DataFrame,
    design: FloatArray,
    source: str,
    target: str,
    source_error: str | None,
    target_error: str | None,
    confidence: float,
    absorbed: int,
) -> _Fit:
    x = data[source].to_numpy(np.float64)
    y = data[target].to_numpy(np.float64)
    groups = pd.factorize(data["unit"])[0]
    basis, rank = _basis(design)
    keep = 1.0 - np.einsum("ij,ij->i", basis, basis)  # M_ii
    x_res = x - basis @ (basis.T @ x)
    y_res = y - basis @ (basis.T @ y)
    n, k = len(x), rank + 1 - absorbed
    x_error = _errors(data, source_error, n)
    y_error = _errors(data, target_error, n)
    sxx = float(x_res @ x_res)
    syy = float(y_res @ y_res)
    if sxx <= 0:
        raise ValueError(f"{source} does not vary within the groups compared")
    true_sxx = sxx - float(keep @ x_error)
    reliability = true_sxx / sxx
    beta = float(x_res @ y_res) / true_sxx if true_sxx > 0 else float("nan")
    # Cluster sums of the moment condition a − β b (a = x̃ỹ, b = x̃² − M e): linear in β.
    a = np.bincount(groups, weights=x_res * y_res).astype(np.float64)
    b = np.bincount(groups, weights=x_res**2 - keep * x_error).astype(np.float64)
    g = len(a)
    factor = g / (g - 1) * (n - 1) / max(n - k, 1)
    score = a - beta * b
    beta = _jackknife(a, b, beta)
    se = float(np.sqrt(factor * (score @ score)) / abs(true_sxx))
    quantile = float(stats.t.ppf(0.5 + confidence / 2, g - 1))
    p_value = float(2 * stats.t.sf(abs(beta / se), g - 1)) if se > 0 else float("nan")
    lower, upper = _fieller(a, b, factor * quantile**2)
    true_syy = syy - float(keep @ y_error)
    if true_syy <= 0:
        true_syy = syy
    standardised = beta * np.sqrt(max(true_sxx, 0.0) / true_syy) if syy > 0 else float("nan")
    naive = _naive(x, y, design, groups, confidence)
    # R² net of the effects (the within R² with unit effects), of the uncorrected fit
    naive_residual = y_res - naive[0] * x_res
    r_squared = 1 - float(naive_residual @ naive_residual) / syy if syy > 0 else float("nan")
    return _Fit(
        beta,
        se,
        lower,
        upper,
        p_value,
        *naive,
        reliability,
        float(standardised),
        r_squared,
    )


def _jackknife(a: FloatArray, b: FloatArray, beta: float) -> float:
    """The ratio Σa/Σb less its O(1/G) bias, by the delete-one-unit jackknife (Quenouille
    1956): a ratio whose denominator is estimated is biased away from zero by about
    Var(Σb)/(Σb)², which matters when the source's reliability is low."""
    rest = b.sum() - b
    if not np.isfinite(beta) or (rest <= 0).any():
        return beta
    g = len(a)
    return float(g * beta - (g - 1) * ((a.sum() - a) / rest).mean())


def _fieller(a: FloatArray, b: FloatArray, critical: float) -> tuple[float, float]:
    """The interval of β whose score test is not rejected (Fieller 1954): every β with
    (Σa − β Σb)² ≤ critical · Σ(a_g − β b_g)², a quadratic in β. When the source barely
    varies beyond its sampling error the set is unbounded: (−inf, inf)."""
    big_a, big_b = a.sum(), b.sum()
    qa = big_b**2 - critical * (b @ b)
    qb = -2 * (big_a * big_b - critical * (a @ b))
    qc = big_a**2 - critical * (a @ a)
    disc = qb**2 - 4 * qa * qc
    if qa <= 0 or disc < 0:
        return float("-inf"), float("inf")
    root = np.sqrt(disc)
    return float((-qb - root) / (2 * qa)), float((-qb + root) / (2 * qa))


def _naive(
    x: FloatArray,
    y: FloatArray,
    design: FloatArray,
    groups: npt.NDArray[np.intp],
    confidence: float,
) -> tuple[float, float, float]:
    """The uncorrected slope by statsmodels OLS, errors clustered by unit."""
    import statsmodels.api as sm  # imported here: ~60 MB a server need not hold

    exog = np.column_stack([x, design])
    model = sm.OLS(y, exog, hasconst=True)
    if len(np.unique(groups)) == len(groups):
        result = model.fit(method="qr", cov_type="HC1", use_t=True)
    else:
        result = model.fit(method="qr", cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    lower, upper = result.conf_int(alpha=1 - confidence)[0]
    return float(result.params[0]), float(lower), float(upper)


def _finish(fit: _Fit, empty: SlopeFit) -> SlopeFit:
    note = None
    bounded = np.isfinite(fit.lower) and np.isfinite(fit.upper)
    if not np.isfinite(fit.estimate) or fit.reliability < MIN_RELIABILITY or not bounded:
        # An estimated reliability below 0 means the sampling error exceeds the variation.
        shown = f"{fit.reliability:.2f}" if fit.reliability >= 0 else "below 0"
        note = (
            f"the source varies too little beyond its sampling error (reliability "
            f"{shown}) for a bounded interval; the naive slope, "
            f"{fit.naive:.2f}, is attenuated towards zero"
        )
        return SlopeFit(
            empty.level,
            None,
            None,
            None,
            None,
            None,
            fit.naive,
            fit.naive_lower,
            fit.naive_upper,
            fit.reliability,
            None,
            None,
            empty.n_units,
            empty.n_periods,
            empty.n_cells,
            note,
        )
    if empty.n_units < 2 * MIN_UNITS:
        note = f"only {empty.n_units} units: cluster-robust intervals may be too narrow"
    return SlopeFit(
        empty.level,
        fit.estimate,
        fit.lower,
        fit.upper,
        fit.se,
        fit.p_value,
        fit.naive,
        fit.naive_lower,
        fit.naive_upper,
        fit.reliability,
        fit.standardised,
        fit.r_squared,
        empty.n_units,
        empty.n_periods,
        empty.n_cells,
        note,
    )


def _too_few(empty: SlopeFit, n_units: int, n_periods: int) -> SlopeFit:
    wanted = f"at least {MIN_UNITS} units"
    if empty.level == "within":
        wanted += f" and {MIN_PERIODS} periods"
    note = (
        f"too few data: {n_units} units and {n_periods} periods with both measures; needs {wanted}"
    )
    return _empty(empty.level, n_units, n_periods, empty.n_cells, note)


def _empty(
    level: str, n_units: int, n_periods: int, n_cells: int, note: str | None = None
) -> SlopeFit:
    none = None
    return SlopeFit(
        level, none, none, none, none, none, none, none, none, none, none, none,
        n_units, n_periods, n_cells, note,
    )  # fmt: skip


def _complete(panel: pd.DataFrame, source: str, target: str, *errors: str | None) -> pd.DataFrame:
    for column in ("unit", "period", source, target, *(e for e in errors if e)):
        if column not in panel.columns:
            raise ValueError(f"the panel has no column {column!r}")
    data = panel.dropna(subset=[source, target])
    return data.sort_values(["unit", "period"]).reset_index(drop=True)


def _effects(data: pd.DataFrame, *, units: bool) -> FloatArray:
    """Intercept, period and (``units``) unit indicators, the first of each left out."""
    columns = [np.ones((len(data), 1))]
    for name in ("period", "unit") if units else ("period",):
        columns.append(pd.get_dummies(data[name], drop_first=True, dtype=np.float64).to_numpy())
    return np.column_stack(columns)


def _basis(design: FloatArray) -> tuple[FloatArray, int]:
    """An orthonormal basis of the design's column space, and its rank (an unbalanced panel
    can make indicators collinear; QR is exact enough and far cheaper than an SVD here)."""
    q, r = np.linalg.qr(design)
    diagonal = np.abs(np.diag(r))
    kept = diagonal > diagonal.max() * 1e-10
    if not kept.all():  # drop dependent columns and orthonormalise again
        q, _ = np.linalg.qr(design[:, kept])
    return q, int(kept.sum())


def _errors(data: pd.DataFrame, column: str | None, n: int) -> FloatArray:
    if column is None:
        return np.zeros(n)
    return data[column].fillna(0.0).to_numpy(np.float64)
