"""Checking one answer against its question: the value shapes and the error messages.

Answer shapes (keyed by question id in a response):

- nps, csat, ces, likert: an integer on the question's scale (0–10, 1–5, 1–7, 1–5 or 1–7)
- matrix: ``{row_id: integer}``; single_choice: an option id; multi_choice: ``[option id, ...]``
- emotion_picker: ``{emotion_id: intensity 1..3}``; text: a string; number: int or float
- date: ``"YYYY-MM-DD"``; display: no answer
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from rapport.domain.survey.model import INTENSITY_RANGE, SCALE_TYPES, Question, QuestionType

ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class AnswerCode(enum.StrEnum):
    """Stable error codes; clients may branch on them (messages may change)."""

    REQUIRED = "required"
    TYPE = "type"
    RANGE = "range"
    UNKNOWN_QUESTION = "unknown_question"
    UNKNOWN_OPTION = "unknown_option"
    DUPLICATE = "duplicate"
    NOT_VISIBLE = "not_visible"
    NOT_ANSWERABLE = "not_answerable"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class AnswerError:
    """One problem with one answer; ``item`` names the matrix row or emotion when relevant.

    >>> AnswerError("nps", AnswerCode.RANGE, "nps: expected an integer 0–10, got 11").code
    <AnswerCode.RANGE: 'range'>
    """

    question_id: str
    code: AnswerCode
    message: str
    item: str | None = None


def show_value(value: object) -> str:
    """A value as it reads in an error message.

    >>> show_value(11), show_value("seven"), show_value(True), show_value([1])
    ('11', "'seven'", 'true', 'a list')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def expected(question: Question) -> str:
    """What an answer to ``question`` must be, as a phrase.

    >>> from rapport.domain.survey.model import Question, QuestionType
    >>> expected(Question("nps", QuestionType.NPS, "Recommend?"))
    'an integer 0–10'
    """
    q = question
    if q.scale is not None and q.type in SCALE_TYPES:
        return f"an integer {q.scale.min}–{q.scale.max}"
    if q.type is QuestionType.MATRIX:
        return "an object of row id → integer"
    if q.type is QuestionType.SINGLE_CHOICE:
        return "one of " + ", ".join(q.option_ids)
    if q.type is QuestionType.MULTI_CHOICE:
        return "a list of options from " + ", ".join(q.option_ids)
    if q.type is QuestionType.EMOTION_PICKER:
        return "an object of emotion → intensity 1–3"
    if q.type is QuestionType.TEXT:
        return f"text of at most {q.text_max_length} characters"
    if q.type is QuestionType.NUMBER:
        kind = "an integer" if q.integer else "a number"
        return kind + _bounds(q.min_value, q.max_value)
    if q.type is QuestionType.DATE:
        return "a date YYYY-MM-DD" + _bounds(q.min_date, q.max_date)
    return "no answer"


def _bounds(low: object, high: object) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


MAX_NUMBER = 10**15
"""Largest magnitude a number answer may have: stored as a float, it must stay exact."""


def is_number(value: object) -> bool:
    """A finite int or float within ±MAX_NUMBER (bools are not numbers).

    >>> is_number(12), is_number(2.5), is_number(10**20), is_number(True)
    (True, True, False, False)
    """
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_NUMBER
    return is_integer(value) and abs(value) <= MAX_NUMBER  # type: ignore[arg-type]


