"""Survey definitions: parsing with defaults, translations and the dict round-trip."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from survey_examples import example
from survey_strategies import definitions

from rapport.domain.logic import Comparison, Op
from rapport.domain.survey import (
    EMOTIONS,
    Audience,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    check_definition,
    definition_from_dict,
    definition_to_dict,
    fill_placeholders,
    pick_language,
    text_for,
)


def test_example_parses_with_defaults() -> None:
    d = example()
    assert d.audience is Audience.CUSTOMER
    assert d.default_language == "en"
    assert d.languages == ("en", "es")
    assert d.question("agree").scale == Scale(1, 7)
    assert d.question("nps").scale == Scale(0, 10)
    assert d.question("ces").scale == Scale(1, 7)
    assert d.question("feel").emotions == ("delighted", "angry", "calm")
    assert d.question("why").show_if == Comparison("nps", Op.LE, 6)
    assert [p.id for p in d.pages] == ["one", "two"]
    with pytest.raises(KeyError):
        d.question("nope")


def test_emotion_picker_defaults_to_every_emotion() -> None:
    q = Question("feel", QuestionType.EMOTION_PICKER, "Feel?")
    assert q.emotions == EMOTIONS


def test_round_trip_of_example_is_identity() -> None:
    d = example()
    assert definition_from_dict(definition_to_dict(d)) == d
    assert definition_to_dict(definition_from_dict(definition_to_dict(d))) == definition_to_dict(d)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions())
def test_round_trip_is_identity(definition: SurveyDefinition) -> None:
    assert check_definition(definition) == []
    assert definition_from_dict(definition_to_dict(definition)) == definition


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ({"en": "Hi", "es": "Hola"}, "es", "Hola"),
        ({"en": "Hi", "es": "Hola"}, "es-MX", "Hola"),
        ({"en": "Hi", "es": "Hola"}, "de", "Hi"),
        ({"es": "Hola"}, "de", "Hola"),
        ("Hi", "es", "Hi"),
        (None, "en", ""),
        ({}, "en", ""),
    ],
)
def test_text_for_falls_back_to_default_language(text: Any, lang: str, expected: str) -> None:
    assert text_for(text, lang, "en") == expected


def test_pick_language_and_placeholders() -> None:
    assert pick_language(["en", "es"], ["fr", "es-ES"], "en") == "es"
    assert pick_language(["en", "es"], [], "en") == "en"
    assert fill_placeholders("{org} and {org} {x}", {"org": "Acme"}) == "Acme and Acme {x}"
