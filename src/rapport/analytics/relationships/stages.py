"""Relationship stages: a small Gaussian hidden Markov model over hearts and minds changes.

Each unit's first ``BASELINE_PERIODS`` usable periods (hearts and minds both with n ≥ min_n)
fix its baseline and are stage ``new``: there is no trajectory yet to judge. From then on
each usable period gives two observed changes against the baseline,

    d_hearts = hearts_t − baseline hearts,   d_minds = minds_t − baseline minds,

with measurement variances ``se_t² + se_baseline²``. Four hidden stages emit them as
independent Gaussians with the fixed means and spreads of ``EMISSIONS`` (index points; the
spread is how far real units of a stage scatter, the measurement variance is added per
period):

=================== ========== ========= ==================================================
stage               d_hearts   d_minds   reading
=================== ========== ========= ==================================================
fresh               +6 (sd 3)  0 (sd 4)  warmer than at its start: renewed attention
settled              0 (2.5)   0 (3)     as at its start
taken_for_granted   −8 (4)     0 (3)     hearts fallen while minds hold: the gap widens
at_risk             −8 (4)     −8 (4)    hearts and minds both fallen
=================== ========== ========= ==================================================

``TRANSITIONS`` make stages sticky (0.88–0.90 stay a period) with the likelier moves one
step along fresh → settled → taken_for_granted → at_risk. The forward recursion gives each
period's *filtered* probabilities (what was knowable then; ``smoothed=True`` runs
forward-backward over the whole series instead). A period without usable data is
``insufficient_data``: the chain moves on without evidence. The HMM follows Zhang, Watson,
Palmatier & Dant (2016, J. Marketing 80(5)) in spirit: latent relationship states, neglect
moving them down. The unit tests check it on simulated panels with planted stages.

>>> import pandas as pd
>>> hearts, minds = [60, 60, 60, 60, 56, 52, 48], [70] * 7
>>> rows = [(s, t, v) for s, vs in (("hearts", hearts), ("minds", minds))
...         for t, v in enumerate(vs)]
>>> frame = pd.DataFrame(rows, columns=["signal", "period", "estimate"]).assign(
...     unit="a", se=1.5, lower=0.0, upper=0.0, n=40)
>>> relationship_stages(frame)["stage"].tolist()
['new', 'new', 'new', 'settled', 'settled', 'taken_for_granted', 'taken_for_granted']
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE
from rapport.analytics.relationships.signals import inverse_variance_mean, wide_signals

STAGES: Final = ("fresh", "settled", "taken_for_granted", "at_risk")
NEW: Final = "new"
INSUFFICIENT: Final = "insufficient_data"
BASELINE_PERIODS: Final = 3

EMISSIONS: Final = {
    # stage: ((mean, sd) of d_hearts, (mean, sd) of d_minds), index points
    "fresh": ((6.0, 3.0), (0.0, 4.0)),
    "settled": ((0.0, 2.5), (0.0, 3.0)),
    "taken_for_granted": ((-8.0, 4.0), (0.0, 3.0)),
    "at_risk": ((-8.0, 4.0), (-8.0, 4.0)),
}

TRANSITIONS: Final = np.array(
    [
        [0.88, 0.08, 0.03, 0.01],
        [0.05, 0.88, 0.05, 0.02],
        [0.01, 0.05, 0.88, 0.06],
        [0.01, 0.04, 0.05, 0.90],
    ]
)
"""Row: this period's stage; column: next period's (order of STAGES)."""

INITIAL: Final = np.array([0.10, 0.80, 0.05, 0.05])
"""Stage probabilities of the first period after the baseline."""

Array = npt.NDArray[np.float64]


def emission_likelihoods(
    d_hearts: Array, var_hearts: Array, d_minds: Array, var_minds: Array
) -> Array:
    """Gaussian likelihood of each period's changes under each stage (periods × stages)."""
    out = np.empty((len(d_hearts), len(STAGES)))
    for j, stage in enumerate(STAGES):
        (mh, sh), (mm, sm) = EMISSIONS[stage]
        vh, vm = sh**2 + var_hearts, sm**2 + var_minds
        out[:, j] = np.exp(-0.5 * ((d_hearts - mh) ** 2 / vh + (d_minds - mm) ** 2 / vm)) / (
            2 * np.pi * np.sqrt(vh * vm)
        )
    return out


def hmm_probabilities(likelihoods: Array, smoothed: bool = False) -> Array:
    """Stage probabilities per period from emission likelihoods (NaN row: no evidence).

    Scaled forward recursion; with ``smoothed`` the backward pass too.

    >>> p = hmm_probabilities(np.array([[1.0, 1.0, 1.0, 1.0]]))
    >>> p.round(2).tolist()
    [[0.1, 0.8, 0.05, 0.05]]
    """
    periods = len(likelihoods)
    evidence = np.where(np.isnan(likelihoods), 1.0, likelihoods)
    forward = np.empty((periods, len(STAGES)))
    prior = INITIAL
    for t in range(periods):
        if t:
            prior = forward[t - 1] @ TRANSITIONS
        joint = prior * evidence[t]
        total = joint.sum()
        forward[t] = joint / total if total > 0 else prior
    if not smoothed:
        return forward
    out = forward.copy()
    backward = np.ones(len(STAGES))
    for t in range(periods - 2, -1, -1):
        backward = TRANSITIONS @ (evidence[t + 1] * backward)
        backward /= backward.sum()
        posterior = forward[t] * backward
        out[t] = posterior / posterior.sum()
    return out


