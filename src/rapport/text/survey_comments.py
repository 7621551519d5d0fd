"""Survey-style comments written for Rapport: an in-domain training set and a held-out check.

GoEmotions is Reddit; customers and employees write differently ("Shift patterns are hard
with childcare" is a complaint without an emotion word). ``data/survey_comments/`` holds two
disjoint sets written and labelled by the project team (rules in its ``PROVENANCE.md``):

- ``train.tsv`` (``id``, ``labels``, ``text``): sentences labelled with GoEmotions labels,
  added to GoEmotions' training split by :func:`rapport.text.training.train`;
- ``check.tsv`` (``id``, ``audience``, ``topic``, ``sentiment``, ``emotion``, ``text``): the
  held-out check, never trained or tuned on; its main sentiment is ``positive``,
  ``negative``, ``neutral`` or ``mixed`` (praise and criticism of different things, neither
  dominating), its main emotion one of the Ekman groups.

>>> score_sentiment(["negative", "mixed", "mixed"], ["negative", "positive", "neutral"])
CheckScore(right=2, total=3)
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rapport.text._labels import EKMAN_LABELS, GOEMOTIONS_LABELS
from rapport.text._prediction import EmotionPrediction
from rapport.text.goemotions import GoEmotionsSplit

CHECK_SENTIMENTS: tuple[str, ...] = ("positive", "negative", "neutral", "mixed")
_CHECK_COLUMNS = ("id", "audience", "topic", "sentiment", "emotion", "text")
_TRAINING_COLUMNS = ("id", "labels", "text")


@dataclass(frozen=True, slots=True)
class CheckComment:
    """One labelled comment of the held-out check."""

    id: str
    audience: str
    topic: str
    sentiment: str
    emotion: str
    text: str


@dataclass(frozen=True, slots=True)
class CheckScore:
    """How many check comments a model got right, out of how many."""

    right: int
    total: int

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.share:.2f} of {self.total} ({self.right} right)"


def _rows(path: Path | str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    with Path(path).open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != columns:
            raise ValueError(f"{path}: expected the header columns {', '.join(columns)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            if None in row or any(not row.get(c) for c in columns):
                raise ValueError(f"{path}, line {line}: expected {len(columns)} non-empty columns")
            rows.append((line, row))
        return rows


def read_check(path: Path | str) -> tuple[CheckComment, ...]:
    """Read ``check.tsv``; a bad row raises ``ValueError`` naming its line and column."""
    comments = []
    for line, row in _rows(path, _CHECK_COLUMNS):
        for column, allowed in (("sentiment", CHECK_SENTIMENTS), ("emotion", EKMAN_LABELS)):
            if row[column] not in allowed:
                raise ValueError(
                    f"{path}, line {line}: {column} must be one of {', '.join(allowed)}, "
                    f"got {row[column]!r}"
                )
        comments.append(CheckComment(**{c: row[c] for c in _CHECK_COLUMNS}))
    return tuple(comments)


def read_training(path: Path | str) -> GoEmotionsSplit:
    """Read ``train.tsv`` as a split of GoEmotions-labelled texts."""
    texts, labels, ids = [], [], []
    for line, row in _rows(path, _TRAINING_COLUMNS):
        names = frozenset(row["labels"].split(","))
        unknown = sorted(names - set(GOEMOTIONS_LABELS))
        if unknown:
            raise ValueError(f"{path}, line {line}: labels: not a GoEmotions label: {unknown[0]!r}")
        texts.append(row["text"])
        labels.append(names)
        ids.append(row["id"])
    return GoEmotionsSplit(tuple(texts), tuple(labels), tuple(ids))


def normalised(text: str) -> str:
    """Lower case, letters and digits only, single spaces: how overlap is checked."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def sentiment_right(expected: str, got: str | None) -> bool:
    """Whether a primary sentiment reads a check comment right.

    A mixed comment praises one thing and criticises another: any answer but ``neutral`` (or
    none) is right, since a model with one primary sentiment cannot name both parts.
    """
    if expected == "mixed":
        return got is not None and got != "neutral"
    return got == expected


def score_sentiment(expected: Sequence[str], got: Sequence[str | None]) -> CheckScore:
    """Primary sentiments against the check's labels (see :func:`sentiment_right`)."""
    right = sum(sentiment_right(e, g) for e, g in zip(expected, got, strict=True))
    return CheckScore(right, len(expected))


def main_emotion(prediction: EmotionPrediction) -> str | None:
    """The predicted Ekman group with the highest score (``None`` if the text was declined)."""
    if not prediction.ekman:
        return None
    return max(sorted(prediction.ekman), key=lambda e: prediction.ekman_scores[e])


def score_emotion(expected: Sequence[str], predictions: Sequence[EmotionPrediction]) -> CheckScore:
    """Main Ekman emotions (:func:`main_emotion`) against the check's labels."""
    got = [main_emotion(p) for p in predictions]
    return CheckScore(sum(e == g for e, g in zip(expected, got, strict=True)), len(expected))
