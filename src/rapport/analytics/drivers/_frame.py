"""Checking a key-driver request and taking the complete rows out of a DataFrame.

Missing values are removed by **listwise deletion**: a row missing the outcome or any
driver is dropped before anything is computed, so every figure describes one set of
respondents (``n`` rows used, ``n_dropped`` dropped). Pairwise deletion is not offered:
it can yield a correlation matrix that no single set of respondents could produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

Matrix = npt.NDArray[np.float64]

# An eigenvalue of the drivers' correlation matrix below this means one driver is (almost)
# a linear combination of others: weights would then rest on rounding noise.
COLLINEARITY_TOLERANCE = 1e-10


@dataclass(frozen=True)
class DriverData:
    """The complete rows: ``data[:, 0]`` is the outcome, ``data[:, 1:]`` the drivers."""

    data: Matrix
    outcome: str
    drivers: tuple[str, ...]
    n_dropped: int

    @property
    def n(self) -> int:
        return int(self.data.shape[0])


def complete_rows(
    df: pd.DataFrame, outcome: str, drivers: Sequence[str], *, min_rows: int | None = None
) -> DriverData:
    """Validate the columns and keep the rows where the outcome and every driver are present.

    Raises ``ValueError`` naming the column for a missing, non-numeric, infinite or constant
    column, and for too few complete rows (at least ``len(drivers) + 2`` by default, so the
    full regression keeps one residual degree of freedom).
    """
    if isinstance(drivers, str):
        raise ValueError("drivers must be a list of column names, not a single string")
    names = tuple(drivers)
    if not names:
        raise ValueError("drivers must name at least one column")
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"drivers name a column more than once: {', '.join(duplicated)}")
    if outcome in names:
        raise ValueError(f"column {outcome!r} is the outcome and cannot also be a driver")
    columns = (outcome, *names)
    for column in columns:
        if column not in df.columns:
            raise ValueError(f"column {column!r} is not in the data frame")
        dtype = df[column].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(f"column {column!r} must be numeric, got dtype {dtype}")
    values = df.loc[:, list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)
    for index, column in enumerate(columns):
        if np.isinf(values[:, index]).any():
            raise ValueError(f"column {column!r} contains infinite values")
    complete = ~np.isnan(values).any(axis=1)
    data = np.ascontiguousarray(values[complete])
    n_dropped = int(np.count_nonzero(~complete))
    needed = len(names) + 2 if min_rows is None else min_rows
    if data.shape[0] < needed:
        raise ValueError(
            f"{len(names)} drivers need at least {needed} complete rows (outcome and every "
            f"driver present); got {data.shape[0]} ({n_dropped} rows dropped for missing values)"
        )
    for index, column in enumerate(columns):
        if np.ptp(data[:, index]) == 0:
            raise ValueError(
                f"column {column!r} is constant in the {data.shape[0]} complete rows; "
                "a driver or outcome must vary"
            )
    return DriverData(data=data, outcome=outcome, drivers=names, n_dropped=n_dropped)


def correlation(data: Matrix) -> Matrix:
    """Pearson correlations of the columns, always 2-D (a single column gives [[1.0]])."""
    corr: Matrix = np.atleast_2d(np.corrcoef(data, rowvar=False))
    return corr


def check_collinearity(driver_corr: Matrix, drivers: Sequence[str]) -> None:
    """Raise ``ValueError`` naming the drivers that are (almost) linearly dependent."""
    eigenvalues, eigenvectors = np.linalg.eigh(driver_corr)
    if eigenvalues[0] >= COLLINEARITY_TOLERANCE:
        return
    loadings = np.abs(eigenvectors[:, 0])
    involved = [name for name, loading in zip(drivers, loadings, strict=True) if loading > 0.05]
    raise ValueError(
        "drivers are collinear: "
        + ", ".join(repr(name) for name in involved)
        + " together are (almost) a linear combination of each other "
        f"(smallest eigenvalue of their correlation matrix {eigenvalues[0]:.2e}); "
        "drop or combine one of them"
    )
