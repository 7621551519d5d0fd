"""What an emotion model returns, the protocol every backend implements, and input screening."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from rapport.text.language import UNDETERMINED, detect_language

MIN_LETTERS = 3
"""Texts with fewer letters than this (e.g. "ok", "10/10", "👍") get status ``too_short``."""

_LETTER = re.compile(r"[^\W\d_]")
_EMPTY: Mapping[str, float] = MappingProxyType({})


class PredictionStatus(enum.StrEnum):
    """Whether a text was classified, and if not, why not."""

    OK = "ok"
    TOO_SHORT = "too_short"
    LANGUAGE_NOT_SUPPORTED = "language_not_supported"


@dataclass(frozen=True, slots=True)
class EmotionPrediction:
    """The emotions read in one text.

    ``scores`` holds one score in [0, 1] per GoEmotions label; ``labels`` are the labels whose
    score reached that label's threshold (tuned on GoEmotions' training split), so compare
    scores of one label across texts rather than scores of different labels. ``ekman`` and
    ``sentiment`` come from their own heads and thresholds: they usually, but not always,
    equal the groups of ``labels``. Unless ``status`` is ``ok``, every set and mapping is
    empty and ``primary_sentiment`` is ``None``.
    """

    status: PredictionStatus
    language: str
    scores: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    labels: frozenset[str] = frozenset()
    ekman_scores: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    ekman: frozenset[str] = frozenset()
    sentiment_scores: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    sentiment: frozenset[str] = frozenset()
    primary_sentiment: str | None = None

    @property
    def ok(self) -> bool:
        """True when the text was classified."""
        return self.status is PredictionStatus.OK

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` GoEmotions labels with the highest scores, highest first."""
        return sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))[:n]


@runtime_checkable
class EmotionModel(Protocol):
    """An emotion classifier for comments. Backends: the default linear model, test fakes,
    and heavier optional ones later.

    >>> from rapport.text import KeywordEmotionModel
    >>> isinstance(KeywordEmotionModel(), EmotionModel)
    True
    """

    @property
    def name(self) -> str:
        """A stable identifier of the backend, e.g. ``"goemotions-tfidf-linear"``."""
        ...

    @property
    def version(self) -> str:
        """The version of the trained artifact; changes whenever predictions may change."""
        ...

    def predict(self, texts: Sequence[str]) -> list[EmotionPrediction]:
        """One prediction per text, in order."""
        ...


def screen(text: str) -> EmotionPrediction | None:
    """Return the prediction for a text the English models must not read, else ``None``.

    >>> screen("ok").status
    <PredictionStatus.TOO_SHORT: 'too_short'>
    >>> screen("Merci beaucoup, très gentil").status
    <PredictionStatus.LANGUAGE_NOT_SUPPORTED: 'language_not_supported'>
    >>> screen("Thanks, very kind") is None
    True
    """
    if len(_LETTER.findall(text, 0, 2_000)) < MIN_LETTERS:
        return EmotionPrediction(status=PredictionStatus.TOO_SHORT, language=UNDETERMINED)
    language = detect_language(text)
    if language not in ("en", UNDETERMINED):
        return EmotionPrediction(status=PredictionStatus.LANGUAGE_NOT_SUPPORTED, language=language)
    return None
