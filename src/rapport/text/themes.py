"""Themes in a set of comments: TF-IDF + non-negative matrix factorisation (NMF).

Each theme is described by its top terms and a few example comments, and every comment is
assigned to its strongest theme (or to none when it shares no vocabulary with the rest).
The result depends only on the texts, the parameters and ``seed``.
"""

from __future__ import annotations

import re
from collections import Counter
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


#: What is left of "don't", "wasn't", "I've" once the apostrophe splits them: never a theme.
CONTRACTION_PARTS = frozenset(
    [
        "don",
        "didn",
        "doesn",
        "isn",
        "wasn",
        "weren",
        "aren",
        "couldn",
        "wouldn",
        "shouldn",
        "won",
        "hasn",
        "haven",
        "hadn",
        "ve",
        "ll",
        "re",
    ]
)


#: Short words a phrase may keep between its two content words ("waste of time").
JOINERS = frozenset({"for", "of", "to", "on", "in", "at", "with"})


def _already_tokenized(tokens: list[str]) -> list[str]:
    return tokens


@dataclass(frozen=True, slots=True)
class Theme:
    """One theme: its index, its top terms (strongest first), examples and size."""

    index: int
    terms: tuple[str, ...]
    examples: tuple[str, ...]
    size: int
    phrases: tuple[str, ...] = ()
    """Word pairs that recur in the theme's comments, most frequent first ("friendly staff")."""

    @property
    def label(self) -> str:
        """A short human label: its two commonest phrases (``"long queue, waiting time"``),
        else its first three terms (``"queue, wait, long"``)."""
        return ", ".join(self.phrases[:2]) if self.phrases else ", ".join(self.terms[:3])


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
        stop: frozenset[str] = ENGLISH_STOP_WORDS | CONTRACTION_PARTS
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
                phrases=_phrases([texts[int(i)] for i in members], top_terms[:5], stop, fold),
            )
        )
    assignments = tuple(new_index[int(a)] if a >= 0 else None for a in raw_assignment)
    return ThemeResult(themes=tuple(themes), assignments=assignments)


def _phrases(
    texts: Sequence[str], terms: Sequence[str], stop: frozenset[str], fold: dict[str, str]
) -> tuple[str, ...]:
    """Pairs of content words, adjacent or joined by one of :data:`JOINERS`, that hold one of the
    theme's top ``terms`` and occur in at least two of its comments and a tenth of them,
    commonest first, each in its commonest spelling; at most three, no term repeated.

    >>> _phrases(["Friendly staff", "so friendly staff", "staff friendly"], ["staff"],
    ...          frozenset({"so"}), {})
    ('friendly staff',)
    """
    wanted = set(terms)
    counts: Counter[tuple[str, str]] = Counter()
    spelled: dict[tuple[str, str], Counter[str]] = {}
    for text in texts:
        words = _WORD.findall(text.lower())
        seen = set()
        for i, a in enumerate(words):
            if a in stop:
                continue
            # the next word, or the one after a joining word ("taken for granted")
            for gap, b in ((1, words[i + 1 : i + 2]), (2, words[i + 2 : i + 3])):
                if not b or b[0] in stop or (gap == 2 and words[i + 1] not in JOINERS):
                    continue
                key = (fold.get(a, a), fold.get(b[0], b[0]))
                if wanted.isdisjoint(key) or key[0] == key[1]:
                    continue
                spelled.setdefault(key, Counter())[" ".join(words[i : i + gap + 1])] += 1
                seen.add(key)
        counts.update(seen)
    floor = max(2, len(texts) // 10)
    found: list[str] = []
    used: set[str] = set()
    for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < floor or used.intersection(key):
            continue
        found.append(spelled[key].most_common(1)[0][0])
        used.update(key)
        if len(found) == 3:
            break
    return tuple(found)
