"""Relationship stages on simulated panels with planted stages (fixed seeds).

Each simulated unit starts settled and, from a random period, stays settled, freshens
(hearts +8), drifts to taken for granted (hearts −2 a period down to −14, minds flat) or
falls at risk (hearts and minds −2 a period down to −14). Measurement: n from 15…40 a period,
answers with sd 18 (hearts) and 14 (minds); true levels wobble with sd 1 a period. The true
stage of a period is read off the planted shifts (hearts ≥ +4: fresh; hearts ≤ −5 with minds
above −3: taken for granted; both ≤ −5: at risk; else settled).

Floors (seed 15, 200 units: accuracy 90.5 %, recall 87–92 % per stage, per-period rule
74.7 %): filtered stages agree with the truth in ≥ 85 % of scored periods, each planted
stage's recall ≥ 80 %, and the HMM does at least as well as classifying each period on its own
(same emissions, no transitions) — the transparent per-period rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rapport.analytics.relationships.stages import (
    STAGES,
    emission_likelihoods,
    relationship_stages,
)

PERIODS = 24
KINDS = ("settled", "fresh", "taken_for_granted", "at_risk")


def planted_panel(units: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    t = np.arange(PERIODS)
    for u in range(units):
        kind = KINDS[u % len(KINDS)]
        onset = int(rng.integers(5, 14))
        ramp = np.clip(t - onset + 1, 0, None)
        shift_h = np.zeros(PERIODS)
        shift_m = np.zeros(PERIODS)
        if kind == "fresh":
            shift_h = np.where(t >= onset, 8.0, 0.0)
        elif kind == "taken_for_granted":
            shift_h = -np.minimum(2.0 * ramp, 14)
        elif kind == "at_risk":
            shift_h = shift_m = -np.minimum(2.0 * ramp, 14)
        hearts_level = rng.normal(60, 6) + shift_h + rng.normal(0, 1, PERIODS)
        minds_level = rng.normal(68, 5) + shift_m + rng.normal(0, 1, PERIODS)
        n = rng.integers(15, 41, size=PERIODS)
        for signal, level, sd in (("hearts", hearts_level, 18), ("minds", minds_level, 14)):
            se = sd / np.sqrt(n)
            for p in range(PERIODS):
                rows.append((f"u{u:03d}", p, signal, rng.normal(level[p], se[p]), se[p], n[p]))
        for p in range(PERIODS):
            if shift_h[p] >= 4:
                stage = "fresh"
            elif shift_h[p] <= -5 and shift_m[p] > -3:
                stage = "taken_for_granted"
            elif shift_h[p] <= -5 and shift_m[p] <= -5:
                stage = "at_risk"
            elif shift_h[p] < -2 or shift_m[p] < -3:
                stage = "transition"  # half-way down: not scored
            else:
                stage = "settled"
            truth.append((f"u{u:03d}", p, stage))
    frame = pd.DataFrame(rows, columns=["unit", "period", "signal", "estimate", "se", "n"])
    frame["lower"] = frame["estimate"] - 1.96 * frame["se"]
    frame["upper"] = frame["estimate"] + 1.96 * frame["se"]
    return frame, pd.DataFrame(truth, columns=["unit", "period", "truth"])


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    frame, truth = planted_panel(200, seed=15)
    stages = relationship_stages(frame)
    merged = stages.merge(truth, on=["unit", "period"])
    return merged[(merged["stage"] != "new") & (merged["truth"] != "transition")]


def test_hmm_recovers_planted_stages(scored: pd.DataFrame) -> None:
    accuracy = (scored["stage"] == scored["truth"]).mean()
    recall = (scored["stage"] == scored["truth"]).groupby(scored["truth"]).mean()
    print(f"accuracy {accuracy:.3f}; recall {recall.round(3).to_dict()}")
    assert accuracy >= 0.85
    assert (recall >= 0.80).all(), recall


def test_hmm_does_at_least_as_well_as_each_period_alone(scored: pd.DataFrame) -> None:
    # the same emissions without the chain: each period classified on its own
    var_h = ((scored["hearts_upper"] - scored["hearts_lower"]) / 3.92) ** 2
    var_m = ((scored["minds_upper"] - scored["minds_lower"]) / 3.92) ** 2
    likelihoods = emission_likelihoods(
        scored["hearts_change"].to_numpy(),
        var_h.to_numpy(),
        scored["minds_change"].to_numpy(),
        var_m.to_numpy(),
    )
    alone = np.asarray(STAGES)[likelihoods.argmax(axis=1)]
    hmm = (scored["stage"] == scored["truth"]).mean()
    rule = (alone == scored["truth"].to_numpy()).mean()
    print(f"HMM {hmm:.3f} vs per-period rule {rule:.3f}")
    assert hmm >= rule


def test_probabilities_and_evidence(scored: pd.DataFrame) -> None:
    p = scored[[f"p_{s}" for s in STAGES]]
    assert np.allclose(p.sum(axis=1), 1.0)
    assert (scored["probability"] == p.max(axis=1)).all()
    row = scored.iloc[0]
    assert "since baseline" in row["evidence"] and "gap hearts − minds" in row["evidence"]


def test_small_n_is_insufficient_data() -> None:
    frame, _ = planted_panel(1, seed=3)
    frame.loc[frame["period"] == 10, "n"] = 6
    frame.loc[(frame["period"] < 2) & (frame["signal"] == "minds"), "n"] = 2
    stages = relationship_stages(frame).set_index("period")
    assert stages.loc[[0, 1, 10], "stage"].tolist() == ["insufficient_data"] * 3
    assert stages.loc[[2, 3, 4], "stage"].tolist() == ["new"] * 3
    assert np.isnan(stages.loc[10, "probability"])
    assert "minds n = 6" in stages.loc[10, "evidence"]


def test_smoothed_probabilities_use_the_whole_series() -> None:
    frame, truth = planted_panel(80, seed=16)
    merged = relationship_stages(frame, smoothed=True).merge(truth, on=["unit", "period"])
    scored = merged[(merged["stage"] != "new") & (merged["truth"] != "transition")]
    p = scored[[f"p_{s}" for s in STAGES]]
    assert np.allclose(p.sum(axis=1), 1.0)
    filtered = relationship_stages(frame).merge(truth, on=["unit", "period"])
    filtered = filtered.loc[scored.index]
    smoothed_accuracy = (scored["stage"] == scored["truth"]).mean()
    filtered_accuracy = (filtered["stage"] == filtered["truth"]).mean()
    print(f"smoothed {smoothed_accuracy:.3f}, filtered {filtered_accuracy:.3f}")
    assert smoothed_accuracy >= filtered_accuracy
