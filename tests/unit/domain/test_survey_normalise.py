"""Web form strings → typed answers, and grouping posted fields per question."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from survey_examples import example
from survey_strategies import as_form_strings, definitions, valid_answers

from rapport.domain.answers import (
    answers_from_form,
    form_field_name,
    normalise_answers,
    validate_answers,
)

PARSED = [
    ("nps", "7", 7),
    ("nps", " 10 ", 10),
    ("nps", 7, 7),
    ("nps", 7.0, 7),
    ("nps", "+3", 3),
    ("nps", "11", 11),  # parsed; the range is validation's job
    ("csat", "5", 5),
    ("ces", "1", 1),
    ("agree", "6", 6),
    ("minds", {"ease": "4", "fast": ""}, {"ease": 4}),
    ("minds", {"ease": 4}, {"ease": 4}),
    ("resolved", " no ", "no"),
    ("channels", "phone", ["phone"]),
    ("channels", ["phone", "", "chat"], ["phone", "chat"]),
    ("feel", {"angry": "2", "calm": ""}, {"angry": 2}),
    ("comment", "line 1\r\nline 2", "line 1\nline 2"),
    ("comment", " keep spaces ", " keep spaces "),
    ("contacts", "3", 3),
    ("spent", "2.50", 2.5),
    ("spent", "1e3", 1000.0),
    ("spent", "-4", -4),
    ("spent", 2.5, 2.5),
    ("when", " 2024-05-01", "2024-05-01"),
    ("when", date(2024, 5, 1), "2024-05-01"),
    ("when", datetime(2024, 5, 1, 9), "2024-05-01"),
]


@pytest.mark.parametrize(("question_id", "raw", "typed"), PARSED)
def test_parses_form_values(question_id: str, raw: Any, typed: Any) -> None:
    values, errors = normalise_answers(example(), {question_id: raw})
    assert errors == []
    assert values == {question_id: typed}
    assert type(values[question_id]) is type(typed)


@pytest.mark.parametrize("raw", ["", "   ", None, [], {}, {"ease": ""}])
def test_empty_values_are_dropped(raw: Any) -> None:
    for question_id in ("nps", "minds", "channels", "comment"):
        assert normalise_answers(example(), {question_id: raw}) == ({}, [])


UNPARSABLE = [
    ("nps", "seven", "nps: expected an integer 0–10, got 'seven'", None),
    ("nps", "7.5", "nps: expected an integer 0–10, got '7.5'", None),
    ("nps", True, "nps: expected an integer 0–10, got true", None),
    ("agree", [1], "agree: expected an integer 1–7, got a list", None),
    ("minds", {"ease": "high"}, "minds.ease: expected an integer 1–5, got 'high'", "ease"),
    ("minds", "4", "minds: expected an object of row id → integer, got '4'", None),
    ("feel", {"angry": "very"}, "feel.angry: expected an integer 1–3, got 'very'", "angry"),
    (
        "channels",
        [1],
        "channels: expected a list of options from phone, email, chat, got a list",
        None,
    ),
    ("resolved", 3, "resolved: expected one of yes_fully, no, got 3", None),
    ("comment", 3, "comment: expected text of at most 10 characters, got 3", None),
    ("contacts", "three", "contacts: expected an integer from 1 to 20, got 'three'", None),
    ("spent", "1,5", "spent: expected a number of at least 0, got '1,5'", None),
    ("spent", "nan", "spent: expected a number of at least 0, got 'nan'", None),
    ("spent", "inf", "spent: expected a number of at least 0, got 'inf'", None),
    (
        "when",
        "tomorrow",
        "when: expected a date YYYY-MM-DD from 2020-01-01 to 2030-12-31, got 'tomorrow'",
        None,
    ),
    (
        "when",
        20240501,
        "when: expected a date YYYY-MM-DD from 2020-01-01 to 2030-12-31, got 20240501",
        None,
    ),
]


@pytest.mark.parametrize(("question_id", "raw", "message", "item"), UNPARSABLE)
def test_unparsable_values_give_type_errors(
    question_id: str, raw: Any, message: str, item: str | None
) -> None:
    values, errors = normalise_answers(example(), {question_id: raw})
    assert values == {}
    assert [(e.question_id, e.code, e.message, e.item) for e in errors] == [
        (question_id, "type", message, item)
    ]


def test_same_message_as_validation() -> None:
    d = example()
    _, parse_errors = normalise_answers(d, {"contacts": "many"})
    validation = validate_answers(d, {"nps": 9, "contacts": "many"})
    assert parse_errors == validation


def test_unknown_and_display_pass_through() -> None:
    assert normalise_answers(example(), {"zzz": "1", "intro": "x"}) == (
        {"zzz": "1", "intro": "x"},
        [],
    )


def test_answers_from_form() -> None:
    pairs = [
        ("csrf_token", "abc"),
        ("nps", "3"),
        ("nps", "4"),  # last wins
        ("channels", "phone"),
        ("channels", "chat"),
        ("minds.ease", "4"),
        ("minds.fast", ""),
        ("feel.angry", "2"),
        ("intro", "x"),
        ("nps.x", "1"),  # items only for matrix and emotion questions
        ("comment", "hi"),
    ]
    assert answers_from_form(example(), pairs) == {
        "nps": "4",
        "channels": ["phone", "chat"],
        "minds": {"ease": "4", "fast": ""},
        "feel": {"angry": "2"},
        "comment": "hi",
    }
    assert form_field_name("minds", "ease") == "minds.ease"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_normalising_form_strings_gives_back_typed_answers(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = data.draw(valid_answers(definition))
    posted = {qid: as_form_strings(value) for qid, value in answers.items()}
    assert normalise_answers(definition, posted) == (answers, [])
    assert normalise_answers(definition, answers) == (answers, [])  # idempotent on typed values
