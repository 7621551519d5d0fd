"""Reading and scoring the survey-style comments (the in-domain set and the held-out check)."""

from pathlib import Path

import pytest

from rapport.text import EmotionPrediction, PredictionStatus
from rapport.text.survey_comments import (
    main_emotion,
    read_check,
    read_training,
    score_emotion,
    score_sentiment,
    sentiment_right,
)

CHECK = Path(__file__).resolve().parents[2] / "data" / "survey_comments" / "check.tsv"
HEADER = "id\taudience\ttopic\tsentiment\temotion\ttext\n"


def test_the_check_has_a_few_hundred_labelled_comments_of_both_audiences():
    check = read_check(CHECK)
    assert len(check) >= 300
    assert len({c.id for c in check}) == len({c.text for c in check}) == len(check)
    assert {c.audience for c in check} == {"customer", "employee"}
    assert {c.sentiment for c in check} == {"positive", "negative", "neutral", "mixed"}
    assert {"anger", "sadness", "fear", "joy", "neutral"} <= {c.emotion for c in check}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("c1\tcustomer\tretail\tangry\tanger\tRude staff", "line 2: sentiment must be one of"),
        ("c1\tcustomer\tretail\tnegative\tfury\tRude staff", "line 2: emotion must be one of"),
        ("c1\tcustomer\tretail\tnegative\tanger", "line 2: expected 6 non-empty columns"),
    ],
)
def test_a_bad_check_row_is_named(tmp_path, row, message):
    path = tmp_path / "check.tsv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_check(path)


def test_a_bad_training_label_is_named(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("id\tlabels\ttext\nt1\tannoyance\tSlow\nt2\tgrumpy\tRude\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: labels: not a GoEmotions label: 'grumpy'"):
        read_training(path)
    path.write_text("text\tlabels\nSlow\tannoyance\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected the header columns id, labels, text"):
        read_training(path)


def test_mixed_comments_are_right_unless_read_as_neutral():
    assert sentiment_right("negative", "negative") and not sentiment_right("negative", "neutral")
    assert sentiment_right("mixed", "positive") and sentiment_right("mixed", "ambiguous")
    assert not sentiment_right("mixed", "neutral") and not sentiment_right("mixed", None)
    score = score_sentiment(["neutral", "mixed", "positive"], ["neutral", "negative", "negative"])
    assert (score.right, score.total) == (2, 3) and str(score) == "0.67 of 3 (2 right)"


def test_main_emotion_is_the_highest_scored_predicted_group():
    prediction = EmotionPrediction(
        status=PredictionStatus.OK,
        language="en",
        ekman_scores={"anger": 0.4, "sadness": 0.7, "joy": 0.9},
        ekman=frozenset({"anger", "sadness"}),
    )
    declined = EmotionPrediction(status=PredictionStatus.TOO_SHORT, language="und")
    assert main_emotion(prediction) == "sadness" and main_emotion(declined) is None
    assert score_emotion(["sadness", "anger"], [prediction, declined]).right == 1