def parse_iso_date(value: str) -> date | None:
    """The date of a strict ``YYYY-MM-DD`` string, else None.

    >>> parse_iso_date("2024-02-29"), parse_iso_date("20240229")
    (datetime.date(2024, 2, 29), None)
    """
    if not ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_value(question: Question, value: object) -> list[AnswerError]:
    """Problems of one given (non-empty) answer; empty when it fits the question.

    >>> from rapport.domain.survey.model import Question, QuestionType
    >>> [e.message for e in check_value(Question("nps", QuestionType.NPS, "?"), 11)]
    ['nps: expected an integer 0–10, got 11']
    """
    q = question

    def error(code: AnswerCode, got: object) -> AnswerError:
        return AnswerError(q.id, code, f"{q.id}: expected {expected(q)}, got {show_value(got)}")

    if q.type in SCALE_TYPES:
        if not is_integer(value):
            return [error(AnswerCode.TYPE, value)]
        # every scale type has one (Question.__post_init__)
        if q.scale is None:
            raise RuntimeError("internal error: expected q.scale is not None")
        in_range = q.scale.min <= value <= q.scale.max  # type: ignore[operator]  # an int
        return [] if in_range else [error(AnswerCode.RANGE, value)]
    if q.type is QuestionType.MATRIX:
        return _check_items(q, value, q.row_ids, "row")
    if q.type is QuestionType.EMOTION_PICKER:
        return _check_items(q, value, q.emotions, "emotion")
    if q.type is QuestionType.SINGLE_CHOICE:
        if not isinstance(value, str):
            return [error(AnswerCode.TYPE, value)]
        if value not in q.option_ids:
            return [error(AnswerCode.UNKNOWN_OPTION, value)]
        return []
    if q.type is QuestionType.MULTI_CHOICE:
        return _check_multi(q, value)
    if q.type is QuestionType.TEXT:
        if not isinstance(value, str):
            return [error(AnswerCode.TYPE, value)]
        if len(value) > q.text_max_length:
            message = f"{q.id}: expected at most {q.text_max_length} characters, got {len(value)}"
            return [AnswerError(q.id, AnswerCode.TOO_LONG, message)]
        return []
    if q.type is QuestionType.NUMBER:
        if not is_number(value) or (q.integer and not is_integer(value)):
            return [error(AnswerCode.TYPE, value)]
        number = float(value)  # type: ignore[arg-type]  # is_number checked
        too_low = q.min_value is not None and number < q.min_value
        too_high = q.max_value is not None and number > q.max_value
        return [error(AnswerCode.RANGE, value)] if too_low or too_high else []
    if q.type is QuestionType.DATE:
        day = parse_iso_date(value) if isinstance(value, str) else None
        if day is None:
            return [error(AnswerCode.TYPE, value)]
        too_early = q.min_date is not None and day < q.min_date
        too_late = q.max_date is not None and day > q.max_date
        return [error(AnswerCode.RANGE, value)] if too_early or too_late else []
    message = f"{q.id}: display text takes no answer"
    return [AnswerError(q.id, AnswerCode.NOT_ANSWERABLE, message)]


def _check_items(
    q: Question, value: object, known: tuple[str, ...], what: str
) -> list[AnswerError]:
    if not isinstance(value, Mapping):
        message = f"{q.id}: expected {expected(q)}, got {show_value(value)}"
        return [AnswerError(q.id, AnswerCode.TYPE, message)]
    low, high = (q.scale.min, q.scale.max) if q.scale is not None else INTENSITY_RANGE
    errors = []
    for item, score in value.items():
        if score is None:
            continue
        if item not in known:
            message = f"{q.id}: unknown {what} {item!r}; expected one of {', '.join(known)}"
            errors.append(AnswerError(q.id, AnswerCode.UNKNOWN_OPTION, message, str(item)))
        elif not is_integer(score):
            errors.append(_item_error(q, AnswerCode.TYPE, item, score, low, high))
        elif not low <= score <= high:
            errors.append(_item_error(q, AnswerCode.RANGE, item, score, low, high))
    return errors


def _item_error(
    q: Question, code: AnswerCode, item: str, score: object, low: int, high: int
) -> AnswerError:
    message = f"{q.id}.{item}: expected an integer {low}–{high}, got {show_value(score)}"
    return AnswerError(q.id, code, message, item)


def _check_multi(q: Question, value: object) -> list[AnswerError]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        message = f"{q.id}: expected {expected(q)}, got {show_value(value)}"
        return [AnswerError(q.id, AnswerCode.TYPE, message)]
    errors = []
    seen: set[str] = set()
    for option in value:
        if option not in q.option_ids:
            choices = ", ".join(q.option_ids)
            message = f"{q.id}: unknown option {option!r}; expected one of {choices}"
            errors.append(AnswerError(q.id, AnswerCode.UNKNOWN_OPTION, message))
        elif option in seen:
            message = f"{q.id}: option {option!r} is chosen twice"
            errors.append(AnswerError(q.id, AnswerCode.DUPLICATE, message))
        seen.add(option)
    return errors
