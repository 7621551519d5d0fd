"""Wild cluster restricted bootstrap (WCR) for one coefficient, and its interval by test
inversion (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017; Roodman, MacKinnon,
Nielsen & Webb 2019, *boottest*).

The regression is given after unit and period fixed effects are partialled out
(Frisch–Waugh–Lovell): ``y`` and the regressors are the within-transformed outcome and
treatment, and the clusters are the units. Under H0: β = β0 the restricted residuals are
``e0 = y − d·β0``; a bootstrap sample is ``y* = d·β0 + M(e0 ∘ w)`` with one Webb six-point
weight per cluster (the right choice with few clusters: Rademacher has only 2^G distinct
draws) and ``M`` the fixed-effects projection.

Nothing per observation is repeated per draw ("fast and wild", Roodman et al. 2019,
section 5). A weight is constant within a cluster, so the unit-demeaned ``e0 ∘ w`` is the
demeaned ``e0`` times it, and the period effects of ``M(e0 ∘ w)`` are a T × T solve of
cluster × period sums times the weights. Each draw's per-cluster scores
``Σ_{i∈g} x_i (y*_i − x_i'β*)`` are then products of G × k × (m + T) arrays (k tested of
m regressors) with the G weights: a draw costs O(G·k·(m + T)), not O(n·m) for n
observations, and the draws are taken in chunks of at most :data:`CHUNK` and of at most
:data:`CHUNK_FLOATS` floats of G·k each, so memory is bounded whatever the number of draws
and of clusters. Because
``e0 = e + d·(β̂ − β0)`` is linear in β0, the bootstrap standard error's square is a
quadratic in β0 per draw; its three coefficients are summed once and every β0 costs a few
operations per draw. The interval is the set of β0 whose bootstrap p-value exceeds α,
found by bisection on each side of β̂.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.int64]

WEBB: Final = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
"""Webb's six-point distribution: mean 0, variance 1."""
CHUNK: Final = 256
"""Bootstrap draws handled together at the most."""
CHUNK_FLOATS: Final = 1 << 18
"""Floats of one draw-sized working array (G·k per draw) handled together at the most:
2 MB. At 400 units and ten leads, 256 draws made arrays of 8 MB, three of them at once,
the largest step of the learning log's memory."""


def group_sums(values: Array, index: Index) -> Array:
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


@dataclass(frozen=True)
class _ProjectedScores:
    """Per-cluster scores ``Σ_{i∈g} x_ij [M(r ∘ w)]_i`` of a residual ``r`` put through the
    two-way projection ``M`` after a per-cluster weight ``w``, for many weight columns.

    With ``r̃`` the unit-demeaned ``r``, ``M(r ∘ w) = w·r̃ − T̃λ``, where ``T̃`` are the
    unit-demeaned period dummies and ``λ = (T̃'T̃)⁺ T̃'(w·r̃)``; ``T̃'(w·r̃)`` is the
    cluster × period sums of ``r̃`` times the weights. So the score is
    ``w_g·own[g, j] − Σ_t mix[g, j, t]·λ_t`` with ``own = Σ_{i∈g} x_ij r̃_i`` (G × m),
    ``mix = Σ_{i∈g} x_ij T̃_it`` (G × m × T) and ``λ = solve'w`` (``solve`` G × T).
    """

    own: Array
    mix: Array
    solve: Array

    @classmethod
    def of_residual(cls, x: Array, r: Array, units: Index, periods: Index) -> _ProjectedScores:
        """The scores of the columns ``x`` (n × m) for the residual ``r``."""
        n_units, n_periods = int(units.max()) + 1, int(periods.max()) + 1
        cells = units * n_periods + periods
        per_cell = np.bincount(cells, minlength=n_units * n_periods).astype(float)
        per_cell = per_cell.reshape(n_units, n_periods)
        per_unit = per_cell.sum(axis=1)
        share = per_cell / per_unit[:, None]  # n_gt / n_g
        gram = np.diag(per_cell.sum(axis=0)) - per_cell.T @ share  # T̃'T̃
        demeaned = r - (group_sums(r[:, None], units)[:, 0] / per_unit)[units]
        x_cells = _cell_sums(x, cells, n_units, n_periods)  # G × T × m
        mix = x_cells.transpose(0, 2, 1) - group_sums(x, units)[:, :, None] * share[:, None, :]
        r_cells = _cell_sums(demeaned[:, None], cells, n_units, n_periods)[:, :, 0]
        own = group_sums(x * demeaned[:, None], units)
        return cls(own, mix, r_cells @ np.linalg.pinv(gram))

    def rows(self, left: Array) -> _ProjectedScores:
        """The same scores for the columns ``x @ left.T`` (``left`` is k × m)."""
        return _ProjectedScores(
            self.own @ left.T, np.einsum("km,gmt->gkt", left, self.mix), self.solve
        )

    def of(self, weights: Array) -> Array:
        """G × m × B scores for ``weights`` (G × B)."""
        period_effects = self.solve.T @ weights  # T × B
        n_units, m, n_periods = self.mix.shape
        mixed = (self.mix.reshape(n_units * m, n_periods) @ period_effects).reshape(n_units, m, -1)
        return np.asarray(self.own[:, :, None] * weights[:, None, :] - mixed, dtype=float)


