"""The import fast path (:class:`PlainCells`) stores exactly what the checked path stores.

The checked path is normalise → validate → ``answer_values``. ``PlainCells`` may decline
any row (None), but when it answers, the rows must be identical and the checked path must
find nothing wrong; and on plain surveys it must take every valid row, or it is no fast path.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from survey_examples import example
from survey_strategies import as_form_strings, definitions, valid_answers

from rapport.domain.answers import (
    PlainCells,
    answer_values,
    normalise_answers,
    validate_answers,
)
from rapport.domain.survey import Page, QuestionType, SurveyDefinition
from rapport.domain.survey.model import SCALE_TYPES

PLAIN_TYPES = {*SCALE_TYPES, QuestionType.MATRIX, QuestionType.TEXT, QuestionType.DISPLAY}
SETTINGS = settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])


def plain(definition: SurveyDefinition) -> SurveyDefinition | None:
    """The definition's rating, matrix, text and display questions, without display logic."""
    kept = tuple(
        dataclasses.replace(q, show_if=None) for q in definition.questions if q.type in PLAIN_TYPES
    )
    if not any(q.answerable for q in kept):
        return None
    return dataclasses.replace(definition, pages=(Page("only", kept),))


plain_definitions = definitions().map(plain).filter(lambda d: d is not None)


def near_cell(q: Any) -> st.SearchStrategy[Any]:
    """A cell as an import reads it that may or may not be valid for ``q``."""
    numbers = st.integers(-3, 12).map(str) | st.sampled_from(
        ["05", "+3", "-0", "3.0", "1e1", " 4", "x", "", "٣", "4 "]
    )
    if q.type is QuestionType.MATRIX:  # one row set (or left out) on top of valid rows
        assert q.scale is not None
        valid = st.integers(q.scale.min, q.scale.max).map(str)
        rows = st.fixed_dictionaries({}, optional=dict.fromkeys(q.row_ids, valid))
        return st.builds(
            lambda base, row, cell: {**base, row: cell} if cell is not None else base,
            rows,
            st.sampled_from([*q.row_ids, "unknown"]),
            st.none() | numbers,
        )
    if q.type is QuestionType.TEXT:
        limit = q.text_max_length  # at the limit, over it, and at it only once CRLF is LF
        edges = ["a\r\nb", "  ", "y" * limit, "y" * (limit + 1), "y" * (limit - 1) + "\r\n"]
        return st.text(max_size=20) | st.sampled_from(edges)
    return numbers | st.text(max_size=3)


@st.composite
def raw_rows(draw: st.DrawFn, definition: SurveyDefinition) -> dict[str, Any]:
    """A valid row as an import reads it, then (mostly) one cell changed, dropped or added,
    so that each rule of the fast path meets rows that break only that rule."""
    answers = draw(valid_answers(definition))
    raw: dict[str, Any] = {qid: as_form_strings(value) for qid, value in answers.items()}
    change = draw(st.sampled_from(["none", "cell", "cell", "cell", "drop", "unknown"]))
    questions = list(definition.questions)
    if change == "cell":
        q = draw(st.sampled_from(questions))
        raw[q.id] = draw(near_cell(q))
    elif change == "drop" and raw:
        qid = draw(st.sampled_from(sorted(raw)))
        if isinstance(raw[qid], dict) and len(raw[qid]) > 1 and draw(st.booleans()):
            raw[qid] = dict(list(raw[qid].items())[1:])  # drop one matrix row
        else:
            del raw[qid]
    elif change == "unknown":
        raw["not_a_question"] = "1"
    return raw


def checked_values(definition: SurveyDefinition, raw: dict[str, Any]) -> Any:
    typed, problems = normalise_answers(definition, raw)
    if not problems:
        problems = validate_answers(definition, typed)
    return None if problems else answer_values(definition, typed)


@SETTINGS
@given(st.data())
def test_fast_rows_equal_checked_rows_on_any_cells(data: st.DataObject) -> None:
    definition = data.draw(st.one_of(plain_definitions, plain_definitions, definitions()))
    raw = data.draw(raw_rows(definition))
    fast = PlainCells(definition).values(raw)
    if fast is not None:
        assert fast == checked_values(definition, raw)


@SETTINGS
@given(st.data())
def test_every_valid_plain_row_takes_the_fast_path(data: st.DataObject) -> None:
    definition = data.draw(plain_definitions)
    answers = data.draw(valid_answers(definition))
    raw = {qid: as_form_strings(value) for qid, value in answers.items()}
    assert PlainCells(definition).values(raw) == checked_values(definition, raw)
    assert PlainCells(definition).values(raw) is not None


def test_a_survey_with_display_logic_or_other_types_always_declines() -> None:
    full = example()  # every question type, with display logic
    assert checked_values(full, {"nps": "9"}) == [("nps", "", 9.0, None)]
    assert PlainCells(full).values({"nps": "9"}) is None
