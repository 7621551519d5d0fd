"""Long answer rows for storage/analytics, and item tags/scales for indices."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from survey_examples import example
from survey_strategies import definitions, valid_answers

from rapport.domain.answers import AnswerRow, ItemInfo, answer_rows, item_tags, items_with_tag
from rapport.domain.survey import QuestionType


def test_rows_per_type() -> None:
    answers = {
        "nps": 3,
        "csat": 4,
        "ces": 6,
        "agree": 7,
        "minds": {"fast": 2, "ease": 5},
        "resolved": "no",
        "channels": ["chat", "phone"],
        "feel": {"calm": 1, "angry": 3},
        "comment": "slow",
        "contacts": 2,
        "spent": 9.5,
        "when": "2024-05-01",
        "why": "rude",
    }
    assert answer_rows(example(), answers) == [
        AnswerRow("nps", None, 3.0, None),
        AnswerRow("csat", None, 4.0, None),
        AnswerRow("ces", None, 6.0, None),
        AnswerRow("agree", None, 7.0, None),
        AnswerRow("minds", "ease", 5.0, None),  # definition order, not answer order
        AnswerRow("minds", "fast", 2.0, None),
        AnswerRow("resolved", "no", None, "no"),
        AnswerRow("channels", "phone", 1.0, None),
        AnswerRow("channels", "chat", 1.0, None),
        AnswerRow("feel", "angry", 3.0, None),
        AnswerRow("feel", "calm", 1.0, None),
        AnswerRow("comment", None, None, "slow"),
        AnswerRow("contacts", None, 2.0, None),
        AnswerRow("spent", None, 9.5, None),
        AnswerRow("when", None, None, "2024-05-01"),
        AnswerRow("why", None, None, "rude"),
    ]


def test_empty_answers_give_no_rows() -> None:
    assert answer_rows(example(), {"nps": 9, "comment": "", "minds": {}, "channels": []}) == [
        AnswerRow("nps", None, 9.0, None)
    ]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"nps": 11}, "nps: expected an integer 0–10, got 11"),
        ({"nps": 9, "nsp": 1}, "nsp: not a question of survey 'example'"),
    ],
)
def test_invalid_answers_raise(answers: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        answer_rows(example(), answers)


def test_item_tags() -> None:
    tags = item_tags(example())
    assert ("intro", None) not in tags  # display text has no answer
    assert ("minds", None) not in tags  # a matrix has one item per row
    assert tags[("nps", None)] == ItemInfo((), 0, 10, False)
    assert tags[("ces", None)] == ItemInfo((), 1, 7, False)
    assert tags[("agree", None)] == ItemInfo((), 1, 7, False)
    assert tags[("minds", "ease")] == ItemInfo(("mind", "mind.ease"), 1, 5, False)
    assert tags[("minds", "fast")] == ItemInfo(("mind",), 1, 5, True)
    assert tags[("feel", None)] == ItemInfo((), 1, 3, False)
    assert tags[("contacts", None)] == ItemInfo((), 1, 20, False)
    assert tags[("spent", None)] == ItemInfo((), 0, None, False)
    assert tags[("resolved", None)] == ItemInfo((), None, None, False)
    tag_list, low, high, reverse = tags[("minds", "fast")]  # unpacks as a plain tuple
    assert (tag_list, low, high, reverse) == (("mind",), 1, 5, True)
    assert list(items_with_tag(example(), "mind")) == [("minds", "ease"), ("minds", "fast")]
    assert list(items_with_tag(example(), "mind.ease")) == [("minds", "ease")]
    assert items_with_tag(example(), "min") == {}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_row_has_an_item_entry(data: st.DataObject) -> None:
    definition = data.draw(definitions())
    answers = data.draw(valid_answers(definition))
    tags = item_tags(definition)
    for row in answer_rows(definition, answers):
        question = definition.question(row.question_id)
        key = (row.question_id, row.item if question.type is QuestionType.MATRIX else None)
        assert key in tags
        info = tags[key]
        low, high = info.scale_min, info.scale_max
        scored = question.type is not QuestionType.MULTI_CHOICE and row.value_num is not None
        if scored and low is not None and high is not None:
            assert low <= row.value_num <= high  # type: ignore[operator]
        assert (row.value_num is None) != (row.value_text is None)  # exactly one value