def _cell_sums(values: Array, cells: Index, n_units: int, n_periods: int) -> Array:
    """Column sums of ``values`` per unit × period cell (``cells`` = unit·T + period),
    G × T × columns, zero where a cell has no row."""
    sums = np.zeros((n_units * n_periods, values.shape[1]))
    found = group_sums(values, cells)
    sums[: len(found)] = found
    return sums.reshape(n_units, n_periods, -1)


def _weight_draws(seed: int, n_clusters: int, draws: int) -> npt.NDArray[np.int8]:
    """The index into :data:`WEBB` of every cluster's weight in every draw (G × B)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, len(WEBB), size=(n_clusters, draws)).astype(np.int8)


def _chunks(draws: int, width: int) -> list[slice]:
    """The draws in chunks of :data:`CHUNK` at most, fewer when a draw's working arrays
    hold ``width`` floats each (G·k), so a chunk's arrays stay within :data:`CHUNK_FLOATS`.

    >>> [(s.start, s.stop) for s in _chunks(600, 1)], len(_chunks(1999, 4000))
    ([(0, 256), (256, 512), (512, 600)], 31)
    """
    size = max(1, min(CHUNK, CHUNK_FLOATS // max(width, 1)))
    return [slice(i, min(i + size, draws)) for i in range(0, draws, size)]


def wild_cluster_interval(
    y: Array,
    d: Array,
    units: Index,
    periods: Index,
    *,
    correction: float,
    confidence: float = 0.95,
    draws: int = 1999,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The WCR p-value of β = 0 and the (lower, upper) interval at ``confidence``.

    ``y`` and ``d`` have had the ``units`` and ``periods`` fixed effects partialled out;
    the clusters are the units; ``correction`` is the CR1 factor G/(G−1)·(N−1)/(N−k).

    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(12), 10); t = np.tile(np.arange(10), 12)
    >>> d = ((g < 4) & (t >= 5)).astype(float); d -= d.mean()
    >>> d = d - d.reshape(12, 10).mean(axis=1)[g] - d.reshape(12, 10).mean(axis=0)[t]
    >>> y = 2.0 * d + rng.normal(0, 1, 12)[g] + rng.normal(0, 1, 120)
    >>> y = y - y.reshape(12, 10).mean(axis=1)[g] - y.reshape(12, 10).mean(axis=0)[t] + y.mean()
    >>> p, lo, hi = wild_cluster_interval(y, d, g, t, correction=1.1, draws=999)
    >>> bool(lo < 2.0 < hi), bool(p < 0.05)
    (True, True)
    """
    n_clusters = int(units.max()) + 1
    dd = float(d @ d)
    beta = float(d @ y) / dd
    resid = y - d * beta
    d_col = d[:, None]
    own_resid = group_sums(d_col * resid[:, None], units)[:, 0]
    own_d = group_sums(d_col * d_col, units)[:, 0]
    se = float(np.sqrt(correction * (own_resid**2).sum()) / dd)
    chosen = _weight_draws(seed, n_clusters, draws)
    of_resid = _ProjectedScores.of_residual(d_col, resid, units, periods)
    of_d = _ProjectedScores.of_residual(d_col, d, units, periods)
    de_w, dd_w = np.empty(draws), np.empty(draws)  # d'(e∘w), d'(d∘w)
    square = np.empty((3, draws))  # Σ_g a², Σ_g a·b, Σ_g b²: scores = a + (β̂ − β0)·b
    for part in _chunks(draws, n_clusters):
        weights = WEBB[chosen[:, part]]
        de_w[part], dd_w[part] = own_resid @ weights, own_d @ weights
        a = of_resid.of(weights)[:, 0] - own_d[:, None] * (de_w[part] / dd)
        b = of_d.of(weights)[:, 0] - own_d[:, None] * (dd_w[part] / dd)
        square[:, part] = (a * a).sum(axis=0), (a * b).sum(axis=0), (b * b).sum(axis=0)

    def p_value(beta0: float) -> float:
        delta = beta - beta0
        shift = (de_w + dd_w * delta) / dd  # β* − β0 per draw
        meat = np.maximum(square[0] + 2.0 * delta * square[1] + delta * delta * square[2], 0.0)
        t_star = shift / (np.sqrt(correction * meat) / dd)
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


