"""The emotion vocabulary of comment analysis, as stored and counted.

The emotion model (:mod:`rapport.text`) writes, per comment, the Ekman emotions it found
(space-separated) and one primary sentiment; the metrics engine counts them. Both read the
labels from here.
"""

from __future__ import annotations

EKMAN_EMOTIONS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "joy",
    "sadness",
    "surprise",
    "neutral",
)
"""Ekman's six basic emotions plus ``neutral``."""

SENTIMENTS: tuple[str, ...] = ("positive", "negative", "ambiguous", "neutral")
"""The GoEmotions sentiment groups plus ``neutral``."""

READ_STATUS = "ok"
"""The status of a comment the model read (not too short, in a supported language)."""
