"""Texts from other tools: localized strings, HTML stripped to plain text."""

from __future__ import annotations

import html
import re
from typing import Any

from rapport.domain.survey import Translatable


def plain(text: str) -> str:
    """HTML to one plain line (tags dropped, entities decoded, blanks collapsed).

    >>> plain("<h4>You got <b>3</b> right.</h4><br>Thanks")
    'You got 3 right. Thanks'
    """
    no_tags = re.sub(r"<[^>]+>", " ", text)
    return " ".join(html.unescape(no_tags).split())


def localized(value: Any, default_language: str) -> Translatable | None:
    """A Rapport text from a SurveyJS-style string or ``{"default": ..., "fr": ...}``.

    >>> localized({"default": "Hi", "fr": "Salut", "de": ""}, "en")
    {'en': 'Hi', 'fr': 'Salut'}
    >>> localized({"fr": "Envoyer"}, "en") is None
    True
    """
    if isinstance(value, str):
        return plain(value) or None
    if not isinstance(value, dict):
        return None
    texts: dict[str, str] = {}
    for lang, text in value.items():
        if isinstance(text, str) and plain(text):
            texts[default_language if lang == "default" else str(lang)] = plain(text)
    if default_language not in texts:
        return None
    return texts if len(texts) > 1 else texts[default_language]


def every_text(text: Translatable | None) -> list[str]:
    """Each language's wording of a text (what an export in any language may show).

    >>> every_text({"en": "Hi", "fr": "Salut"}), every_text("Hi"), every_text(None)
    (['Hi', 'Salut'], ['Hi'], [])
    """
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text.values())


def joined(first: Translatable, second: Translatable, separator: str = ": ") -> Translatable:
    """Two texts joined language by language (a one-language text fills every language).

    >>> joined({"en": "Rate", "fr": "Notez"}, "Speed")
    {'en': 'Rate: Speed', 'fr': 'Notez: Speed'}
    """
    if isinstance(first, str) and isinstance(second, str):
        return f"{first}{separator}{second}"
    a = first if isinstance(first, dict) else {}
    b = second if isinstance(second, dict) else {}
    langs = list(dict.fromkeys([*a, *b]))
    return {lang: f"{_pick(first, lang)}{separator}{_pick(second, lang)}" for lang in langs}


def _pick(text: Translatable, lang: str) -> str:
    if isinstance(text, str):
        return text
    return text.get(lang) or next(iter(text.values()))
