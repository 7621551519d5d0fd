"""Features shared by training and prediction: word 1–2-grams + char_wb 2–5-grams (TF-IDF),
plus optional sentiment-lexicon columns (:mod:`rapport.text._lexicon`) and emotion-cue
columns (:class:`rapport.text._keyword.KeywordFeatures`).

The same class fits the vocabulary at training time and rebuilds it from plain arrays at
prediction time, so both sides tokenise and weight text identically. Each block (words,
characters) is weighted with sublinear tf × smoothed idf and L2-normalised on its own, as
scikit-learn's ``FeatureUnion`` of two ``TfidfVectorizer`` would do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from rapport.text._keyword import KeywordFeatures
from rapport.text._lexicon import FEATURE_NAMES as LEXICON_FEATURE_NAMES
from rapport.text._lexicon import LexiconFeatures

# Words, plus "!" and "?" as tokens of their own: they carry emotion in short comments.
WORD_TOKEN_PATTERN = r"(?u)\b\w+\b|[!?]"  # noqa: S105 (a regex, not a password)
_SEPARATOR = "\n"  # never inside a token: both analyzers split on whitespace
_WORD_CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """How one block of features is built (passed to scikit-learn's CountVectorizer)."""

    name: str
    analyzer: str
    ngram_range: tuple[int, int]
    min_df: int
    max_features: int | None

    def vectorizer_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "analyzer": self.analyzer,
            "ngram_range": self.ngram_range,
            "lowercase": True,
            "dtype": np.float32,
        }
        if self.analyzer == "word":
            kwargs["token_pattern"] = WORD_TOKEN_PATTERN
        return kwargs


DEFAULT_BLOCKS: tuple[BlockSpec, ...] = (
    BlockSpec("word", "word", (1, 2), min_df=2, max_features=30_000),
    BlockSpec("char", "char_wb", (2, 5), min_df=3, max_features=60_000),
)


class _Block:
    """One fitted block: vocabulary, idf, and the counting step."""

    def __init__(self, spec: BlockSpec, vocabulary: Sequence[str], idf: npt.NDArray[Any]):
        from sklearn.feature_extraction.text import CountVectorizer

        self.spec = spec
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.counter = CountVectorizer(vocabulary=self.vocabulary, **spec.vectorizer_kwargs())
        self._index = {term: i for i, term in enumerate(self.vocabulary)}
        self._analyzer = self.counter.build_analyzer()
        self._word_cache: dict[str, npt.NDArray[np.int32]] = {}

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        if self.spec.analyzer != "char_wb":
            return self.counter.transform(texts).tocsr()
        # char_wb n-grams never cross a word boundary, so a text's counts are the sum of its
        # words' counts: cache each word's feature indices. This gives exactly
        # CountVectorizer's result several times faster (scikit-learn's n-gram loop is
        # pure Python and most words of a comment are common).
        cache, pieces, indptr = self._word_cache, [], [0]
        if len(cache) > _WORD_CACHE_SIZE:
            cache.clear()
        for text in texts:
            n = 0
            for word in text.lower().split():
                indices = cache.get(word)
                if indices is None:
                    grams = (self._index.get(g) for g in self._analyzer(word))
                    indices = np.fromiter((i for i in grams if i is not None), dtype=np.int32)
                    cache[word] = indices
                pieces.append(indices)
                n += len(indices)
            indptr.append(indptr[-1] + n)
        flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
        data = np.ones(len(flat), dtype=np.float32)
        shape = (len(texts), len(self.vocabulary))
        matrix = sp.csr_matrix((data, flat, np.asarray(indptr, dtype=np.int64)), shape=shape)
        matrix.sum_duplicates()
        return matrix

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        # The in-place kernel behind sklearn's ``normalize``, without its per-call argument
        # validation (a millisecond per submitted comment on the ingest path).
        from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

        counts = self.counts(texts)
        counts.data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        inplace_csr_row_normalize_l2(counts)
        return counts


