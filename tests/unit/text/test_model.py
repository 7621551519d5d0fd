"""The shipped default model: loading, screening, quality floor on held-out rows."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from rapport.text import EmotionModel, LinearEmotionModel, PredictionStatus, load_model
from rapport.text._model import MODEL_VERSION, default_artifact_path
from rapport.text.goemotions import evaluate_predictions, read_split
from rapport.text.survey_comments import read_check, score_sentiment

OFFLINE_SCRIPT = textwrap.dedent(
    """
    import json, socket

    class NoNetwork(socket.socket):  # a class, so that ssl can still subclass it
        def __init__(self, *args, **kwargs):
            raise OSError("network access attempted")

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket = NoNetwork
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from rapport.text import load_model

    model = load_model()
    ignored, special = model.predict(
        ["I felt completely ignored and taken for granted", "the staff made me feel really special"]
    )
    print(json.dumps({
        "version": model.version,
        "ignored": {"primary": ignored.primary_sentiment, "sentiment": sorted(ignored.sentiment),
                    "top3": [label for label, _ in ignored.top(3)]},
        "special": {"primary": special.primary_sentiment, "sentiment": sorted(special.sentiment),
                    "top3": [label for label, _ in special.top(3)]},
    }))
    """
)


def test_shipped_model_works_offline_in_a_fresh_process():
    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT], capture_output=True, text=True, check=True
    )
    result = json.loads(completed.stdout)
    assert result["version"] == MODEL_VERSION
    ignored, special = result["ignored"], result["special"]
    assert ignored["primary"] == "negative"
    assert "negative" in ignored["sentiment"]
    assert {"anger", "annoyance", "disappointment"} & set(ignored["top3"]), ignored
    assert special["primary"] == "positive"
    assert "positive" in special["sentiment"]


def test_importing_does_no_work():
    script = (
        "import sys, rapport.text as t; "
        "print(t.load_model.cache_info().currsize, 'sklearn' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["0", "False"]


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def survey_check(goemotions_dir):
    return read_check(goemotions_dir.parent / "survey_comments" / "check.tsv")


def test_is_cached_and_implements_the_protocol(model):
    assert load_model() is model
    assert isinstance(model, EmotionModel)
    assert model.name == "goemotions-tfidf-linear"


def test_artifact_is_versioned_and_small():
    path = default_artifact_path()
    assert path.name == f"emotion-{MODEL_VERSION}.npz"
    assert path.stat().st_size <= 25_000_000


def test_prediction_fields(model):
    (prediction,) = model.predict(["Thank you so much, the staff were wonderful!"])
    assert prediction.status is PredictionStatus.OK and prediction.ok
    assert prediction.language == "en"
    assert len(prediction.scores) == 28
    assert set(prediction.ekman_scores) == {
        "anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral",
    }  # fmt: skip
    assert set(prediction.sentiment_scores) == {"positive", "negative", "ambiguous", "neutral"}
    assert all(0.0 <= s <= 1.0 for s in prediction.scores.values())
    assert "gratitude" in prediction.labels
    assert "joy" in prediction.ekman
    assert prediction.primary_sentiment == "positive"
    assert prediction.labels and prediction.ekman and prediction.sentiment


@pytest.mark.parametrize("text", ["", "   ", "ok", "!!", "10/10", "👍👍", "12:30"])
def test_too_short_texts_get_no_emotion(model, text):
    (prediction,) = model.predict([text])
    assert prediction.status is PredictionStatus.TOO_SHORT
    assert not prediction.labels and not prediction.ekman and not prediction.sentiment
    assert not prediction.scores and prediction.primary_sentiment is None


def test_other_languages_are_declined(model):
    german, english, spanish = model.predict(
        [
            "Das Personal war sehr unfreundlich und wir mussten lange warten.",
            "The staff were rude and we waited for ages.",
            "El personal fue muy amable, gracias por todo.",
        ]
    )
    assert german.status is PredictionStatus.LANGUAGE_NOT_SUPPORTED
    assert german.language == "de" and not german.labels and not german.scores
    assert spanish.status is PredictionStatus.LANGUAGE_NOT_SUPPORTED
    assert english.ok and english.language == "en" and english.labels


@pytest.mark.parametrize(
    "text",
    [
        "The staff were rude and we waited for ages.",  # 1.2.0: neutral
        "Management takes us for granted",  # 1.2.0: positive
        "Shift patterns are hard with childcare",  # 1.2.0: neutral
    ],
)
def test_plain_survey_complaints_read_as_negative(model, text):
    (prediction,) = model.predict([text])
    assert prediction.primary_sentiment == "negative", prediction.sentiment_scores


@pytest.mark.xfail(
    strict=True,
    reason="1.3.0 still reads a negated 'thank you' as praise: positive 0.90 (threshold 0.52) "
    "against negative 0.82 (0.48); a check comment, so not fixed by tuning on it",
)
def test_known_weakness_negated_thanks_reads_as_positive(model):
    text = "Management takes us for granted; nobody ever says thank you"
    (prediction,) = model.predict([text])
    assert prediction.primary_sentiment == "negative"


def test_reads_the_survey_style_check_at_least_as_well_as_vader(model, survey_check):
    # 345 comments written and labelled for Rapport, never trained or tuned on (see
    # data/survey_comments/PROVENANCE.md). Primary sentiment right: model 1.2.0 0.39 (133),
    # VADER 0.61 (209), model 1.3.0 0.74 (255). The floor is VADER's share.
    predictions = model.predict([c.text for c in survey_check])
    score = score_sentiment(
        [c.sentiment for c in survey_check], [p.primary_sentiment for p in predictions]
    )
    assert score.total >= 300
    assert score.share >= 0.61, score


def test_survey_head_is_in_the_artifact(model):
    assert model.calibrator is not None
    assert model.metadata["survey_head"]["rows"]["survey"] >= 400
    # The head replaces the four sentiment scores only: labels and Ekman are the heads'.
    texts = ["Nobody ever answers the phone", "Lovely staff, thank you"]
    heads, _ = model.head_scores(texts)
    scores = model.scores(texts)
    np.testing.assert_array_equal(scores[:, :35], heads[:, :35])
    assert not np.allclose(scores[:, 35:], heads[:, 35:])


def test_keeps_order_with_mixed_statuses(model):
    texts = ["ok", "I love this place", "Merci beaucoup", "I hate waiting", ""]
    statuses = [p.status.value for p in model.predict(texts)]
    assert statuses == ["too_short", "ok", "language_not_supported", "ok", "too_short"]
    assert model.predict([]) == []


def test_thresholds_are_exposed(model):
    thresholds = model.thresholds
    assert set(thresholds) == {"labels", "ekman", "sentiment"}
    assert len(thresholds["labels"]) == 28
    assert all(0.0 < t < 1.0 for group in thresholds.values() for t in group.values())


def test_save_and_reload_give_the_same_scores(model, tmp_path):
    texts = ["Absolutely furious about the delay", "What a lovely surprise, thank you"]
    path = tmp_path / "copy.npz"
    model.save(path)
    reloaded = LinearEmotionModel.from_artifact(path)
    np.testing.assert_allclose(reloaded.scores(texts), model.scores(texts), atol=1e-6)
    assert reloaded.thresholds == model.thresholds


# Floor for the 400 held-out GoEmotions test rows in tests/data/goemotions/test_sample.tsv.
# Sentiment (4 groups) is the stable level on 400 rows: model 1.2.0 scores 0.676 here (0.679
# on the full test split) with a bootstrap standard error of 0.019, so 0.62 is three standard
# errors below and still above the keyword baseline (0.588 here) and "all neutral" (0.120).
# Model 1.3.0 (survey sentiment head): 0.672 here.
# Ekman is noisier on 400 rows (standard error 0.034: fear and disgust have few rows); its
# floor, 0.50, only catches a broken model (all neutral: 0.069; model 1.2.0: 0.608).
SAMPLE_FLOORS = {"sentiment": 0.62, "ekman": 0.50}


def test_macro_f1_on_held_out_sample_is_above_floor(model, goemotions_dir):
    sample = read_split(goemotions_dir / "test_sample.tsv")
    scores = evaluate_predictions(sample, model.predict(sample.texts))
    for level, floor in SAMPLE_FLOORS.items():
        assert scores[level] >= floor, (level, scores)


def test_unknown_artifact_format_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    meta = np.frombuffer(json.dumps({"format": 99}).encode(), dtype=np.uint8)
    np.savez(path, metadata=meta)
    with pytest.raises(ValueError, match="unsupported artifact format"):
        LinearEmotionModel.from_artifact(path)


def test_fast_path_of_the_survey_head_gives_the_training_path_scores(model):
    # predict() folds the head's lexicon and word weights into the heads' matrix product;
    # training reads the head's full feature matrix. Both must give the same scores.
    texts = ["Nobody ever answers the phone", "The staff were not very helpful", "Thank you!"]
    _, inputs = model.head_scores(texts)
    np.testing.assert_allclose(
        model.scores(texts)[:, 35:], model.calibrator.scores(inputs), atol=1e-5
    )
