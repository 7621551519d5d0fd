"""OLS with CR1 standard errors clustered by unit and ``t(G−1)`` intervals.

The event study's picture (:mod:`.effects`) needs only the coefficients and their
intervals. This is statsmodels' ``OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups":
clusters, "use_correction": True}, use_t=True)`` step by step, with the same operations in
the same order (its pseudo-inverse with ``rcond=1e-15``, the score sums per cluster, the
sandwich, the ``G/(G−1) · (n−1)/(n−k)`` correction), so its figures are statsmodels' own
(``tests/unit/analytics/test_relationships_cluster_ols.py`` compares them). Importing
statsmodels costs a server about 60 MB of resident memory (with polars, which it loads
when installed) that no page needs otherwise.

>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(40, 2))
>>> y = x @ np.array([1.0, -2.0]) + rng.normal(size=40)
>>> fit = cluster_ols(y, x, np.repeat(np.arange(8), 5), confidence=0.95)
>>> [round(float(b), 2) for b in fit.params], bool((fit.lower < fit.params).all())
([0.89, -1.98], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ClusterFit:
    """Coefficients with the ends of their intervals (NaN where a column has no variance
    left and the interval is undefined)."""

    params: Array
    lower: Array
    upper: Array


def cluster_ols(
    y: Array, x: Array, clusters: npt.NDArray[np.int64], *, confidence: float
) -> ClusterFit:
    """OLS of ``y`` on ``x`` (no constant added), CR1 errors clustered by ``clusters``
    (integer codes ``0 … G−1``) and ``t(G−1)`` intervals at ``confidence``."""
    pinv = _pinv(x)
    params = np.dot(pinv, y)
    resid = y - np.dot(x, params)
    bread = np.dot(pinv, np.transpose(pinv))
    scores = x * resid[:, None]
    sums = np.array(
        [np.bincount(clusters, weights=scores[:, col]) for col in range(scores.shape[1])]
    ).T
    meat = np.dot(sums.T, sums)
    cov = np.dot(np.dot(bread, meat), bread.T)
    nobs, k_params = scores.shape
    groups = len(np.unique(clusters))
    cov *= groups / (groups - 1.0) * ((nobs - 1.0) / float(nobs - k_params))
    with np.errstate(invalid="ignore"):
        bse = np.sqrt(np.diag(cov))
    alpha = 1 - confidence
    q = stats.t.ppf(1 - alpha / 2, groups - 1)
    return ClusterFit(params, params - q * bse, params + q * bse)


def _pinv(x: Array) -> Array:
    """statsmodels' ``pinv_extended``: singular values at most ``1e-15 × the largest`` are
    taken as zero."""
    u, s, vt = np.linalg.svd(np.asarray(x).conjugate(), False)
    cutoff = 1e-15 * np.maximum.reduce(s)
    inverse = np.zeros_like(s)
    for i in range(min(u.shape[0], vt.shape[1])):
        inverse[i] = 1.0 / s[i] if s[i] > cutoff else 0.0
    scaled = np.multiply(inverse[:, np.newaxis], np.transpose(u))
    return np.asarray(np.dot(np.transpose(vt), scaled))
