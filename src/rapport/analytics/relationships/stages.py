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

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from rapport.analytics.estimates import MIN_N_FOR_ESTIMATE
from rapport.analytics.relationships.signals import (
    baseline_means,
    first_usable,
    signal_grid,
    wide_signals,
)

STAGES: Final = ("fresh", "settled", "taken_for_granted", "at_risk")
NEW: Final = "new"
INSUFFICIENT: Final = "insufficient_data"
BASELINE_PERIODS: Final = 3
SIGNALS: Final = ("hearts", "minds")
"""The signals the stage model reads."""

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

    Scaled forward recursion from ``INITIAL``; with ``smoothed`` the backward pass too.

    >>> p = hmm_probabilities(np.array([[1.0, 1.0, 1.0, 1.0]]))
    >>> p.round(2).tolist()
    [[0.1, 0.8, 0.05, 0.05]]
    """
    active = np.ones((1, len(likelihoods)), dtype=bool)
    probabilities: Array = _chain(likelihoods[None], active, smoothed)[0]
    return probabilities


def _times(rows: Array, matrix: Array) -> Array:
    """``rows @ matrix``, each row's sums added in one fixed order: a unit's probabilities
    are then the same to the last bit whichever units are computed with it (BLAS groups
    rows by their number, and a unit staged alone differed from it staged with 400 others
    in the last bit of its probabilities).

    >>> _times(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1], [0.2, 0.8]])).tolist()
    [[0.55, 0.45]]
    """
    out: Array = rows[:, :1] * matrix[0]
    for i in range(1, len(matrix)):
        out = out + rows[:, i : i + 1] * matrix[i]
    return out


def _chain(likelihoods: Array, active: npt.NDArray[np.bool_], smoothed: bool) -> Array:
    """The HMM for many units at once: ``likelihoods`` units × periods × stages, ``active``
    units × periods (True from each unit's first monitored period on; NaN elsewhere)."""
    units, periods, states = likelihoods.shape
    evidence = np.where(np.isnan(likelihoods), 1.0, likelihoods)
    forward = np.full(likelihoods.shape, np.nan)
    for t in range(periods):
        prior = np.broadcast_to(INITIAL, (units, states))
        if t:
            prior = np.where(active[:, t - 1, None], _times(forward[:, t - 1], TRANSITIONS), prior)
        joint = prior * evidence[:, t]
        total = joint.sum(axis=1, keepdims=True)
        current = np.where(total > 0, joint / np.where(total > 0, total, 1.0), prior)
        forward[:, t] = np.where(active[:, t, None], current, np.nan)
    if not smoothed:
        return forward
    out = forward.copy()
    backward = np.ones((units, states))
    for t in range(periods - 2, -1, -1):
        step = _times(evidence[:, t + 1] * backward, TRANSITIONS.T)
        step /= step.sum(axis=1, keepdims=True)
        backward = np.where(active[:, t + 1, None], step, 1.0)
        posterior = forward[:, t] * backward
        with np.errstate(invalid="ignore"):
            out[:, t] = posterior / posterior.sum(axis=1, keepdims=True)
    return out


def relationship_stages(
    frame: pd.DataFrame,
    *,
    smoothed: bool = False,
    baseline_periods: int = BASELINE_PERIODS,
    min_n: int = MIN_N_FOR_ESTIMATE,
    confidence: float = 0.95,
    periods: pd.Index | None = None,
) -> pd.DataFrame:
    """The stage of every unit in every period, with its probability and evidence.

    ``frame`` is the long signal frame of :mod:`.signals` with ``hearts`` and ``minds`` rows.
    Each unit's stages follow from its own rows and the periods its chain steps through:
    the frame's, or ``periods`` (sorted, holding the frame's), so that some units' rows
    read with the whole frame's periods give the rows those units have in the whole
    frame's stages.
    Returns one row per unit × period: ``stage`` (one of ``STAGES``, ``new`` or
    ``insufficient_data``), ``probability`` (of that stage; NaN for ``insufficient_data``),
    ``p_fresh`` … ``p_at_risk``, the evidence — ``hearts``, ``minds`` with their
    ``_lower``/``_upper`` and ``_n``, ``hearts_change``, ``minds_change`` (against the
    baseline), ``gap`` (hearts − minds), ``gap_change`` — and ``evidence``, a sentence.
    A period absent from the frame counts as a period without data.
    """
    wide = wide_signals(frame, SIGNALS, min_n=min_n, confidence=confidence)
    grid = signal_grid(wide, periods)
    h, m = grid.values("hearts"), grid.values("minds")
    sh, sm = grid.values("hearts_se"), grid.values("minds_se")
    ok = grid.flags("hearts_ok") & grid.flags("minds_ok")
    base, after = first_usable(ok, baseline_periods)
    base_h, se_bh = baseline_means(h, sh, base)
    base_m, se_bm = baseline_means(m, sm, base)
    d_h, d_m = h - base_h[:, None], m - base_m[:, None]
    likelihoods = emission_likelihoods(
        d_h.ravel(),
        (sh**2 + se_bh[:, None] ** 2).ravel(),
        d_m.ravel(),
        (sm**2 + se_bm[:, None] ** 2).ravel(),
    ).reshape(*h.shape, len(STAGES))
    likelihoods[~(ok & after)] = np.nan
    probabilities = _chain(likelihoods, after, smoothed)
    best = np.nan_to_num(probabilities, nan=-1.0).argmax(axis=2)
    stage = np.where(
        base,
        NEW,
        np.where(ok & after, np.asarray(STAGES, dtype=object)[best], INSUFFICIENT),
    )
    chosen = np.take_along_axis(probabilities, best[..., None], axis=2)[..., 0]
    probability = np.where(base, 1.0, np.where(ok & after, chosen, np.nan))
    cells = grid.present
    units, dated = grid.cells()
    out = pd.DataFrame({"unit": units, "period": dated})
    for column in ("hearts", "hearts_lower", "hearts_upper", "minds", "minds_lower", "minds_upper"):
        out[column] = grid.values(column)[cells]
    out["hearts_n"] = grid.values("hearts_n")[cells].astype(int)
    out["minds_n"] = grid.values("minds_n")[cells].astype(int)
    out["gap"] = out["hearts"] - out["minds"]
    out["hearts_change"] = d_h[cells]
    out["minds_change"] = d_m[cells]
    out["gap_change"] = out["hearts_change"] - out["minds_change"]
    out["stage"] = stage[cells].astype(object)
    out["probability"] = probability[cells]
    for i, name in enumerate(STAGES):
        out[f"p_{name}"] = probabilities[..., i][cells]
    out["evidence"] = _evidence(out)
    return out


def _evidence(out: pd.DataFrame) -> list[str]:
    """One sentence per row: the numbers that put the unit in its stage."""
    sentences = []
    columns = [
        "stage", "hearts_n", "minds_n", "hearts", "hearts_lower", "hearts_upper", "minds",
        "minds_lower", "minds_upper", "hearts_change", "minds_change", "gap", "gap_change",
    ]  # fmt: skip
    for stage, hn, mn, h, hl, hu, m, ml, mu, dh, dm, gap, dgap in zip(
        *(out[c].tolist() for c in columns), strict=True
    ):
        if stage == INSUFFICIENT:
            sentences.append(f"insufficient data: hearts n = {hn}, minds n = {mn}")
            continue
        hearts = f"hearts {h:.1f} ({hl:.1f}–{hu:.1f})"
        minds = f"minds {m:.1f} ({ml:.1f}–{mu:.1f})"
        if stage == NEW:
            sentences.append(f"baseline period: {hearts}, {minds}")
        else:
            sentences.append(
                f"{hearts}, {dh:+.1f} since baseline; {minds}, {dm:+.1f}; "
                f"gap hearts − minds {gap:+.1f} ({dgap:+.1f} since baseline)"
            )
    return sentences
