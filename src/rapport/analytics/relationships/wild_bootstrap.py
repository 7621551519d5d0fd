"""Wild cluster restricted bootstrap (WCR) for one coefficient, and its interval by test
inversion (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017; Roodman, MacKinnon,
Nielsen & Webb 2019, *boottest*).

The regression is given after the fixed effects are partialled out (Frisch–Waugh–Lovell):
``y`` and the regressor ``d`` are the within-transformed outcome and treatment. Under
H0: β = β0 the restricted residuals are ``e0 = y − d·β0``; a bootstrap sample is
``y* = d·β0 + M(e0 ∘ w)`` with one Webb six-point weight per cluster (the right choice with
few clusters: Rademacher has only 2^G distinct draws) and ``M`` the fixed-effects
projection. Because ``e0 = e + d·(β̂ − β0)`` is linear in β0, ``M(e ∘ w)`` and ``M(d ∘ w)``
are computed once and every β0 costs a few array operations; the interval is the set of β0
whose bootstrap p-value exceeds α, found by bisection on each side of β̂.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

WEBB: Final = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
"""Webb's six-point distribution: mean 0, variance 1."""


def group_sums(values: Array, index: npt.NDArray[np.int64]) -> Array:
    """Row sums of ``values`` per group ``index`` (0…G−1), G × columns, without BLAS (its
    threads only contend on a shared machine): a sort and ``np.add.reduceat``.

    >>> group_sums(np.array([[1.0], [2.0], [4.0]]), np.array([1, 0, 1])).ravel().tolist()
    [2.0, 5.0]
    """
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sums = np.zeros((int(index.max()) + 1, values.shape[1]))
    sums[ordered[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return sums


def _cluster_se(
    d: Array, resid: Array, clusters: npt.NDArray[np.int64], correction: float
) -> Array:
    """CR1 standard error of the one-regressor slope for each column of ``resid``."""
    scores = group_sums(d[:, None] * resid, clusters)  # clusters × draws
    meat: Array = (scores**2).sum(axis=0)
    return np.asarray(np.sqrt(correction * meat) / float(d @ d), dtype=float)


def wild_cluster_interval(
    y: Array,
    d: Array,
    clusters: npt.NDArray[np.int64],
    within: Callable[[Array], Array],
    *,
    correction: float,
    confidence: float = 0.95,
    draws: int = 1999,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The WCR p-value of β = 0 and the (lower, upper) interval at ``confidence``.

    ``within`` partials the fixed effects out of each column of an array (``M``);
    ``correction`` is the CR1 factor G/(G−1)·(N−1)/(N−k).

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(12), 10); d = (g < 4).astype(float); d -= d.mean()
    >>> y = 2.0 * d + rng.normal(0, 1, 12)[g] + rng.normal(0, 1, 120)
    >>> p, lo, hi = wild_cluster_interval(y, d, g, lambda a: a - a.mean(axis=0),
    ...                                   correction=1.1, draws=999)
    >>> bool(lo < 2.0 < hi), bool(p < 0.05)
    (True, True)
    """
    rng = np.random.default_rng(seed)
    n_clusters = int(clusters.max()) + 1
    dd = float(d @ d)
    beta = float(d @ y) / dd
    resid = y - d * beta
    se = float(_cluster_se(d, resid[:, None], clusters, correction)[0])
    weights = WEBB[rng.integers(0, len(WEBB), size=(n_clusters, draws))][clusters]  # n × B
    m_ew = within(resid[:, None] * weights)
    m_dw = within(d[:, None] * weights)
    de_w = d @ (resid[:, None] * weights)  # d'(e∘w)
    dd_w = d @ (d[:, None] * weights)  # d'(d∘w)

    def p_value(beta0: float) -> float:
        delta = beta - beta0
        shift = (de_w + dd_w * delta) / dd  # β* − β0 per draw
        resid_star = m_ew + m_dw * delta - d[:, None] * shift
        t_star = shift / _cluster_se(d, resid_star, clusters, correction)
        t_obs = abs(delta) / se if se > 0 else np.inf
        return float(np.mean(np.abs(t_star) >= t_obs))

    alpha = 1.0 - confidence

    def edge(direction: float) -> float:
        inside, outside = beta, beta + direction * 5.0 * se
        for _ in range(8):  # widen until the test rejects (or give up: unbounded)
            if p_value(outside) <= alpha:
                break
            outside = beta + 2.0 * (outside - beta)
        else:
            return float(direction * np.inf)
        for _ in range(40):
            middle = 0.5 * (inside + outside)
            if p_value(middle) > alpha:
                inside = middle
            else:
                outside = middle
            if abs(outside - inside) < 1e-3 * max(se, 1e-12):
                break
        return 0.5 * (inside + outside)

    return p_value(0.0), edge(-1.0), edge(1.0)


def wild_cluster_wald(
    y: Array,
    x: Array,
    tested: list[int],
    clusters: npt.NDArray[np.int64],
    within: Callable[[Array], Array],
    *,
    draws: int = 1999,
    seed: int = 0,
) -> float:
    """WCR bootstrap p-value of the joint hypothesis that the ``tested`` coefficients of
    ``y ~ x`` (both within-transformed) are all zero, from the CR1 Wald statistic.

    The restricted model drops the tested columns; each draw rebuilds ``y`` from its fit
    and its residuals times a Webb weight per cluster, refits the full model and recomputes
    the Wald statistic (Roodman et al. 2019, section 3.3).
    """
    rng = np.random.default_rng(seed)
    n_clusters = int(clusters.max()) + 1
    kept = [i for i in range(x.shape[1]) if i not in set(tested)]
    inverse = np.linalg.pinv(x.T @ x)

    def wald(coefs: Array, resid: Array) -> Array:
        """Wald statistics for each column of ``coefs`` (m × B) and ``resid`` (n × B)."""
        m, b = coefs.shape
        scores = group_sums((x[:, :, None] * resid[:, None, :]).reshape(len(y), m * b), clusters)
        scores = scores.reshape(n_clusters, m, b)
        meat = np.einsum("gib,gjb->bij", scores, scores)
        cov = inverse @ meat @ inverse  # B × m × m
        sub = cov[:, tested][:, :, tested]
        part = coefs[tested].T[:, :, None]  # B × k × 1
        solved = np.linalg.solve(sub + 1e-12 * np.eye(len(tested)), part)
        return np.asarray((part * solved).sum(axis=(1, 2)), dtype=float)

    coefs = inverse @ (x.T @ y)
    observed = float(wald(coefs[:, None], (y - x @ coefs)[:, None])[0])
    restricted = x[:, kept]
    fitted = restricted @ (np.linalg.pinv(restricted.T @ restricted) @ (restricted.T @ y))
    resid = y - fitted
    weights = WEBB[rng.integers(0, len(WEBB), size=(n_clusters, draws))][clusters]
    y_star = fitted[:, None] + within(resid[:, None] * weights)
    coefs_star = inverse @ (x.T @ y_star)
    stats = wald(coefs_star - 0.0, y_star - x @ coefs_star)
    return float(np.mean(stats >= observed))
