"""Attrition and churn risk: calibrated, cross-validated classifiers and their drivers.

:func:`fit_risk` takes a table of people (one row each, a yes/no ``target`` such as
``Attrition`` or ``Churn``) and returns a :class:`RiskFit`:

- each person's **risk**: the probability from a model that did not see them (stratified
  k-fold; rows whose outcome is unknown are scored by the model fitted on all the others);
- how good those probabilities are: the **AUC** with DeLong's interval, the **Brier score**
  beside the base rate's, and the **calibration curve** (scikit-learn's, over quantile
  bins) with its expected calibration error;
- the **drivers**: the logistic relative weights of
  :func:`rapport.analytics.drivers.logistic_relative_weights` (Tonidandel & LeBreton
  2010), on the same design matrix, summed over a category's levels (relative weights are
  additive, so a category's sum is its share of R²_O), each with a percentile bootstrap
  interval (:data:`DRIVER_RESAMPLES` resamples, seeded).

:func:`fit_unit_risk` is the model per unit where people are not known (``_units.py``).

The model is scikit-learn's logistic regression (``model="logistic"``) or histogram gradient
boosting (``"gradient_boosting"``), each inside ``CalibratedClassifierCV``. The design rules
(how text, blanks and identifiers are read) are in ``_design.py`` and docs/drivers.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from rapport.analytics.drivers import logistic_relative_weights
from rapport.analytics.estimates import validate_confidence
from rapport.analytics.risk._auc import AucInterval, delong_auc
from rapport.analytics.risk._design import Design, build_design
from rapport.analytics.risk._model import (
    MODELS,
    brier,
    calibration_error,
    calibration_table,
    fitted_probability,
    out_of_fold,
)
from rapport.analytics.risk._separation import MAX_SEPARATION_DROPS, separating_column
from rapport.analytics.risk._units import UnitRiskFit, fit_unit_risk

__all__ = [
    "MODELS",
    "AucInterval",
    "RiskFit",
    "UnitRiskFit",
    "build_design",
    "delong_auc",
    "fit_risk",
    "fit_unit_risk",
]

_TARGET = "__outcome__"
DRIVER_COLUMNS = ("driver", "weight", "share", "direction")
DRIVER_RESAMPLES = 200
"""Bootstrap resamples behind the drivers' intervals (each refits the logistic model)."""


@dataclass(frozen=True)
class RiskFit:
    """What :func:`fit_risk` found. ``risk`` is indexed like the input rows."""

    target: str
    model: str
    folds: int
    n: int
    """Rows with a known outcome (the model's evidence)."""
    n_positive: int
    auc: AucInterval
    brier: float
    brier_baseline: float
    """The Brier score of predicting the base rate for everyone: prevalence × (1 − it)."""
    calibration: pd.DataFrame
    calibration_error: float
    risk: pd.Series
    labelled: pd.Series
    """True where the row's outcome was known (its risk is out of fold)."""
    drivers: pd.DataFrame
    """``driver``, ``weight`` (part of R²_O), ``share`` of it, ``direction`` (+ higher
    values or the non-reference levels go with more risk, − with less, ± levels differ)
    ``reference`` (a text column's reference level) and the weight's bootstrap interval
    ``lower``–``upper``, ranked by weight."""
    r_squared: float
    drivers_n: int
    left_out: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def prevalence(self) -> float:
        return self.n_positive / self.n

    @property
    def brier_skill(self) -> float:
        """1 − Brier / baseline: the share of the base rate's error the model removes."""
        return 1.0 - self.brier / self.brier_baseline


