"""Relative weights and LMG from correlation matrices, many matrices at once.

Every function takes correlation matrices of shape ``(..., q, q)`` whose first row and
column belong to the outcome and the rest to the drivers, so the bootstrap can pass a
stack of resampled matrices and the point estimate a single one. Nothing here sees rows.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from math import factorial

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Index = npt.NDArray[np.int64]

# Gathered subset matrices per batched solve (floats): bounds memory at about 64 MB.
_SOLVE_BATCH = 8_000_000


def relative_weights_from_corr(corr: Matrix) -> Matrix:
    """Johnson's (2000) relative weights of each driver, shape ``(..., p)``.

    With R_xx = V diag(e) V' the drivers' correlation matrix, Λ = V diag(√e) V' holds the
    correlations of the drivers with their closest orthonormal counterparts Z; β = Λ⁻¹ r_xy
    are the standardised coefficients of the outcome on Z and ε_j = Σ_k Λ_jk² β_k². The ε
    sum to R² because the Z are uncorrelated and each row of Λ² sums to 1.
    """
    rxx = corr[..., 1:, 1:]
    rxy = corr[..., 1:, 0]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))
    lam = (vectors * root[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    # A singular resample (drivers collinear in it) gives inf/NaN weights here; the
    # bootstrap drops such resamples and reports how many it used (``n_boot_used``).
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_root = (vectors / root[..., None, :]) @ np.swapaxes(vectors, -1, -2)
        beta = (inverse_root @ rxy[..., None])[..., 0]
        weights: Matrix = ((lam**2) @ (beta**2)[..., None])[..., 0]
    return weights


@lru_cache(maxsize=32)
def _subsets(p: int, size: int) -> tuple[Index, Index]:
    """Every subset of ``size`` drivers: positions ``(m, size)`` and bit masks ``(m,)``."""
    positions = np.array(list(combinations(range(p), size)), dtype=np.int64).reshape(-1, size)
    masks = (np.int64(1) << positions).sum(axis=1)
    return positions, masks


def subset_r_squared(corr: Matrix) -> Matrix:
    """R² of the outcome on every subset of the drivers, shape ``(..., 2**p)`` by bit mask.

    Each subset's R² is r_S' R_SS⁻¹ r_S, one small solve on the correlation matrix; the
    solves of one subset size run as a single batched LAPACK call.
    """
    p = corr.shape[-1] - 1
    batch = corr.shape[:-2]
    stacked = int(np.prod(batch, dtype=np.int64))
    r_squared = np.zeros((*batch, 1 << p))
    for size in range(1, p + 1):
        positions, masks = _subsets(p, size)
        step = max(1, _SOLVE_BATCH // max(1, stacked * size * size))
        for start in range(0, len(masks), step):
            chunk = positions[start : start + step] + 1
            r_ss = corr[..., chunk[:, :, None], chunk[:, None, :]]
            r_s = corr[..., chunk, 0]
            solution = np.linalg.solve(r_ss, r_s[..., None])[..., 0]
            r_squared[..., masks[start : start + step]] = np.einsum("...k,...k->...", r_s, solution)
    return r_squared


@lru_cache(maxsize=32)
def _shapley_terms(p: int) -> tuple[Index, Matrix]:
    """For each driver j: masks of the subsets without j, and each one's Shapley weight."""
    masks = np.arange(1 << p, dtype=np.int64)
    sizes = np.array([bin(mask).count("1") for mask in range(1 << p)], dtype=np.int64)
    weight_by_size = np.array(
        [factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)], dtype=np.float64
    )
    without = np.stack([masks[(masks >> j) & 1 == 0] for j in range(p)])
    return without, weight_by_size[sizes[without]]


def lmg_from_corr(corr: Matrix) -> Matrix:
    """LMG (Lindeman, Merenda & Gold 1980) weights, shape ``(..., p)``.

    The Shapley value of R²: each driver's increase in R² when it joins a subset S of the
    others, averaged over all orders of entry, i.e. weighted by |S|!(p − |S| − 1)!/p!.
    Equals Budescu's general dominance; the weights sum to the full model's R².
    """
    p = corr.shape[-1] - 1
    r_squared = subset_r_squared(corr)
    without, weights = _shapley_terms(p)
    gains = r_squared[..., without | (np.int64(1) << np.arange(p)[:, None])]
    gains -= r_squared[..., without]
    result: Matrix = (gains * weights).sum(axis=-1)
    return result
