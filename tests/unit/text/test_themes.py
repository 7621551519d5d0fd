import random
from collections import Counter

import pytest

from rapport.text import find_themes

QUEUE = [
    "The queue was far too long",
    "We waited in the queue for ages",
    "Waiting time at the till was terrible",
    "Long queue and only one till open",
    "I had to wait 40 minutes in the queue",
    "The wait was unacceptable, queue out the door",
    "Queues are always long on Saturdays",
    "waited forever, the queue never moved",
]
STAFF = [
    "The staff were so friendly",
    "Friendly staff who really helped me",
    "Lovely friendly staff at the counter",
    "Staff were helpful and kind",
    "A very friendly member of staff helped me find it",
    "The staff always greet me with a smile",
    "Helpful, friendly staff as always",
    "Staff went out of their way to help",
]
PRICE = [
    "Prices are too high now",
    "Everything is so expensive, prices keep going up",
    "The price of coffee has doubled",
    "Too expensive compared to other shops",
    "Prices went up again this month",
    "Good quality but the prices are expensive",
    "I can't afford these prices anymore",
    "The price increase is ridiculous",
]
PLANTED = {"queue": QUEUE, "staff": STAFF, "price": PRICE}


@pytest.fixture(scope="module")
def corpus():
    rng = random.Random(7)
    rows = [
        (topic, rng.choice(pool) + rng.choice(["", ".", "!", " today", " again"]))
        for topic, pool in PLANTED.items()
        for _ in range(30)
    ]
    rng.shuffle(rows)
    return [topic for topic, _ in rows], [text for _, text in rows]


def test_recovers_planted_themes(corpus):
    topics, texts = corpus
    result = find_themes(texts, n_themes=3, seed=0)
    assert len(result.themes) == 3
    # Each planted topic's key word leads exactly one theme.
    leaders = {theme.terms[0] for theme in result.themes}
    assert leaders == {"queue", "staff", "price"}
    # And most comments of a topic land in that topic's theme (plurals folded: prices → price).
    theme_of = {theme.terms[0]: theme.index for theme in result.themes}
    hits = Counter(theme_of[t] == a for t, a in zip(topics, result.assignments, strict=True))
    assert hits[True] / len(texts) >= 0.85


def test_themes_carry_distinct_examples_and_sizes(corpus):
    _, texts = corpus
    result = find_themes(texts, n_themes=3, seed=0, n_examples=3)
    for theme in result.themes:
        assert len(theme.examples) == 3
        assert len(set(theme.examples)) == 3
        assert all(theme.terms[0] in example.lower() for example in theme.examples)
    assert sum(t.size for t in result.themes) == sum(a is not None for a in result.assignments)
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    assert [t.index for t in result.themes] == [0, 1, 2]


def test_deterministic_for_a_seed(corpus):
    _, texts = corpus
    assert find_themes(texts, n_themes=3, seed=3) == find_themes(texts, n_themes=3, seed=3)


def test_texts_of_returns_the_members(corpus):
    _, texts = corpus
    result = find_themes(texts, n_themes=3, seed=0)
    members = result.texts_of(0, texts)
    assert len(members) == result.themes[0].size


def test_edge_cases():
    assert find_themes([], n_themes=3).themes == ()
    empty = find_themes(["!!!", "the and of", "10/10"], n_themes=2)
    assert empty.themes == ()
    assert empty.assignments == (None, None, None)
    small = find_themes(["long queue", "queue long again"], n_themes=5)
    assert len(small.themes) <= 2
    with pytest.raises(ValueError, match="n_themes"):
        find_themes(["x"], n_themes=0)


def test_labels_are_phrases_people_wrote(corpus):
    _, texts = corpus
    labels = [t.label for t in find_themes(texts, n_themes=3, seed=0).themes]
    # each theme is named by phrases from its own comments, not a list of stems
    for topic in ("queue", "staff", "price"):
        assert any(topic in label and " " in label for label in labels), labels
    assert "friendly staff" in " ".join(labels)
    assert all("/" not in label for label in labels)


def test_contraction_fragments_are_never_terms():
    texts = ["I don't like the hours", "They don't suit me, the hours", "Hours don't work"] * 4
    result = find_themes(texts, n_themes=1, seed=0)
    assert "don" not in result.themes[0].terms
    assert result.themes[0].label.startswith("hours") or "hours" in result.themes[0].label
