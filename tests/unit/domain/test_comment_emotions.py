"""The metrics engine counts what the emotion model writes: the status of a read comment."""

from rapport.domain.comment_emotions import READ_STATUS
from rapport.text._prediction import PredictionStatus


def test_the_engine_counts_the_status_the_model_writes() -> None:
    assert PredictionStatus.OK.value == READ_STATUS
