"""Bootstrap resamples of the correlation matrix without refitting anything.

A nonparametric bootstrap resample is the data with each row counted c_i times, the
counts multinomial(n; 1/n, …, 1/n). All a linear driver analysis needs from a resample is
its correlation matrix, which follows from the counted sums Σ c_i x_i and Σ c_i x_i x_i'.
For a block of resamples those sums are one matrix product: the counts (resamples × rows)
times the rows' values and pairwise products. That replaces one regression per subset per
resample by a single BLAS call per block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

Matrix = npt.NDArray[np.float64]

# Resample counts per block (floats): 1,000 resamples of 100,000 rows take ten blocks.
_COUNTS_BLOCK = 10_000_000
# Rows' pairwise products formed at a time (floats): 4,000,000 are 32 MB. Up to 200 MB of
# them are kept for all blocks of resamples (100,000 rows × 20 drivers: 185 MB), beyond
# that they are formed again for each block.
_PRODUCTS_SLICE = 4_000_000
_PRODUCTS_KEPT = 25_000_000


def resample_counts(rng: np.random.Generator, n: int, resamples: int) -> Matrix:
    """How often each row is drawn in each resample, shape ``(resamples, n)``.

    Drawn as n row indices per resample, so the resamples do not depend on the block size.
    Counted one resample at a time: its n counters stay in cache, unlike one long bincount.
    """
    draws = rng.integers(0, n, size=(resamples, n))
    counts: Matrix = np.empty((resamples, n))
    for resample in range(resamples):
        counts[resample] = np.bincount(draws[resample], minlength=n)
    return counts


def resampled_correlations(data: Matrix, n_boot: int, seed: int) -> Iterator[Matrix]:
    """Blocks of bootstrap correlation matrices, shape ``(block, q, q)`` each.

    The columns are standardised first so the counted sums stay well conditioned. The
    rows' pairwise products are formed a slice of rows at a time and kept only up to a
    bound, so memory stays bounded whatever the number of rows. A resample in which a column
    does not vary (variance below 1e-10 of the sample's) gives a matrix of NaN: its weights
    are undefined.
    """
    n, q = data.shape
    standard = (data - data.mean(axis=0)) / data.std(axis=0)
    upper_i, upper_j = np.triu_indices(q)
    rows_per_slice = max(1, _PRODUCTS_SLICE // len(upper_i))
    slices = range(0, n, rows_per_slice)

    def products(first: int) -> Matrix:
        rows = standard[first : first + rows_per_slice]
        product: Matrix = rows[:, upper_i] * rows[:, upper_j]
        return product

    kept = [products(first) for first in slices] if n * len(upper_i) <= _PRODUCTS_KEPT else None
    rng = np.random.default_rng(seed)
    block = max(1, _COUNTS_BLOCK // n)
    for start in range(0, n_boot, block):
        counts = resample_counts(rng, n, min(block, n_boot - start))
        sums = counts @ standard
        cross = np.zeros((counts.shape[0], len(upper_i)))
        for index, first in enumerate(slices):
            part = kept[index] if kept is not None else products(first)
            cross += counts[:, first : first + rows_per_slice] @ part
        covariance = np.empty((counts.shape[0], q, q))
        covariance[:, upper_i, upper_j] = cross - sums[:, upper_i] * sums[:, upper_j] / n
        covariance[:, upper_j, upper_i] = covariance[:, upper_i, upper_j]
        variance = np.diagonal(covariance, axis1=1, axis2=2)
        constant = (variance <= 1e-10 * n).any(axis=1)
        scale = np.sqrt(np.where(variance > 0, variance, 1.0))
        corr = covariance / scale[:, :, None] / scale[:, None, :]
        corr[constant] = np.nan
        yield corr


def bootstrap_weights(
    data: Matrix, weigh: Callable[[Matrix], Matrix], n_boot: int, seed: int
) -> Matrix:
    """``weigh`` applied to every resampled correlation matrix, shape ``(n_boot, p)``.

    BLAS runs on one thread here (restored afterwards), as ``create_app`` sets for the whole
    server: the products are long and thin, and on the shared 2-core machine two threads
    took 13.5 s wall and 8.6 s CPU for what one thread does in 3.8 s
    (``benchmarks/drivers.py``).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        blocks = [weigh(corr) for corr in resampled_correlations(data, n_boot, seed)]
    return np.concatenate(blocks)
