"""Answers in long form for storage and analytics, and the tags/scales of each item.

Every scored or reported value becomes one :class:`AnswerRow`; :func:`item_tags` says, per
``(question_id, item)``, which construct tags and scale apply, so an index is "the mean of
the items tagged ``heart.*``, each rescaled to 0–100" without reading question wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from rapport.domain.logic import is_answered
from rapport.domain.survey.answer_checks import check_value
from rapport.domain.survey.model import (
    INTENSITY_RANGE,
    SCALE_TYPES,
    Question,
    QuestionType,
    SurveyDefinition,
)

#: One stored answer value: ``(question_id, item, value_num, value_text)``, ``item`` "" for
#: whole-question answers — the columns of the ``answers`` table, as the bulk paths insert them.
AnswerValues = tuple[str, str, float | None, str | None]

SCORED_QTYPES = frozenset({"likert", "matrix", "csat", "ces", "nps"})
"""Question types whose answers are points on a rating scale (indices average them)."""


def tag_prefixes(tags: str | tuple[str, ...]) -> list[str]:
    """Every construct an item counts towards: each tag and each dotted prefix of it.

    An item tagged ``heart.cared`` is in the ``heart`` index and in ``heart.cared``.
    ``tags`` is a tuple or the space-separated text ``survey_items`` stores.

    >>> tag_prefixes("heart.cared mind")
    ['heart', 'heart.cared', 'mind']
    """
    found: dict[str, None] = {}
    for tag in tags.split() if isinstance(tags, str) else tags:
        parts = tag.split(".")
        for end in range(1, len(parts) + 1):
            found[".".join(parts[:end])] = None
    return list(found)


@dataclass(frozen=True)
class AnswerRow:
    """One long-form answer value; ``item`` is None for whole-question answers.

    matrix: item = row id, value_num = score. multi_choice: item = option id,
    value_num = 1. emotion_picker: item = emotion, value_num = intensity. single_choice:
    item = value_text = option id. text: value_text. date: value_text (ISO).
    nps/csat/ces/likert/number: value_num.
    """

    question_id: str
    item: str | None
    value_num: float | None
    value_text: str | None


class ItemInfo(NamedTuple):
    """How to score one item: its construct tags, scale ends and direction."""

    tags: tuple[str, ...]
    scale_min: float | None
    scale_max: float | None
    reverse_keyed: bool


def answer_rows(definition: SurveyDefinition, answers: Mapping[str, object]) -> list[AnswerRow]:
    """Flatten valid, typed answers into rows, in the definition's order.

    Raises ValueError when an answer does not fit its question or names no question:
    validate first (:func:`rapport.domain.answers.validate_answers`).

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [{"id": "nps", "type": "nps", "text": "?"},
    ...         {"id": "m", "type": "matrix", "text": "?",
    ...          "rows": [{"id": "ease", "text": "E"}]}]}]})
    >>> answer_rows(d, {"nps": 9, "m": {"ease": 4}})
    [AnswerRow(question_id='nps', item=None, value_num=9.0, value_text=None), \
AnswerRow(question_id='m', item='ease', value_num=4.0, value_text=None)]
    """
    questions = definition.questions_by_id()
    unknown = [question_id for question_id in answers if question_id not in questions]
    if unknown:
        raise ValueError(f"{unknown[0]}: not a question of survey {definition.key!r}")
    rows: list[AnswerRow] = []
    for question in definition.questions:
        value = answers.get(question.id)
        if not is_answered(value):
            continue
        problems = check_value(question, value)
        if problems:
            raise ValueError(problems[0].message)
        qid = question.id
        if question.type in SCALE_TYPES or question.type is QuestionType.NUMBER:
            rows.append(AnswerRow(qid, None, float(value), None))  # type: ignore[arg-type]
        elif question.type in (QuestionType.TEXT, QuestionType.DATE):
            rows.append(AnswerRow(qid, None, None, str(value)))
        elif question.type is QuestionType.SINGLE_CHOICE:
            rows.append(AnswerRow(qid, str(value), None, str(value)))
        elif question.type is QuestionType.MULTI_CHOICE:
            chosen = set(value)  # type: ignore[call-overload]  # a list of ids (checked)
            for option in question.option_ids:
                if option in chosen:
                    rows.append(AnswerRow(qid, option, 1.0, None))
        elif isinstance(value, Mapping):  # matrix rows or emotions, in definition order
            known = question.row_ids if question.type is QuestionType.MATRIX else question.emotions
            for item in known:
                score = value.get(item)
                if score is not None:
                    rows.append(AnswerRow(qid, item, float(score), None))
    return rows


def answer_values(
    definition: SurveyDefinition, answers: Mapping[str, object]
) -> list[AnswerValues]:
    """:func:`answer_rows` as the tuples the bulk paths insert."""
    return [
        (r.question_id, r.item or "", r.value_num, r.value_text)
        for r in answer_rows(definition, answers)
    ]


class PlainCells:
    """Answer values read straight from the text cells of an import, in the common case.

    ``values(raw)`` returns exactly what :func:`~rapport.domain.answers.normalise_answers`,
    :func:`~rapport.domain.answers.validate_answers` and :func:`answer_values` together give
    for the raw cells, when it can vouch for every one: rating cells written as plain
    integers within the scale, known matrix rows, text within its limit, every required
    question answered, and a survey without display logic. Otherwise it returns None and
    the caller takes the checked path, which also words the errors. (A property test holds
    the two paths to the same rows.)

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [{"id": "nps", "type": "nps", "text": "?"},
    ...         {"id": "c", "type": "text", "text": "?"}]}]})
    >>> PlainCells(d).values({"nps": "9", "c": "Great"})
    [('nps', '', 9.0, None), ('c', '', None, 'Great')]
    >>> PlainCells(d).values({"nps": "nine"}) is None
    True
    """

    _TYPES = frozenset({*SCALE_TYPES, QuestionType.MATRIX, QuestionType.TEXT})

    def __init__(self, definition: SurveyDefinition) -> None:
        everything = definition.questions
        self._questions = [q for q in everything if q.type is not QuestionType.DISPLAY]
        self._known = frozenset(q.id for q in self._questions)
        self._required = [q.id for q in self._questions if q.required]
        self._usable = all(q.show_if is None for q in everything) and all(
            q.type in self._TYPES for q in self._questions
        )
        self._rows = {q.id: q.row_ids for q in self._questions}
        self._scores = {  # the plainly written integers of each scale, and their values
            q.id: {str(v): float(v) for v in range(q.scale.min, q.scale.max + 1)}
            for q in self._questions
            if q.scale is not None
        }

    def values(self, raw: Mapping[str, object]) -> list[AnswerValues] | None:
        if not self._usable or not raw.keys() <= self._known:
            return None
        if any(qid not in raw for qid in self._required):
            return None
        out: list[AnswerValues] = []
        for q in self._questions:
            cell = raw.get(q.id)
            if cell is None:
                continue
            if q.type is QuestionType.TEXT:
                if not isinstance(cell, str) or not cell.strip():
                    return None
                text = cell.replace("\r\n", "\n")
                if len(text) > q.text_max_length:
                    return None
                out.append((q.id, "", None, text))
            elif q.type is QuestionType.MATRIX:
                if not self._matrix(q, cell, out):
                    return None
            else:
                score = self._scores[q.id].get(cell) if isinstance(cell, str) else None
                if score is None:
                    return None
                out.append((q.id, "", score, None))
        return out

    def _matrix(self, q: Question, cell: object, out: list[AnswerValues]) -> bool:
        rows = self._rows[q.id]
        if not isinstance(cell, Mapping) or not cell or not cell.keys() <= set(rows):
            return False
        if q.required and len(cell) < len(rows):
            return False
        scores = self._scores[q.id]
        for row in rows:
            if row in cell:
                value = cell[row]
                score = scores.get(value) if isinstance(value, str) else None
                if score is None:
                    return False
                out.append((q.id, row, score, None))
        return True


def item_tags(definition: SurveyDefinition) -> dict[tuple[str, str | None], ItemInfo]:
    """Tags, scale and direction per ``(question_id, item)``.

    Matrix questions have one key per row (``item`` = row id; tags = question tags + row
    tags); every other answerable question has one key with ``item`` None. Scale ends are
    those of the rating scale, the number bounds (None when open) or intensity 1–3 for an
    emotion picker; choice, text and date questions have None. Answer rows of choice and
    emotion questions carry the option or emotion in ``item``: join those on question id.

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [{"id": "tfg", "type": "likert", "text": "?",
    ...         "tags": ["relationship.taken_for_granted"], "reverse_keyed": True}]}]})
    >>> item_tags(d)
    {('tfg', None): ItemInfo(tags=('relationship.taken_for_granted',), scale_min=1, \
scale_max=5, reverse_keyed=True)}
    """
    info: dict[tuple[str, str | None], ItemInfo] = {}
    for q in definition.questions:
        if q.type is QuestionType.DISPLAY:
            continue
        if q.type is QuestionType.MATRIX:
            if q.scale is None:
                raise RuntimeError("internal error: expected q.scale is not None")
            for row in q.rows:
                tags = tuple(dict.fromkeys((*q.tags, *row.tags)))
                info[(q.id, row.id)] = ItemInfo(tags, q.scale.min, q.scale.max, row.reverse_keyed)
        elif q.type in SCALE_TYPES and q.scale is not None:
            info[(q.id, None)] = ItemInfo(q.tags, q.scale.min, q.scale.max, q.reverse_keyed)
        elif q.type is QuestionType.NUMBER:
            info[(q.id, None)] = ItemInfo(q.tags, q.min_value, q.max_value, False)
        elif q.type is QuestionType.EMOTION_PICKER:
            info[(q.id, None)] = ItemInfo(q.tags, *INTENSITY_RANGE, False)
        else:
            info[(q.id, None)] = ItemInfo(q.tags, None, None, False)
    return info


def items_with_tag(
    definition: SurveyDefinition, prefix: str
) -> dict[tuple[str, str | None], ItemInfo]:
    """The items tagged ``prefix`` or anything below it (``heart`` matches ``heart.cared``).

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [{"id": "a", "type": "likert", "text": "?",
    ...         "tags": ["heart.cared"]}, {"id": "b", "type": "ces", "text": "?",
    ...         "tags": ["mind.effort"]}]}]})
    >>> list(items_with_tag(d, "heart"))
    [('a', None)]
    """
    return {
        key: info
        for key, info in item_tags(definition).items()
        if any(tag == prefix or tag.startswith(prefix + ".") for tag in info.tags)
    }
