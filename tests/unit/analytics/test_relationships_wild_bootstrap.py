"""The per-cluster ("fast and wild") wild cluster bootstrap against the straightforward
response-level one it replaced, kept below as the oracle: for the same seed, on seeded
panels with planted effects (balanced, and with missing cells so the within transform
iterates), the p-values are equal counts, the interval ends and every Wald statistic equal
to a relative 1e-9.

The oracle (``_oracle_*``, ``_within``) is the code of ``wild_bootstrap.py`` and
``effects._within_transform`` before the change, verbatim but for names: it rebuilds each
draw's n × B outcomes and pushes them through the iterative two-way projection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from rapport.analytics.relationships import wild_bootstrap
from rapport.analytics.relationships.wild_bootstrap import (
    WEBB,
    Array,
    group_sums,
    wald_draws,
    wild_cluster_interval,
    wild_cluster_wald,
)

RELATIVE = 1e-9
DRAWS = 999


def _within(unit_idx: npt.NDArray[np.int64], period_idx: npt.NDArray[np.int64]) -> Any:
    n_units, n_periods = int(unit_idx.max()) + 1, int(period_idx.max()) + 1
    unit_count = np.bincount(unit_idx, minlength=n_units)[:, None].astype(float)
    period_count = np.bincount(period_idx, minlength=n_periods)[:, None].astype(float)
    balanced = len(unit_idx) == n_units * n_periods

    def demean(values: Array, index: npt.NDArray[np.int64], count: Array) -> Array:
        return np.asarray(values - (group_sums(values, index) / count)[index], dtype=float)

    def within(values: Array) -> Array:
        out = np.asarray(values, dtype=float)
        for _ in range(1 if balanced else 500):
            before = out
            out = demean(demean(out, unit_idx, unit_count), period_idx, period_count)
            if balanced or np.max(np.abs(out - before)) < 1e-10 * (1 + np.max(np.abs(out))):
                break
        return out

    return within


def _oracle_cluster_se(
    d: Array, resid: Array, clusters: npt.NDArray[np.int64], correction: float
) -> Array:
    scores = group_sums(d[:, None] * resid, clusters)
    meat: Array = (scores**2).sum(axis=0)
    return np.asarray(np.sqrt(correction * meat) / float(d @ d), dtype=float)


def _oracle_interval(
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
    rng = np.random.default_rng(seed)
    n_clusters = int(clusters.max()) + 1
    dd = float(d @ d)
    beta = float(d @ y) / dd
    resid = y - d * beta
    se = float(_oracle_cluster_se(d, resid[:, None], clusters, correction)[0])
    weights = WEBB[rng.integers(0, len(WEBB), size=(n_clusters, draws))][clusters]
    m_ew = within(resid[:, None] * weights)
    m_dw = within(d[:, None] * weights)
    de_w = d @ (resid[:, None] * weights)
    dd_w = d @ (d[:, None] * weights)

    def p_value(beta0: float) -> float:
        delta = beta - beta0
        shift = (de_w + dd_w * delta) / dd
        resid_star = m_ew + m_dw * delta - d[:, None] * shift
        t_star = shift / _oracle_cluster_se(d, resid_star, clusters, correction)
        t_obs = abs(delta) / se if se > 0 else np.inf
        return float(np.mean(np.abs(t_star) >= t_obs))

    alpha = 1.0 - confidence

    def edge(direction: float) -> float:
        inside, outside = beta, beta + direction * 5.0 * se
        for _ in range(8):
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


def _oracle_wald(
    y: Array,
    x: Array,
    tested: list[int],
    clusters: npt.NDArray[np.int64],
    within: Callable[[Array], Array],
    *,
    draws: int = 1999,
    seed: int = 0,
) -> tuple[float, Array]:
    """The old ``wild_cluster_wald``, returning the observed statistic and the draws'."""
    rng = np.random.default_rng(seed)
    n_clusters = int(clusters.max()) + 1
    kept = [i for i in range(x.shape[1]) if i not in set(tested)]
    inverse = np.linalg.pinv(x.T @ x)

    def wald(coefs: Array, resid: Array) -> Array:
        m, b = coefs.shape
        scores = group_sums((x[:, :, None] * resid[:, None, :]).reshape(len(y), m * b), clusters)
        scores = scores.reshape(n_clusters, m, b)
        meat = np.einsum("gib,gjb->bij", scores, scores)
        cov = inverse @ meat @ inverse
        sub = cov[:, tested][:, :, tested]
        part = coefs[tested].T[:, :, None]
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
    return observed, wald(coefs_star - 0.0, y_star - x @ coefs_star)


