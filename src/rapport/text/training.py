"""Train the default emotion model on GoEmotions and write its artifact.

Recipe (the choices were made on the dev split; the test split is never read here):

1. Features: word 1–2-grams (min_df 2, top 30k) + char_wb 2–5-grams (min_df 3, top 60k),
   sublinear tf-idf, each block L2-normalised (:mod:`rapport.text._features`), plus seven
   columns from VADER's valence lexicon (:mod:`rapport.text._lexicon`) and 27 columns of
   hand-written emotion cues (:class:`rapport.text._keyword.KeywordFeatures`).
2. 39 binary heads: 28 GoEmotions labels, 7 Ekman groups, 4 sentiment groups, each the
   average (in logit space) of two L2 logistic regressions with balanced class weights: one
   on the plain features and one on features scaled by the head's naive-Bayes log-count
   ratio (NBSVM-style, Wang & Manning 2012). Both are linear in the same features, so the
   average is one weight matrix.
3. C is picked per level (labels, Ekman, sentiment) from ``c_values`` by dev macro-F1 (the
   default grid has one value, 0.5: C from 0.25 to 1 scored within 0.002 on dev).
4. A group's score is the mean of its head and its best label
   (:func:`rapport.text._model.combine_group_scores`).
5. Weights are stored as int8 with one scale per head. Thresholds are tuned per output to
   maximise its F1 on out-of-fold scores of the training split (``threshold_folds`` models,
   each fitted on the other folds and quantised the same way): 43k rows instead of dev's
   5k, so rare labels (grief has 13 dev rows, 77 train rows) get steadier thresholds, and
   dev stays held out — the dev macro-F1 in the artifact is an honest estimate.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from rapport.text._features import DEFAULT_BLOCKS, BlockSpec, TextFeaturizer
from rapport.text._keyword import KEYWORDS, KeywordFeatures
from rapport.text._labels import to_ekman, to_sentiment
from rapport.text._lexicon import read_vader_lexicon
from rapport.text._model import (
    MODEL_NAME,
    MODEL_VERSION,
    OUTPUTS,
    LinearEmotionModel,
    combine_group_scores,
    default_artifact_path,
    dequantize,
    quantize,
    select,
)
from rapport.text.goemotions import GoEmotionsSplit, indicator, macro_f1, read_split
from rapport.text.survey_head import fit_survey_head

THRESHOLD_GRID = np.round(np.arange(0.02, 0.96, 0.01), 2)


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    """Knobs of :func:`train`. The defaults reproduce the shipped artifact.

    ``keyword_scale`` is the value of a cue column at saturation (``None``: no cue columns);
    ``threshold_folds`` is the number of folds whose out-of-fold scores set the thresholds.
    """

    c_values: tuple[float, ...] = (0.5,)
    nb_weight: float = 0.5
    blocks: tuple[BlockSpec, ...] = DEFAULT_BLOCKS
    n_jobs: int = 2
    lexicon: bool = True
    keyword_scale: float | None = 1.0
    threshold_folds: int = 5


@dataclass(frozen=True, slots=True)
class TrainingReport:
    """What :func:`train` did: the artifact, its size, the chosen C and macro-F1s on dev
    (held out) and on the out-of-fold training scores the thresholds were tuned on."""

    artifact: Path
    size_bytes: int
    n_features: int
    chosen_c: dict[str, float]
    dev_macro_f1: dict[str, float]
    seconds: float
    out_of_fold_macro_f1: dict[str, float] = field(default_factory=dict)
    by_c: dict[float, dict[str, float]] = field(default_factory=dict)


def _targets(split: GoEmotionsSplit) -> npt.NDArray[np.bool_]:
    return np.hstack(
        [
            indicator(split.labels, OUTPUTS[0][1]),
            indicator((to_ekman(s) for s in split.labels), OUTPUTS[1][1]),
            indicator((to_sentiment(s) for s in split.labels), OUTPUTS[2][1]),
        ]
    )


def _fit_head(x: sp.csr_matrix, y: npt.NDArray[np.bool_], c: float, nb: bool) -> tuple[Any, float]:
    from sklearn.linear_model import LogisticRegression

    if y.all() or not y.any():  # a head with one class (tiny data sets): constant score
        share = (y.sum() + 0.5) / (len(y) + 1.0)
        return np.zeros(x.shape[1]), float(np.log(share / (1.0 - share)))
    ratio = np.ones(x.shape[1])
    if nb:
        positive = np.asarray(x[y].sum(axis=0)).ravel() + 1.0
        negative = np.asarray(x[~y].sum(axis=0)).ravel() + 1.0
        ratio = np.log((positive / positive.sum()) / (negative / negative.sum()))
        x = x @ sp.diags(ratio)
    head = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", random_state=0)
    head.fit(x, y)
    return head.coef_.ravel() * ratio, float(head.intercept_[0])


def _fit_heads(
    x: sp.csr_matrix, y: npt.NDArray[np.bool_], c: float, config: TrainingConfig
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    from joblib import Parallel, delayed

    jobs = [(j, nb) for j in range(y.shape[1]) for nb in (False, True)]
    fitted = Parallel(n_jobs=config.n_jobs)(delayed(_fit_head)(x, y[:, j], c, nb) for j, nb in jobs)
    coef = np.zeros((x.shape[1], y.shape[1]))
    intercept = np.zeros(y.shape[1])
    for (j, nb), (weights, bias) in zip(jobs, fitted, strict=True):
        share = config.nb_weight if nb else 1.0 - config.nb_weight
        coef[:, j] += share * weights
        intercept[j] += share * bias
    return coef, intercept


def tune_thresholds(
    scores: npt.NDArray[Any], truth: npt.NDArray[np.bool_], grid: npt.NDArray[Any] = THRESHOLD_GRID
) -> npt.NDArray[np.float32]:
    """Per column, the grid threshold that maximises F1 (the lowest one on ties)."""
    best = np.zeros(scores.shape[1], dtype=np.float32)
    for j in range(scores.shape[1]):
        predicted = scores[:, j, None] >= grid[None, :]
        gold = truth[:, j, None]
        true_positive = (predicted & gold).sum(axis=0)
        f1 = 2 * true_positive / np.maximum(predicted.sum(axis=0) + gold.sum(), 1)
        best[j] = grid[int(np.argmax(f1))]
    return best


def _level_slices() -> dict[str, slice]:
    slices, start = {}, 0
    for level, names in OUTPUTS:
        slices[level] = slice(start, start + len(names))
        start += len(names)
    return slices


def _lexicon_provenance() -> dict[str, str]:
    from importlib import metadata, resources

    path = Path(str(resources.files("vaderSentiment") / "vader_lexicon.txt"))
    return {
        "source": "vaderSentiment vader_lexicon.txt (MIT, (c) 2016 C.J. Hutto)",
        "version": metadata.version("vaderSentiment"),
        "sha256": _sha256(path),
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(
    data_dir: Path | str,
    out_path: Path | str | None = None,
    config: TrainingConfig | None = None,
    log: Callable[[str], None] = print,
    survey_dir: Path | str | None = None,
) -> TrainingReport:
    """Train on ``data_dir/train.tsv``, check on ``data_dir/dev.tsv``, write the artifact.
    With ``survey_dir`` (``data/survey_comments``), add the survey sentiment head
    (:func:`rapport.text.survey_head.fit_survey_head`), fitted on dev and the survey
    sentences after the heads; the dev figures recorded are the heads', from before.

    ``out_path`` defaults to the packaged artifact path. Six fits (the model, then one per
    threshold fold): 18 minutes with ``n_jobs=1`` on a shared two-core machine. Example
    (what ``tools/train_emotion.py`` runs)::

        from rapport.text.training import train
        report = train("data/goemotions", survey_dir="data/survey_comments")
        print(report.dev_macro_f1, report.size_bytes)
    """
    config = config or TrainingConfig()
    started = time.monotonic()
    data_dir = Path(data_dir)
    out = Path(out_path) if out_path is not None else default_artifact_path()
    train_split, dev_split = read_split(data_dir / "train.tsv"), read_split(data_dir / "dev.tsv")
    lexicon = read_vader_lexicon() if config.lexicon else None
    keywords = None
    if config.keyword_scale is not None:
        keywords = KeywordFeatures(KEYWORDS, config.keyword_scale)
    featurizer = TextFeaturizer.fit(train_split.texts, config.blocks, lexicon, keywords)
    x_train = featurizer.transform(train_split.texts).astype(np.float64)
    x_train.sort_indices()
    x_dev = featurizer.transform(dev_split.texts)
    y_train, y_dev = _targets(train_split), _targets(dev_split)
    log(f"{len(train_split)} train / {len(dev_split)} dev rows, {featurizer.n_features} features")

    levels = _level_slices()
    by_c: dict[float, dict[str, float]] = {}
    candidates: dict[float, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}
    all_columns = list(range(y_train.shape[1]))
    for c in config.c_values:
        candidates[c] = _fit_quantized(x_train, y_train, {c: all_columns}, config)
        scores = _scores(x_dev, *candidates[c])
        by_c[c] = {
            level: _dev_f1(scores[:, part], y_dev[:, part]) for level, part in levels.items()
        }
        log(f"C={c}: dev macro-F1 {by_c[c]} ({time.monotonic() - started:.0f}s)")
    chosen = {level: max(by_c, key=lambda c: by_c[c][level]) for level in levels}
    coef = np.zeros((featurizer.n_features, y_train.shape[1]), dtype=np.float32)
    intercept = np.zeros(y_train.shape[1], dtype=np.float32)
    for level, part in levels.items():
        coef[:, part], intercept[part] = (a[..., part] for a in candidates[chosen[level]])

    columns_of_c: dict[float, list[int]] = {}
    for level, part in levels.items():
        columns_of_c.setdefault(chosen[level], []).extend(range(part.start, part.stop))
    out_of_fold = _out_of_fold_scores(x_train, y_train, columns_of_c, config, started, log)
    thresholds = tune_thresholds(out_of_fold, y_train)
    metadata: dict[str, Any] = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "recipe": "tfidf word1-2+char_wb2-5 + VADER-lexicon columns + emotion-cue columns; "
        "LR+NB-LR logit mean; group score = mean(group head, best label); thresholds tuned "
        f"on {config.threshold_folds}-fold out-of-fold train scores",
        "lexicon": _lexicon_provenance() if config.lexicon else None,
        "chosen_c": chosen,
        "nb_weight": config.nb_weight,
        "data": {name: _sha256(data_dir / name) for name in ("train.tsv", "dev.tsv")},
    }
    model = LinearEmotionModel(featurizer, coef, intercept, thresholds, metadata)
    dev_f1 = _level_f1(y_dev, model.decide(model.scores(dev_split.texts)), levels)
    out_of_fold_f1 = _level_f1(y_train, model.decide(out_of_fold), levels)
    model.metadata["dev_macro_f1"] = dev_f1
    model.metadata["out_of_fold_macro_f1"] = out_of_fold_f1
    if survey_dir is not None:
        model, _ = fit_survey_head(model, data_dir, survey_dir, log=log)
    model.save(out)
    report = TrainingReport(
        artifact=out,
        size_bytes=out.stat().st_size,
        n_features=featurizer.n_features,
        chosen_c=chosen,
        dev_macro_f1=dev_f1,
        seconds=time.monotonic() - started,
        out_of_fold_macro_f1=out_of_fold_f1,
        by_c=by_c,
    )
    log(f"wrote {out} ({report.size_bytes / 1e6:.1f} MB); dev macro-F1 {dev_f1} (held out)")
    return report


def _fit_quantized(
    x: sp.csr_matrix,
    y: npt.NDArray[np.bool_],
    columns_of_c: Mapping[float, list[int]],
    config: TrainingConfig,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Weights (as the artifact will hold them: int8 and back) and intercepts of all heads;
    ``columns_of_c`` says which C fits which heads."""
    coef = np.zeros((x.shape[1], y.shape[1]), dtype=np.float32)
    intercept = np.zeros(y.shape[1], dtype=np.float32)
    for c, columns in columns_of_c.items():
        fitted, bias = _fit_heads(x, y, c, config)
        coef[:, columns], intercept[columns] = fitted[:, columns], bias[columns]
    return dequantize(*quantize(coef)), intercept


