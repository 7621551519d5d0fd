"""The GoEmotions label taxonomy and its two coarser groupings (Ekman and sentiment).

The groupings are the ones published with GoEmotions (``ekman_mapping.json`` and
``sentiment_dict.json``, copied under ``data/goemotions/``); ``neutral`` maps to ``neutral``
in both. A unit test checks these constants against the copied files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from rapport.domain.comment_emotions import EKMAN_EMOTIONS, SENTIMENTS

GOEMOTIONS_LABELS: tuple[str, ...] = (
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
)
"""The 28 GoEmotions labels in the dataset's id order (id 0 = ``admiration``)."""

EKMAN_LABELS: tuple[str, ...] = EKMAN_EMOTIONS
"""Ekman's six basic emotions plus ``neutral`` (the vocabulary the metrics engine counts)."""

SENTIMENT_LABELS: tuple[str, ...] = SENTIMENTS
"""The GoEmotions sentiment groups plus ``neutral``."""

_EKMAN_GROUPS: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": (
        "joy",
        "amusement",
        "approval",
        "excitement",
        "gratitude",
        "love",
        "optimism",
        "relief",
        "pride",
        "admiration",
        "desire",
        "caring",
    ),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
    "neutral": ("neutral",),
}

_SENTIMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "positive": (
        "amusement",
        "excitement",
        "joy",
        "love",
        "desire",
        "optimism",
        "caring",
        "pride",
        "admiration",
        "gratitude",
        "relief",
        "approval",
    ),
    "negative": (
        "fear",
        "nervousness",
        "remorse",
        "embarrassment",
        "disappointment",
        "sadness",
        "grief",
        "disgust",
        "anger",
        "annoyance",
        "disapproval",
    ),
    "ambiguous": ("realization", "surprise", "curiosity", "confusion"),
    "neutral": ("neutral",),
}


def _invert(groups: Mapping[str, tuple[str, ...]]) -> Mapping[str, str]:
    return MappingProxyType({label: group for group, labels in groups.items() for label in labels})


EKMAN_OF: Mapping[str, str] = _invert(_EKMAN_GROUPS)
"""GoEmotions label → Ekman group, e.g. ``EKMAN_OF["annoyance"] == "anger"``."""

SENTIMENT_OF: Mapping[str, str] = _invert(_SENTIMENT_GROUPS)
"""GoEmotions label → sentiment group, e.g. ``SENTIMENT_OF["relief"] == "positive"``."""


def to_ekman(labels: Iterable[str]) -> frozenset[str]:
    """Map GoEmotions labels to their Ekman groups.

    >>> sorted(to_ekman({"annoyance", "gratitude"}))
    ['anger', 'joy']
    """
    return frozenset(EKMAN_OF[label] for label in labels)


def to_sentiment(labels: Iterable[str]) -> frozenset[str]:
    """Map GoEmotions labels to their sentiment groups.

    >>> sorted(to_sentiment({"annoyance", "curiosity"}))
    ['ambiguous', 'negative']
    """
    return frozenset(SENTIMENT_OF[label] for label in labels)
