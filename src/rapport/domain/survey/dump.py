""":class:`SurveyDefinition` → plain dictionaries (JSON/YAML-ready), the inverse of parsing.

The output is canonical: fields at their default value are left out, so
``definition_from_dict(definition_to_dict(d)) == d`` for every valid ``d``, and dumping a
parsed canonical dictionary gives it back unchanged.
"""

from __future__ import annotations

from typing import Any

from rapport.domain.logic import AllOf, AnyOf, Comparison, Condition, Not
from rapport.domain.survey.model import (
    MatrixRow,
    Page,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    default_scale,
)
from rapport.domain.survey.text import EMOTIONS, Translatable


def definition_to_dict(definition: SurveyDefinition) -> dict[str, Any]:
    """A JSON-ready dictionary of ``definition``.

    >>> from rapport.domain.survey.model import Audience
    >>> q = Question("nps", QuestionType.NPS, {"en": "Recommend?", "es": "¿Recomendaría?"})
    >>> d = SurveyDefinition("demo", "Demo", Audience.CUSTOMER, (Page("p1", (q,)),),
    ...     languages=("en", "es"))
    >>> definition_to_dict(d)["pages"][0]["questions"][0]
    {'id': 'nps', 'type': 'nps', 'text': {'en': 'Recommend?', 'es': '¿Recomendaría?'}}
    """
    d = definition
    out: dict[str, Any] = {"key": d.key, "title": _text(d.title)}
    if d.description is not None:
        out["description"] = _text(d.description)
    out["audience"] = d.audience.value
    out["anonymous"] = d.anonymous
    out["default_language"] = d.default_language
    out["languages"] = list(d.languages)
    if d.thank_you is not None:
        out["thank_you"] = _text(d.thank_you)
    out["pages"] = [_page(page) for page in d.pages]
    return out


def condition_to_dict(condition: Condition) -> dict[str, Any]:
    """The JSON shape of a display condition.

    >>> from rapport.domain.logic import Op
    >>> condition_to_dict(Not(Comparison("nps", Op.IN, (9, 10))))
    {'not': {'question': 'nps', 'op': 'in', 'value': [9, 10]}}
    """
    if isinstance(condition, AllOf):
        return {"all": [condition_to_dict(part) for part in condition.conditions]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_to_dict(part) for part in condition.conditions]}
    if isinstance(condition, Not):
        return {"not": condition_to_dict(condition.condition)}
    return _comparison(condition)


def _comparison(comparison: Comparison) -> dict[str, Any]:
    out: dict[str, Any] = {"question": comparison.question}
    if comparison.row is not None:
        out["row"] = comparison.row
    out["op"] = comparison.op.value
    value = comparison.value
    if value is not None:
        out["value"] = list(value) if isinstance(value, tuple) else value
    return out


def _text(text: Translatable) -> str | dict[str, str]:
    return text if isinstance(text, str) else dict(text)


def _page(page: Page) -> dict[str, Any]:
    out: dict[str, Any] = {"id": page.id}
    if page.title is not None:
        out["title"] = _text(page.title)
    out["questions"] = [_question(q) for q in page.questions]
    return out


def _question(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "type": q.type.value, "text": _text(q.text)}
    if q.help is not None:
        out["help"] = _text(q.help)
    if q.required:
        out["required"] = True
    if q.tags:
        out["tags"] = list(q.tags)
    if q.reverse_keyed:
        out["reverse_keyed"] = True
    scale = _scale(q.type, q.scale)
    if scale:
        out["scale"] = scale
    if q.options:
        out["options"] = [{"id": o.id, "text": _text(o.text)} for o in q.options]
    if q.rows:
        out["rows"] = [_row(row) for row in q.rows]
    if q.emotions and (q.type is not QuestionType.EMOTION_PICKER or q.emotions != EMOTIONS):
        out["emotions"] = list(q.emotions)
    if q.max_length is not None:
        out["max_length"] = q.max_length
    low = q.min_value if q.min_date is None else q.min_date.isoformat()
    high = q.max_value if q.max_date is None else q.max_date.isoformat()
    if low is not None:
        out["min"] = low
    if high is not None:
        out["max"] = high
    if q.integer:
        out["integer"] = True
    if q.show_if is not None:
        out["show_if"] = condition_to_dict(q.show_if)
    return out


def _scale(qtype: QuestionType, scale: Scale | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if scale is None or scale == default_scale(qtype):
        return out
    if qtype in (QuestionType.LIKERT, QuestionType.MATRIX) and scale.points != 5:
        out["points"] = scale.points
    if scale.low is not None:
        out["low"] = _text(scale.low)
    if scale.high is not None:
        out["high"] = _text(scale.high)
    if scale.labels:
        out["labels"] = [_text(label) for label in scale.labels]
    return out


def _row(row: MatrixRow) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "text": _text(row.text)}
    if row.tags:
        out["tags"] = list(row.tags)
    if row.reverse_keyed:
        out["reverse_keyed"] = True
    return out
