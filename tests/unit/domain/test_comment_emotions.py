"""The metrics engine counts the labels the emotion model writes: one vocabulary."""

from rapport.domain.comment_emotions import EKMAN_EMOTIONS, READ_STATUS, SENTIMENTS
from rapport.text._labels import EKMAN_LABELS, SENTIMENT_LABELS
from rapport.text._prediction import PredictionStatus


def test_the_engine_and_the_model_share_labels() -> None:
    assert EKMAN_EMOTIONS == EKMAN_LABELS
    assert SENTIMENTS == SENTIMENT_LABELS
    assert PredictionStatus.OK.value == READ_STATUS
