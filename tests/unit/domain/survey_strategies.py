"""Hypothesis strategies: valid survey definitions of every type, and valid answers."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from rapport.domain.logic import AllOf, AnyOf, Comparison, Condition, Not, Op, visible_questions
from rapport.domain.survey import (
    EMOTIONS,
    Audience,
    MatrixRow,
    Option,
    Page,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    default_scale,
)

_LOWER = "abcdefghijklmnopqrstuvwxyz"
idents = st.builds(
    str.__add__, st.sampled_from(_LOWER), st.text(alphabet=_LOWER + "0123456789_", max_size=7)
)
tags = st.lists(
    st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=6), min_size=1, max_size=3).map(
        ".".join
    ),
    unique=True,
    max_size=3,
)
words = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="\r"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() != "")
LANGUAGE_SETS = [("en",), ("en", "es"), ("es", "en"), ("de", "en", "es")]


@st.composite
def translatable(draw: st.DrawFn, languages: tuple[str, ...]) -> str | dict[str, str]:
    if draw(st.booleans()):
        return draw(words)
    chosen = [languages[0]] + [lang for lang in languages[1:] if draw(st.booleans())]
    return {lang: draw(words) for lang in chosen}


@st.composite
def scale_for(draw: st.DrawFn, qtype: QuestionType, langs: tuple[str, ...]) -> Scale | None:
    points = (
        draw(st.sampled_from([5, 7])) if qtype in (QuestionType.LIKERT, QuestionType.MATRIX) else 5
    )
    base = default_scale(qtype, points)
    if base is None:
        return None
    text = translatable(langs)
    labels = draw(st.lists(text, min_size=base.points, max_size=base.points) | st.just([]))
    return Scale(
        base.min,
        base.max,
        low=draw(st.none() | text),
        high=draw(st.none() | text),
        labels=tuple(labels),
    )


@st.composite
def condition_on(draw: st.DrawFn, earlier: list[Question], depth: int = 0) -> Condition:
    answerable = [q for q in earlier if q.answerable]
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        kind = draw(st.sampled_from(["all", "any", "not"]))
        if kind == "not":
            return Not(draw(condition_on(earlier, depth + 1)))
        parts = tuple(draw(st.lists(condition_on(earlier, depth + 1), min_size=1, max_size=3)))
        return AllOf(parts) if kind == "all" else AnyOf(parts)
    target = draw(st.sampled_from(answerable))
    return draw(comparison_on(target))


@st.composite
def comparison_on(draw: st.DrawFn, q: Question) -> Comparison:
    presence = st.sampled_from([Op.ANSWERED, Op.NOT_ANSWERED])
    if q.type is QuestionType.MATRIX and draw(st.booleans()):
        return Comparison(q.id, draw(presence))
    row = draw(st.sampled_from(q.row_ids)) if q.type is QuestionType.MATRIX else None
    if q.type in (QuestionType.MULTI_CHOICE, QuestionType.EMOTION_PICKER):
        items = q.option_ids if q.type is QuestionType.MULTI_CHOICE else q.emotions
        if draw(st.booleans()):
            return Comparison(q.id, draw(presence))
        return Comparison(q.id, Op.CONTAINS, draw(st.sampled_from(items)))
    if q.type is QuestionType.SINGLE_CHOICE:
        value: Any = st.sampled_from(q.option_ids)
        ops = [Op.EQ, Op.NE, Op.IN, Op.NOT_IN]
    elif q.type is QuestionType.TEXT:
        value, ops = words, [Op.EQ, Op.NE, Op.IN, Op.NOT_IN]
    elif q.type is QuestionType.DATE:
        value = st.dates(date(2000, 1, 1), date(2040, 1, 1)).map(date.isoformat)
        ops = list(Op)[:8]
    else:
        value = st.integers(-5, 15) | st.floats(-5, 15)
        ops = list(Op)[:8]
    op = draw(st.sampled_from([*ops, Op.ANSWERED, Op.NOT_ANSWERED]))
    if op in (Op.ANSWERED, Op.NOT_ANSWERED):
        return Comparison(q.id, op, None, row)
    if op in (Op.IN, Op.NOT_IN):
        return Comparison(q.id, op, tuple(draw(st.lists(value, min_size=1, max_size=3))), row)
    return Comparison(q.id, op, draw(value), row)


@st.composite
def question(
    draw: st.DrawFn, qid: str, earlier: list[Question], langs: tuple[str, ...]
) -> Question:
    qtype = draw(st.sampled_from(list(QuestionType)))
    text = translatable(langs)
    fields: dict[str, Any] = {"help": draw(st.none() | text)}
    if qtype is not QuestionType.DISPLAY:
        fields["required"] = draw(st.booleans())
        fields["tags"] = tuple(draw(tags))
    if any(q.answerable for q in earlier) and draw(st.booleans()):
        fields["show_if"] = draw(condition_on(earlier))
    if qtype in (QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.LIKERT):
        fields["reverse_keyed"] = draw(st.booleans())
    fields["scale"] = draw(scale_for(qtype, langs))
    if qtype in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE):
        ids = draw(st.lists(idents, min_size=2, max_size=4, unique=True))
        fields["options"] = tuple(Option(i, draw(text)) for i in ids)
    if qtype is QuestionType.MATRIX:
        ids = draw(st.lists(idents, min_size=1, max_size=4, unique=True))
        fields["rows"] = tuple(
            MatrixRow(i, draw(text), tuple(draw(tags)), draw(st.booleans())) for i in ids
        )
    if qtype is QuestionType.EMOTION_PICKER:
        fields["emotions"] = tuple(
            draw(st.lists(st.sampled_from(EMOTIONS), unique=True, max_size=5))
        )
    if qtype is QuestionType.TEXT:
        fields["max_length"] = draw(st.none() | st.integers(12, 5000))
    if qtype is QuestionType.NUMBER:
        integer = draw(st.booleans())
        number = (
            st.integers(-1000, 1000) if integer else st.integers(-1000, 1000) | st.floats(-1e6, 1e6)
        )
        low, high = draw(st.none() | number), draw(st.none() | number)
        if low is not None and high is not None and low > high:
            low, high = high, low
        fields.update(integer=integer, min_value=low, max_value=high)
    if qtype is QuestionType.DATE:
        low_day = draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1)))
        span = draw(st.none() | st.integers(0, 5000))
        fields["min_date"] = low_day
        fields["max_date"] = None if low_day is None or span is None else low_day + timedelta(span)
    return Question(qid, qtype, draw(text), **fields)


@st.composite
def definitions(draw: st.DrawFn) -> SurveyDefinition:
    """Valid definitions of every question type, with display logic on earlier questions."""
    langs = draw(st.sampled_from(LANGUAGE_SETS))
    qids = draw(st.lists(idents, min_size=1, max_size=8, unique=True))
    page_count = draw(st.integers(1, min(3, len(qids))))
    cuts = (
        sorted(
            draw(
                st.lists(
                    st.integers(1, len(qids) - 1),
                    unique=True,
                    min_size=page_count - 1,
                    max_size=page_count - 1,
                )
            )
        )
        if page_count > 1
        else []
    )
    earlier: list[Question] = []
    for qid in qids:
        earlier.append(draw(question(qid, list(earlier), langs)))
    bounds = [0, *cuts, len(qids)]
    page_ids = draw(st.lists(idents, min_size=page_count, max_size=page_count, unique=True))
    pages = tuple(
        Page(
            page_ids[i],
            tuple(earlier[bounds[i] : bounds[i + 1]]),
            draw(st.none() | translatable(langs)),
        )
        for i in range(page_count)
    )
    return SurveyDefinition(
        key=draw(
            st.lists(
                st.text(_LOWER + "0123456789", min_size=1, max_size=6), min_size=1, max_size=3
            ).map("-".join)
        ),
        title=draw(translatable(langs)),
        audience=draw(st.sampled_from(list(Audience))),
        pages=pages,
        anonymous=draw(st.booleans()),
        default_language=langs[0],
        languages=langs,
        description=draw(st.none() | translatable(langs)),
        thank_you=draw(st.none() | translatable(langs)),
    )


@st.composite
def valid_value(draw: st.DrawFn, q: Question) -> Any:
    """A typed answer that fits ``q`` (never empty)."""
    if q.scale is not None and q.type is not QuestionType.MATRIX:
        return draw(st.integers(q.scale.min, q.scale.max))
    if q.type is QuestionType.MATRIX:
        assert q.scale is not None
        rows = draw(st.lists(st.sampled_from(q.row_ids), min_size=1, unique=True))
        if q.required:
            rows = list(q.row_ids)
        return {row: draw(st.integers(q.scale.min, q.scale.max)) for row in rows}
    if q.type is QuestionType.SINGLE_CHOICE:
        return draw(st.sampled_from(q.option_ids))
    if q.type is QuestionType.MULTI_CHOICE:
        return draw(st.lists(st.sampled_from(q.option_ids), min_size=1, unique=True))
    if q.type is QuestionType.EMOTION_PICKER:
        chosen = draw(st.lists(st.sampled_from(q.emotions), min_size=1, unique=True))
        return {emotion: draw(st.integers(1, 3)) for emotion in chosen}
    if q.type is QuestionType.TEXT:
        return draw(words.filter(lambda s: len(s) <= q.text_max_length))
    if q.type is QuestionType.NUMBER:
        low = -1e9 if q.min_value is None else q.min_value
        high = 1e9 if q.max_value is None else q.max_value
        if q.integer:
            return draw(st.integers(int(low), int(high)))
        whole = st.integers(math.ceil(low), math.floor(high))
        return draw(
            st.floats(low, high) | whole if math.ceil(low) <= high else st.floats(low, high)
        )
    day_low = q.min_date or date(1990, 1, 1)
    day_high = q.max_date or date(2040, 1, 1)
    return draw(st.dates(day_low, day_high)).isoformat()


@st.composite
def valid_answers(draw: st.DrawFn, definition: SurveyDefinition) -> dict[str, Any]:
    """Answers to visible questions only, every visible required question answered."""
    answers: dict[str, Any] = {}
    for q in definition.questions:
        if not q.answerable or q not in visible_questions(definition, answers):
            continue
        if q.required or draw(st.booleans()):
            answers[q.id] = draw(valid_value(q))
    return answers


def as_form_strings(value: Any) -> Any:
    """What a web form posts for a typed value."""
    if isinstance(value, dict):
        return {key: str(v) for key, v in value.items()}
    if isinstance(value, list):
        return [str(v) for v in value]
    return value if isinstance(value, str) else repr(value)
