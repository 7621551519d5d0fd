"""Themes in a set of comments: TF-IDF + non-negative matrix factorisation (NMF).

Each theme is described by its top terms and a few example comments, and every comment is
assigned to its strongest theme (or to none when it shares no vocabulary with the rest).
The result depends only on the texts, the parameters and ``seed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[^\W\d_]{2,}")
# Suffix → replacement, tried in order; a word is folded only onto a base form that occurs
# in the same corpus, so "queues" → "queue" and "waited" → "wait" but "business" stays.
_SUFFIXES = (
    ("ies", "y"),
    ("es", ""),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
)


def _base_forms(vocabulary: set[str]) -> dict[str, str]:
    fold = {}
    for word in vocabulary:
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix) and not word.endswith("ss"):
                base = word[: -len(suffix)] + replacement
                if len(base) >= 3 and base in vocabulary:
                    fold[word] = base
                    break
    return fold


def _already_tokenized(tokens: list[str]) -> list[str]:
    return tokens


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme: its index, its top terms (strongest first), examples and size."""

    index: int
    terms: tuple[str, ...]
    examples: tuple[str, ...]
    size: int

    @property
    def label(self) -> str:
        """A short human label made of the first three terms, e.g. ``"queue / wait / long"``."""
        return " / ".join(self.terms[:3])


@dataclass(frozen=True, slots=True)
class ThemeResult:
    """Themes (largest first) and, per input text, the index of its theme or ``None``."""

    themes: tuple[Theme, ...]
    assignments: tuple[int | None, ...]

    def texts_of(self, theme_index: int, texts: Sequence[str]) -> list[str]:
        """The texts assigned to theme ``theme_index`` (``texts`` as passed to find_themes)."""
        return [text for text, a in zip(texts, self.assignments, strict=True) if a == theme_index]


def find_themes(
    texts: Sequence[str],
    n_themes: int = 8,
    *,
    seed: int = 0,
    n_terms: int = 8,
    n_examples: int = 3,
    stop_words: str | Sequence[str] | None = "english",
) -> ThemeResult:
    """Find ``n_themes`` themes in ``texts`` with TF-IDF and NMF.

    Terms are single words after stop-word removal (word pairs made small planted corpora
    split or merge topics, so they are left out); plural and -ed/-ing forms are
    folded onto a base form found in the same texts ("queues", "queued" → "queue"). Terms in
    more than 90 % of the comments are ignored (from 20 texts up), as are terms in only one
    comment (from 50 texts up). Themes are numbered largest first. Texts that share no term
    with the vocabulary, or whose weights are all zero, get ``None``.

    >>> comments = ["The queue was so long", "Long queue again, waited ages",
    ...             "Friendly staff, very helpful", "Staff were friendly and kind"]
    >>> result = find_themes(comments, n_themes=2, seed=0)
    >>> [theme.terms[:2] for theme in result.themes]
    [('long', 'queue'), ('friendly', 'staff')]
    >>> result.assignments
    (0, 0, 1, 1)
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    if n_themes < 1:
        raise ValueError(f"n_themes must be at least 1, got {n_themes}")
    if not texts:
        return ThemeResult(themes=(), assignments=())
    if stop_words == "english":
        stop: frozenset[str] = ENGLISH_STOP_WORDS
    elif isinstance(stop_words, str):
        raise ValueError(
            f"stop_words must be 'english', a list of words or None, not {stop_words!r}"
        )
    else:
        stop = frozenset(stop_words or ())
    tokenized = [[t for t in _WORD.findall(text.lower()) if t not in stop] for text in texts]
    fold = _base_forms({token for tokens in tokenized for token in tokens})
    documents = [[fold.get(token, token) for token in tokens] for tokens in tokenized]
    vectorizer = TfidfVectorizer(
        analyzer=_already_tokenized,
        min_df=2 if len(texts) >= 50 else 1,
        max_df=0.9 if len(texts) >= 20 else 1.0,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # empty vocabulary: nothing but stop words, digits or punctuation
        return ThemeResult(themes=(), assignments=(None,) * len(texts))
    n_components = min(n_themes, *matrix.shape)
    nmf = NMF(n_components=n_components, init="nndsvda", random_state=seed, max_iter=1000)
    weights = nmf.fit_transform(matrix)
    terms = vectorizer.get_feature_names_out()

    raw_assignment = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    sizes = np.bincount(raw_assignment[raw_assignment >= 0], minlength=n_components)
    # Largest theme first; ties broken by component index so the order is deterministic.
    order = sorted(range(n_components), key=lambda k: (-sizes[k], k))
    new_index = {old: new for new, old in enumerate(order)}

    themes = []
    for old in order:
        component = nmf.components_[old]
        strongest = [i for i in np.argsort(-component, kind="stable")[:n_terms] if component[i] > 0]
        top_terms = tuple(str(terms[i]) for i in strongest)
        members = np.flatnonzero(raw_assignment == old)
        by_weight = members[np.argsort(-weights[members, old], kind="stable")]
        examples = tuple(dict.fromkeys(texts[i].strip() for i in by_weight))[:n_examples]
        themes.append(
            Theme(
                index=new_index[old],
                terms=top_terms,
                examples=examples,
                size=int(sizes[old]),
            )
        )
    assignments = tuple(new_index[int(a)] if a >= 0 else None for a in raw_assignment)
    return ThemeResult(themes=tuple(themes), assignments=assignments)
