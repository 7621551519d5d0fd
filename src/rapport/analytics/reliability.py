"""Reliability of an index built from several items: Cronbach's α and McDonald's ω.

Input is a 2-D array, one row per respondent and one column per item. A row with any
missing item (NaN) is dropped before computing (listwise deletion, as SAS ``PROC CORR
NOMISS`` and ``psych::alpha(use = "complete.obs")``); ``n`` counts the rows used and
``n_dropped`` the rows dropped. Pairwise deletion is not offered: it can yield a
covariance matrix that no single set of respondents could produce.

Rapport's indices are means of items rescaled to 0–100 (:func:`rescale_to_0_100`);
pass the rescaled items so that α and ω describe the index as it is reported.

Undefined cases give ``value = None`` rather than an exception: fewer than 2 items
(α) or 3 items (ω), fewer than 2 complete rows, a total score that does not vary, an
item that does not vary (ω), or a singular correlation matrix (ω).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from rapport.analytics.estimates import validate_confidence
from rapport.analytics.factor_model import fit_one_factor

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReliabilityEstimate:
    """A reliability coefficient, its interval when one is available, and its basis."""

    value: float | None
    lower: float | None
    upper: float | None
    n: int
    n_items: int
    n_dropped: int
    method: str
    confidence: float | None


def rescale_to_0_100(
    values: npt.ArrayLike, scale_min: float, scale_max: float
) -> npt.NDArray[np.float64]:
    """Map item scores from their answer scale onto 0–100: (v − min)/(max − min)·100.

    ``scale_min``/``scale_max`` are the ends of the answer scale (e.g. 1 and 5), not of
    the observed answers. NaN stays NaN; a value outside the scale raises ``ValueError``.

    Example:
        >>> rescale_to_0_100([1, 3, 5], 1, 5).tolist()
        [0.0, 50.0, 100.0]
    """
    if not scale_max > scale_min:
        raise ValueError(f"scale_max ({scale_max}) must be greater than scale_min ({scale_min})")
    array = np.asarray(values, dtype=np.float64)
    answered = array[~np.isnan(array)]
    if ((answered < scale_min) | (answered > scale_max)).any():
        raise ValueError(f"item scores must lie on the answer scale {scale_min}..{scale_max}")
    rescaled: npt.NDArray[np.float64] = (array - scale_min) / (scale_max - scale_min) * 100.0
    return rescaled


def _complete_rows(items: npt.ArrayLike) -> tuple[Matrix, int]:
    matrix = np.asarray(items, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"items must be 2-D (respondents × items), got shape {matrix.shape}")
    if np.isinf(matrix).any():
        raise ValueError("items must not contain infinite values")
    complete = ~np.isnan(matrix).any(axis=1)
    return matrix[complete], int(np.count_nonzero(~complete))


def cronbach_alpha(items: npt.ArrayLike, confidence: float = 0.95) -> ReliabilityEstimate:
    """Cronbach's α with Feldt's confidence interval.

    α = k/(k − 1)·(1 − Σ s_i² / s_T²), with s_i² the item variances and s_T² the
    variance of the respondents' total scores (Cronbach 1951, *Psychometrika* 16).
    Interval (Feldt, Woodruff & Salih 1987, *Applied Psychological Measurement* 11),
    with df₁ = n − 1, df₂ = (n − 1)(k − 1) and γ = 1 − confidence::

        lower = 1 − (1 − α)·F_{1−γ/2}(df₁, df₂),   upper = 1 − (1 − α)·F_{γ/2}(df₁, df₂)

    α can be negative when items are negatively related (reverse-keyed items that were
    not recoded); it is reported as computed.

    Example:
        >>> items = [[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 4], [5, 4, 5]]
        >>> round(cronbach_alpha(items).value, 4)
        0.9333
    """
    confidence = validate_confidence(confidence)
    complete, n_dropped = _complete_rows(items)
    n, k = complete.shape
    method = "cronbach_alpha"
    total_variance = float(np.var(complete.sum(axis=1), ddof=1)) if n >= 2 else 0.0
    if k < 2 or n < 2 or total_variance == 0.0:
        return ReliabilityEstimate(None, None, None, n, k, n_dropped, method, confidence)
    item_variance = float(np.var(complete, axis=0, ddof=1).sum())
    alpha = k / (k - 1) * (1.0 - item_variance / total_variance)
    df_rows, df_error = n - 1, (n - 1) * (k - 1)
    tail = (1.0 - confidence) / 2.0
    lower = 1.0 - (1.0 - alpha) * float(stats.f.ppf(1.0 - tail, df_rows, df_error))
    upper = 1.0 - (1.0 - alpha) * float(stats.f.ppf(tail, df_rows, df_error))
    return ReliabilityEstimate(alpha, lower, upper, n, k, n_dropped, method, confidence)


def mcdonald_omega(items: npt.ArrayLike, standardized: bool = False) -> ReliabilityEstimate:
    """McDonald's ω total from a one-factor maximum-likelihood model.

    ω = (Σλ_i)² / ((Σλ_i)² + Σψ_i) (McDonald 1999, *Test Theory: A Unified Treatment*,
    ch. 6), with loadings λ and uniquenesses ψ of one common factor fitted by ML
    (:func:`rapport.analytics.factor_model.fit_one_factor`, the ``factanal`` fit).

    - ``standardized=False`` (default): λ and ψ on the covariance scale, so ω is the
      reliability of the unweighted sum (or mean) of the items as given — the number
      Rapport reports. This is the estimate of ``MBESS::ci.reliability(type = "omega")``.
    - ``standardized=True``: λ and ψ on the correlation scale, the reliability of the
      sum of z-scored items (the ω total that ``psych::omega`` reports for one factor).

    No interval is reported (``lower``, ``upper`` and ``confidence`` are ``None``).

    Example:
        >>> rng = np.random.default_rng(7)
        >>> factor = rng.normal(size=(500, 1))
        >>> items = factor @ [[0.8, 0.7, 0.6, 0.5]] + rng.normal(size=(500, 4)) * 0.6
        >>> round(mcdonald_omega(items).value, 2)
        0.83
    """
    complete, n_dropped = _complete_rows(items)
    n, k = complete.shape
    method = "omega_total_ml_" + ("standardized" if standardized else "covariance")
    missing = ReliabilityEstimate(None, None, None, n, k, n_dropped, method, None)
    if k < 3 or n < 2:
        return missing
    spread = np.std(complete, axis=0, ddof=1)
    if (spread == 0.0).any():
        return missing
    correlation = np.corrcoef(complete, rowvar=False)
    if np.linalg.eigvalsh(correlation)[0] <= 1e-10:
        return missing
    fit = fit_one_factor(correlation)
    loadings, uniquenesses = fit.loadings, fit.uniquenesses
    if not standardized:
        loadings, uniquenesses = loadings * spread, uniquenesses * spread**2
    common = float(loadings.sum()) ** 2
    omega = common / (common + float(uniquenesses.sum()))
    return ReliabilityEstimate(omega, None, None, n, k, n_dropped, method, None)
