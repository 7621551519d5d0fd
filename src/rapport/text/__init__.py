"""Rapport's text layer: emotions in comments, themes, and PII redaction.

Nothing is loaded at import time; :func:`load_model` reads the shipped artifact on first use.

>>> from rapport.text import load_model, redact_pii
>>> model = load_model()
>>> [p.primary_sentiment for p in model.predict(["Thank you so much, the staff were wonderful!"])]
['positive']
>>> redact_pii("Call me on +44 20 7946 0958")
'Call me on [PHONE]'
"""

from rapport.text._keyword import KeywordEmotionModel
from rapport.text._labels import (
    EKMAN_LABELS,
    GOEMOTIONS_LABELS,
    SENTIMENT_LABELS,
    to_ekman,
    to_sentiment,
)
from rapport.text._model import LinearEmotionModel, load_model
from rapport.text._prediction import EmotionModel, EmotionPrediction, PredictionStatus
from rapport.text.language import detect_language, is_english
from rapport.text.pii import redact_pii
from rapport.text.themes import Theme, ThemeResult, find_themes
from rapport.text.transformer import TransformerEmotionModel, TransformersNotInstalled

__all__ = [
    "EKMAN_LABELS",
    "GOEMOTIONS_LABELS",
    "SENTIMENT_LABELS",
    "EmotionModel",
    "EmotionPrediction",
    "KeywordEmotionModel",
    "LinearEmotionModel",
    "PredictionStatus",
    "Theme",
    "ThemeResult",
    "TransformerEmotionModel",
    "TransformersNotInstalled",
    "detect_language",
    "find_themes",
    "is_english",
    "load_model",
    "redact_pii",
    "to_ekman",
    "to_sentiment",
]