def _panel(seed: int, units: int, months: int, treated: int, start: int, missing: float) -> Any:
    """A unit × month panel like the reference test's (unit levels, month shocks, AR(1)
    deviations, sampling noise) with an effect of 3 planted from ``start``, a share
    ``missing`` of its cells dropped (never a unit's first or last month); within-
    transformed outcome, treatment and event-study design, and the indices."""
    rng = np.random.default_rng(seed)
    value = rng.normal(60, 5, units)[:, None] + rng.normal(0, 2, months)[None, :]
    ar = np.zeros((units, months))
    for t in range(1, months):
        ar[:, t] = 0.5 * ar[:, t - 1] + rng.normal(0, 1.5, units)
    value = value + ar + rng.normal(0, 2.5, (units, months))
    value[:treated, start:] += 3.0
    unit_idx = np.repeat(np.arange(units), months)
    period_idx = np.tile(np.arange(months), units)
    keep = rng.random(units * months) >= missing
    keep[(period_idx == 0) | (period_idx == months - 1)] = True
    unit_idx, period_idx, y_raw = unit_idx[keep], period_idx[keep], value.ravel()[keep]
    is_treated = unit_idx < treated
    within = _within(unit_idx, period_idx)
    y = within(y_raw[:, None])[:, 0]
    d = within((is_treated & (period_idx >= start)).astype(float)[:, None])[:, 0]
    offsets = [r for r in range(-start, months - start) if r != -1]
    design = np.column_stack([(is_treated & (period_idx - start == r)) for r in offsets])
    leads = [i for i, r in enumerate(offsets) if r < -1]
    return y, d, within(design.astype(float)), leads, unit_idx, period_idx, within


PANELS = [  # seed, units, months, treated, start, share of cells missing
    (1, 27, 15, 5, 6, 0.0),
    (2, 27, 15, 5, 6, 0.08),
    (3, 12, 10, 3, 4, 0.0),
    (4, 40, 12, 2, 5, 0.15),
    (5, 60, 9, 20, 3, 0.05),
]


@pytest.mark.parametrize(("seed", "units", "months", "treated", "start", "missing"), PANELS)
def test_the_interval_and_p_value_equal_the_response_level_bootstrap(
    seed: int, units: int, months: int, treated: int, start: int, missing: float
) -> None:
    y, d, _, _, unit_idx, period_idx, within = _panel(seed, units, months, treated, start, missing)
    correction = units / (units - 1)
    old = _oracle_interval(y, d, unit_idx, within, correction=correction, draws=DRAWS, seed=seed)
    new = wild_cluster_interval(
        y, d, unit_idx, period_idx, correction=correction, draws=DRAWS, seed=seed
    )
    assert round(new[0] * DRAWS) == round(old[0] * DRAWS)  # equal counts
    assert new[1:] == pytest.approx(old[1:], rel=RELATIVE)
    assert old[1] < 3.0 < old[2] or old[0] > 0.05  # the planted effect is there to find


@pytest.mark.parametrize(("seed", "units", "months", "treated", "start", "missing"), PANELS)
def test_every_wald_statistic_equals_the_response_level_bootstrap(
    seed: int, units: int, months: int, treated: int, start: int, missing: float
) -> None:
    y, _, x, leads, unit_idx, period_idx, within = _panel(
        seed, units, months, treated, start, missing
    )
    observed, stats = _oracle_wald(y, x, leads, unit_idx, within, draws=DRAWS, seed=seed)
    new_observed, new_stats = wald_draws(y, x, leads, unit_idx, period_idx, draws=DRAWS, seed=seed)
    assert new_observed == pytest.approx(observed, rel=RELATIVE)
    np.testing.assert_allclose(new_stats, stats, rtol=RELATIVE)
    p = wild_cluster_wald(y, x, leads, unit_idx, period_idx, draws=DRAWS, seed=seed)
    assert p == float(np.mean(stats >= observed))


def test_chunks_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The draws in one chunk or in chunks of 7 give the same statistics."""
    y, d, x, leads, unit_idx, period_idx, _ = _panel(6, 20, 10, 4, 4, 0.1)
    whole = wald_draws(y, x, leads, unit_idx, period_idx, draws=100, seed=1)
    interval = wild_cluster_interval(y, d, unit_idx, period_idx, correction=1.05, draws=100)
    monkeypatch.setattr(wild_bootstrap, "CHUNK", 7)
    chunked = wald_draws(y, x, leads, unit_idx, period_idx, draws=100, seed=1)
    np.testing.assert_allclose(chunked[1], whole[1], rtol=RELATIVE)
    assert wild_cluster_interval(
        y, d, unit_idx, period_idx, correction=1.05, draws=100
    ) == pytest.approx(interval, rel=RELATIVE)
