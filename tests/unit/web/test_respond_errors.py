"""Plain-language form errors: every kind of problem with every question type has words,
in every language the form speaks, and none of them is the API's machine message."""

from __future__ import annotations

import string

import pytest

from rapport.domain.answers import AnswerCode, AnswerError, check_value
from rapport.domain.survey import Question, QuestionType, Scale
from rapport.web.respond_errors import MESSAGES, plain_error
from rapport.web.respond_text import UI

QUESTIONS = [
    Question("nps", QuestionType.NPS, "?", scale=Scale(0, 10)),
    Question("likert", QuestionType.LIKERT, "?", scale=Scale(1, 5, labels=tuple("abcde"))),
    Question("single", QuestionType.SINGLE_CHOICE, "?"),
    Question("multi", QuestionType.MULTI_CHOICE, "?"),
    Question("comment", QuestionType.TEXT, "?", max_length=5),
    Question("visits", QuestionType.NUMBER, "?", min_value=1.0, integer=True),
    Question("when", QuestionType.DATE, "?"),
    Question("feelings", QuestionType.EMOTION_PICKER, "?", emotions=("calm",)),
]


def test_every_language_of_the_form_has_every_message() -> None:
    assert set(MESSAGES) == set(UI)
    for lang, words in MESSAGES.items():
        assert set(words) == set(MESSAGES["en"]), lang
        for key, text in words.items():
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            english = {f for _, f, _, _ in string.Formatter().parse(MESSAGES["en"][key]) if f}
            assert fields == english, (lang, key)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
@pytest.mark.parametrize("code", list(AnswerCode), ids=str)
@pytest.mark.parametrize("lang", sorted(MESSAGES))
def test_every_code_and_type_reads_plainly(question: Question, code: AnswerCode, lang: str) -> None:
    error = AnswerError(question.id, code, f"{question.id}: expected something, got 7")
    text = plain_error(question, error, lang, str)
    assert text and "expected" not in text and "{" not in text and question.id not in text


@pytest.mark.parametrize(
    ("question", "value", "plain"),
    [
        (QUESTIONS[0], 11, "Please choose a number from 0 to 10."),
        (QUESTIONS[1], 9, "Please choose one of the answers."),
        (QUESTIONS[2], "fax", "Please choose from the options shown."),
        (QUESTIONS[4], "toolong", "Please shorten your answer to 5 characters or fewer."),
        (QUESTIONS[5], 0, "Please enter a number of 1 or more."),
        (QUESTIONS[5], 1.5, "Please enter a whole number, such as 12."),
        (QUESTIONS[7], {"calm": 9}, "Please choose how strongly you felt “Calm”."),
    ],
)
def test_the_domain_errors_become_plain_words(
    question: Question, value: object, plain: str
) -> None:
    [error] = check_value(question, value)
    assert plain_error(question, error, "en", lambda t: t if isinstance(t, str) else t["en"]) == (
        plain
    )
