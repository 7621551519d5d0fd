"""Survey definition problems: each names its path and says what was expected."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from survey_examples import EXAMPLE

from rapport.domain.logic import Comparison, Op
from rapport.domain.survey import (
    Audience,
    Page,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    SurveyDefinitionError,
    check_definition,
    definition_from_dict,
)


def _problems(data: Any) -> list[str]:
    with pytest.raises(SurveyDefinitionError) as caught:
        definition_from_dict(data)
    return [str(p) for p in caught.value.problems]


def _with(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    change(data)
    return data


def _q(data: dict[str, Any], page: int, index: int) -> dict[str, Any]:
    question: dict[str, Any] = data["pages"][page]["questions"][index]
    return question


BAD_DEFINITIONS = [
    (
        lambda d: _q(d, 1, 5)["show_if"].update(question="nsp"),
        "pages[1].questions[5].show_if: unknown question 'nsp'",
    ),
    (
        lambda d: _q(d, 0, 1).update(show_if={"question": "why", "op": "answered"}),
        "pages[0].questions[1].show_if: question 'why' comes later; refer to earlier ones",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "why", "op": "answered"}),
        "pages[1].questions[5].show_if: question 'why' cannot depend on itself",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={
                "all": [
                    {"question": "nps", "op": "answered"},
                    {"not": {"question": "x", "op": "answered"}},
                ]
            }
        ),
        "pages[1].questions[5].show_if.all[1].not: unknown question 'x'",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "intro", "op": "answered"}),
        "pages[1].questions[5].show_if: question 'intro' is display text and has no answer",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={"question": "resolved", "op": "==", "value": "maybe"}
        ),
        "pages[1].questions[5].show_if.value: unknown option 'maybe' of question 'resolved'",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "resolved", "op": "<", "value": 3}),
        "pages[1].questions[5].show_if.op: op '<' does not apply to single_choice question "
        "'resolved'; use == != in not_in answered not_answered",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={"question": "channels", "op": "contains", "value": "fax"}
        ),
        "pages[1].questions[5].show_if.value: unknown option 'fax' of question 'channels'",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={"question": "feel", "op": "contains", "value": "happy"}
        ),
        "pages[1].questions[5].show_if.value: unknown emotion 'happy' of question 'feel'",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "minds", "op": "<", "value": 3}),
        "pages[1].questions[5].show_if.op: op '<' does not apply to matrix question 'minds'; "
        "use answered not_answered (or name a row)",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={"question": "minds", "row": "x", "op": "<", "value": 3}
        ),
        "pages[1].questions[5].show_if.row: unknown row 'x' of question 'minds'",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={"question": "nps", "row": "x", "op": "<", "value": 3}
        ),
        "pages[1].questions[5].show_if.row: row applies only to matrix questions, not nps",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "nps", "op": "<=", "value": "6"}),
        "pages[1].questions[5].show_if.value: expected a number, got '6'",
    ),
    (
        lambda d: _q(d, 1, 5).update(
            show_if={"question": "when", "op": ">", "value": "2020-02-30"}
        ),
        "pages[1].questions[5].show_if.value: expected a date YYYY-MM-DD, got '2020-02-30'",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "nps", "op": "~", "value": 6}),
        "pages[1].questions[5].show_if.op: unknown op '~'; expected one of == != < <= > >= in "
        "not_in answered not_answered contains",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "nps", "op": "answered", "value": 1}),
        "pages[1].questions[5].show_if.value: 'answered' takes no value",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"question": "nps", "op": "in", "value": 6}),
        "pages[1].questions[5].show_if.value: 'in' needs a non-empty list, got a number",
    ),
    (
        lambda d: _q(d, 1, 5).update(show_if={"all": []}),
        "pages[1].questions[5].show_if.all: expected a non-empty list of conditions",
    ),
    (
        lambda d: _q(d, 0, 2).update(id="nps"),
        "pages[0].questions[2].id: duplicate question id 'nps' (see pages[0].questions[1])",
    ),
    (lambda d: d["pages"][1].update(id="one"), "pages[1].id: duplicate page id 'one'"),
    (
        lambda d: _q(d, 0, 6)["options"][1].update(id="yes_fully"),
        "pages[0].questions[6].options[1].id: duplicate option id 'yes_fully'",
    ),
    (
        lambda d: _q(d, 0, 5)["rows"][1].update(id="ease"),
        "pages[0].questions[5].rows[1].id: duplicate row id 'ease'",
    ),
    (
        lambda d: _q(d, 0, 1).update(id="NPS"),
        "pages[0].questions[1].id: expected lowercase letters, digits and _ starting with a letter "
        "(at most 64), got 'NPS'",
    ),
    (
        lambda d: _q(d, 0, 1).update(tags=["Heart.delight"]),
        "pages[0].questions[1].tags[0]: expected lowercase words joined by dots, such as "
        "heart.delight, got 'Heart.delight'",
    ),
    (
        lambda d: _q(d, 0, 1).update(tags=["heart..delight"]),
        "pages[0].questions[1].tags[0]: expected lowercase words joined by dots, such as "
        "heart.delight, got 'heart..delight'",
    ),
    (
        lambda d: _q(d, 0, 1).update(tags=["heart", "heart"]),
        "pages[0].questions[1].tags[1]: duplicate tag 'heart'",
    ),
    (
        lambda d: _q(d, 0, 4).update(scale={"points": 6}),
        "pages[0].questions[4].scale.points: a likert scale has 5 or 7 points from 1, got 1–6",
    ),
    (
        lambda d: _q(d, 0, 1).update(scale={"points": 7}),
        "pages[0].questions[1].scale.points: nps has a fixed scale 0–10",
    ),
    (
        lambda d: _q(d, 0, 2).update(scale={"labels": ["a", "b"]}),
        "pages[0].questions[2].scale.labels: expected 5 labels (one per point), got 2",
    ),
    (
        lambda d: _q(d, 0, 1).update(options=[{"id": "a", "text": "A"}]),
        "pages[0].questions[1].options: does not apply to nps questions",
    ),
    (
        lambda d: _q(d, 0, 0).update(required=True),
        "pages[0].questions[0].required: does not apply to display questions",
    ),
    (lambda d: _q(d, 0, 1).update(colour="red"), "pages[0].questions[1].colour: unknown field"),
    (
        lambda d: _q(d, 0, 1).update(type="stars"),
        "pages[0].questions[1].type: unknown question type 'stars'; expected nps, csat, ces, "
        "likert, matrix, single_choice, multi_choice, emotion_picker, text, number, date, display",
    ),
    (
        lambda d: _q(d, 0, 6).update(options=[{"id": "a", "text": "A"}]),
        "pages[0].questions[6].options: a single_choice question needs at least 2 options",
    ),
    (
        lambda d: _q(d, 1, 0).update(emotions=["happy"]),
        "pages[1].questions[0].emotions[0]: unknown emotion 'happy'",
    ),
    (
        lambda d: _q(d, 1, 1).update(max_length=0),
        "pages[1].questions[1].max_length: expected 1 to 100000, got 0",
    ),
    (lambda d: _q(d, 1, 2).update(min=30), "pages[1].questions[2].max: max 20 is below min 30"),
    (
        lambda d: _q(d, 1, 2).update(min=1.5),
        "pages[1].questions[2].min: must be a whole number when integer is true, got 1.5",
    ),
    (
        lambda d: _q(d, 1, 4).update(min="2031-01-01"),
        "pages[1].questions[4].max: max 2030-12-31 is before min 2031-01-01",
    ),
    (
        lambda d: _q(d, 1, 4).update(min="1/1/2020"),
        "pages[1].questions[4].min: expected a date YYYY-MM-DD, got '1/1/2020'",
    ),
    (
        lambda d: _q(d, 0, 1).update(text={"en": "Hi", "fr": "Salut"}),
        "pages[0].questions[1].text.fr: language 'fr' is not one of the languages",
    ),
    (
        lambda d: _q(d, 0, 1).update(text={"es": "Hola"}),
        "pages[0].questions[1].text: missing the default language 'en'",
    ),
    (lambda d: _q(d, 0, 1).update(text="  "), "pages[0].questions[1].text: must not be empty"),
    (
        lambda d: _q(d, 0, 1).update(text=3),
        "pages[0].questions[1].text: expected a string or an object of language → string",
    ),
    (
        lambda d: d.update(default_language="de"),
        "default_language: 'de' is not one of the languages",
    ),
    (
        lambda d: d.update(languages=["en", "EN"]),
        "languages[1]: expected a language code such as en, got 'EN'",
    ),
    (
        lambda d: d.update(key="My Survey"),
        "key: expected lowercase words joined by '-', got 'My Survey'",
    ),
    (
        lambda d: d.update(audience="partners"),
        "audience: expected customer or employee, got 'partners'",
    ),
    (lambda d: d.pop("title"), "title: is required"),
    (lambda d: d.update(pages=[]), "pages: a survey needs at least one page"),
    (
        lambda d: d["pages"][0].update(questions=[]),
        "pages[0].questions: a page needs at least one question",
    ),
    (lambda d: d.update(pages={}), "pages: expected a list, got an object"),
    (
        lambda d: _q(d, 0, 1).update(required="yes"),
        "pages[0].questions[1].required: expected true or false, got a string",
    ),
]


@pytest.mark.parametrize(("change", "expected"), BAD_DEFINITIONS)
def test_problems_name_the_path(change: Any, expected: str) -> None:
    assert expected in _problems(_with(change))


def test_single_problem_message_is_path_and_text() -> None:
    data = _with(lambda d: _q(d, 1, 5)["show_if"].update(question="nsp"))
    with pytest.raises(
        SurveyDefinitionError,
        match=r"^pages\[1\]\.questions\[5\]\.show_if: unknown question 'nsp'$",
    ):
        definition_from_dict(data)


def test_every_problem_is_reported() -> None:
    def change(d: dict[str, Any]) -> None:
        _q(d, 0, 1).update(tags=["Bad"])
        _q(d, 0, 2).update(id="nps")

    problems = _problems(_with(change))
    assert len(problems) == 2
    with pytest.raises(SurveyDefinitionError, match="2 problems in the survey definition"):
        definition_from_dict(_with(change))


def test_root_must_be_an_object() -> None:
    assert _problems([1]) == ["$: expected an object, got a list"]


def test_checks_apply_to_definitions_built_in_code() -> None:
    q = Question("nps", QuestionType.NPS, "Hi", scale=Scale(1, 10), options=())
    text = Question("why", QuestionType.TEXT, "Why?", show_if=Comparison("nps", Op.EQ, "x"))
    d = SurveyDefinition("k", "T", Audience.CUSTOMER, (Page("p", (q, text)),))
    assert [str(p) for p in check_definition(d)] == [
        "pages[0].questions[0].scale: a nps scale is 0–10, got 1–10",
        "pages[0].questions[1].show_if.value: expected a number, got 'x'",
    ]
    odd = Question("t", QuestionType.TEXT, "T", scale=Scale(1, 5), min_value=3)
    d2 = SurveyDefinition("k", "T", Audience.CUSTOMER, (Page("p", (odd,)),))
    assert [str(p) for p in check_definition(d2)] == [
        "pages[0].questions[0].min: does not apply to text questions",
        "pages[0].questions[0].scale: does not apply to text questions",
    ]
