"""Answers to a survey: validation, form normalisation and long rows — one import.

Hidden questions: :func:`validate_answers` *rejects* an answer to a question that display
logic hides (code ``not_visible``), so API clients learn that their logic disagrees with
the survey's. Web forms, where a respondent may go back and change the answer that
showed a follow-up, use :func:`clean_answers`, which *drops* such answers instead.

``required`` applies only to visible questions, and not at all with ``partial=True``
(saving a partial response to resume later).

>>> from rapport.domain.survey import definition_from_dict
>>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
...     "pages": [{"id": "p", "questions": [
...         {"id": "nps", "type": "nps", "text": "?", "required": True},
...         {"id": "why", "type": "text", "text": "Why?",
...          "show_if": {"question": "nps", "op": "<=", "value": 6}}]}]})
>>> [(e.code.value, e.message) for e in validate_answers(d, {"nps": 11})]
[('range', 'nps: expected an integer 0–10, got 11')]
>>> [e.code.value for e in validate_answers(d, {"nps": 9, "why": "slow"})]
['not_visible']
>>> clean_answers(d, {"nps": "9", "why": "slow"})
({'nps': 9}, [])
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport.domain.logic import is_answered, visible_questions
from rapport.domain.survey.answer_checks import (
    AnswerCode,
    AnswerError,
    check_value,
    expected,
    show_value,
)
from rapport.domain.survey.model import QuestionType, SurveyDefinition
from rapport.domain.survey.normalise import answers_from_form, form_field_name, normalise_answers
from rapport.domain.survey.rows import (
    AnswerRow,
    AnswerValues,
    ItemInfo,
    PlainCells,
    answer_rows,
    answer_values,
    item_tags,
    items_with_tag,
)

__all__ = [
    "AnswerCode",
    "AnswerError",
    "AnswerRow",
    "AnswerValues",
    "ItemInfo",
    "PlainCells",
    "answer_rows",
    "answer_values",
    "answers_from_form",
    "check_value",
    "clean_answers",
    "drop_hidden_answers",
    "expected",
    "form_field_name",
    "item_tags",
    "items_with_tag",
    "normalise_answers",
    "show_value",
    "validate_answers",
]


def validate_answers(
    definition: SurveyDefinition, answers: Mapping[str, object], *, partial: bool = False
) -> list[AnswerError]:
    """Every problem of typed ``answers``, in question order (empty when valid).

    Empty values (None, blank text, empty list or object) count as not answered.
    """
    questions = definition.questions_by_id()
    visible = {q.id for q in visible_questions(definition, answers)}
    errors: list[AnswerError] = []
    for q in definition.questions:
        value = answers.get(q.id)
        answered = is_answered(value)
        if q.type is QuestionType.DISPLAY:
            if answered:
                message = f"{q.id}: display text takes no answer"
                errors.append(AnswerError(q.id, AnswerCode.NOT_ANSWERABLE, message))
        elif q.id not in visible:
            if answered:
                message = f"{q.id}: the question is hidden by display logic; expected no answer"
                errors.append(AnswerError(q.id, AnswerCode.NOT_VISIBLE, message))
        elif answered:
            errors.extend(check_value(q, value))
            if q.type is QuestionType.MATRIX and q.required and not partial:
                errors.extend(_missing_rows(q.id, q.row_ids, value))
        elif q.required and not partial:
            message = f"{q.id}: an answer is required; expected {expected(q)}"
            errors.append(AnswerError(q.id, AnswerCode.REQUIRED, message))
    for question_id, value in answers.items():
        if question_id not in questions:
            message = f"{question_id}: not a question of this survey (got {show_value(value)})"
            errors.append(AnswerError(question_id, AnswerCode.UNKNOWN_QUESTION, message))
    return errors


def _missing_rows(question_id: str, row_ids: tuple[str, ...], value: object) -> list[AnswerError]:
    given = value if isinstance(value, Mapping) else {}
    return [
        AnswerError(
            question_id,
            AnswerCode.REQUIRED,
            f"{question_id}.{row}: an answer is required for every row",
            row,
        )
        for row in row_ids
        if not is_answered(given.get(row))
    ]


def drop_hidden_answers(
    definition: SurveyDefinition, answers: Mapping[str, object]
) -> dict[str, object]:
    """``answers`` without those to questions hidden by display logic.

    Answers to unknown question ids are kept, so validation still reports them.
    """
    known = {q.id for q in definition.questions}
    visible = {q.id for q in visible_questions(definition, answers)}
    return {qid: v for qid, v in answers.items() if qid in visible or qid not in known}


def clean_answers(
    definition: SurveyDefinition,
    raw: Mapping[str, object],
    *,
    partial: bool = False,
    drop_hidden: bool = True,
) -> tuple[dict[str, object], list[AnswerError]]:
    """Normalise, drop hidden answers, validate: the whole path for a posted web form.

    Returns the typed answers and at most the errors of parsing plus those of validation,
    with no second error for a question that already failed to parse. Store the answers
    only when the error list is empty.
    """
    values, errors = normalise_answers(definition, raw)
    if drop_hidden:
        values = drop_hidden_answers(definition, values)
        visible = {q.id for q in visible_questions(definition, values)}
        errors = [e for e in errors if e.question_id in visible]
    failed = {e.question_id for e in errors}
    errors += [
        e
        for e in validate_answers(definition, values, partial=partial)
        if e.question_id not in failed
    ]
    order = {q.id: index for index, q in enumerate(definition.questions)}
    errors.sort(key=lambda e: order.get(e.question_id, len(order)))
    return values, errors
