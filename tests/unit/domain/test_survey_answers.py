"""Answer validation: every type in and out of range, wrong types, required, hidden."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from survey_examples import example
from survey_strategies import definitions, valid_answers

from rapport.domain.answers import (
    AnswerCode,
    AnswerError,
    clean_answers,
    drop_hidden_answers,
    validate_answers,
)
from rapport.domain.survey import Page

BASE: dict[str, Any] = {"nps": 9}  # the only required question visible with nps 9

VALID = [
    ("nps", 0),
    ("nps", 10),
    ("csat", 1),
    ("csat", 5),
    ("ces", 1),
    ("ces", 7),
    ("agree", 1),
    ("agree", 7),
    ("minds", {"ease": 1, "fast": 5}),
    ("minds", {"ease": 3}),
    ("minds", {"ease": 3, "fast": None}),
    ("resolved", "no"),
    ("channels", ["phone"]),
    ("channels", ["phone", "email", "chat"]),
    ("feel", {"angry": 1, "calm": 3}),
    ("comment", "x" * 10),
    ("contacts", 1),
    ("contacts", 20),
    ("spent", 0),
    ("spent", 1e9),
    ("spent", 0.5),
    ("when", "2020-01-01"),
    ("when", "2030-12-31"),
    ("comment", ""),
    ("channels", []),
    ("minds", {}),
    ("resolved", None),  # empty = unanswered
]


@pytest.mark.parametrize(("question_id", "value"), VALID)
def test_valid_answers(question_id: str, value: Any) -> None:
    assert validate_answers(example(), _answers(question_id, value)) == []


def _answers(question_id: str, value: Any) -> dict[str, Any]:
    """BASE plus one answer (and the detractor follow-up a low NPS makes required)."""
    answers = {**BASE, question_id: value}
    if question_id == "nps" and type(value) is int and value <= 6:
        answers["why"] = "slow"
    return answers


INVALID = [
    ("nps", 11, "range", "nps: expected an integer 0–10, got 11"),
    ("nps", -1, "range", "nps: expected an integer 0–10, got -1"),
    ("nps", "7", "type", "nps: expected an integer 0–10, got '7'"),
    ("nps", 7.0, "type", "nps: expected an integer 0–10, got 7.0"),
    ("nps", True, "type", "nps: expected an integer 0–10, got true"),
    ("csat", 0, "range", "csat: expected an integer 1–5, got 0"),
    ("csat", 6, "range", "csat: expected an integer 1–5, got 6"),
    ("ces", 8, "range", "ces: expected an integer 1–7, got 8"),
    ("ces", [1], "type", "ces: expected an integer 1–7, got a list"),
    ("agree", 8, "range", "agree: expected an integer 1–7, got 8"),
    ("minds", {"ease": 6}, "range", "minds.ease: expected an integer 1–5, got 6"),
    ("minds", {"ease": "4"}, "type", "minds.ease: expected an integer 1–5, got '4'"),
    (
        "minds",
        {"speed": 4},
        "unknown_option",
        "minds: unknown row 'speed'; expected one of ease, fast",
    ),
    ("minds", 4, "type", "minds: expected an object of row id → integer, got 4"),
    ("resolved", "maybe", "unknown_option", "resolved: expected one of yes_fully, no, got 'maybe'"),
    ("resolved", 1, "type", "resolved: expected one of yes_fully, no, got 1"),
    (
        "channels",
        ["fax"],
        "unknown_option",
        "channels: unknown option 'fax'; expected one of phone, email, chat",
    ),
    ("channels", ["phone", "phone"], "duplicate", "channels: option 'phone' is chosen twice"),
    (
        "channels",
        "phone",
        "type",
        "channels: expected a list of options from phone, email, chat, got 'phone'",
    ),
    ("feel", {"angry": 4}, "range", "feel.angry: expected an integer 1–3, got 4"),
    ("feel", {"angry": 0}, "range", "feel.angry: expected an integer 1–3, got 0"),
    (
        "feel",
        {"excited": 2},
        "unknown_option",
        "feel: unknown emotion 'excited'; expected one of delighted, angry, calm",
    ),
    ("feel", ["angry"], "type", "feel: expected an object of emotion → intensity 1–3, got a list"),
    ("comment", "x" * 11, "too_long", "comment: expected at most 10 characters, got 11"),
    ("comment", 5, "type", "comment: expected text of at most 10 characters, got 5"),
    ("contacts", 0, "range", "contacts: expected an integer from 1 to 20, got 0"),
    ("contacts", 21, "range", "contacts: expected an integer from 1 to 20, got 21"),
    ("contacts", 2.5, "type", "contacts: expected an integer from 1 to 20, got 2.5"),
    ("spent", -0.01, "range", "spent: expected a number of at least 0, got -0.01"),
    ("spent", "12", "type", "spent: expected a number of at least 0, got '12'"),
    ("spent", float("nan"), "type", "spent: expected a number of at least 0, got nan"),
    (
        "when",
        "2019-12-31",
        "range",
        "when: expected a date YYYY-MM-DD from 2020-01-01 to 2030-12-31, got '2019-12-31'",
    ),
    (
        "when",
        "2031-01-01",
        "range",
        "when: expected a date YYYY-MM-DD from 2020-01-01 to 2030-12-31, got '2031-01-01'",
    ),
    (
        "when",
        "2024-02-30",
        "type",
        "when: expected a date YYYY-MM-DD from 2020-01-01 to 2030-12-31, got '2024-02-30'",
    ),
    (
        "when",
        "20240201",
        "type",
        "when: expected a date YYYY-MM-DD from 2020-01-01 to 2030-12-31, got '20240201'",
    ),
    ("intro", "hi", "not_answerable", "intro: display text takes no answer"),
    (
        "why",
        "slow",
        "not_visible",
        "why: the question is hidden by display logic; expected no answer",
    ),
    ("nsp", 9, "unknown_question", "nsp: not a question of this survey (got 9)"),
]


@pytest.mark.parametrize(("question_id", "value", "code", "message"), INVALID)
def test_invalid_answers(question_id: str, value: Any, code: str, message: str) -> None:
    errors = validate_answers(example(), _answers(question_id, value))
    assert [(e.question_id, e.code, e.message) for e in errors] == [
        (question_id, AnswerCode(code), message)
    ]


def test_required_only_when_visible_and_not_partial() -> None:
    d = example()
    assert [(e.question_id, e.code) for e in validate_answers(d, {})] == [("nps", "required")]
    assert validate_answers(d, {}, partial=True) == []
    # nps 3 shows the required "why".
    errors = validate_answers(d, {"nps": 3})
    assert errors == [
        AnswerError(
            "why",
            AnswerCode.REQUIRED,
            "why: an answer is required; expected text of at most 2000 characters",
        )
    ]
    assert validate_answers(d, {"nps": 3, "why": "slow"}) == []
    assert validate_answers(d, {"nps": 3}, partial=True) == []
    assert validate_answers(d, {"nps": 3, "why": "   "})[0].code == "required"


def test_hidden_answers_rejected_even_when_partial() -> None:
    errors = validate_answers(example(), {"nps": 10, "why": "x"}, partial=True)
    assert [e.code for e in errors] == ["not_visible"]


def test_required_matrix_needs_every_row() -> None:
    d = example()
    minds = replace(d.question("minds"), required=True)
    required = replace(d, pages=(Page("p", (minds,)),))
    errors = validate_answers(required, {"minds": {"ease": 3}})
    assert [(e.code, e.item, e.message) for e in errors] == [
        ("required", "fast", "minds.fast: an answer is required for every row")
    ]
    assert validate_answers(required, {"minds": {"ease": 3}}, partial=True) == []


def test_errors_come_in_question_order() -> None:
    errors = validate_answers(example(), {"zzz": 1, "when": "x", "nps": 99})
    assert [e.question_id for e in errors] == ["nps", "when", "zzz"]


def test_drop_hidden_answers() -> None:
    d = example()
    assert drop_hidden_answers(d, {"nps": 9, "why": "x", "zzz": 1}) == {"nps": 9, "zzz": 1}
    assert drop_hidden_answers(d, {"nps": 1, "why": "x"}) == {"nps": 1, "why": "x"}


def test_clean_answers_for_forms() -> None:
    d = example()
    values, errors = clean_answers(d, {"nps": "3", "why": "", "when": "soon", "csat": "9"})
    assert values == {"nps": 3, "csat": 9}
    assert [(e.question_id, e.code) for e in errors] == [
        ("csat", "range"),
        ("when", "type"),
        ("why", "required"),
    ]
    # Going back and raising the score hides "why": its answer is dropped, not an error.
    values, errors = clean_answers(d, {"nps": "10", "why": "slow", "why_more": "x"})
    assert (values, errors) == ({"nps": 10}, [])
    # Unparsable answer to a question that ends up hidden: no error either.
    assert clean_answers(d, {"nps": "10", "why": ["a"]}) == ({"nps": 10}, [])
    # Without dropping, the hidden answer is reported.
    _, errors = clean_answers(d, {"nps": "10", "why": "slow"}, drop_hidden=False)
    assert [e.code for e in errors] == ["not_visible"]
    # One error per question: a parse error is not followed by "required".
    _, errors = clean_answers(d, {"nps": "ten"})
    assert [(e.question_id, e.code) for e in errors] == [("nps", "type")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_valid_answers_validate(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = data.draw(valid_answers(definition))
    assert validate_answers(definition, answers) == []