def relationship_stages(
    frame: pd.DataFrame,
    *,
    smoothed: bool = False,
    baseline_periods: int = BASELINE_PERIODS,
    min_n: int = MIN_N_FOR_ESTIMATE,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The stage of every unit in every period, with its probability and evidence.

    ``frame`` is the long signal frame of :mod:`.signals` with ``hearts`` and ``minds`` rows.
    Returns one row per unit × period: ``stage`` (one of ``STAGES``, ``new`` or
    ``insufficient_data``), ``probability`` (of that stage; NaN for ``insufficient_data``),
    ``p_fresh`` … ``p_at_risk``, the evidence — ``hearts``, ``minds`` with their
    ``_lower``/``_upper`` and ``_n``, ``hearts_change``, ``minds_change`` (against the
    baseline), ``gap`` (hearts − minds), ``gap_change`` — and ``evidence``, a sentence.
    """
    wide = wide_signals(frame, ("hearts", "minds"), min_n=min_n, confidence=confidence)
    parts = [
        _unit_stages(unit, rows, smoothed, baseline_periods)
        for unit, rows in wide.groupby(level="unit", sort=False)
    ]
    return pd.concat(parts, ignore_index=True)


def _unit_stages(
    unit: object, rows: pd.DataFrame, smoothed: bool, baseline_periods: int
) -> pd.DataFrame:
    h, m = rows["hearts"].to_numpy(float), rows["minds"].to_numpy(float)
    sh, sm = rows["hearts_se"].to_numpy(float), rows["minds_se"].to_numpy(float)
    ok = (rows["hearts_ok"] & rows["minds_ok"]).to_numpy(bool)
    out = pd.DataFrame({"unit": unit, "period": rows.index.get_level_values("period")})
    for column in ("hearts", "hearts_lower", "hearts_upper", "hearts_n"):
        out[column] = rows[column].to_numpy()
    for column in ("minds", "minds_lower", "minds_upper", "minds_n"):
        out[column] = rows[column].to_numpy()
    out["gap"] = h - m
    stage = np.full(len(h), INSUFFICIENT, dtype=object)
    probabilities = np.full((len(h), len(STAGES)), np.nan)
    usable = np.flatnonzero(ok)
    base_h = base_m = np.nan
    if len(usable) >= baseline_periods:
        base = usable[:baseline_periods]
        base_h, se_bh = inverse_variance_mean(h[base], sh[base])
        base_m, se_bm = inverse_variance_mean(m[base], sm[base])
        stage[base] = NEW
        start = int(base[-1]) + 1
        d_h, d_m = h[start:] - base_h, m[start:] - base_m
        likelihoods = emission_likelihoods(
            d_h, sh[start:] ** 2 + se_bh**2, d_m, sm[start:] ** 2 + se_bm**2
        )
        likelihoods[~ok[start:]] = np.nan
        probabilities[start:] = hmm_probabilities(likelihoods, smoothed)
        best = np.asarray(STAGES, dtype=object)[probabilities[start:].argmax(axis=1)]
        stage[start:] = np.where(ok[start:], best, INSUFFICIENT)
    out["hearts_change"] = h - base_h
    out["minds_change"] = m - base_m
    out["gap_change"] = out["gap"] - (base_h - base_m)
    out["stage"] = stage
    index = {s: i for i, s in enumerate(STAGES)}
    out["probability"] = [
        1.0 if s == NEW else probabilities[t, index[s]] if s in index else np.nan
        for t, s in enumerate(stage)
    ]
    for i, name in enumerate(STAGES):
        out[f"p_{name}"] = probabilities[:, i]
    out["evidence"] = [_evidence(row) for row in out.to_dict("records")]
    return out


def _evidence(row: dict[Hashable, Any]) -> str:
    if row["stage"] == INSUFFICIENT:
        return f"insufficient data: hearts n = {row['hearts_n']}, minds n = {row['minds_n']}"
    hearts = f"hearts {row['hearts']:.1f} ({row['hearts_lower']:.1f}–{row['hearts_upper']:.1f})"
    minds = f"minds {row['minds']:.1f} ({row['minds_lower']:.1f}–{row['minds_upper']:.1f})"
    if row["stage"] == NEW:
        return f"baseline period: {hearts}, {minds}"
    return (
        f"{hearts}, {row['hearts_change']:+.1f} since baseline; {minds}, "
        f"{row['minds_change']:+.1f}; gap hearts − minds {row['gap']:+.1f} "
        f"({row['gap_change']:+.1f} since baseline)"
    )