def _scores(
    x: sp.csr_matrix, coef: npt.NDArray[np.float32], intercept: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    logits = x @ coef + intercept
    return combine_group_scores(np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32))


def _out_of_fold_scores(
    x: sp.csr_matrix,
    y: npt.NDArray[np.bool_],
    columns_of_c: Mapping[float, list[int]],
    config: TrainingConfig,
    started: float,
    log: Callable[[str], None],
) -> npt.NDArray[np.float32]:
    """Each training row scored by a model fitted on the other folds."""
    from sklearn.model_selection import KFold

    scores = np.zeros(y.shape, dtype=np.float32)
    folds = KFold(config.threshold_folds, shuffle=True, random_state=0).split(y)
    for k, (fit_rows, held_rows) in enumerate(folds, start=1):
        weights = _fit_quantized(x[fit_rows], y[fit_rows], columns_of_c, config)
        scores[held_rows] = _scores(x[held_rows], *weights)
        log(f"fold {k}/{config.threshold_folds} scored ({time.monotonic() - started:.0f}s)")
    return scores


def _level_f1(
    truth: npt.NDArray[np.bool_], chosen: npt.NDArray[np.bool_], levels: dict[str, slice]
) -> dict[str, float]:
    return {level: macro_f1(truth[:, part], chosen[:, part]) for level, part in levels.items()}


def _dev_f1(scores: npt.NDArray[Any], truth: npt.NDArray[np.bool_]) -> float:
    return macro_f1(truth, select(scores, tune_thresholds(scores, truth)))


__all__ = ["TrainingConfig", "TrainingReport", "train", "tune_thresholds"]
