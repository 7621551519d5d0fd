"""Checks of display logic: conditions refer to earlier questions, with fitting ops and values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from rapport.domain.logic import (
    EQUALITY_OPS,
    ORDERING_OPS,
    PRESENCE_OPS,
    Comparison,
    Op,
    comparisons,
)
from rapport.domain.survey.model import DefinitionProblem, Question, QuestionType

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMERIC_TYPES: Final = frozenset(
    {QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.LIKERT}
    | {QuestionType.NUMBER}
)
_OPS_BY_KIND: Final[Mapping[str, frozenset[Op]]] = {
    "number": ORDERING_OPS | EQUALITY_OPS | PRESENCE_OPS,
    "date": ORDERING_OPS | EQUALITY_OPS | PRESENCE_OPS,
    "option": EQUALITY_OPS | PRESENCE_OPS,
    "text": EQUALITY_OPS | PRESENCE_OPS,
    "set": frozenset({Op.CONTAINS}) | PRESENCE_OPS,
    "matrix": PRESENCE_OPS,
}


def check_condition(
    owner: Question,
    path: str,
    earlier: Mapping[str, Question],
    all_ids: set[str],
) -> list[DefinitionProblem]:
    """Problems of ``owner.show_if``; ``earlier`` holds the questions asked before ``owner``.

    >>> from rapport.domain.logic import Comparison, Op
    >>> nps = Question("nps", QuestionType.NPS, "?")
    >>> why = Question("why", QuestionType.TEXT, "?", show_if=Comparison("nps", Op.EQ, "six"))
    >>> [str(p) for p in check_condition(why, "show_if", {"nps": nps}, {"nps", "why"})]
    ["show_if.value: expected a number, got 'six'"]
    """
    problems: list[DefinitionProblem] = []
    if owner.show_if is None:
        return problems
    for sub_path, comparison in comparisons(owner.show_if):
        where = f"{path}.{sub_path}" if sub_path else path
        target = earlier.get(comparison.question)
        if target is None:
            if comparison.question == owner.id:
                message = f"question {owner.id!r} cannot depend on itself"
            elif comparison.question in all_ids:
                message = f"question {comparison.question!r} comes later; refer to earlier ones"
            else:
                message = f"unknown question {comparison.question!r}"
            problems.append(DefinitionProblem(where, message))
        elif target.type is QuestionType.DISPLAY:
            message = f"question {target.id!r} is display text and has no answer"
            problems.append(DefinitionProblem(where, message))
        else:
            problems += _check_comparison(comparison, target, where)
    return problems


def _check_comparison(
    comparison: Comparison, target: Question, path: str
) -> list[DefinitionProblem]:
    row = comparison.row
    if row is not None and target.type is not QuestionType.MATRIX:
        message = f"row applies only to matrix questions, not {target.type}"
        return [DefinitionProblem(f"{path}.row", message)]
    if row is not None and row not in target.row_ids:
        message = f"unknown row {row!r} of question {target.id!r}"
        return [DefinitionProblem(f"{path}.row", message)]
    kind = _answer_kind(target, row)
    allowed = _OPS_BY_KIND[kind]
    if comparison.op not in allowed:
        ops = " ".join(op for op in Op if op in allowed)
        hint = " (or name a row)" if kind == "matrix" else ""
        message = f"op '{comparison.op}' does not apply to {target.type} question {target.id!r}"
        return [DefinitionProblem(f"{path}.op", f"{message}; use {ops}{hint}")]
    if comparison.op in PRESENCE_OPS:
        return []
    value = comparison.value
    values = value if isinstance(value, tuple) else (value,)
    problems = [_value_problem(kind, target, item) for item in values]
    return [DefinitionProblem(f"{path}.value", p) for p in problems if p]


def _answer_kind(target: Question, row: str | None) -> str:
    if target.type in _NUMERIC_TYPES or (target.type is QuestionType.MATRIX and row):
        return "number"
    return {
        QuestionType.DATE: "date",
        QuestionType.SINGLE_CHOICE: "option",
        QuestionType.TEXT: "text",
        QuestionType.MULTI_CHOICE: "set",
        QuestionType.EMOTION_PICKER: "set",
    }.get(target.type, "matrix")


def _value_problem(kind: str, target: Question, value: object) -> str | None:
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {value!r}"
    if not isinstance(value, str):
        return f"expected a string, got {value!r}"
    if kind == "date" and not _is_iso_date(value):
        return f"expected a date YYYY-MM-DD, got {value!r}"
    is_option = kind == "option" or target.type is QuestionType.MULTI_CHOICE
    if is_option and value not in target.option_ids:
        return f"unknown option {value!r} of question {target.id!r}"
    if target.type is QuestionType.EMOTION_PICKER and value not in target.emotions:
        return f"unknown emotion {value!r} of question {target.id!r}"
    return None


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
