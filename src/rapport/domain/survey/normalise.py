"""Web form strings → typed answers.

HTML forms post strings: ``"7"`` for an NPS, repeated fields for a multi choice, and one
field per matrix row or emotion named ``question.item`` (see :func:`form_field_name`).
:func:`answers_from_form` groups the posted pairs per question; :func:`normalise_answers`
turns the strings into the typed shapes of :mod:`rapport.domain.survey.answer_checks`.
Already typed values (JSON) pass through unchanged, so normalising is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Final

from rapport.domain.logic import is_answered
from rapport.domain.survey.answer_checks import (
    AnswerCode,
    AnswerError,
    expected,
    is_integer,
    is_number,
    parse_iso_date,
    show_value,
)
from rapport.domain.survey.model import SCALE_TYPES, Question, QuestionType, SurveyDefinition

_INTEGER: Final = re.compile(r"[+-]?\d+")
_DECIMAL: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ITEM_TYPES: Final = frozenset({QuestionType.MATRIX, QuestionType.EMOTION_PICKER})


class _Unparsable(Exception):
    """Raised inside this module when a form value cannot become the expected type."""


def form_field_name(question_id: str, item: str | None = None) -> str:
    """The form field name of a question, or of one matrix row / emotion.

    >>> form_field_name("nps"), form_field_name("minds", "ease")
    ('nps', 'minds.ease')
    """
    return question_id if item is None else f"{question_id}.{item}"


def answers_from_form(
    definition: SurveyDefinition, pairs: Iterable[tuple[str, str]]
) -> dict[str, object]:
    """Group posted ``(name, value)`` pairs into raw answers; other fields are ignored.

    Multi choices collect every value into a list; matrix rows and emotions named
    ``question.item`` become ``{item: value}``; other questions keep the last value.

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [
    ...         {"id": "nps", "type": "nps", "text": "?"},
    ...         {"id": "ch", "type": "multi_choice", "text": "?",
    ...          "options": [{"id": "web", "text": "Web"}, {"id": "phone", "text": "Phone"}]},
    ...         {"id": "m", "type": "matrix", "text": "?",
    ...          "rows": [{"id": "ease", "text": "E"}]}]}]})
    >>> answers_from_form(d, [("nps", "9"), ("ch", "web"), ("ch", "phone"), ("m.ease", "4"),
    ...     ("csrf_token", "x")])
    {'nps': '9', 'ch': ['web', 'phone'], 'm': {'ease': '4'}}
    """
    questions = definition.questions_by_id()
    raw: dict[str, object] = {}
    for name, value in pairs:
        question_id, _, item = name.partition(".")
        question = questions.get(question_id)
        if question is None or not question.answerable:
            continue
        if question.type in _ITEM_TYPES and item:
            group = raw.setdefault(question_id, {})
            if isinstance(group, dict):
                group[item] = value
        elif question.type is QuestionType.MULTI_CHOICE and not item:
            chosen = raw.setdefault(question_id, [])
            if isinstance(chosen, list):
                chosen.append(value)
        elif not item:
            raw[question_id] = value
    return raw


def normalise_answers(
    definition: SurveyDefinition, raw: Mapping[str, object]
) -> tuple[dict[str, object], list[AnswerError]]:
    """Typed answers and the errors of values that could not be parsed.

    Empty values (``""``, blank text, empty lists) are dropped, as are values that cannot
    be parsed (they get a ``type`` error worded like :func:`validate_answers`'s). Range,
    option and visibility checks are left to ``validate_answers``. Unknown question ids
    pass through untouched, so validation reports them.

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [{"id": "nps", "type": "nps", "text": "?"},
    ...         {"id": "n", "type": "number", "text": "?"},
    ...         {"id": "c", "type": "text", "text": "?"}]}]})
    >>> normalise_answers(d, {"nps": "7", "n": "2.5", "c": ""})
    ({'nps': 7, 'n': 2.5}, [])
    >>> normalise_answers(d, {"nps": "seven"})[1][0].message
    "nps: expected an integer 0–10, got 'seven'"
    """
    questions = definition.questions_by_id()
    values: dict[str, object] = {}
    errors: list[AnswerError] = []
    for question_id, value in raw.items():
        question = questions.get(question_id)
        if question is None or not question.answerable:
            values[question_id] = value
            continue
        if not is_answered(value):
            continue
        try:
            values[question_id] = _normalise(question, value)
        except _Unparsable as problem:
            item = str(problem) or None
            errors.append(_type_error(question, value, item))
    return values, errors


def _type_error(question: Question, value: object, item: str | None) -> AnswerError:
    if item is None:
        message = f"{question.id}: expected {expected(question)}, got {show_value(value)}"
        return AnswerError(question.id, AnswerCode.TYPE, message)
    got = value.get(item) if isinstance(value, Mapping) else value
    low, high = (question.scale.min, question.scale.max) if question.scale else (1, 3)
    message = f"{question.id}.{item}: expected an integer {low}–{high}, got {show_value(got)}"
    return AnswerError(question.id, AnswerCode.TYPE, message, item)


def _normalise(question: Question, value: object) -> object:
    qtype = question.type
    if qtype in SCALE_TYPES:
        return _integer(value)
    if qtype in _ITEM_TYPES:
        if not isinstance(value, Mapping):
            raise _Unparsable
        items: dict[str, int] = {}
        for item, score in value.items():
            if is_answered(score):
                try:
                    items[str(item)] = _integer(score)
                except _Unparsable:
                    raise _Unparsable(str(item)) from None
        return items
    if qtype is QuestionType.MULTI_CHOICE:
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list | tuple) or not all(isinstance(v, str) for v in chosen):
            raise _Unparsable
        return [option.strip() for option in chosen if option.strip()]
    if qtype is QuestionType.NUMBER:
        return _number(value)
    if qtype is QuestionType.DATE:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str) and parse_iso_date(value.strip()) is not None:
            return value.strip()
        raise _Unparsable
    if not isinstance(value, str):
        raise _Unparsable
    if qtype is QuestionType.TEXT:
        return value.replace("\r\n", "\n")  # browsers post CRLF from text areas
    return value.strip()  # single choice


def _integer(value: object) -> int:
    if is_integer(value):
        return value  # type: ignore[return-value]  # checked
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    raise _Unparsable


def _number(value: object) -> int | float:
    if is_number(value):
        return value  # type: ignore[return-value]  # checked
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            number = float(text)
            if number == number and abs(number) != float("inf"):
                return number
    raise _Unparsable
