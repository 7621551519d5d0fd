"""Hand-written emotion cues: a keyword-lexicon emotion model, and the same cues as features.

Each GoEmotions label has a short list of cue words and phrases (written by hand for this
project, not taken from a published lexicon). :class:`KeywordEmotionModel` gives a text every
label with a cue, or ``neutral`` if none matches; Ekman and sentiment sets are the groups of
those labels. There is no negation handling ("not happy" reads as joy), which is part of why
it is only a baseline in the benchmark (and a fast, artifact-free :class:`EmotionModel` for
tests of other layers). :class:`KeywordFeatures` turns the cue hits into one column per label
for the linear model, which learns from GoEmotions how far to trust each list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

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
_SEPARATOR = "\n"


class CueIndex:
    """Finds cue words and phrases ("taken for granted": three tokens) in texts.

    >>> CueIndex(KEYWORDS).count("Thanks, thanks! Taken for granted?")
    {'gratitude': 2, 'curiosity': 1, 'disappointment': 1}
    """

    def __init__(self, keywords: Mapping[str, Sequence[str]]):
        labels_of: dict[str, list[str]] = {}
        for label, cues in keywords.items():
            for cue in cues:
                labels_of.setdefault(cue, []).append(label)
        self._labels_of = {cue: tuple(labels) for cue, labels in labels_of.items()}
        self._longest = max((len(_TOKEN.findall(cue)) for cue in labels_of), default=1)

    def count(self, text: str) -> dict[str, int]:
        """Label → number of cue hits in ``text``, labels in order of first hit."""
        tokens = _TOKEN.findall(text.lower())
        hits: dict[str, int] = {}
        for n in range(1, self._longest + 1):
            for start in range(len(tokens) - n + 1):
                for label in self._labels_of.get(" ".join(tokens[start : start + n]), ()):
                    hits[label] = hits.get(label, 0) + 1
        return hits


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
        self._cues = CueIndex(KEYWORDS)

    def predict(self, texts: Sequence[str]) -> list[EmotionPrediction]:
        """One prediction per text; scores are 1 − 0.5^hits (``neutral``: 1 if no hit)."""
        predictions = []
        for text in texts:
            declined = screen(text)
            if declined is not None:
                predictions.append(declined)
                continue
            hits = self._cues.count(text) or {"neutral": 1}
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


class KeywordFeatures:
    """One column per label of ``keywords``: ``scale × (1 − 0.5^hits)`` for its cues' hits.

    Most cue words are in the n-gram vocabulary already; a column pools a label's cues, so
    a cue that is rare on Reddit ("taken for granted") borrows the weight the model learns
    for the whole list.

    >>> features = KeywordFeatures({"joy": ("happy", "glad"), "anger": ("furious",)}, scale=1.0)
    >>> features.transform(["Happy, so glad!", "Fine"]).toarray().tolist()
    [[0.75, 0.0], [0.0, 0.0]]
    """

    def __init__(self, keywords: Mapping[str, Sequence[str]], scale: float):
        self.keywords = {label: tuple(cues) for label, cues in keywords.items()}
        self.scale = scale
        self._index = CueIndex(self.keywords)
        self._column = {label: k for k, label in enumerate(self.keywords)}

    @property
    def labels(self) -> list[str]:
        """The labels, in column order."""
        return list(self.keywords)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The (len(texts), number of labels) feature matrix, float32 CSR."""
        rows, columns, hits = [], [], []
        for row, text in enumerate(texts):
            for label, n in self._index.count(text).items():
                rows.append(row)
                columns.append(self._column[label])
                hits.append(n)
        values = self.scale * (1.0 - 0.5 ** np.asarray(hits, dtype=np.float32))
        shape = (len(texts), len(self.keywords))
        return sp.csr_matrix((values.astype(np.float32), (rows, columns)), shape=shape)

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The cues as one UTF-8 array of ``label<TAB>cue`` lines (for the artifact)."""
        lines = [f"{label}\t{cue}" for label, cues in self.keywords.items() for cue in cues]
        joined = _SEPARATOR.join(lines).encode("utf-8")
        return {"keyword_cues": np.frombuffer(joined, dtype=np.uint8)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], scale: float) -> KeywordFeatures:
        """Rebuild from :meth:`to_arrays` output."""
        keywords: dict[str, list[str]] = {}
        for line in bytes(arrays["keyword_cues"]).decode("utf-8").split(_SEPARATOR):
            label, cue = line.split("\t")
            keywords.setdefault(label, []).append(cue)
        return cls(keywords, scale)
