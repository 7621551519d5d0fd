"""The survey sentiment head: the four sentiment scores, re-read for survey comments.

The 39 GoEmotions heads learnt Reddit's convention that a plain statement is ``neutral``;
survey respondents complain in plain statements ("Shift patterns are hard with childcare").
This head is a logistic regression per sentiment over the 39 head scores (as logits), the
seven valence-lexicon columns, the domain cue columns below and the model's word tf-idf
block, fitted on GoEmotions' dev split (which the heads never saw) together with Rapport's
in-domain survey sentences (``data/survey_comments/train.tsv``). Its four scores replace the
model's sentiment scores; labels and Ekman groups are left as the heads give them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

_LOGIT_CLIP = 8.0

# Each cue is a regular expression over the lower-cased comment; its column is
# min(matches, 2) / 2. They name how survey respondents complain and praise without the
# emotion words Reddit uses; the weights come from the data, not from these lists.
DOMAIN_CUES: tuple[tuple[str, str], ...] = (
    ("nobody", r"\b(?:nobody|no one|no-one|not one (?:word|person|call))\b"),
    ("never", r"\bnever\b"),
    ("taken_for_granted", r"\b(?:take|takes|taken|taking|took) (?:\w+ )?for granted\b"),
    ("hardship", r"\b(?:hard|difficult|impossible|struggl\w*|exhaust\w*|worn)\b"),
    ("still_again", r"\bstill\b|\bagain\b|\b(?:every|each) (?:single )?(?:week|month|time)\b"),
    (
        "shortage",
        r"\btoo (?:many|much|few|long|late|slow|busy)\b|\bnot enough\b|\bshort[- ]staffed\b"
        r"|\bunderstaffed\b|\bno (?:time|cover|help|reply|answer|explanation|update|way)\b",
    ),
    ("waiting", r"\b(?:wait\w*|queue\w*|late|delay\w*|on hold|cancel\w*|missed)\b"),
    (
        "failure",
        r"\b(?:broken|broke|wrong|lost|damaged|faulty|crash\w*|fail\w*|missing|refus\w*"
        r"|ignor\w*|useless|mess)\b",
    ),
    ("money", r"\b(?:charg\w*|overcharg\w*|fees?|expensive|overpriced|underpaid|cut|cuts)\b"),
    (
        "thanks",
        r"\b(?:thank\w*|grateful|appreciat\w*|above and beyond|out of (?:his|her|their|my) way"
        r"|recommend\w*|pleasure)\b",
    ),
    ("contrast", r"\b(?:but|although|though|however|shame|except)\b"),
    ("request", r"^(?:could|please|it would|would|maybe|i would like|can you)\b"),
    ("nothing_to_say", r"^(?:n/?a|nothing (?:to add|else)|no (?:further )?comments?)\b"),
)
_PRAISE = (
    r"(?:helpful|friendly|kind|patient|quick|easy|clean|polite|professional|efficient"
    r"|reliable|supportive|tidy|fair|clear|welcoming|reassuring|knowledgeable|attentive)"
)
_PRAISE_CUES = (
    # Before "never" and "praise": at one position the first alternative that matches wins.
    ("negated_praise", rf"\b(?:not|no|never|hardly|barely|\w+n't)\s+(?:\w+\s+){{0,2}}?{_PRAISE}\b"),
    ("praise", rf"\b{_PRAISE}\b"),
)
CUE_NAMES: tuple[str, ...] = (*(name for name, _ in DOMAIN_CUES), "praise", "negated_praise")
_CUES = re.compile(
    "|".join(f"(?P<{name}>{pattern})" for name, pattern in (*_PRAISE_CUES, *DOMAIN_CUES))
)
_CUE_INDEX = {name: j for j, name in enumerate(CUE_NAMES)}


def domain_cues(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The (len(texts), len(CUE_NAMES)) cue columns, each in [0, 1]: min(matches, 2) / 2.

    One pass of one regular expression per text; a praise word ("helpful", "clean", …)
    up to three words after a negator counts as negated praise ("not very helpful").

    >>> domain_cues(["Nobody helps and the tills are never fixed"])[0][:2].tolist()
    [0.5, 0.5]
    >>> domain_cues(["The staff were not very helpful"])[0][-2:].tolist()
    [0.0, 0.5]
    """
    counts = np.zeros((len(texts), len(CUE_NAMES)), dtype=np.float32)
    for i, text in enumerate(texts):
        for match in _CUES.finditer(text.lower().strip()):
            counts[i, _CUE_INDEX[str(match.lastgroup)]] += 1
    return np.asarray(np.minimum(counts, 2.0) / 2.0, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class HeadInputs:
    """What the survey sentiment head reads of some texts: the 39 head scores, the lexicon
    columns and the word block of the model's features, and the texts (for the cues)."""

    scores: npt.NDArray[np.float32]
    lexicon: npt.NDArray[np.float32]
    words: sp.csr_matrix
    texts: Sequence[str]

    def rows(self, index: npt.NDArray[np.intp]) -> HeadInputs:
        """The inputs of the rows ``index``."""
        texts = [self.texts[i] for i in index.tolist()]
        return HeadInputs(self.scores[index], self.lexicon[index], self.words[index], texts)

    def features(self) -> sp.csr_matrix:
        """The head's feature matrix (training): :func:`text_features`, then the lexicon
        columns and the word block."""
        dense = np.hstack([text_features(self.scores, self.texts), self.lexicon])
        return sp.hstack([sp.csr_matrix(dense), self.words], format="csr", dtype=np.float32)


def text_features(scores: npt.NDArray[np.float32], texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The head's first columns: the 39 scores as clipped logits (scaled to ±1), then the
    domain cues. The rest (lexicon, words) are columns of the model's own features."""
    clipped = np.clip(scores, 1e-6, 1 - 1e-6)
    logits = np.clip(np.log(clipped / (1 - clipped)), -_LOGIT_CLIP, _LOGIT_CLIP) / _LOGIT_CLIP
    return np.hstack([logits, domain_cues(texts)]).astype(np.float32)


def _sigmoid(logits: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)


class SentimentCalibrator:
    """One logistic regression per sentiment over :meth:`HeadInputs.features`."""

    def __init__(self, coef: npt.NDArray[Any], intercept: npt.NDArray[Any]):
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)

    def scores(self, inputs: HeadInputs) -> npt.NDArray[np.float32]:
        """The (len(texts), 4) sentiment scores, in ``SENTIMENT_LABELS`` order (training)."""
        return _sigmoid(inputs.features() @ self.coef + self.intercept)

    def fast_scores(
        self,
        scores: npt.NDArray[np.float32],
        feature_logits: npt.NDArray[np.float32],
        texts: Sequence[str],
    ) -> npt.NDArray[np.float32]:
        """The same as :meth:`scores`, given ``feature_logits``: the lexicon and word part,
        computed as the model's features times :meth:`feature_weights` (the model does it in
        the matrix product of its heads)."""
        first = text_features(scores, texts)
        return _sigmoid(first @ self.coef[: first.shape[1]] + feature_logits + self.intercept)

    def feature_weights(
        self, n_features: int, lexicon: slice, words: slice, n_first: int
    ) -> npt.NDArray[np.float32]:
        """The lexicon and word weights placed at those columns of the model's features
        (zeros elsewhere): an (n_features, 4) matrix. ``n_first`` is the width of
        :func:`text_features`."""
        weights = np.zeros((n_features, self.coef.shape[1]), dtype=np.float32)
        n_lexicon = lexicon.stop - lexicon.start
        weights[lexicon] = self.coef[n_first : n_first + n_lexicon]
        weights[words] = self.coef[n_first + n_lexicon :]
        return weights

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain arrays for the artifact (weights as float16: ample for a linear head)."""
        return {
            "calibration_coef": self.coef.astype(np.float16),
            "calibration_intercept": self.intercept,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> SentimentCalibrator | None:
        """The calibrator stored in an artifact, or ``None`` if it has none."""
        if "calibration_coef" not in arrays:
            return None
        return cls(arrays["calibration_coef"], arrays["calibration_intercept"])
