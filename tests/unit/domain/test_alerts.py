"""Alert conditions: each condition type over a response's facts (answers + pseudo-fields)."""

from __future__ import annotations

from datetime import datetime

import pytest

from rapport.domain.alerts import (
    DEFAULT_SLA_HOURS,
    answers_from_values,
    check_fields,
    due_at,
    facts,
    needs_indices,
)
from rapport.domain.logic import evaluate
from rapport.domain.survey import SurveyDefinitionError, condition_from_dict, definition_from_dict
from rapport.domain.survey.rows import answer_values

SURVEY = definition_from_dict(
    {
        "key": "k",
        "title": "T",
        "audience": "customer",
        "pages": [
            {
                "id": "p",
                "questions": [
                    {"id": "nps", "type": "nps", "text": "?"},
                    {"id": "tfg", "type": "likert", "text": "?", "tags": ["relationship.tfg"]},
                    {
                        "id": "m",
                        "type": "matrix",
                        "text": "?",
                        "rows": [{"id": "ease", "text": "E"}, {"id": "fast", "text": "F"}],
                    },
                    {
                        "id": "ch",
                        "type": "multi_choice",
                        "text": "?",
                        "options": [{"id": "web", "text": "W"}, {"id": "store", "text": "S"}],
                    },
                    {"id": "c", "type": "text", "text": "?"},
                ],
            }
        ],
    }
)
DETRACTOR_OR_ANGER = {
    "any": [
        {"question": "nps", "op": "<=", "value": 6},
        {"question": "emotion:anger", "op": "answered"},
    ]
}


def _facts(answers: dict[str, object], emotions=(), indices=None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    # Through the stored long form, as the store paths see a response.
    stored = answers_from_values(SURVEY, answer_values(SURVEY, answers))
    return facts(stored, emotions, indices)


@pytest.mark.parametrize(("nps", "expected"), [(0, True), (6, True), (7, False), (10, False)])
def test_nps_at_most_six_is_an_answer_comparison(nps: int, expected: bool) -> None:
    condition = condition_from_dict({"question": "nps", "op": "<=", "value": 6})
    assert evaluate(condition, _facts({"nps": nps})) is expected


def test_an_item_at_or_above_a_level_and_a_matrix_row() -> None:
    tfg = condition_from_dict({"question": "tfg", "op": ">=", "value": 4})
    assert evaluate(tfg, _facts({"tfg": 4})) is True
    assert evaluate(tfg, _facts({"tfg": 3})) is False
    slow = condition_from_dict({"question": "m", "row": "fast", "op": "<", "value": 3})
    assert evaluate(slow, _facts({"m": {"ease": 5, "fast": 2}})) is True
    assert evaluate(slow, _facts({"m": {"ease": 1, "fast": 4}})) is False


def test_a_chosen_option() -> None:
    web = condition_from_dict({"question": "ch", "op": "contains", "value": "web"})
    assert evaluate(web, _facts({"ch": ["store", "web"]})) is True
    assert evaluate(web, _facts({"ch": ["store"]})) is False


def test_an_emotion_in_a_comment_is_a_present_pseudo_field() -> None:
    anger = condition_from_dict({"question": "emotion:anger", "op": "answered"})
    assert evaluate(anger, _facts({"c": "x"}, ["anger", "annoyance"])) is True
    assert evaluate(anger, _facts({"c": "x"}, ["joy"])) is False
    label = condition_from_dict({"question": "emotion:disappointment", "op": "answered"})
    assert evaluate(label, _facts({}, ["sadness", "disappointment"])) is True


def test_an_index_below_a_level() -> None:
    low = condition_from_dict({"question": "index:hearts", "op": "<", "value": 40})
    assert needs_indices(low)
    assert evaluate(low, _facts({}, (), {"hearts": 25.0, "minds": 80.0})) is True
    assert evaluate(low, _facts({}, (), {"hearts": 40.0, "minds": 80.0})) is False
    # No hearts items answered: unknown, so no case.
    assert evaluate(low, _facts({}, (), {"hearts": None, "minds": 80.0})) is None


def test_detractor_or_anger_and_unanswered_is_never_a_match() -> None:
    rule = condition_from_dict(DETRACTOR_OR_ANGER)
    assert not needs_indices(rule)
    assert evaluate(rule, _facts({"nps": 9}, ["anger"])) is True
    assert evaluate(rule, _facts({"nps": 3})) is True
    assert evaluate(rule, _facts({"nps": 9}, ["joy"])) is False
    assert evaluate(rule, _facts({})) is not True


def test_unknown_fields_and_bad_shapes_are_named_by_path() -> None:
    condition = condition_from_dict(
        {
            "all": [
                {"question": "emotion:rage", "op": "answered"},
                {"question": "index:soul", "op": "<", "value": 1},
                {"question": "npss", "op": "<=", "value": 6},
            ]
        }
    )
    problems = check_fields(condition, [q.id for q in SURVEY.questions])
    assert [p for p, _ in problems] == [
        "all[0].question",
        "all[1].question",
        "all[2].question",
    ]
    assert check_fields(condition_from_dict(DETRACTOR_OR_ANGER), ["nps"]) == []
    with pytest.raises(SurveyDefinitionError) as error:
        condition_from_dict({"any": [{"question": "nps", "op": "~", "value": 6}]})
    assert error.value.problems[0].path == "any[0].op"


def test_sla_due_time_from_priority() -> None:
    opened = datetime(2026, 3, 1, 9, 30)
    assert due_at(opened, "urgent", DEFAULT_SLA_HOURS) == datetime(2026, 3, 1, 13, 30)
    assert due_at(opened, "low", DEFAULT_SLA_HOURS) == datetime(2026, 3, 8, 9, 30)
