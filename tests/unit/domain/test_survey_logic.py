"""Display logic: comparison tables, Kleene combinators, visibility cascade."""

from __future__ import annotations

from typing import Any

import pytest
from survey_examples import example

from rapport.domain.logic import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Not,
    Op,
    evaluate,
    is_answered,
    is_visible,
    visible_questions,
)

ANSWERS: dict[str, Any] = {
    "nps": 6,
    "spent": 12.5,
    "when": "2024-05-01",
    "resolved": "no",
    "comment": "slow",
    "channels": ["phone", "chat"],
    "feel": {"angry": 2},
    "minds": {"ease": 2},
    "blank": "  ",
}

COMPARISONS = [
    ("nps", Op.EQ, 6, None, True),
    ("nps", Op.EQ, 6.0, None, True),
    ("nps", Op.NE, 6, None, False),
    ("nps", Op.LT, 6, None, False),
    ("nps", Op.LE, 6, None, True),
    ("nps", Op.GT, 5, None, True),
    ("nps", Op.GE, 7, None, False),
    ("nps", Op.IN, (0, 6), None, True),
    ("nps", Op.NOT_IN, (0, 6), None, False),
    ("nps", Op.EQ, "6", None, False),  # no coercion between text and numbers
    ("nps", Op.LT, "7", None, False),
    ("spent", Op.GT, 12, None, True),
    ("when", Op.GE, "2024-05-01", None, True),
    ("when", Op.LT, "2024-01-31", None, False),
    ("resolved", Op.EQ, "no", None, True),
    ("resolved", Op.IN, ("partly", "no"), None, True),
    ("resolved", Op.NOT_IN, ("partly", "no"), None, False),
    ("comment", Op.NE, "fast", None, True),
    ("channels", Op.CONTAINS, "chat", None, True),
    ("channels", Op.CONTAINS, "email", None, False),
    ("feel", Op.CONTAINS, "angry", None, True),
    ("feel", Op.CONTAINS, "calm", None, False),
    ("minds", Op.LT, 3, "ease", True),
    ("minds", Op.GE, 3, "ease", False),
    ("minds", Op.ANSWERED, None, "ease", True),
    ("minds", Op.ANSWERED, None, "fast", False),
    ("minds", Op.LT, 3, "fast", None),
    ("nps", Op.ANSWERED, None, None, True),
    ("nps", Op.NOT_ANSWERED, None, None, False),
    ("missing", Op.ANSWERED, None, None, False),
    ("missing", Op.NOT_ANSWERED, None, None, True),
    ("blank", Op.NOT_ANSWERED, None, None, True),
    ("missing", Op.EQ, 1, None, None),
    ("missing", Op.NE, 1, None, None),
    ("missing", Op.CONTAINS, "x", None, None),
    ("blank", Op.EQ, "  ", None, None),
]


@pytest.mark.parametrize(("question", "op", "value", "row", "expected"), COMPARISONS)
def test_comparisons(question: str, op: Op, value: Any, row: str | None, expected: bool) -> None:
    assert evaluate(Comparison(question, op, value, row), ANSWERS) is expected


T = Comparison("nps", Op.ANSWERED)  # true
F = Comparison("nps", Op.NOT_ANSWERED)  # false
U = Comparison("missing", Op.EQ, 1)  # unknown

COMBINATIONS: list[tuple[Condition, bool | None]] = [
    (AllOf((T, T)), True),
    (AllOf((T, F)), False),
    (AllOf((T, U)), None),
    (AllOf((F, U)), False),
    (AnyOf((F, F)), False),
    (AnyOf((F, T)), True),
    (AnyOf((F, U)), None),
    (AnyOf((T, U)), True),
    (Not(T), False),
    (Not(F), True),
    (Not(U), None),
    (Not(AllOf((T, Not(AnyOf((F, U)))))), None),
    (AllOf((AnyOf((F, T)), Not(F))), True),
]


@pytest.mark.parametrize(("condition", "expected"), COMBINATIONS)
def test_combinators_use_three_valued_logic(condition: Condition, expected: bool | None) -> None:
    assert evaluate(condition, ANSWERS) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, True),
        (False, True),
        ("x", True),
        ([], False),
        ({}, False),
        ("", False),
        (None, False),
        ({"a": None}, False),
        ({"a": 1}, True),
        (["a"], True),
        (" \n", False),
    ],
)
def test_is_answered(value: Any, expected: bool) -> None:
    assert is_answered(value) is expected


def test_unknown_condition_hides() -> None:
    why = example().question("why")
    assert is_visible(why, {"nps": 3})
    assert not is_visible(why, {"nps": 9})
    assert not is_visible(why, {})  # refers to an unanswered question: hidden
    assert is_visible(example().question("nps"), {})


def test_hiding_cascades() -> None:
    d = example()
    ids = [q.id for q in visible_questions(d, {"nps": 3, "why": "slow"})]
    assert ids[-2:] == ["why", "why_more"]
    # nps 9 hides "why"; its stale answer must not show "why_more".
    ids = [q.id for q in visible_questions(d, {"nps": 9, "why": "slow"})]
    assert "why" not in ids
    assert "why_more" not in ids
    assert "why_more" in [q.id for q in d.questions]
    assert is_visible(d.question("why_more"), {"nps": 9, "why": "slow"})  # alone: no cascade
