"""Maximum-likelihood one-factor model of a correlation matrix.

Used by :func:`rapport.analytics.reliability.mcdonald_omega`. The fit is the one R's
``stats::factanal`` performs (Jöreskog 1967; Lawley & Maxwell 1971): for uniquenesses
ψ, the loadings follow from the leading eigenpair of R* = Ψ^{-1/2} R Ψ^{-1/2}, and ψ
minimises the ML discrepancy

    F(ψ) = −Σ_{j≥2} (log e_j − e_j) − 1 + p,

where e_j are the eigenvalues of R* below the largest. ψ is bounded to [0.005, 1] as in
``factanal``, so a Heywood case stops at the bound instead of at zero. ML estimates are
scale invariant, so loadings on the covariance scale are λ_i·s_i and ψ_i·s_i².
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize

LOWEST_UNIQUENESS = 0.005
"""Lower bound on each uniqueness, as ``factanal``'s ``lower`` control."""

MAX_RESTARTS = 5

Vector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OneFactorFit:
    """Loadings λ and uniquenesses ψ of a one-factor model, on the correlation scale."""

    loadings: Vector
    uniquenesses: Vector


def _scaled_correlation(correlation: Vector, uniquenesses: Vector) -> Vector:
    scale = 1.0 / np.sqrt(uniquenesses)
    scaled: Vector = correlation * np.outer(scale, scale)
    return scaled


def _loadings(correlation: Vector, uniquenesses: Vector) -> Vector:
    values, vectors = np.linalg.eigh(_scaled_correlation(correlation, uniquenesses))
    leading: Vector = vectors[:, -1] * math.sqrt(max(values[-1] - 1.0, 0.0))
    loadings: Vector = np.sqrt(uniquenesses) * leading
    return loadings


def _discrepancy(uniquenesses: Vector, correlation: Vector) -> float:
    values = np.linalg.eigvalsh(_scaled_correlation(correlation, uniquenesses))[:-1]
    items = int(correlation.shape[0])
    return -float(np.sum(np.log(values) - values)) - 1.0 + items


def _discrepancy_gradient(uniquenesses: Vector, correlation: Vector) -> Vector:
    loadings = _loadings(correlation, uniquenesses)
    residual = np.outer(loadings, loadings) + np.diag(uniquenesses) - correlation
    gradient: Vector = np.diag(residual) / uniquenesses**2
    return gradient


def _minimise_from(start: Vector, correlation: Vector) -> tuple[Vector, float]:
    """L-BFGS-B from ``start``, restarted from its own end point until it stops moving.

    A restart resets the quasi-Newton memory; it rescues the rare run whose line search
    gives up early next to the non-smooth point where the leading eigenvalue of R*
    reaches 1.
    """
    uniquenesses, discrepancy = start, math.inf
    for _ in range(MAX_RESTARTS):
        result = optimize.minimize(
            _discrepancy,
            uniquenesses,
            args=(correlation,),
            jac=_discrepancy_gradient,
            method="L-BFGS-B",
            bounds=[(LOWEST_UNIQUENESS, 1.0)] * correlation.shape[0],
            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000},
        )
        moved = float(np.max(np.abs(result.x - uniquenesses)))
        uniquenesses = np.asarray(result.x, dtype=np.float64)
        discrepancy = float(result.fun)
        if moved < 1e-10:
            break
    return uniquenesses, discrepancy


def fit_one_factor(correlation: npt.ArrayLike) -> OneFactorFit:
    """Fit one common factor to a positive-definite correlation matrix by ML.

    Minimises the discrepancy with L-BFGS-B from two starts — ψ = (1 − 0.5/p)/diag(R⁻¹)
    as ``factanal`` does, and ψ = 0.5 for every item — and keeps the better optimum, so
    that an early stop of one run cannot change the answer. ``result.success`` is not
    consulted: with these tight tolerances L-BFGS-B can report an "abnormal" line-search
    end at the optimum, and the bounds keep ψ admissible either way. The sign of the
    loadings is chosen so that their sum is non-negative. Requires p ≥ 3 items (fewer
    leave the model unidentified).

    Example:
        >>> r = [[1.0, 0.48, 0.40], [0.48, 1.0, 0.30], [0.40, 0.30, 1.0]]
        >>> fit_one_factor(r).loadings.round(4).tolist()
        [0.8, 0.6, 0.5]
    """
    matrix = np.asarray(correlation, dtype=np.float64)
    p = matrix.shape[0]
    if matrix.shape != (p, p) or p < 3:
        raise ValueError("the correlation matrix must be square with at least 3 items")
    factanal_start = np.clip(
        (1.0 - 0.5 / p) / np.diag(np.linalg.inv(matrix)), LOWEST_UNIQUENESS, 1.0
    )
    fits = [_minimise_from(start, matrix) for start in (factanal_start, np.full(p, 0.5))]
    uniquenesses, _ = min(fits, key=lambda fit: fit[1])
    loadings = _loadings(matrix, uniquenesses)
    if loadings.sum() < 0:
        loadings = -loadings
    return OneFactorFit(loadings, uniquenesses)
