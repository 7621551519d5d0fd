"""Sentiment-lexicon features: a few dense columns summarising word valences in a text.

GoEmotions is Reddit; Rapport reads customer and employee comments. A published valence
lexicon carries what the 43k training comments cannot: that "inspiring" or "outrageous" has
a polarity even when it is rare on Reddit. The model learns how much to trust these columns
from GoEmotions itself. The valences come from VADER's lexicon (Hutto & Gilbert, ICWSM
2014; MIT licence, see ``artifacts/NOTICE.md``), read from the ``vaderSentiment`` package
at training time only and then stored in the model artifact: VADER is not needed at run
time. Only word entries are kept (emoticons are left to the character n-grams).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FEATURE_NAMES: tuple[str, ...] = (
    "positive_sum",
    "negative_sum",
    "positive_max",
    "negative_max",
    "compound_positive",
    "compound_negative",
    "no_polar_word",
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NEGATORS = frozenset(
    {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "cannot", "without"}
    | {"hardly", "barely"}
)
_NEGATION_WINDOW = 3  # words before a lexicon word that can negate it (as VADER does)
_NEGATION_SCALE = -0.74  # VADER's N_SCALAR: a negated word keeps part of its valence
_SEPARATOR = "\n"


def read_vader_lexicon(path: Path | None = None) -> dict[str, float]:
    """Word → mean valence (−4 … +4) from VADER's ``vader_lexicon.txt`` (training only)."""
    if path is None:
        from importlib import resources

        path = Path(str(resources.files("vaderSentiment") / "vader_lexicon.txt"))
    valences = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        token, valence = line.split("\t")[:2]
        if _WORD.fullmatch(token):
            valences[token] = float(valence)
    return valences


class LexiconFeatures:
    """Seven bounded, non-negative columns per text from word valences.

    A lexicon word within three words after a negator ("not", "never", "didn't", …) counts
    with −0.74 × its valence. Columns: positive and negative sums squashed as s/(s+4), the
    strongest positive and negative word (/4), VADER's normalised compound split into its
    positive and negative part, and a flag for texts without any lexicon word.

    >>> lexicon = LexiconFeatures({"good": 1.9, "rude": -2.0})
    >>> [round(float(x), 2) for x in lexicon.transform(["They were rude, not good"]).toarray()[0]]
    [0.0, 0.46, 0.0, 0.5, 0.0, 0.66, 0.0]
    """

    def __init__(self, valences: Mapping[str, float]):
        self.valences = dict(valences)

    @property
    def n_features(self) -> int:
        return len(FEATURE_NAMES)

    def _row(self, text: str) -> list[float]:
        tokens = _WORD.findall(text.lower())
        positive = negative = strongest_positive = strongest_negative = 0.0
        found = False
        for k, token in enumerate(tokens):
            valence = self.valences.get(token)
            if valence is None:
                continue
            found = True
            window = tokens[max(0, k - _NEGATION_WINDOW) : k]
            if any(w in _NEGATORS or w.endswith("n't") for w in window):
                valence *= _NEGATION_SCALE
            if valence > 0:
                positive += valence
                strongest_positive = max(strongest_positive, valence)
            else:
                negative -= valence
                strongest_negative = max(strongest_negative, -valence)
        net = positive - negative
        compound = net / np.sqrt(net * net + 15.0)  # VADER's normalisation, alpha = 15
        return [
            positive / (positive + 4.0),
            negative / (negative + 4.0),
            strongest_positive / 4.0,
            strongest_negative / 4.0,
            max(compound, 0.0),
            max(-compound, 0.0),
            0.0 if found else 1.0,
        ]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The (len(texts), 7) feature matrix, float32 CSR."""
        rows = np.array([self._row(text) for text in texts], dtype=np.float32)
        return sp.csr_matrix(rows.reshape(len(texts), self.n_features))

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain arrays for the artifact (words as UTF-8 bytes, valences as float32)."""
        words = sorted(self.valences)
        joined = _SEPARATOR.join(words).encode("utf-8")
        return {
            "lexicon_words": np.frombuffer(joined, dtype=np.uint8),
            "lexicon_valences": np.array([self.valences[w] for w in words], dtype=np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> LexiconFeatures:
        """Rebuild from :meth:`to_arrays` output."""
        words = bytes(arrays["lexicon_words"]).decode("utf-8").split(_SEPARATOR)
        valences = arrays["lexicon_valences"].tolist()
        return cls(dict(zip(words, valences, strict=True)))
