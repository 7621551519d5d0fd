"""Risk models on the IBM HR attrition and Telco churn samples (tests/data/risk/).

Each figure of :func:`rapport.analytics.risk.fit_risk` is held to an independent
computation: the design built again with pandas' ``get_dummies``, a plain (uncalibrated)
scikit-learn logistic regression over the same stratified folds, ``roc_auc_score`` and the
Brier score by its formula. Calibration adds a sigmoid refit inside each fold, which moves
the AUC and Brier only slightly: tolerance 0.01 (AUC) and 0.003 (Brier). DeLong's interval
is held to a percentile bootstrap of the same out-of-fold scores (1,000 resamples, 0.01).

Published figures for these samples are public analyses, not authoritative references, so
the AUC is held only to a wide plausible range (tests/data/risk/PROVENANCE.md says which).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from rapport.analytics.risk import delong_auc, fit_risk

DATA = Path(__file__).parents[1] / "data" / "risk"
HR = DATA / "WA_Fn-UseC_-HR-Employee-Attrition.csv"
TELCO = DATA / "WA_Fn-UseC_-Telco-Customer-Churn.csv"

CASES = {
    # file, target, columns an analyst drops by hand, AUC range, largest calibration error
    "hr": (
        HR,
        "Attrition",
        ["EmployeeCount", "EmployeeNumber", "Over18", "StandardHours"],
        (0.78, 0.89),
        0.04,
    ),
    "telco": (TELCO, "Churn", ["customerID"], (0.82, 0.87), 0.02),
}


def _independent(path: Path, target: str, drop: list[str]) -> tuple[np.ndarray, np.ndarray]:
    raw = pd.read_csv(path)
    y = (raw[target] == "Yes").to_numpy(dtype=float)
    x = raw.drop(columns=[target, *drop])
    if "TotalCharges" in x:
        x["TotalCharges"] = pd.to_numeric(x["TotalCharges"], errors="coerce")
    x = pd.get_dummies(x, drop_first=True, dtype=float)
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=5000)
    )
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    with threadpool_limits(limits=1):
        return y, cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, object, np.ndarray, np.ndarray]:
    path, target, drop, _, _ = CASES[request.param]
    fit = fit_risk(pd.read_csv(path), target)
    y, p = _independent(path, target, drop)
    return request.param, fit, y, p


def test_auc_and_brier_match_an_independent_sklearn_computation(case) -> None:  # type: ignore[no-untyped-def]
    name, fit, y, p = case
    assert fit.n == len(y) and fit.n_positive == int(y.sum())
    assert fit.auc.auc == pytest.approx(roc_auc_score(y, p), abs=0.01)
    assert fit.brier == pytest.approx(float(np.mean((p - y) ** 2)), abs=0.003)
    low, high = CASES[name][3]
    assert low < fit.auc.lower and fit.auc.upper < high
    assert fit.brier_skill > 0.2  # well below the base rate's Brier score
    assert fit.calibration_error < CASES[name][4]


def test_delong_interval_matches_a_bootstrap_of_the_same_scores(case) -> None:  # type: ignore[no-untyped-def]
    _, fit, y, _ = case
    labelled = fit.labelled.to_numpy()
    scores = fit.risk.to_numpy()[labelled]
    rng = np.random.default_rng(0)
    boot = []
    for _ in range(1000):  # the AUC as the Mann–Whitney statistic of each resample
        rows = rng.integers(0, len(y), len(y))
        yy, ranks = y[rows], rankdata(scores[rows])
        m = yy.sum()
        boot.append((ranks[yy == 1].sum() - m * (m + 1) / 2) / (m * (len(yy) - m)))
    lower, upper = np.percentile(boot, [2.5, 97.5])
    again = delong_auc(y, scores)
    assert again.auc == pytest.approx(fit.auc.auc, abs=1e-12)
    assert fit.auc.lower == pytest.approx(lower, abs=0.01)
    assert fit.auc.upper == pytest.approx(upper, abs=0.01)


def test_the_drivers_are_the_known_ones(case) -> None:  # type: ignore[no-untyped-def]
    name, fit, _, _ = case
    top = fit.drivers["driver"].head(3).tolist()
    if name == "hr":  # overtime first, as every analysis of this sample finds
        assert top[0] == "OverTime"
        assert fit.drivers.set_index("driver").loc["OverTime", "direction"] == "+"
    else:  # contract type and tenure: month-to-month and new customers leave
        assert top[:2] == ["Contract", "tenure"]
    assert fit.drivers["weight"].sum() == pytest.approx(fit.r_squared, abs=1e-9)
