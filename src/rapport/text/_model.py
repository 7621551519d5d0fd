"""The default emotion model: TF-IDF, lexicon and emotion-cue features, one linear head per
output, and a survey sentiment head on top.

There are 39 heads: the 28 GoEmotions labels, the 7 Ekman groups and the 4 sentiment
groups, each with its own decision threshold. The four sentiment scores are then re-read by
the survey sentiment head (:mod:`rapport.text._calibration`), trained for survey comments.
The artifact is a NumPy ``.npz`` file of plain arrays read with ``allow_pickle=False``:
loading it runs no code, and it does not depend on the scikit-learn version that trained it.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from rapport.text._calibration import CUE_NAMES, HeadInputs, SentimentCalibrator
from rapport.text._features import TextFeaturizer
from rapport.text._labels import (
    EKMAN_LABELS,
    EKMAN_OF,
    GOEMOTIONS_LABELS,
    SENTIMENT_LABELS,
    SENTIMENT_OF,
)
from rapport.text._prediction import EmotionPrediction, PredictionStatus, screen

MODEL_NAME = "goemotions-tfidf-linear"
MODEL_VERSION = "1.3.0"
ARTIFACT_FORMAT = 1
OUTPUTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("labels", GOEMOTIONS_LABELS),
    ("ekman", EKMAN_LABELS),
    ("sentiment", SENTIMENT_LABELS),
)
N_OUTPUTS = sum(len(names) for _, names in OUTPUTS)
_OUTPUT_NAMES = [name for _, names in OUTPUTS for name in names]
_GROUP_OF_OUTPUT = [group for group, (_, names) in enumerate(OUTPUTS) for _ in names]
SENTIMENT_COLUMNS = slice(N_OUTPUTS - len(SENTIMENT_LABELS), N_OUTPUTS)
_OUTPUT_SPANS = [  # (start, end, names) of each group of outputs
    (end - len(names), end, names)
    for end, (_, names) in zip(
        itertools.accumulate(len(names) for _, names in OUTPUTS), OUTPUTS, strict=True
    )
]
# For each Ekman and sentiment output (in OUTPUTS order), the indices of its member labels.
_GROUP_MEMBERS: tuple[list[int], ...] = tuple(
    [i for i, label in enumerate(GOEMOTIONS_LABELS) if group_of[label] == group]
    for group_of, groups in ((EKMAN_OF, EKMAN_LABELS), (SENTIMENT_OF, SENTIMENT_LABELS))
    for group in groups
)


def combine_group_scores(head_scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Turn the 39 head probabilities into the model's scores.

    Label scores are the label heads' probabilities. A group's score (Ekman or sentiment) is
    the mean of its own head's probability and the highest probability among its labels:
    on GoEmotions dev this scores as well as the group head alone (sentiment slightly
    better), and it keeps groups and labels consistent when the group head is unsure.
    """
    scores = head_scores.copy()
    n_labels = len(GOEMOTIONS_LABELS)
    for k, members in enumerate(_GROUP_MEMBERS):
        column = n_labels + k
        best_label = head_scores[:, members].max(axis=1)
        scores[:, column] = (head_scores[:, column] + best_label) / 2
    return scores


