"""The one tokenizer behind SurveyJS ``visibleIf`` and LimeSurvey relevance equations:
every token kind and operator of both dialects, and what each dialect refuses."""

from __future__ import annotations

import re

import pytest

from rapport.importers.formats._tokens import Dialect, NotExpressible, tokenize
from rapport.importers.formats.limesurvey_logic import LIMESURVEY
from rapport.importers.formats.surveyjs_logic import SURVEYJS

SURVEYJS_CASES = [
    (
        "{nps-score} <= 6 or {rebuy} = false",
        [
            ("ref", "{nps-score}"),
            ("op", "<="),
            ("num", "6"),
            ("word", "or"),
            ("ref", "{rebuy}"),
            ("op", "="),
            ("word", "false"),
        ],
    ),
    (
        "!({a} <> 'x y') AND {b} anyof ['1', \"2\"]",
        [
            ("op", "!"),
            ("op", "("),
            ("ref", "{a}"),
            ("op", "<>"),
            ("str", "'x y'"),
            ("op", ")"),
            ("word", "and"),
            ("ref", "{b}"),
            ("word", "anyof"),
            ("op", "["),
            ("str", "'1'"),
            ("op", ","),
            ("str", '"2"'),
            ("op", "]"),
        ],
    ),
    (
        "{n} GreaterOrEqual -1.5 or {n} notequal 2 or {n} != 3 or {n} == 4 or {n} >= 5",
        [
            ("ref", "{n}"),
            ("op", ">="),
            ("num", "-1.5"),
            ("word", "or"),
            ("ref", "{n}"),
            ("op", "!="),
            ("num", "2"),
            ("word", "or"),
            ("ref", "{n}"),
            ("op", "!="),
            ("num", "3"),
            ("word", "or"),
            ("ref", "{n}"),
            ("op", "=="),
            ("num", "4"),
            ("word", "or"),
            ("ref", "{n}"),
            ("op", ">="),
            ("num", "5"),
        ],
    ),
    (
        "{a} less 1 and {a} greater 0 and {a} lessorequal 2 and {a} equal 1 and {a} < 3",
        [
            ("ref", "{a}"),
            ("op", "<"),
            ("num", "1"),
            ("word", "and"),
            ("ref", "{a}"),
            ("op", ">"),
            ("num", "0"),
            ("word", "and"),
            ("ref", "{a}"),
            ("op", "<="),
            ("num", "2"),
            ("word", "and"),
            ("ref", "{a}"),
            ("op", "="),
            ("num", "1"),
            ("word", "and"),
            ("ref", "{a}"),
            ("op", "<"),
            ("num", "3"),
        ],
    ),
    ("{q} notEmpty", [("ref", "{q}"), ("word", "notempty")]),
]

LIMESURVEY_CASES = [
    (
        '!is_empty(age.NAOK) && (Q1 == "A2" || Q2_SQ1 eq "Y")',
        [
            ("op", "!"),
            ("name", "is_empty"),
            ("op", "("),
            ("name", "age.NAOK"),
            ("op", ")"),
            ("op", "&&"),
            ("op", "("),
            ("name", "Q1"),
            ("op", "=="),
            ("str", '"A2"'),
            ("op", "||"),
            ("name", "Q2_SQ1"),
            ("name", "eq"),
            ("str", '"Y"'),
            ("op", ")"),
        ],
    ),
    (
        r"Q3 <> 'it\'s' and Q4 >= -2 or Q4 < 1 or Q4 > 0.5 or Q4 <= 9 or Q5 != 'x'",
        [
            ("name", "Q3"),
            ("op", "<>"),
            ("str", r"'it\'s'"),
            ("name", "and"),
            ("name", "Q4"),
            ("op", ">="),
            ("num", "-2"),
            ("name", "or"),
            ("name", "Q4"),
            ("op", "<"),
            ("num", "1"),
            ("name", "or"),
            ("name", "Q4"),
            ("op", ">"),
            ("num", "0.5"),
            ("name", "or"),
            ("name", "Q4"),
            ("op", "<="),
            ("num", "9"),
            ("name", "or"),
            ("name", "Q5"),
            ("op", "!="),
            ("str", "'x'"),
        ],
    ),
    (
        "sum(A, B) GT 3",
        [
            ("name", "sum"),
            ("op", "("),
            ("name", "A"),
            ("op", ","),
            ("name", "B"),
            ("op", ")"),
            ("name", "GT"),
            ("num", "3"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "tokens"), SURVEYJS_CASES)
def test_surveyjs_dialect(text: str, tokens: list[tuple[str, str]]) -> None:
    assert tokenize(text, SURVEYJS) == tokens


@pytest.mark.parametrize(("text", "tokens"), LIMESURVEY_CASES)
def test_limesurvey_dialect(text: str, tokens: list[tuple[str, str]]) -> None:
    assert tokenize(text, LIMESURVEY) == tokens


def test_every_operator_of_each_dialect_is_a_test_case() -> None:
    for dialect, cases in ((SURVEYJS, SURVEYJS_CASES), (LIMESURVEY, LIMESURVEY_CASES)):
        seen = {value for _, tokens in cases for kind, value in tokens if kind == "op"}
        assert seen == set(dialect.operators), dialect


@pytest.mark.parametrize(
    ("text", "dialect", "message"),
    [
        ("{q} # 1", SURVEYJS, "cannot read '# 1'"),
        ("{q} && {r}", SURVEYJS, "cannot read '&& {r}'"),  # && is LimeSurvey's
        ("{Q1} == 1", LIMESURVEY, "cannot read '{Q1} == 1'"),  # {…} is SurveyJS's
        ("Q1 == [1]", LIMESURVEY, "cannot read '[1]'"),
        ("Q1 == 'open", LIMESURVEY, 'cannot read "\'open"'),
    ],
)
def test_what_a_dialect_cannot_read_is_named(text: str, dialect: Dialect, message: str) -> None:
    with pytest.raises(NotExpressible, match=re.escape(message)):
        tokenize(text, dialect)


def test_blank_text_has_no_tokens() -> None:
    assert tokenize("  ", SURVEYJS) == tokenize("", LIMESURVEY) == []
