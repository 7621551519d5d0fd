"""Display logic: a small JSON-shaped condition language, evaluated without ``eval``.

A question's ``show_if`` is a :data:`Condition`::

    {"question": "nps", "op": "<=", "value": 6}            # a comparison
    {"question": "minds", "row": "ease", "op": "<", "value": 3}   # one matrix row
    {"all": [...]}, {"any": [...]}, {"not": {...}}          # combinators

Conditions may only refer to questions asked *before* the question they control.

Unanswered questions make a condition *unknown*, never true: a comparison with an
unanswered question is unknown, ``not`` of unknown is unknown, ``all`` is false if any part
is false and unknown if any is unknown, ``any`` is true if any part is true (Kleene logic).
A question is shown only when its condition is true, so a question whose condition depends
on an unanswered question is hidden. Only ``answered`` and ``not_answered`` are never unknown.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from rapport.domain.survey.model import Question, SurveyDefinition


class Op(enum.StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not_in"
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"
    CONTAINS = "contains"


ORDERING_OPS = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
EQUALITY_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN})
PRESENCE_OPS = frozenset({Op.ANSWERED, Op.NOT_ANSWERED})

Scalar: TypeAlias = str | int | float
ConditionValue: TypeAlias = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True)
class Comparison:
    """Compare the answer to ``question`` (or one ``row`` of a matrix) with ``value``.

    ``value`` is a tuple for ``in``/``not_in`` and None for ``answered``/``not_answered``.
    """

    question: str
    op: Op
    value: ConditionValue = None
    row: str | None = None


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    condition: Condition


Condition: TypeAlias = Comparison | AllOf | AnyOf | Not


def is_answered(value: object) -> bool:
    """True when ``value`` is an answer: not None, not blank text, not an empty list/object.

    >>> [is_answered(v) for v in (0, "x", None, "  ", [], {}, {"ease": None})]
    [True, True, False, False, False, False, False]
    """
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, Mapping):
        return any(is_answered(v) for v in value.values())
    if isinstance(value, list | tuple):
        return len(value) > 0
    return True


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(answer: object, expected: object) -> bool:
    if _is_number(answer) and _is_number(expected):
        return answer == expected
    return type(answer) is type(expected) and answer == expected


_ORDER = {Op.LT: operator.lt, Op.LE: operator.le, Op.GT: operator.gt, Op.GE: operator.ge}


def _ordered(op: Op, answer: object, expected: object) -> bool:
    # Numbers compare as numbers, strings as text (ISO dates order correctly as text).
    if isinstance(answer, int | float) and isinstance(expected, int | float):
        if isinstance(answer, bool) or isinstance(expected, bool):
            return False
        return bool(_ORDER[op](answer, expected))
    if isinstance(answer, str) and isinstance(expected, str):
        return bool(_ORDER[op](answer, expected))
    return False


def _compare(comparison: Comparison, answers: Mapping[str, object]) -> bool | None:
    answer = answers.get(comparison.question)
    if comparison.row is not None:
        answer = answer.get(comparison.row) if isinstance(answer, Mapping) else None
    answered = is_answered(answer)
    op = comparison.op
    if op is Op.ANSWERED:
        return answered
    if op is Op.NOT_ANSWERED:
        return not answered
    if not answered:
        return None
    value = comparison.value
    if op is Op.EQ:
        return _equal(answer, value)
    if op is Op.NE:
        return not _equal(answer, value)
    if op in ORDERING_OPS:
        return _ordered(op, answer, value)
    if op in (Op.IN, Op.NOT_IN):
        found = isinstance(value, tuple) and any(_equal(answer, v) for v in value)
        return found if op is Op.IN else not found
    # Op.CONTAINS: a chosen option of a multi choice, or a picked emotion.
    if isinstance(answer, Mapping):
        return is_answered(answer.get(value))
    return isinstance(answer, list | tuple) and value in answer


def evaluate(condition: Condition, answers: Mapping[str, object]) -> bool | None:
    """True, False, or None when unknown because a question it needs is unanswered.

    >>> c = Comparison("nps", Op.LE, 6)
    >>> evaluate(c, {"nps": 3}), evaluate(c, {"nps": 9}), evaluate(c, {})
    (True, False, None)
    >>> evaluate(AnyOf((c, Comparison("csat", Op.EQ, 1))), {"csat": 1})
    True
    >>> evaluate(Not(c), {}) is None
    True
    """
    if isinstance(condition, Comparison):
        return _compare(condition, answers)
    if isinstance(condition, Not):
        inner = evaluate(condition.condition, answers)
        return None if inner is None else not inner
    results = [evaluate(part, answers) for part in condition.conditions]
    if isinstance(condition, AllOf):
        if False in results:
            return False
        return None if None in results else True
    if True in results:
        return True
    return None if None in results else False


def is_visible(question: Question, answers: Mapping[str, object]) -> bool:
    """Whether ``question`` is shown given ``answers`` (unknown conditions hide).

    This looks at ``answers`` as given; :func:`visible_questions` also ignores answers to
    questions that are themselves hidden.
    """
    if question.show_if is None:
        return True
    return evaluate(question.show_if, answers) is True


def visible_questions(
    definition: SurveyDefinition, answers: Mapping[str, object]
) -> list[Question]:
    """The questions shown, in order, given ``answers``.

    Answers to hidden questions do not count for later conditions, so hiding cascades:
    if ``a`` hides ``b``, a question that depends on ``b`` is hidden too.
    """
    seen: dict[str, object] = {}
    visible: list[Question] = []
    for question in definition.questions:
        if is_visible(question, seen):
            visible.append(question)
            if question.id in answers:
                seen[question.id] = answers[question.id]
    return visible


def comparisons(condition: Condition) -> Iterator[tuple[str, Comparison]]:
    """Each comparison in ``condition`` with its path relative to the condition.

    >>> [p for p, _ in comparisons(AllOf((Comparison("a", Op.ANSWERED), Not(Comparison("b",
    ...     Op.ANSWERED)))))]
    ['all[0]', 'all[1].not']
    """
    if isinstance(condition, Comparison):
        yield "", condition
    elif isinstance(condition, Not):
        for path, comparison in comparisons(condition.condition):
            yield _join("not", path), comparison
    else:
        name = "all" if isinstance(condition, AllOf) else "any"
        for index, part in enumerate(condition.conditions):
            for path, comparison in comparisons(part):
                yield _join(f"{name}[{index}]", path), comparison


def _join(head: str, tail: str) -> str:
    return f"{head}.{tail}" if tail else head
