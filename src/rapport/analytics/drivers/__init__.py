"""Key-driver analysis: how much of an outcome each driver accounts for.

Two decompositions of a linear regression's R² among correlated drivers:

- :func:`relative_weights` — Johnson's (2000) relative weights: regress the outcome on the
  orthonormal variables closest to the drivers and share each one's contribution back by
  the squared correlations with the drivers. One eigen-decomposition; any number of drivers.
- :func:`lmg` — the LMG measure (Lindeman, Merenda & Gold 1980; Grömping 2006), the Shapley
  value of R² and Budescu's (1993) general dominance: each driver's gain in R² averaged
  over every order of entry. Exact over all 2^p subsets, so limited to
  :data:`LMG_MAX_DRIVERS` drivers.

and for a binary outcome (churn, attrition) :func:`logistic_relative_weights`
(Tonidandel & LeBreton 2010). docs/drivers.md compares them and lists the references.

Every function takes a pandas DataFrame and column names and returns a Series of raw
weights indexed by driver, summing to the model's R² (``rescale=True``: shares summing to
1). With ``ci=0.95`` it returns a DataFrame with ``estimate``, ``lower`` and ``upper`` per
driver, from a seeded percentile bootstrap. Rows missing the outcome or any driver are
dropped (listwise deletion); ``result.attrs`` states ``n``, ``n_dropped``, ``r_squared``,
``method`` and, with intervals, ``confidence``, ``n_boot`` and ``n_boot_used``.

Bad input raises ``ValueError`` naming the column: missing or non-numeric columns,
infinite values, a constant column, too few complete rows, collinear drivers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.drivers._bootstrap import bootstrap_weights
from rapport.analytics.drivers._frame import check_collinearity, complete_rows, correlation
from rapport.analytics.drivers._logistic import logistic_relative_weights
from rapport.analytics.drivers._results import result
from rapport.analytics.drivers._weights import lmg_from_corr, relative_weights_from_corr

__all__ = ["LMG_MAX_DRIVERS", "lmg", "logistic_relative_weights", "relative_weights"]

Matrix = npt.NDArray[np.float64]

LMG_MAX_DRIVERS = 20
"""LMG needs the R² of all 2^p driver subsets: 20 drivers are 1,048,576 small solves
(3–5 s on one core here); each further driver doubles that. Use relative weights beyond."""


@overload
def relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: None = ...,
    n_boot: int = ...,
    seed: int = ...,
) -> pd.Series: ...


@overload
def relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: float,
    n_boot: int = ...,
    seed: int = ...,
) -> pd.DataFrame: ...


@overload
def relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: float | None = ...,
    n_boot: int = ...,
    seed: int = ...,
) -> pd.Series | pd.DataFrame: ...


def relative_weights(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = False,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.Series | pd.DataFrame:
    """Johnson's (2000) relative weights of ``drivers`` for ``outcome``.

    Example:
        >>> frame = pd.DataFrame({"y": [1, 3, 2, 5, 4, 6], "a": [1, 2, 2, 4, 3, 5],
        ...                       "b": [2, 1, 3, 3, 5, 4]})
        >>> weights = relative_weights(frame, "y", ["a", "b"])
        >>> round(float(weights.sum()), 4) == round(weights.attrs["r_squared"], 4)
        True
    """
    return _decompose(
        df,
        outcome,
        drivers,
        relative_weights_from_corr,
        "relative_weights",
        rescale,
        ci,
        n_boot,
        seed,
    )


@overload
def lmg(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: None = ...,
    n_boot: int = ...,
    seed: int = ...,
) -> pd.Series: ...


@overload
def lmg(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: float,
    n_boot: int = ...,
    seed: int = ...,
) -> pd.DataFrame: ...


@overload
def lmg(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = ...,
    ci: float | None = ...,
    n_boot: int = ...,
    seed: int = ...,
) -> pd.Series | pd.DataFrame: ...


def lmg(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    rescale: bool = False,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.Series | pd.DataFrame:
    """LMG / Shapley decomposition of R² (general dominance) of ``drivers`` for ``outcome``.

    Exact: the R² of every subset of drivers comes from the correlation matrix, one small
    solve each; at most :data:`LMG_MAX_DRIVERS` drivers.

    Example:
        >>> frame = pd.DataFrame({"y": [1, 3, 2, 5, 4, 6], "a": [1, 2, 2, 4, 3, 5],
        ...                       "b": [2, 1, 3, 3, 5, 4]})
        >>> lmg(frame, "y", ["a", "b"], rescale=True).round(3).tolist()
        [0.854, 0.146]
    """
    if not isinstance(drivers, str) and len(drivers) > LMG_MAX_DRIVERS:
        raise ValueError(
            f"lmg takes at most {LMG_MAX_DRIVERS} drivers (got {len(drivers)}): it fits all "
            f"2^p driver subsets, {2 ** len(drivers):,} here; use relative_weights, which "
            "approximates LMG closely at any size"
        )
    return _decompose(df, outcome, drivers, lmg_from_corr, "lmg", rescale, ci, n_boot, seed)


def _decompose(
    df: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    weigh: Callable[[Matrix], Matrix],
    method: str,
    rescale: bool,
    ci: float | None,
    n_boot: int,
    seed: int,
) -> pd.Series | pd.DataFrame:
    data = complete_rows(df, outcome, drivers)
    corr = correlation(data.data)
    check_collinearity(corr[1:, 1:], data.drivers)
    return result(
        weigh(corr),
        data,
        method,
        rescale=rescale,
        ci=ci,
        n_boot=n_boot,
        bootstrap=lambda: bootstrap_weights(data.data, _valid_only(weigh), n_boot, seed),
    )


def _valid_only(weigh: Callable[[Matrix], Matrix]) -> Callable[[Matrix], Matrix]:
    """``weigh`` on the resamples whose correlation matrix exists; NaN rows for the rest."""

    def weigh_valid(corr: Matrix) -> Matrix:
        valid = ~np.isnan(corr).any(axis=(1, 2))
        result = np.full((corr.shape[0], corr.shape[-1] - 1), np.nan)
        if valid.any():
            result[valid] = weigh(corr[valid])
        return result

    return weigh_valid
