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

RELATIONSHIP_EMOTIONS: dict[str, tuple[str, ...]] = {
    "care": ("caring",),
    "delight": ("joy", "excitement", "love", "admiration"),
    "annoyance": ("annoyance", "anger"),
    "disappointment": ("disappointment",),
}
"""Relationship emotions read in comments: each is the GoEmotions labels (as the emotion
model stores them) any one of which puts a comment in it. Delight is GoEmotions' high-arousal
warmth (joy, excitement, love, admiration); annoyance includes anger (the model gives both
to most angry comments). "Taken for granted" is not a GoEmotions label: it comes from the
emotion picker and the ``relationship.taken_for_granted`` items."""

PICKED_RELATIONSHIP_EMOTIONS: dict[str, str] = {
    "care": "cared_for",
    "delight": "delighted",
    "annoyance": "frustrated",
    "disappointment": "disappointed",
    "taken_for_granted": "taken_for_granted",
}
"""Relationship emotions chosen in the emotion picker: the picker's emotion id of each (the
picker offers "frustrated" where comments read annoyance)."""
