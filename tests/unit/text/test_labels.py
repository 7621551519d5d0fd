import json

from rapport.text import EKMAN_LABELS, GOEMOTIONS_LABELS, SENTIMENT_LABELS, to_ekman, to_sentiment
from rapport.text._labels import EKMAN_OF, SENTIMENT_OF


def test_label_order_matches_the_dataset(goemotions_dir):
    assert tuple((goemotions_dir / "emotions.txt").read_text().split("\n")) == GOEMOTIONS_LABELS


def test_ekman_groups_match_the_published_mapping(goemotions_dir):
    mapping = json.loads((goemotions_dir / "ekman_mapping.json").read_text())
    expected = {label: group for group, labels in mapping.items() for label in labels}
    expected["neutral"] = "neutral"
    assert dict(EKMAN_OF) == expected
    assert set(EKMAN_OF.values()) == set(EKMAN_LABELS)


def test_sentiment_groups_match_the_published_mapping(goemotions_dir):
    mapping = json.loads((goemotions_dir / "sentiment_dict.json").read_text())
    expected = {label: group for group, labels in mapping.items() for label in labels}
    expected["neutral"] = "neutral"
    assert dict(SENTIMENT_OF) == expected
    assert set(SENTIMENT_OF.values()) == set(SENTIMENT_LABELS)


def test_group_helpers():
    assert to_ekman({"grief", "remorse", "neutral"}) == {"sadness", "neutral"}
    assert to_sentiment({"confusion", "pride"}) == {"ambiguous", "positive"}
    assert to_ekman(()) == frozenset()