class TextFeaturizer:
    """Turns texts into the model's sparse feature matrix (float32, CSR): the n-gram blocks,
    then, if present, the seven lexicon columns (:class:`LexiconFeatures`), then, if present,
    one emotion-cue column per label (:class:`KeywordFeatures`).

    Fit it with :meth:`fit` (training) or rebuild it with :meth:`from_arrays` (prediction).
    """

    def __init__(
        self,
        blocks: Sequence[_Block],
        lexicon: LexiconFeatures | None = None,
        keywords: KeywordFeatures | None = None,
    ):
        self._blocks = list(blocks)
        self._lexicon = lexicon
        self._keywords = keywords

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        specs: Sequence[BlockSpec] = DEFAULT_BLOCKS,
        lexicon: Mapping[str, float] | None = None,
        keywords: KeywordFeatures | None = None,
    ) -> TextFeaturizer:
        """Learn the vocabularies and idf weights from ``texts``; add ``lexicon`` columns
        (word valences) and ``keywords`` columns if given."""
        from sklearn.feature_extraction.text import CountVectorizer

        blocks = []
        for spec in specs:
            counter = CountVectorizer(
                min_df=spec.min_df, max_features=spec.max_features, **spec.vectorizer_kwargs()
            )
            counts = counter.fit_transform(texts)
            document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
            idf = np.log((1 + counts.shape[0]) / (1 + document_frequency)) + 1.0
            vocabulary = counter.get_feature_names_out().tolist()
            blocks.append(_Block(spec, vocabulary, idf))
        return cls(blocks, LexiconFeatures(lexicon) if lexicon is not None else None, keywords)

    @property
    def n_features(self) -> int:
        """Total number of features over all blocks."""
        lexicon = self._lexicon.n_features if self._lexicon is not None else 0
        keywords = len(self._keywords.labels) if self._keywords is not None else 0
        return sum(len(block.vocabulary) for block in self._blocks) + lexicon + keywords

    @property
    def feature_names(self) -> list[str]:
        """Feature names prefixed by their block, e.g. ``"word:thank you"``, ``"char: gr"``,
        ``"lexicon:negative_sum"``, ``"keywords:grief"``."""
        names = [f"{b.spec.name}:{term}" for b in self._blocks for term in b.vocabulary]
        if self._lexicon is not None:
            names += [f"lexicon:{name}" for name in LEXICON_FEATURE_NAMES]
        if self._keywords is not None:
            names += [f"keywords:{label}" for label in self._keywords.labels]
        return names

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Return the (len(texts), n_features) matrix."""
        parts = [block.transform(texts) for block in self._blocks]
        if self._lexicon is not None:
            parts.append(self._lexicon.transform(texts))
        if self._keywords is not None:
            parts.append(self._keywords.transform(texts))
        return sp.hstack(parts, format="csr")

    def column_span(self, name: str) -> slice:
        """Where a block (``"word"``, ``"char"``) or the ``"lexicon"`` columns sit in a
        :meth:`transform` result."""
        start = 0
        for block in self._blocks:
            if block.spec.name == name:
                return slice(start, start + len(block.vocabulary))
            start += len(block.vocabulary)
        if name == "lexicon" and self._lexicon is not None:
            return slice(start, start + self._lexicon.n_features)
        raise ValueError(f"this featurizer has no {name!r} columns")

    def word_columns(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """The word block's columns of a :meth:`transform` result (tf-idf, L2-normalised)."""
        return matrix[:, self.column_span("word")]

    def lexicon_columns(self, matrix: sp.csr_matrix) -> npt.NDArray[np.float32]:
        """The lexicon columns of a :meth:`transform` result, dense."""
        return np.asarray(matrix[:, self.column_span("lexicon")].toarray(), dtype=np.float32)

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Plain numpy arrays (no pickles) that :meth:`from_arrays` turns back into this."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        for block in self._blocks:
            joined = _SEPARATOR.join(block.vocabulary).encode("utf-8")
            arrays[f"{block.spec.name}_vocabulary"] = np.frombuffer(joined, dtype=np.uint8)
            arrays[f"{block.spec.name}_idf"] = block.idf
        if self._lexicon is not None:
            arrays.update(self._lexicon.to_arrays())
        if self._keywords is not None:
            arrays.update(self._keywords.to_arrays())
        return arrays

    def specs(self) -> dict[str, Any]:
        """The feature specification, JSON-serialisable."""
        blocks = [
            {
                "name": b.spec.name,
                "analyzer": b.spec.analyzer,
                "ngram_range": list(b.spec.ngram_range),
                "min_df": b.spec.min_df,
                "max_features": b.spec.max_features,
            }
            for b in self._blocks
        ]
        keywords = {"scale": self._keywords.scale} if self._keywords is not None else None
        return {"blocks": blocks, "lexicon": self._lexicon is not None, "keywords": keywords}

    @classmethod
    def from_arrays(
        cls, specs: Mapping[str, Any], arrays: Mapping[str, npt.NDArray[Any]]
    ) -> TextFeaturizer:
        """Rebuild a fitted featurizer from :meth:`specs` and :meth:`to_arrays` output."""
        blocks = []
        for raw in specs["blocks"]:
            spec = BlockSpec(
                name=raw["name"],
                analyzer=raw["analyzer"],
                ngram_range=(int(raw["ngram_range"][0]), int(raw["ngram_range"][1])),
                min_df=int(raw["min_df"]),
                max_features=raw["max_features"],
            )
            vocabulary = bytes(arrays[f"{spec.name}_vocabulary"]).decode("utf-8")
            terms = vocabulary.split(_SEPARATOR) if vocabulary else []
            blocks.append(_Block(spec, terms, arrays[f"{spec.name}_idf"]))
        lexicon = LexiconFeatures.from_arrays(arrays) if specs.get("lexicon") else None
        cues = specs.get("keywords")
        keywords = KeywordFeatures.from_arrays(arrays, float(cues["scale"])) if cues else None
        return cls(blocks, lexicon, keywords)
