"""Translatable texts, the emotion picker's vocabulary and language choice.

Every user-facing text in a survey definition is a :data:`Translatable`: a plain string
(one language) or a mapping of language code to string. Rendering picks one language with
:func:`text_for`, falling back to the survey's default language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, TypeAlias

Translatable: TypeAlias = str | Mapping[str, str]
"""A plain string, or ``{language: text}`` that must include the default language."""

EMOTIONS: Final[tuple[str, ...]] = (
    "delighted",
    "cared_for",
    "special",
    "connected",
    "excited",
    "grateful",
    "calm",
    "indifferent",
    "ignored",
    "taken_for_granted",
    "frustrated",
    "angry",
    "disappointed",
    "anxious",
)
"""Emotion ids an emotion picker may offer, in display order."""

EMOTION_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "delighted": {"en": "Delighted", "es": "Encantado/a"},
    "cared_for": {"en": "Cared for", "es": "Cuidado/a"},
    "special": {"en": "Special", "es": "Especial"},
    "connected": {"en": "Connected", "es": "Conectado/a"},
    "excited": {"en": "Excited", "es": "Ilusionado/a"},
    "grateful": {"en": "Grateful", "es": "Agradecido/a"},
    "calm": {"en": "Calm", "es": "Tranquilo/a"},
    "indifferent": {"en": "Indifferent", "es": "Indiferente"},
    "ignored": {"en": "Ignored", "es": "Ignorado/a"},
    "taken_for_granted": {"en": "Taken for granted", "es": "Dado/a por sentado"},
    "frustrated": {"en": "Frustrated", "es": "Frustrado/a"},
    "angry": {"en": "Angry", "es": "Enfadado/a"},
    "disappointed": {"en": "Disappointed", "es": "Decepcionado/a"},
    "anxious": {"en": "Anxious", "es": "Inquieto/a"},
}
"""Built-in labels for :data:`EMOTIONS` (English and Spanish)."""

INTENSITY_LABELS: Final[Mapping[int, Mapping[str, str]]] = {
    1: {"en": "A little", "es": "Un poco"},
    2: {"en": "Quite", "es": "Bastante"},
    3: {"en": "Very", "es": "Mucho"},
}
"""Built-in labels for emotion intensities 1..3."""


def text_for(text: Translatable | None, lang: str, default_lang: str) -> str:
    """The text in ``lang``, else its base language, else ``default_lang``, else any.

    >>> text_for({"en": "Hello", "es": "Hola"}, "es-MX", "en")
    'Hola'
    >>> text_for({"en": "Hello", "es": "Hola"}, "de", "en")
    'Hello'
    >>> text_for("Hello", "es", "en")
    'Hello'
    >>> text_for(None, "en", "en")
    ''
    """
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for candidate in (lang, lang.split("-", 1)[0], default_lang):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


def pick_language(supported: Iterable[str], preferred: Iterable[str], default_lang: str) -> str:
    """The first of ``preferred`` (exact, then base language) that is supported.

    >>> pick_language(["en", "es"], ["es-AR", "en"], "en")
    'es'
    >>> pick_language(["en", "es"], ["fr"], "en")
    'en'
    """
    available = list(supported)
    for lang in preferred:
        if lang in available:
            return lang
        base = lang.split("-", 1)[0]
        if base in available:
            return base
    return default_lang


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders that ``values`` knows; leave anything else alone.

    Templates use ``{org}`` for the organisation's name. Unlike :meth:`str.format`, stray
    braces and unknown names are harmless.

    >>> fill_placeholders("The experience {org} gives me {x}", {"org": "Acme"})
    'The experience Acme gives me {x}'
    """
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def translations(text: Translatable | None) -> Mapping[str, str]:
    """The language → text mapping of a translatable (a plain string has no languages).

    >>> dict(translations({"en": "Hi"})), dict(translations("Hi"))
    ({'en': 'Hi'}, {})
    """
    if text is None or isinstance(text, str):
        return {}
    return text
