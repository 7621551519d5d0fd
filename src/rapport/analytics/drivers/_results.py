"""Shaping weights and bootstrap samples into the Series or DataFrame the API returns."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.drivers._frame import DriverData
from rapport.analytics.estimates import validate_confidence

Matrix = npt.NDArray[np.float64]


def validate_bootstrap(ci: float, n_boot: int) -> None:
    """Raise ``ValueError`` unless 0 < ci < 1 and at least 2 resamples are asked for."""
    validate_confidence(ci, "ci")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ValueError(f"n_boot must be a whole number of at least 2, got {n_boot!r}")


def result(
    raw: Matrix,
    data: DriverData,
    method: str,
    *,
    rescale: bool,
    ci: float | None,
    n_boot: int,
    bootstrap: Callable[[], Matrix],
    **extra: object,
) -> pd.Series | pd.DataFrame:
    """The Series of weights, or with ``ci`` the interval DataFrame from ``bootstrap()``.

    ``raw`` are the full sample's weights; ``bootstrap`` returns one row of raw weights per
    resample (NaN where a resample has none).
    """
    r_squared = float(raw.sum())
    estimate = raw / r_squared if rescale else raw
    attrs: dict[str, object] = {
        "method": method,
        "n": data.n,
        "n_dropped": data.n_dropped,
        "r_squared": r_squared,
        **extra,
        "rescaled": rescale,
    }
    if ci is None:
        return series(estimate, data, attrs)
    validate_bootstrap(ci, n_boot)
    return interval_frame(estimate, bootstrap(), data, attrs, ci, rescale)


def series(estimate: Matrix, data: DriverData, attrs: dict[str, object]) -> pd.Series:
    series = pd.Series(
        estimate,
        index=pd.Index(data.drivers, name="driver"),
        name="share" if attrs["rescaled"] else "weight",
    )
    series.attrs.update(attrs)
    return series


def interval_frame(
    estimate: Matrix,
    samples: Matrix,
    data: DriverData,
    attrs: dict[str, object],
    ci: float,
    rescale: bool,
) -> pd.DataFrame:
    """Percentile intervals from bootstrap weights (shares of each resample's own R²)."""
    usable = samples[~np.isnan(samples).any(axis=1)]
    if usable.shape[0] < 2:
        raise ValueError(
            "bootstrap failed: fewer than 2 resamples had every column varying; "
            "more complete rows are needed for an interval"
        )
    if rescale:
        usable = usable / usable.sum(axis=1, keepdims=True)
    tail = (1.0 - ci) / 2.0
    lower, upper = np.quantile(usable, [tail, 1.0 - tail], axis=0)
    frame = pd.DataFrame(
        {"estimate": estimate, "lower": lower, "upper": upper},
        index=pd.Index(data.drivers, name="driver"),
    )
    frame.attrs.update(
        attrs,
        confidence=ci,
        interval="percentile bootstrap",
        n_boot=int(samples.shape[0]),
        n_boot_used=int(usable.shape[0]),
    )
    return frame
