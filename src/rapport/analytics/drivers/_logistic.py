"""Relative weights for a binary outcome (Tonidandel & LeBreton 2010).

The drivers are replaced by their closest orthonormal counterparts Z (Johnson 2000), a
logistic regression of the outcome on Z is fitted (statsmodels), and its coefficients
are fully standardised as Menard (2004) proposes: β*_k = b_k · s(Z_k) · R_O / s(logit ŷ),
with R_O the correlation between the observed 0/1 outcome and the predicted probability.
The weights ε_j = Σ_k Λ_jk² β*_k² then sum to R_O², the squared correlation of outcome
and prediction (Menard 2000's R²_O), which is the pseudo-R² they decompose.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.drivers._frame import (
    DriverData,
    check_collinearity,
    complete_rows,
    correlation,
)
from rapport.analytics.drivers._results import result

Matrix = npt.NDArray[np.float64]


class _FitFailed(ValueError):
    """The logistic regression has no finite maximum (separation) or did not converge."""


@overload
def logistic_relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: None = ...,
    n_boot: int = ...,
    seed: int = ...,
    groups: Mapping[str, str] | None = ...,
) -> pd.Series: ...


@overload
def logistic_relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: float,
    n_boot: int = ...,
    seed: int = ...,
    groups: Mapping[str, str] | None = ...,
) -> pd.DataFrame: ...


@overload
def logistic_relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: float | None = ...,
    n_boot: int = ...,
    seed: int = ...,
    groups: Mapping[str, str] | None = ...,
) -> pd.Series | pd.DataFrame: ...


def logistic_relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = False,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    groups: Mapping[str, str] | None = None,
) -> pd.Series | pd.DataFrame:
    """Relative weights of ``drivers`` for a binary ``outcome`` (0/1 or True/False).

    Raw weights sum to R²_O, the squared correlation between the outcome and the fitted
    probability. Bootstrap intervals refit the logistic regression on each resample
    (seeded); resamples where it fails are left out and counted in ``attrs``. ``groups``
    maps drivers to a group name (a category's indicator columns to the category): the
    weights, additive, are summed per group, in each resample too, and indexed by group.

    Example:
        >>> frame = pd.DataFrame({"churn": [0, 1, 1, 0, 0, 1, 0, 1, 0, 1],
        ...                       "price": [1, 2, 4, 3, 5, 2, 1, 4, 3, 3],
        ...                       "wait": [2, 1, 2, 2, 4, 5, 3, 3, 4, 1]})
        >>> weights = logistic_relative_weights(frame, "churn", ["price", "wait"])
        >>> bool(abs(weights.sum() - weights.attrs["r_squared"]) < 1e-12)
        True
    """
    data = complete_rows(df, outcome, drivers)
    values = set(np.unique(data.data[:, 0]).tolist())
    if not values <= {0.0, 1.0}:
        shown = ", ".join(f"{value:g}" for value in sorted(values)[:5])
        raise ValueError(
            f"column {outcome!r} must be binary (0/1 or False/True) for a logistic driver "
            f"analysis; found values {shown}"
        )
    check_collinearity(correlation(data.data[:, 1:]), data.drivers)
    try:
        raw = _weights(data.data)
    except _FitFailed as error:
        raise ValueError(f"column {outcome!r}: {error}") from None

    combine, grouped_data = _grouping(data, groups)

    def bootstrap() -> Matrix:
        rng = np.random.default_rng(seed)
        samples = np.full((n_boot, len(data.drivers)), np.nan)
        for resample in range(n_boot):
            rows = data.data[rng.integers(0, data.n, size=data.n)]
            try:
                samples[resample] = _weights(rows)
            except (_FitFailed, np.linalg.LinAlgError):
                continue
        grouped: Matrix = samples @ combine
        return grouped

    return result(
        raw @ combine,
        grouped_data,
        "logistic_relative_weights",
        rescale=rescale,
        ci=ci,
        n_boot=n_boot,
        bootstrap=bootstrap,
        r_squared_kind="squared correlation of outcome and fitted probability (R²_O)",
    )


def _grouping(data: DriverData, groups: Mapping[str, str] | None) -> tuple[Matrix, DriverData]:
    """The 0/1 matrix summing driver weights into groups, and the data named by group."""
    if groups is None:
        return np.eye(len(data.drivers)), data
    unknown = [d for d in groups if d not in data.drivers]
    if unknown:
        raise ValueError(f"groups name {unknown[0]!r}, which is not a driver")
    names = list(dict.fromkeys(groups.get(d, d) for d in data.drivers))
    combine = np.zeros((len(data.drivers), len(names)))
    for row, driver in enumerate(data.drivers):
        combine[row, names.index(groups.get(driver, driver))] = 1.0
    return combine, replace(data, drivers=tuple(names))


def _weights(data: Matrix) -> Matrix:
    import statsmodels.api as sm  # imported here: ~60 MB a server need not hold
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    outcome = data[:, 0]
    drivers = data[:, 1:]
    spread = drivers.std(axis=0, ddof=1)
    if (spread == 0).any() or np.ptp(outcome) == 0:
        raise _FitFailed("a column does not vary")
    standard = (drivers - drivers.mean(axis=0)) / spread
    eigenvalues, vectors = np.linalg.eigh(correlation(standard))
    if eigenvalues[0] <= 1e-10:
        raise _FitFailed("the drivers are collinear")
    root = np.sqrt(eigenvalues)
    lam = (vectors * root) @ vectors.T
    orthonormal = standard @ ((vectors / root) @ vectors.T)
    # exp() overflows harmlessly on the way to a separated fit, which is refused below.
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = sm.Logit(outcome, sm.add_constant(orthonormal, has_constant="add")).fit(
                disp=0, maxiter=200
            )
        except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError) as error:
            raise _FitFailed(
                "the logistic regression has no finite fit (the outcome is (quasi-)perfectly "
                f"separated by the drivers, or the fit did not converge: {error})"
            ) from None
    slopes = np.asarray(fit.params)[1:]
    probability = np.asarray(fit.predict())
    linear = orthonormal @ slopes
    r_outcome = float(np.corrcoef(outcome, probability)[0, 1])
    standardised = slopes * r_outcome / linear.std(ddof=1)
    weights: Matrix = (lam**2) @ standardised**2
    return weights
