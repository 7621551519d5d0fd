"""The calibrated classifiers, their out-of-fold probabilities and how good they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from sklearn.base import ClassifierMixin

Vector = npt.NDArray[np.float64]

MODELS = ("logistic", "gradient_boosting")


def classifier(model: str, seed: int) -> ClassifierMixin:
    """A calibrated classifier: probabilities recalibrated on held-out thirds of its training
    data (Platt's sigmoid for the logistic model, isotonic for boosted trees, whose scores
    are not probabilities). Missing values: medians for the logistic model; the trees route
    them natively."""
    # scikit-learn is imported by the functions that fit (here and below), not with the
    # module: the server imports this module at start and no page it serves needs it.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "logistic":
        base = make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            LogisticRegression(max_iter=5000),
        )
        return CalibratedClassifierCV(base, method="sigmoid", cv=3)
    if model == "gradient_boosting":
        trees = HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=200, max_leaf_nodes=15, random_state=seed
        )
        return CalibratedClassifierCV(trees, method="isotonic", cv=3)
    raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")


def out_of_fold(
    features: pd.DataFrame, outcome: Vector, model: str, folds: int, seed: int
) -> Vector:
    """Each row's probability from the model fitted on the other folds (stratified)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    probability = cross_val_predict(
        classifier(model, seed), features, outcome, cv=split, method="predict_proba"
    )
    return np.asarray(probability[:, 1], dtype=np.float64)


def fitted_probability(
    features: pd.DataFrame, outcome: Vector, model: str, seed: int, unlabelled: pd.DataFrame
) -> Vector:
    """Probabilities for rows whose outcome is unknown, from a model fitted on all others."""
    if unlabelled.empty:
        return np.empty(0)
    fitted = classifier(model, seed).fit(features, outcome)
    return np.asarray(fitted.predict_proba(unlabelled)[:, 1], dtype=np.float64)


def calibration_table(outcome: Vector, probability: Vector, bins: int) -> pd.DataFrame:
    """``calibration_curve`` over quantile bins, with each bin's row count: ``predicted``
    (mean probability), ``observed`` (share of positives), ``n``."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(outcome, probability, n_bins=bins, strategy="quantile")
    # The counts behind each point, by the same binning calibration_curve uses.
    edges = np.percentile(probability, np.linspace(0, 100, bins + 1))
    counts = np.bincount(np.searchsorted(edges[1:-1], probability), minlength=bins)
    return pd.DataFrame(
        {"predicted": predicted, "observed": observed, "n": counts[counts > 0].astype(int)}
    )


def calibration_error(table: pd.DataFrame) -> float:
    """Expected calibration error: the row-weighted mean |observed − predicted| over bins."""
    gaps = (table["observed"] - table["predicted"]).abs()
    return float((gaps * table["n"]).sum() / table["n"].sum())


def brier(outcome: Vector, probability: Vector) -> float:
    from sklearn.metrics import brier_score_loss

    return float(brier_score_loss(outcome, probability))
