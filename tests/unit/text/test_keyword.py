from rapport.text import EmotionModel, KeywordEmotionModel, PredictionStatus


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
