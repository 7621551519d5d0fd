"""Tag overrides: the construct tags a person chose in an import's mapping preview.

An override maps a ``question_id`` of the plan's mapping — a question, or a matrix row as
``question.row`` — to the tags that replace the importer's. Every entry point (the page,
``POST /api/v1/imports``'s ``tags`` field, ``rapport import --tags FILE``) reads the same
JSON object with :func:`read_tag_overrides` and applies it with :func:`apply_tags`.

>>> read_tag_overrides('{"q1": ["mind.ease"], "q2": []}')
{'q1': ('mind.ease',), 'q2': ()}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from rapport.domain.survey import CONSTRUCT_TAGS, MatrixRow, Question
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.formats.plan import ImportPlan

TagOverrides = Mapping[str, tuple[str, ...]]
SHAPE = 'a JSON object of question id → list of tags, such as {"q1": ["loyalty.recommend"]}'


def read_tag_overrides(text: str | bytes, field: str = "tags") -> dict[str, tuple[str, ...]]:
    """The overrides written as JSON; ValidationFailed naming ``field`` (or the question)
    when the text is not an object of lists of strings. Tags are checked by
    :func:`apply_tags`, which knows the plan's questions."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _failed([FieldError(field, f"not JSON ({exc}); expected {SHAPE}", "json")]) from exc
    if not isinstance(data, dict):
        raise _failed([FieldError(field, f"expected {SHAPE}, got {type(data).__name__}", "type")])
    errors: list[FieldError] = []
    out: dict[str, tuple[str, ...]] = {}
    for question_id, tags in data.items():
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors.append(FieldError(f"{field}.{question_id}", "expected a list of tags", "type"))
            continue
        out[question_id] = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if errors:
        raise _failed(errors)
    return out


def apply_tags(plan: ImportPlan, overrides: TagOverrides, field: str = "tags") -> ImportPlan:
    """``plan`` with the overridden tags on its definition and mapping; ValidationFailed
    naming each question whose id is not in the mapping or whose tags are unknown."""
    if not overrides:
        return plan
    known_ids = {m.question_id for m in plan.mapping}
    errors: list[FieldError] = []
    for question_id, tags in overrides.items():
        where = f"{field}.{question_id}"
        if question_id not in known_ids:
            message = f"no question {question_id!r} in this import's mapping"
            errors.append(FieldError(where, message, "question"))
        for tag in tags:
            if tag not in CONSTRUCT_TAGS:
                known = ", ".join(sorted(CONSTRUCT_TAGS))
                message = (
                    f"unknown construct tag {tag!r} for {question_id}; expected one of {known}"
                )
                errors.append(FieldError(where, message, "tag"))
    if errors:
        raise _failed(errors)
    pages = tuple(
        replace(page, questions=tuple(_retagged(q, overrides) for q in page.questions))
        for page in plan.definition.pages
    )
    mapping = [
        replace(m, tags=overrides[m.question_id]) if m.question_id in overrides else m
        for m in plan.mapping
    ]
    return replace(plan, definition=replace(plan.definition, pages=pages), mapping=mapping)


def _retagged(q: Question, overrides: TagOverrides) -> Question:
    rows = tuple(_row(q.id, row, overrides) for row in q.rows)
    return replace(q, tags=overrides.get(q.id, q.tags), rows=rows)


def _row(question_id: str, row: MatrixRow, overrides: TagOverrides) -> MatrixRow:
    return replace(row, tags=overrides.get(f"{question_id}.{row.id}", row.tags))


def _failed(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed("the tags are not valid: " + errors[0].message, errors)
