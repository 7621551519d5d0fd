"""Read GoEmotions TSV splits and score predictions against them (macro-F1 at three levels).

The files have no header and three tab-separated columns: text, comma-separated label ids
(0–27, in ``GOEMOTIONS_LABELS`` order) and the Reddit comment id. They are read with
default CSV quoting, as TensorFlow Datasets does, so CSV-quoted texts lose their quotes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rapport.text._labels import (
    EKMAN_LABELS,
    GOEMOTIONS_LABELS,
    SENTIMENT_LABELS,
    to_ekman,
    to_sentiment,
)
from rapport.text._prediction import EmotionPrediction


@dataclass(frozen=True, slots=True)
class GoEmotionsSplit:
    """One split: texts, their gold label sets, and the comment ids."""

    texts: tuple[str, ...]
    labels: tuple[frozenset[str], ...]
    ids: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.texts)


def read_split(path: Path | str) -> GoEmotionsSplit:
    """Read one GoEmotions TSV file (``train.tsv``, ``dev.tsv`` or ``test.tsv``).

    >>> import io, tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "dev.tsv")
    ...     _ = open(path, "w").write("Thanks!\\t15\\tabc1234\\n")
    ...     split = read_split(path)
    >>> split.texts, split.labels
    (('Thanks!',), (frozenset({'gratitude'}),))
    """
    texts: list[str] = []
    labels: list[frozenset[str]] = []
    ids: list[str] = []
    with Path(path).open(newline="", encoding="utf-8") as file:
        for line_number, row in enumerate(csv.reader(file, delimiter="\t"), start=1):
            if len(row) != 3:
                raise ValueError(f"{path}, line {line_number}: expected 3 columns, got {len(row)}")
            text, label_ids, comment_id = row
            try:
                names = frozenset(GOEMOTIONS_LABELS[int(i)] for i in label_ids.split(","))
            except (ValueError, IndexError):
                raise ValueError(
                    f"{path}, line {line_number}: labels must be ids 0–27, got {label_ids!r}"
                ) from None
            texts.append(text)
            labels.append(names)
            ids.append(comment_id)
    return GoEmotionsSplit(tuple(texts), tuple(labels), tuple(ids))


def indicator(sets: Iterable[frozenset[str]], names: Sequence[str]) -> npt.NDArray[np.bool_]:
    """A (n, len(names)) boolean matrix: row i marks the names in the i-th set."""
    position = {name: j for j, name in enumerate(names)}
    rows = list(sets)
    matrix = np.zeros((len(rows), len(names)), dtype=bool)
    for i, chosen in enumerate(rows):
        matrix[i, [position[name] for name in chosen]] = True
    return matrix


def macro_f1(truth: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]) -> float:
    """Unweighted mean over columns of the F1 score (a column with no support and no
    prediction counts as 0, as scikit-learn's ``zero_division=0`` does).

    >>> import numpy as np
    >>> round(macro_f1(np.array([[1, 0], [0, 1]], bool), np.array([[1, 0], [1, 1]], bool)), 4)
    0.8333
    """
    true_positive = (truth & predicted).sum(axis=0)
    denominator = truth.sum(axis=0) + predicted.sum(axis=0)
    f1 = np.divide(
        2 * true_positive, denominator, out=np.zeros(truth.shape[1]), where=denominator > 0
    )
    return float(f1.mean())


def evaluate_sets(
    gold: Sequence[frozenset[str]],
    labels: Sequence[frozenset[str]] | None = None,
    ekman: Sequence[frozenset[str]] | None = None,
    sentiment: Sequence[frozenset[str]] | None = None,
) -> dict[str, float]:
    """Macro-F1 of predicted sets against gold GoEmotions label sets, at each level given.

    Levels: ``labels`` (28), ``ekman`` (7, with neutral, as the GoEmotions paper reports),
    ``sentiment`` (4, with neutral).
    """
    result = {}
    if labels is not None:
        result["labels"] = macro_f1(
            indicator(gold, GOEMOTIONS_LABELS), indicator(labels, GOEMOTIONS_LABELS)
        )
    if ekman is not None:
        gold_ekman = indicator((to_ekman(g) for g in gold), EKMAN_LABELS)
        result["ekman"] = macro_f1(gold_ekman, indicator(ekman, EKMAN_LABELS))
    if sentiment is not None:
        gold_sentiment = indicator((to_sentiment(g) for g in gold), SENTIMENT_LABELS)
        result["sentiment"] = macro_f1(gold_sentiment, indicator(sentiment, SENTIMENT_LABELS))
    return result


def evaluate_predictions(
    split: GoEmotionsSplit, predictions: Sequence[EmotionPrediction]
) -> dict[str, float]:
    """Macro-F1 of an :class:`EmotionModel`'s predictions on a split, at the three levels.

    Texts the model declined (too short, another language) count as predicting nothing.
    """
    return evaluate_sets(
        split.labels,
        labels=[p.labels for p in predictions],
        ekman=[p.ekman for p in predictions],
        sentiment=[p.sentiment for p in predictions],
    )
