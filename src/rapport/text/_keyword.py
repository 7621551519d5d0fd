"""A keyword-lexicon emotion model: the baseline in the benchmark, and a fast, artifact-free
:class:`EmotionModel` for tests of other layers.

Each GoEmotions label has a short list of cue words and phrases (written by hand for this
project, not taken from a published lexicon). A text gets every label with a cue, or
``neutral`` if none matches; Ekman and sentiment sets are the groups of those labels. There is
no negation handling ("not happy" reads as joy), which is part of why it is only a baseline.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

from rapport.text._labels import (
    EKMAN_LABELS,
    EKMAN_OF,
    GOEMOTIONS_LABELS,
    SENTIMENT_LABELS,
    SENTIMENT_OF,
)
from rapport.text._prediction import EmotionPrediction, PredictionStatus, screen

KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "admiration": ("great", "amazing", "awesome", "impressive", "brilliant", "excellent",
                   "beautiful", "wonderful", "incredible", "fantastic", "best", "respect",
                   "outstanding", "superb"),
    "amusement": ("lol", "haha", "hahaha", "funny", "hilarious", "lmao", "rofl", "joke",
                  "laughed", "laughing"),
    "anger": ("angry", "furious", "rage", "pissed", "hate", "mad", "outraged", "livid",
              "fuck", "fucking"),
    "annoyance": ("annoying", "annoyed", "irritating", "frustrating", "frustrated", "ugh",
                  "tired of", "sick of", "ridiculous", "ignored"),
    "approval": ("agree", "yes", "exactly", "true", "fair", "good point", "right",
                 "correct", "makes sense"),
    "caring": ("take care", "be careful", "sorry to hear", "hope you", "hugs", "stay safe"),
    "confusion": ("confused", "confusing", "don't understand", "huh", "unclear", "no idea",
                  "weird"),
    "curiosity": ("wonder", "curious", "why", "how", "interesting", "?"),
    "desire": ("want", "wish", "would love", "need", "crave", "dream"),
    "disappointment": ("disappointed", "disappointing", "unfortunately", "letdown", "shame",
                       "expected better", "taken for granted"),
    "disapproval": ("disagree", "wrong", "not okay", "bad idea", "shouldn't", "unacceptable",
                    "terrible", "awful", "worst"),
    "disgust": ("disgusting", "gross", "nasty", "vile", "revolting", "dirty", "filthy"),
    "embarrassment": ("embarrassed", "embarrassing", "awkward", "ashamed", "cringe",
                      "humiliated"),
    "excitement": ("excited", "can't wait", "thrilled", "omg", "hype"),
    "fear": ("scared", "afraid", "fear", "terrified", "frightening", "scary"),
    "gratitude": ("thanks", "thank", "thx", "grateful", "appreciate", "appreciated"),
    "grief": ("died", "passed away", "rip", "mourn", "mourning", "funeral"),
    "joy": ("happy", "glad", "joy", "delighted", "enjoy", "enjoyed", "fun", "yay",
            "pleased", "special"),
    "love": ("love", "loved", "adore", "lovely", "<3", "❤"),
    "nervousness": ("nervous", "anxious", "worried", "anxiety", "stressed", "stressful"),
    "optimism": ("hope", "hopefully", "optimistic", "looking forward", "fingers crossed",
                 "good luck"),
    "pride": ("proud", "pride"),
    "realization": ("realize", "realized", "realise", "noticed", "turns out", "i see"),
    "relief": ("relieved", "relief", "phew", "finally", "thank god"),
    "remorse": ("sorry", "apologize", "apologies", "regret", "my bad", "my fault"),
    "sadness": ("sad", "cry", "crying", "depressed", "unhappy", "heartbroken", "miss",
                "lonely"),
    "surprise": ("surprised", "wow", "shocked", "unexpected", "whoa", "can't believe"),
}  # fmt: skip

_TOKEN = re.compile(r"<3|❤|[a-z]+(?:'[a-z]+)?|[?!]")


def _cue_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for label, cues in KEYWORDS.items():
        for cue in cues:
            index.setdefault(cue, []).append(label)
    return {cue: tuple(labels) for cue, labels in index.items()}


class KeywordEmotionModel:
    """Labels a text by keyword hits. Implements :class:`EmotionModel`.

    >>> model = KeywordEmotionModel()
    >>> p = model.predict(["Thanks so much, I'm really happy"])[0]
    >>> sorted(p.labels), sorted(p.sentiment)
    (['gratitude', 'joy'], ['positive'])
    """

    name = "keyword-lexicon"
    version = "1"

    def __init__(self) -> None:
        self._cues = _cue_index()

    def _hits(self, text: str) -> dict[str, int]:
        tokens = _TOKEN.findall(text.lower())
        grams = tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
        hits: dict[str, int] = {}
        for gram in grams:
            for label in self._cues.get(gram, ()):
                hits[label] = hits.get(label, 0) + 1
        return hits

    def predict(self, texts: Sequence[str]) -> list[EmotionPrediction]:
        """One prediction per text; scores are 1 − 0.5^hits (``neutral``: 1 if no hit)."""
        predictions = []
        for text in texts:
            declined = screen(text)
            if declined is not None:
                predictions.append(declined)
                continue
            hits = self._hits(text) or {"neutral": 1}
            scores = {label: 1.0 - 0.5 ** hits.get(label, 0) for label in GOEMOTIONS_LABELS}
            ekman = dict.fromkeys(EKMAN_LABELS, 0.0)
            sentiment = dict.fromkeys(SENTIMENT_LABELS, 0.0)
            for label, score in scores.items():
                ekman[EKMAN_OF[label]] = max(ekman[EKMAN_OF[label]], score)
                sentiment[SENTIMENT_OF[label]] = max(sentiment[SENTIMENT_OF[label]], score)
            votes = {
                g: sum(n for lab, n in hits.items() if SENTIMENT_OF[lab] == g) for g in sentiment
            }
            predictions.append(
                EmotionPrediction(
                    status=PredictionStatus.OK,
                    language="en",
                    scores=scores,
                    labels=frozenset(hits),
                    ekman_scores=ekman,
                    ekman=frozenset(EKMAN_OF[label] for label in hits),
                    sentiment_scores=sentiment,
                    sentiment=frozenset(SENTIMENT_OF[label] for label in hits),
                    primary_sentiment=max(SENTIMENT_LABELS, key=lambda g: votes[g]),
                )
            )
        return predictions
