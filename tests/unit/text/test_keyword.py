from rapport.text import GOEMOTIONS_LABELS, EmotionModel, KeywordEmotionModel, PredictionStatus
from rapport.text._keyword import KEYWORDS, CueIndex, KeywordFeatures


def test_is_an_emotion_model():
    assert isinstance(KeywordEmotionModel(), EmotionModel)


def test_labels_and_groups():
    model = KeywordEmotionModel()
    happy, angry, plain, short, french = model.predict(
        [
            "Thanks, I'm really happy with it",
            "I am furious, this is ridiculous",
            "The parcel arrived on Tuesday",
            "ok",
            "Merci beaucoup, très bien",
        ]
    )
    assert happy.labels == {"gratitude", "joy"}
    assert happy.sentiment == {"positive"} and happy.primary_sentiment == "positive"
    assert angry.ekman == {"anger"}
    assert plain.labels == {"neutral"} and plain.primary_sentiment == "neutral"
    assert short.status is PredictionStatus.TOO_SHORT and not short.labels
    assert french.status is PredictionStatus.LANGUAGE_NOT_SUPPORTED


def test_cues_of_three_tokens_are_found():
    cues = CueIndex(KEYWORDS)
    assert cues.count("I feel completely taken for granted") == {"disappointment": 1}
    assert cues.count("Passed away last week, so sad") == {"grief": 1, "sadness": 1}
    assert cues.count("nothing to see here") == {}


def test_keyword_features_one_column_per_label():
    features = KeywordFeatures(KEYWORDS, scale=2.0)
    assert features.labels == [label for label in GOEMOTIONS_LABELS if label != "neutral"]
    matrix = features.transform(["Thanks, thanks, I'm furious", "", "plain words"]).toarray()
    assert matrix.shape == (3, 27)
    column = {label: k for k, label in enumerate(features.labels)}
    assert matrix[0, column["gratitude"]] == 1.5  # 2 × (1 − 0.5²)
    assert matrix[0, column["anger"]] == 1.0
    assert matrix[0].sum() == 2.5 and not matrix[1:].any()


def test_keyword_features_round_trip_through_plain_arrays():
    features = KeywordFeatures(KEYWORDS, scale=1.0)
    rebuilt = KeywordFeatures.from_arrays(features.to_arrays(), scale=1.0)
    assert rebuilt.keywords == features.keywords
