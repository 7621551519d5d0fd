"""Train the survey sentiment head (:mod:`rapport.text._calibration`) on top of a model.

Rows: GoEmotions' dev split (the 39 heads never trained on it, so their scores there are
honest) and Rapport's in-domain survey sentences, each counting ``survey_weight`` times.
Targets: the GoEmotions sentiment groups of each row's labels. Four L2 logistic
regressions (one per sentiment); thresholds tuned per sentiment on out-of-fold scores of
the same rows, as the heads' thresholds are. The held-out check (``check.tsv``) is read only
to refuse a training sentence that is also a check comment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rapport.text._calibration import CUE_NAMES, HeadInputs, SentimentCalibrator
from rapport.text._labels import SENTIMENT_LABELS, to_sentiment
from rapport.text._model import (
    MODEL_VERSION,
    SENTIMENT_COLUMNS,
    LinearEmotionModel,
    default_artifact_path,
    select,
)
from rapport.text.goemotions import GoEmotionsSplit, indicator, macro_f1, read_split
from rapport.text.survey_comments import normalised, read_check, read_training


@dataclass(frozen=True, slots=True)
class SurveyHeadConfig:
    """Knobs of :func:`fit_survey_head`; the defaults built the shipped head (chosen on the
    out-of-fold figures below, never on the check)."""

    survey_weight: float = 3.0
    c: float = 1.0
    folds: int = 5


@dataclass(frozen=True, slots=True)
class SurveyHeadReport:
    """Out-of-fold figures of the head: GoEmotions dev sentiment macro-F1, and the share of
    survey sentences whose primary sentiment is one of their gold sentiments."""

    dev_sentiment_f1: float
    survey_primary: float
    base_dev_sentiment_f1: float
    base_survey_primary: float


def check_disjoint(training: GoEmotionsSplit, check_path: Path) -> None:
    """Refuse training sentences that are also in the held-out check (compared lower-case,
    letters and digits only): a check the model has seen proves nothing."""
    held_out = {normalised(c.text): c.id for c in read_check(check_path)}
    for text, row_id in zip(training.texts, training.ids, strict=True):
        if normalised(text) in held_out:
            raise ValueError(
                f"survey training row {row_id} is check comment {held_out[normalised(text)]} "
                f"of {check_path}: {text!r}; the check must stay out of training"
            )


def _fit(
    inputs: HeadInputs, y: npt.NDArray[np.bool_], weight: npt.NDArray[Any], c: float
) -> SentimentCalibrator:
    from sklearn.linear_model import LogisticRegression

    x = inputs.features()
    coef = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    intercept = np.zeros(y.shape[1], dtype=np.float32)
    for j in range(y.shape[1]):
        if y[:, j].all() or not y[:, j].any():  # one class (tiny data sets): constant score
            share = (y[:, j].sum() + 0.5) / (len(y) + 1.0)
            intercept[j] = np.log(share / (1.0 - share))
            continue
        head = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", random_state=0)
        head.fit(x, y[:, j], sample_weight=weight)
        coef[:, j], intercept[j] = head.coef_.ravel(), head.intercept_[0]
    return SentimentCalibrator(coef, intercept)


def _primary_share(
    scores: npt.NDArray[Any], thresholds: npt.NDArray[Any], truth: npt.NDArray[np.bool_]
) -> float:
    """Share of rows whose primary sentiment (furthest above its threshold, as the model
    picks it) is one of their gold sentiments."""
    primary = np.argmax(scores / thresholds, axis=1)
    return float(truth[np.arange(len(primary)), primary].mean())


def fit_survey_head(
    model: LinearEmotionModel,
    goemotions_dir: Path | str,
    survey_dir: Path | str,
    config: SurveyHeadConfig | None = None,
    log: Callable[[str], None] = print,
) -> tuple[LinearEmotionModel, SurveyHeadReport]:
    """``model`` with a survey sentiment head fitted on ``goemotions_dir/dev.tsv`` and
    ``survey_dir/train.tsv`` (``survey_dir/check.tsv`` must share no sentence with it).

    A second or so on one core::

        head_model, report = fit_survey_head(model, "data/goemotions", "data/survey_comments")
    """
    from sklearn.model_selection import KFold

    from rapport.text.training import tune_thresholds

    config = config or SurveyHeadConfig()
    survey_dir = Path(survey_dir)
    dev = read_split(Path(goemotions_dir) / "dev.tsv")
    survey = read_training(survey_dir / "train.tsv")
    check_disjoint(survey, survey_dir / "check.tsv")
    texts = list(dev.texts + survey.texts)
    scores, inputs = model.head_scores(texts)
    y = indicator((to_sentiment(s) for s in dev.labels + survey.labels), SENTIMENT_LABELS)
    weight = np.where(np.arange(len(texts)) < len(dev), 1.0, config.survey_weight)
    out_of_fold = np.zeros(y.shape, dtype=np.float32)
    for fit_rows, held_rows in KFold(config.folds, shuffle=True, random_state=0).split(y):
        head = _fit(inputs.rows(fit_rows), y[fit_rows], weight[fit_rows], config.c)
        out_of_fold[held_rows] = head.scores(inputs.rows(held_rows))
    thresholds = tune_thresholds(out_of_fold, y)
    on_dev, on_survey = slice(0, len(dev)), slice(len(dev), len(texts))
    base = model.thresholds["sentiment"]
    base_thresholds = np.array([base[s] for s in SENTIMENT_LABELS], dtype=np.float32)
    base_scores = scores[:, SENTIMENT_COLUMNS]
    report = SurveyHeadReport(
        dev_sentiment_f1=macro_f1(y[on_dev], select(out_of_fold[on_dev], thresholds)),
        survey_primary=_primary_share(out_of_fold[on_survey], thresholds, y[on_survey]),
        base_dev_sentiment_f1=macro_f1(y[on_dev], select(base_scores[on_dev], base_thresholds)),
        base_survey_primary=_primary_share(base_scores[on_survey], base_thresholds, y[on_survey]),
    )
    log(f"survey sentiment head, out-of-fold: {report}")
    fitted = model.with_calibrator(_fit(inputs, y, weight, config.c), thresholds)
    fitted.metadata["version"] = MODEL_VERSION
    fitted.metadata["survey_head"] = {
        "heads_from": f"{model.name} {model.version}",
        "recipe": "logistic regression per sentiment over the 39 head logits, 7 lexicon, "
        f"{len(CUE_NAMES)} domain-cue columns and the word tf-idf block; GoEmotions dev + "
        "survey sentences "
        f"(weight {config.survey_weight}); thresholds on {config.folds}-fold out-of-fold scores",
        "survey_train_sha256": hashlib.sha256((survey_dir / "train.tsv").read_bytes()).hexdigest(),
        "rows": {"goemotions_dev": len(dev), "survey": len(survey)},
        "out_of_fold": {
            "dev_sentiment_macro_f1": report.dev_sentiment_f1,
            "survey_primary_sentiment": report.survey_primary,
        },
    }
    return fitted, report


def add_survey_head(
    base_artifact: Path | str,
    goemotions_dir: Path | str,
    survey_dir: Path | str,
    out_path: Path | str | None = None,
    config: SurveyHeadConfig | None = None,
    log: Callable[[str], None] = print,
) -> SurveyHeadReport:
    """Fit the survey sentiment head on the 39 heads of ``base_artifact`` and write the
    result (default: the packaged artifact): the short path of ``tools/train_emotion.py
    --heads-from``, a minute instead of the heads' 18."""
    base = LinearEmotionModel.from_artifact(Path(base_artifact))
    model, report = fit_survey_head(base, goemotions_dir, survey_dir, config, log)
    out = Path(out_path) if out_path is not None else default_artifact_path()
    model.save(out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return report