def quantize(coef: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Weights as int8 with one float32 scale per column (max error: half a step)."""
    scale = (np.maximum(np.abs(coef).max(axis=0), 1e-12) / 127.0).astype(np.float32)
    return np.round(coef / scale).astype(np.int8), scale


def dequantize(
    quantized: npt.NDArray[np.int8], scale: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The float32 weights that :func:`quantize` stands for."""
    return (quantized.astype(np.float32) * scale).astype(np.float32)


def select(scores: npt.NDArray[Any], thresholds: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Outputs at or above their threshold; a row with none gets its best score/threshold."""
    chosen = scores >= thresholds
    empty = ~chosen.any(axis=1)
    best = np.argmax(scores / thresholds, axis=1)
    chosen[np.flatnonzero(empty), best[empty]] = True
    return np.asarray(chosen, dtype=bool)


def default_artifact_path() -> Path:
    """Where the shipped artifact lives inside the installed package."""
    root = resources.files("rapport.text") / "artifacts" / f"emotion-{MODEL_VERSION}.npz"
    return Path(str(root))


def decide_outputs(
    scores: npt.NDArray[np.float32], thresholds: npt.NDArray[np.float32]
) -> npt.NDArray[np.bool_]:
    """The outputs chosen by ``thresholds``; every group (labels, Ekman, sentiment) gets at
    least its best output relative to threshold. Shared by every backend."""
    chosen = np.zeros(scores.shape, dtype=bool)
    for start, end, _ in _OUTPUT_SPANS:
        chosen[:, start:end] = select(scores[:, start:end], thresholds[start:end])
    return chosen


def prediction_of(
    scores: npt.NDArray[np.float32],
    chosen: npt.NDArray[np.bool_],
    thresholds: npt.NDArray[np.float32],
) -> EmotionPrediction:
    """One comment's prediction from its 39 scores and chosen outputs; the primary sentiment
    is the one furthest above its threshold. Shared by every backend."""
    values = scores.tolist()
    parts: list[dict[str, float]] = []
    picked: list[list[str]] = []
    for start, end, names in _OUTPUT_SPANS:
        parts.append(dict(zip(names, values[start:end], strict=True)))
        picked.append([])
    for i in np.flatnonzero(chosen).tolist():  # a handful per comment
        picked[_GROUP_OF_OUTPUT[i]].append(_OUTPUT_NAMES[i])
    sets = [frozenset(names) for names in picked]
    sentiment_start = N_OUTPUTS - len(SENTIMENT_LABELS)
    relative = scores[sentiment_start:] / thresholds[sentiment_start:]
    return EmotionPrediction(
        status=PredictionStatus.OK,
        language="en",
        scores=parts[0],
        labels=sets[0],
        ekman_scores=parts[1],
        ekman=sets[1],
        sentiment_scores=parts[2],
        sentiment=sets[2],
        primary_sentiment=SENTIMENT_LABELS[int(np.argmax(relative))],
    )


def predict_screened(
    texts: Sequence[str],
    scores: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    thresholds: npt.NDArray[np.float32],
) -> list[EmotionPrediction]:
    """Predictions in the order of ``texts``: declined texts (too short, not English) as
    screened, the rest scored by ``scores`` and decided by ``thresholds``. Shared by every
    backend."""
    screened = [screen(text) for text in texts]
    todo = [i for i, result in enumerate(screened) if result is None]
    found = scores([texts[i] for i in todo])
    chosen = decide_outputs(found, thresholds)
    predictions: list[EmotionPrediction | None] = list(screened)
    for row, i in enumerate(todo):
        predictions[i] = prediction_of(found[row], chosen[row], thresholds)
    return [p for p in predictions if p is not None]


class LinearEmotionModel:
    """A fitted linear model over :class:`TextFeaturizer` features. Implements
    :class:`EmotionModel`.

    Build it with :meth:`from_artifact` or, in training, from its parts.
    """

    def __init__(
        self,
        featurizer: TextFeaturizer,
        coef: npt.NDArray[np.float32],
        intercept: npt.NDArray[np.float32],
        thresholds: npt.NDArray[np.float32],
        metadata: dict[str, Any],
        calibrator: SentimentCalibrator | None = None,
    ):
        if coef.shape != (featurizer.n_features, N_OUTPUTS):
            raise ValueError(f"coef has shape {coef.shape}, expected (n_features, {N_OUTPUTS})")
        self._featurizer = featurizer
        self._coef = np.ascontiguousarray(coef, dtype=np.float32)
        self._intercept = np.asarray(intercept, dtype=np.float32)
        self._thresholds = np.asarray(thresholds, dtype=np.float32)
        self.metadata = metadata
        self.calibrator = calibrator
        # The survey head's lexicon and word weights ride along in the heads' matrix product.
        self._product = self._coef
        if calibrator is not None:
            extra = calibrator.feature_weights(
                featurizer.n_features,
                featurizer.column_span("lexicon"),
                featurizer.column_span("word"),
                N_OUTPUTS + len(CUE_NAMES),
            )
            self._product = np.ascontiguousarray(np.hstack([self._coef, extra]))

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", MODEL_NAME))

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", MODEL_VERSION))

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        """Decision threshold per output, grouped as ``{"labels": {...}, "ekman": ..., ...}``."""
        values, result, start = self._thresholds.tolist(), {}, 0
        for group, names in OUTPUTS:
            result[group] = dict(zip(names, values[start : start + len(names)], strict=True))
            start += len(names)
        return result

    def scores(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Scores in [0, 1], shape (len(texts), 39): labels, then Ekman, then sentiment
        (see :func:`combine_group_scores`; sentiment from the survey sentiment head, if the
        model has one).

        No screening (length, language) is applied; this is for evaluation and training.
        """
        if not texts:
            return np.zeros((0, N_OUTPUTS), dtype=np.float32)
        product = self._featurizer.transform(texts) @ self._product
        logits = product[:, :N_OUTPUTS] + self._intercept
        scores = combine_group_scores(np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32))
        if self.calibrator is not None:
            head = self.calibrator.fast_scores(scores, product[:, N_OUTPUTS:], texts)
            scores[:, SENTIMENT_COLUMNS] = head
        return scores

    def head_scores(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], HeadInputs]:
        """The 39 heads' scores before the survey sentiment head, and what that head reads
        (for training it; :meth:`scores` takes a faster path to the same numbers)."""
        features = self._featurizer.transform(texts) if texts else None
        if features is None:
            scores = np.zeros((0, N_OUTPUTS), dtype=np.float32)
            return scores, HeadInputs(scores, scores[:, :0], sp.csr_matrix((0, 0)), [])
        logits = features @ self._coef + self._intercept
        scores = combine_group_scores(np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32))
        lexicon = self._featurizer.lexicon_columns(features)
        return scores, HeadInputs(
            scores.copy(), lexicon, self._featurizer.word_columns(features), texts
        )

    def with_calibrator(
        self, calibrator: SentimentCalibrator, sentiment_thresholds: npt.NDArray[np.float32]
    ) -> LinearEmotionModel:
        """This model with a survey sentiment head and its four thresholds."""
        thresholds = self._thresholds.copy()
        thresholds[SENTIMENT_COLUMNS] = sentiment_thresholds
        metadata = dict(self.metadata)
        return LinearEmotionModel(
            self._featurizer, self._coef, self._intercept, thresholds, metadata, calibrator
        )

    def decide(self, scores: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Apply thresholds; every group gets at least its best output relative to threshold."""
        return decide_outputs(scores, self._thresholds)

    def predict(self, texts: Sequence[str]) -> list[EmotionPrediction]:
        """Classify comments; see :class:`EmotionPrediction` for the fields.

        >>> from rapport.text import load_model
        >>> model = load_model()
        >>> prediction = model.predict(["Thank you so much, the staff were wonderful!"])[0]
        >>> prediction.status, prediction.primary_sentiment, "gratitude" in prediction.labels
        (<PredictionStatus.OK: 'ok'>, 'positive', True)
        """
        distinct = list(dict.fromkeys(texts))
        if len(distinct) < len(texts):  # short comments repeat ("Great service"): read once
            by_text = dict(zip(distinct, self.predict(distinct), strict=True))
            return [by_text[text] for text in texts]
        return predict_screened(texts, self.scores, self._thresholds)

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz`` artifact (int8 weights, one scale each)."""
        quantized, scale = quantize(self._coef)
        metadata = dict(self.metadata, format=ARTIFACT_FORMAT, features=self._featurizer.specs())
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, npt.NDArray[Any]] = {
            "metadata": np.frombuffer(json.dumps(metadata).encode("utf-8"), dtype=np.uint8),
            "coef_int8": quantized,
            "coef_scale": scale,
            "intercept": self._intercept,
            "thresholds": self._thresholds,
            **self._featurizer.to_arrays(),
            **(self.calibrator.to_arrays() if self.calibrator is not None else {}),
        }
        save_arrays: Callable[..., None] = np.savez_compressed
        with path.open("wb") as file:
            save_arrays(file, **arrays)

    @classmethod
    def from_artifact(cls, path: Path) -> LinearEmotionModel:
        """Load a model written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as arrays:
            metadata = json.loads(bytes(arrays["metadata"]).decode("utf-8"))
            if metadata.get("format") != ARTIFACT_FORMAT:
                raise ValueError(f"{path}: unsupported artifact format {metadata.get('format')}")
            featurizer = TextFeaturizer.from_arrays(metadata["features"], arrays)
            coef = dequantize(arrays["coef_int8"], arrays["coef_scale"])
            calibrator = SentimentCalibrator.from_arrays(arrays)
            return cls(
                featurizer, coef, arrays["intercept"], arrays["thresholds"], metadata, calibrator
            )


@functools.cache
def load_model() -> LinearEmotionModel:
    """Return the default emotion model shipped with Rapport (loaded once, then cached).

    Nothing is downloaded: the artifact is a file inside the package.

    >>> model = load_model()
    >>> model.name, model.version
    ('goemotions-tfidf-linear', '1.3.0')
    """
    path = default_artifact_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"emotion model artifact missing at {path}; run `python tools/train_emotion.py`"
        )
    return LinearEmotionModel.from_artifact(path)