def fit_risk(
    df: pd.DataFrame,
    target: str,
    features: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
    positive: str | None = None,
    model: str = "logistic",
    folds: int = 5,
    bins: int = 10,
    confidence: float = 0.95,
    seed: int = 0,
    driver_resamples: int = DRIVER_RESAMPLES,
) -> RiskFit:
    """Fit a calibrated risk model of ``target`` and measure it out of fold.

    The drivers' ``lower`` and ``upper`` bound each weight at ``confidence`` by a percentile
    bootstrap of ``driver_resamples`` resamples (seeded by ``seed``; the logistic fit and
    the sum over a category's levels are redone in each). Raises ``ValueError`` naming the
    column for a missing or non-binary target, and when a class has fewer than
    ``2 × folds`` rows.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> frame = pd.DataFrame({"pay": rng.normal(size=400), "noise": rng.normal(size=400)})
        >>> frame["left"] = rng.random(400) < 1 / (1 + np.exp(2 * frame["pay"] + 1))
        >>> fit = fit_risk(frame, "left")
        >>> fit.drivers["driver"].iloc[0], fit.auc.auc > 0.75
        ('pay', True)
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    validate_confidence(confidence, "confidence")
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be a whole number of at least 2, got {folds!r}")
    bad = isinstance(driver_resamples, bool) or not isinstance(driver_resamples, int)
    if bad or driver_resamples < 2:
        raise ValueError(
            f"driver_resamples must be a whole number of at least 2, got {driver_resamples!r}"
        )
    design = build_design(df, target, features, exclude=exclude, positive=positive)
    labelled = ~np.isnan(design.outcome)
    y = design.outcome[labelled]
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if min(positives, negatives) < 2 * folds:
        raise ValueError(
            f"column {target!r} has {positives} positive and {negatives} negative rows; "
            f"a {folds}-fold cross-validated model needs at least {2 * folds} of each"
        )
    x = design.features[labelled]
    # One thread for BLAS and OpenMP: on a shared machine the gradient boosting's threads
    # multiplied its CPU time twentyfold (docs/drivers.md); one core is also the fastest here.
    with threadpool_limits(limits=1):
        probability = out_of_fold(x, y, model, folds, seed)
        risk = pd.Series(np.nan, index=df.index, name="risk")
        risk[labelled] = probability
        risk[~labelled] = fitted_probability(x, y, model, seed, design.features[~labelled])
        drivers, r_squared, drivers_n, notes = _drivers(
            design, labelled, confidence, driver_resamples, seed
        )
    table = calibration_table(y, probability, bins)
    prevalence = positives / len(y)
    return RiskFit(
        target=target,
        model=model,
        folds=folds,
        n=len(y),
        n_positive=positives,
        auc=delong_auc(y, probability, confidence),
        brier=brier(y, probability),
        brier_baseline=prevalence * (1 - prevalence),
        calibration=table,
        calibration_error=calibration_error(table),
        risk=risk,
        labelled=pd.Series(labelled, index=df.index, name="labelled"),
        drivers=drivers,
        r_squared=r_squared,
        drivers_n=drivers_n,
        left_out=design.left_out,
        notes=notes,
    )


def _drivers(
    design: Design, labelled: np.ndarray, confidence: float, resamples: int, seed: int
) -> tuple[pd.DataFrame, float, int, tuple[str, ...]]:
    """Logistic relative weights of every feature, summed per source column, with
    percentile bootstrap intervals of the sums."""
    frame = design.features[labelled].copy()
    frame[_TARGET] = design.outcome[labelled]
    columns = list(design.features.columns)
    notes: list[str] = []
    for _ in range(MAX_SEPARATION_DROPS + 1):
        separating = separating_column(frame.dropna(), _TARGET, columns)
        if separating is None:
            break
        columns.remove(separating)
        notes.append(
            f"{separating} left out of the drivers: with the others it predicts the outcome "
            "exactly for some rows, so the logistic fit has no finite maximum"
        )
    try:
        weights = logistic_relative_weights(
            frame,
            _TARGET,
            columns,
            ci=confidence,
            n_boot=resamples,
            seed=seed,
            groups={c: design.source[c] for c in columns},
        )
    except ValueError as error:
        empty = pd.DataFrame(columns=[*DRIVER_COLUMNS, "reference", "lower", "upper"])
        return empty, float("nan"), 0, (*notes, f"no driver analysis: {error}")
    r_squared = float(weights.attrs["r_squared"])
    complete = frame.dropna()
    signs = {c: np.sign(np.corrcoef(complete[c], complete[_TARGET])[0, 1]) for c in columns}
    rows = []
    for name, weight, lower, upper in zip(
        weights.index.astype(str),
        weights["estimate"],
        weights["lower"],
        weights["upper"],
        strict=True,
    ):
        parts = [c for c in columns if design.source[c] == name]
        found = {signs[c] for c in parts} - {0.0}
        direction = "±" if len(found) > 1 else ("+" if found == {1.0} else "−")
        rows.append(
            (name, weight, weight / r_squared, direction, design.reference.get(name), lower, upper)
        )
    table = pd.DataFrame(rows, columns=[*DRIVER_COLUMNS, "reference", "lower", "upper"])
    table = table.sort_values(["weight", "driver"], ascending=[False, True], ignore_index=True)
    used, asked = weights.attrs["n_boot_used"], weights.attrs["n_boot"]
    if used < asked:
        notes.append(
            f"driver intervals from {used} of {asked} bootstrap resamples: the logistic fit "
            "had no finite maximum in the others"
        )
    if weights.attrs["n_dropped"]:
        notes.append(
            f"{weights.attrs['n_dropped']} rows with a missing value left out of the drivers"
        )
    return table, r_squared, int(weights.attrs["n"]), tuple(notes)
