"""rapport.analytics.risk: DeLong's AUC interval, the design rules, a planted simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from rapport.analytics.risk import build_design, delong_auc, fit_risk


def _delong_by_definition(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """AUC and its DeLong standard error from the pairwise kernel ψ (O(m·n))."""
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    return float(psi.mean()), float(se)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delong_equals_the_pairwise_definition_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(300) < 0.3).astype(float)
    s = np.round(rng.normal(size=300) + y, 1)  # rounding makes ties
    found = delong_auc(y, s, 0.9)
    auc, se = _delong_by_definition(y, s)
    assert found.auc == pytest.approx(auc, abs=1e-12)
    assert found.auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert found.se == pytest.approx(se, abs=1e-12)
    assert found.lower == pytest.approx(auc - 1.6448536269514722 * se, abs=1e-9)


def test_delong_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        delong_auc([0, 2, 1, 0], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="at least 2 positive"):
        delong_auc([0, 0, 1, 0], [0.1, 0.2, 0.3, 0.4])


def _planted(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Attrition from a known logistic model: workload matters most, recognition next,
    pay a little, noise not at all; a text team with one level that raises risk."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "pay": rng.normal(size=n),
            "workload": rng.normal(size=n),
            "recognition": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "team": rng.choice(["a", "b", "c"], size=n),
            "person_id": [f"p{i}" for i in range(n)],
        }
    )
    logit = (
        -1.6
        + 1.4 * frame["workload"]
        - 0.8 * frame["recognition"]
        - 0.3 * frame["pay"]
        + 0.4 * (frame["team"] == "c")
    )
    truth = 1 / (1 + np.exp(-logit.to_numpy()))
    frame["left"] = np.where(rng.random(n) < truth, "Yes", "No")
    return frame, truth


def test_a_planted_driver_ranks_first_and_risks_are_calibrated() -> None:
    frame, truth = _planted(3000, seed=5)
    fit = fit_risk(frame, "left", seed=0)
    ranked = fit.drivers["driver"].tolist()
    assert ranked[:3] == ["workload", "recognition", "pay"]
    assert ranked[-1] in {"noise", "team"}
    direction = dict(zip(fit.drivers["driver"], fit.drivers["direction"], strict=True))
    assert direction["workload"] == "+" and direction["recognition"] == "−"
    assert fit.left_out == {"person_id": "an identifier"}
    # The best possible AUC is the true model's; the fitted one comes close.
    true_auc = roc_auc_score(frame["left"] == "Yes", truth)
    assert fit.auc.lower < true_auc < fit.auc.upper + 0.01
    # Out-of-fold risks track the planted probabilities.
    assert float(np.abs(fit.risk.to_numpy() - truth).mean()) < 0.03
    assert fit.calibration_error < 0.03
    assert fit.brier < fit.brier_baseline


def test_gradient_boosting_finds_the_planted_driver_too() -> None:
    frame, _ = _planted(1000, seed=6)
    fit = fit_risk(frame, "left", model="gradient_boosting", folds=2)
    assert fit.drivers["driver"].iloc[0] == "workload"
    assert fit.auc.auc > 0.75 and fit.calibration_error < 0.05


def test_unknown_outcomes_are_scored_by_the_model_fitted_on_the_rest() -> None:
    frame, _ = _planted(800, seed=7)
    frame.loc[:9, "left"] = ""
    fit = fit_risk(frame, "left", folds=3)
    assert fit.n == 790
    assert not fit.labelled[:10].any() and fit.labelled[10:].all()
    assert fit.risk.notna().all() and fit.risk.between(0, 1).all()


def test_design_reads_text_numbers_levels_and_leaves_out_what_cannot_be_used() -> None:
    frame = pd.DataFrame(
        {
            "churn": ["Yes", "No", "no", "YES", "No", ""],
            "charges": ["1.5", " ", "3", "4.25", "2", "1"],
            "plan": ["basic", "pro", "basic", "pro", "pro", "basic"],
            "not_basic": ["1", "0", "1", "0", "0", "1"],
            "constant": ["x"] * 6,
            "customerID": ["a", "b", "c", "d", "e", "f"],
        }
    )
    design = build_design(frame, "churn")
    assert design.outcome[:5].tolist() == [1, 0, 0, 1, 0] and np.isnan(design.outcome[5])
    assert list(design.features.columns) == ["charges", "plan=pro"]
    assert np.isnan(design.features["charges"].iloc[1])
    assert design.reference == {"plan": "basic"}
    assert design.left_out == {
        "not_basic": "a linear combination of other columns",
        "constant": "constant",
        "customerID": "an identifier",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "gone"}, "target column 'gone' is not in the data"),
        ({"target": "team"}, "column 'team' must be yes/no, true/false or 1/0"),
        ({"target": "left", "exclude": ["nope"]}, "column 'nope' is not in the data"),
        ({"target": "left", "model": "forest"}, "model must be one of"),
        ({"target": "left", "folds": 1}, "folds must be a whole number"),
    ],
)
def test_bad_input_names_the_column(kwargs: dict[str, object], message: str) -> None:
    frame, _ = _planted(200, seed=1)
    with pytest.raises(ValueError, match=message):
        fit_risk(frame, **kwargs)  # type: ignore[arg-type]


def test_too_few_leavers_are_refused_with_the_counts() -> None:
    frame, _ = _planted(200, seed=1)
    frame["left"] = "No"
    frame.loc[:3, "left"] = "Yes"
    with pytest.raises(ValueError, match="4 positive and 196 negative rows"):
        fit_risk(frame, "left")


def test_a_level_nobody_left_from_is_left_out_of_the_drivers_with_a_note() -> None:
    frame, _ = _planted(1200, seed=3)
    frame["site"] = np.where(np.arange(1200) % 40 == 0, "closed", "open")
    frame.loc[frame["site"] == "closed", "left"] = "No"  # quasi-complete separation
    fit = fit_risk(frame, "left", folds=3)
    assert any("site=open left out of the drivers" in note for note in fit.notes)
    assert fit.drivers["driver"].iloc[0] == "workload"
    assert "site" not in set(fit.drivers["driver"])