def wald_draws(
    y: Array,
    x: Array,
    tested: list[int],
    units: Index,
    periods: Index,
    *,
    draws: int = 1999,
    seed: int = 0,
) -> tuple[float, Array]:
    """The CR1 Wald statistic that the ``tested`` coefficients of ``y ~ x`` are zero, and
    its ``draws`` WCR bootstrap replicates (see :func:`wild_cluster_wald`).

    Only ``V[tested, tested]`` of ``V = (X'X)⁺ meat (X'X)⁺`` enters the statistic, so the
    scores are taken through the k tested rows of ``(X'X)⁺`` first: a draw costs
    O(G·k·(m + T)) for m regressors and T periods.
    """
    n_clusters = int(units.max()) + 1
    eye = 1e-12 * np.eye(len(tested))
    kept = [i for i in range(x.shape[1]) if i not in set(tested)]
    inverse = np.linalg.pinv(x.T @ x)
    coefs = inverse @ (x.T @ y)
    scores = group_sums(x * (y - x @ coefs)[:, None], units)
    cov = inverse @ (scores.T @ scores) @ inverse
    part = coefs[tested]
    observed = float(part @ np.linalg.solve(cov[np.ix_(tested, tested)] + eye, part))

    restricted = x[:, kept]
    fitted = restricted @ (np.linalg.pinv(restricted.T @ restricted) @ (restricted.T @ y))
    resid = y - fitted
    rows = np.asarray(inverse[tested], dtype=float)  # k × m
    projected = _ProjectedScores.of_residual(x, resid, units, periods)
    total_mix = projected.mix.sum(axis=0)  # m × T, over the clusters
    tested_scores = projected.rows(rows)
    fitted_scores = group_sums(x * fitted[:, None], units) @ rows.T  # G × k
    cluster_grams = np.stack([group_sums(x * x[:, [j]], units) for j in range(x.shape[1])], 1)
    tested_grams = np.einsum("km,gmj->gkj", rows, cluster_grams)  # G × k × m
    # A draw's tested scores: fitted + w·own − mix·λ − grams·β*, the last two one product.
    n_units, k, _ = tested_scores.mix.shape
    stacked = np.concatenate([tested_scores.mix, tested_grams], axis=2).reshape(n_units * k, -1)
    x_fitted = x.T @ fitted
    chosen = _weight_draws(seed, n_clusters, draws)
    stats = np.empty(draws)
    for chunk in _chunks(draws, n_units * k):
        weights = WEBB[chosen[:, chunk]]
        period_effects = projected.solve.T @ weights  # T × b
        x_y_star = x_fitted[:, None] + projected.own.T @ weights - total_mix @ period_effects
        coefs_star = inverse @ x_y_star  # m × b
        mixed = (stacked @ np.vstack([period_effects, coefs_star])).reshape(n_units, k, -1)
        own = tested_scores.own[:, :, None] * weights[:, None, :]
        by_draw = (fitted_scores[:, :, None] + own - mixed).transpose(2, 1, 0)  # b × k × G
        meat = by_draw @ by_draw.transpose(0, 2, 1)
        tested_coefs = coefs_star[tested].T[:, :, None]  # b × k × 1
        solved = np.linalg.solve(meat + eye, tested_coefs)
        stats[chunk] = (tested_coefs * solved).sum(axis=(1, 2))
    return observed, stats


def wild_cluster_wald(
    y: Array,
    x: Array,
    tested: list[int],
    units: Index,
    periods: Index,
    *,
    draws: int = 1999,
    seed: int = 0,
) -> float:
    """WCR bootstrap p-value of the joint hypothesis that the ``tested`` coefficients of
    ``y ~ x`` (both with the ``units`` and ``periods`` fixed effects partialled out, the
    units the clusters) are all zero, from the CR1 Wald statistic.

    The restricted model drops the tested columns; each draw rebuilds ``y`` from its fit
    and its residuals times a Webb weight per cluster, refits the full model and recomputes
    the Wald statistic (Roodman et al. 2019, section 3.3).
    """
    observed, stats = wald_draws(y, x, tested, units, periods, draws=draws, seed=seed)
    return float(np.mean(stats >= observed))
