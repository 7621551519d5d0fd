"""What makes a built survey definition valid: ids, scales, translations, logic references.

:func:`check_definition` works on the dataclasses, so definitions built in code (importers,
tests) get the same problems, with the same paths, as definitions read from YAML or JSON.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from rapport.domain.survey.logic_checks import check_condition
from rapport.domain.survey.model import (
    FIELDS_BY_TYPE,
    ID_PATTERN,
    KEY_PATTERN,
    LANGUAGE_PATTERN,
    LIKERT_POINTS,
    TAG_PATTERN,
    DefinitionProblem,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    default_scale,
)
from rapport.domain.survey.text import EMOTIONS, Translatable


def check_definition(definition: SurveyDefinition) -> list[DefinitionProblem]:
    """Every problem of ``definition``, in document order (empty when it is valid).

    >>> from rapport.domain.survey.model import Audience, Page
    >>> q = Question("Q1", QuestionType.LIKERT, "Hi", tags=("Heart",))
    >>> d = SurveyDefinition("demo", "Demo", Audience.CUSTOMER, (Page("p", (q,)),))
    >>> [str(p) for p in check_definition(d)]  # doctest: +NORMALIZE_WHITESPACE
    ["pages[0].questions[0].id: expected lowercase letters, digits and _ starting with a
      letter (at most 64), got 'Q1'",
     "pages[0].questions[0].tags[0]: expected lowercase words joined by dots, such as
      heart.delight, got 'Heart'"]
    """
    return _Checker(definition).run()


class _Checker:
    def __init__(self, definition: SurveyDefinition) -> None:
        self.definition = definition
        self.problems: list[DefinitionProblem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(DefinitionProblem(path, message))

    def run(self) -> list[DefinitionProblem]:
        d = self.definition
        if not re.fullmatch(KEY_PATTERN, d.key) or len(d.key) > 120:
            self.fail("key", f"expected lowercase words joined by '-', got {d.key!r}")
        for index, lang in enumerate(d.languages):
            if not re.fullmatch(LANGUAGE_PATTERN, lang):
                self.fail(
                    f"languages[{index}]", f"expected a language code such as en, got {lang!r}"
                )
        self.unique("languages", d.languages, "language")
        if d.default_language not in d.languages:
            self.fail("default_language", f"{d.default_language!r} is not one of the languages")
        self.text(d.title, "title")
        self.text(d.description, "description", optional=True)
        self.text(d.thank_you, "thank_you", optional=True)
        if not d.pages:
            self.fail("pages", "a survey needs at least one page")
        self.unique("pages", [page.id for page in d.pages], "page id", suffix=".id")
        earlier: dict[str, Question] = {}
        all_ids = {q.id for q in d.questions}
        seen: dict[str, str] = {}
        for p_index, page in enumerate(d.pages):
            path = f"pages[{p_index}]"
            self.ident(page.id, f"{path}.id")
            self.text(page.title, f"{path}.title", optional=True)
            if not page.questions:
                self.fail(f"{path}.questions", "a page needs at least one question")
            for q_index, question in enumerate(page.questions):
                q_path = f"{path}.questions[{q_index}]"
                if question.id in seen:
                    self.fail(
                        f"{q_path}.id",
                        f"duplicate question id {question.id!r} (see {seen[question.id]})",
                    )
                seen.setdefault(question.id, q_path)
                self.question(question, q_path)
                self.problems += check_condition(question, f"{q_path}.show_if", earlier, all_ids)
                earlier[question.id] = question
        return self.problems

    def ident(self, value: str, path: str) -> None:
        if not re.fullmatch(ID_PATTERN, value):
            hint = "lowercase letters, digits and _ starting with a letter (at most 64)"
            self.fail(path, f"expected {hint}, got {value!r}")

    def unique(self, path: str, values: Iterable[str], what: str, suffix: str = "") -> None:
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                self.fail(f"{path}[{index}]{suffix}", f"duplicate {what} {value!r}")
            seen.add(value)

    def text(self, value: Translatable | None, path: str, *, optional: bool = False) -> None:
        d = self.definition
        if value is None:
            if not optional:
                self.fail(path, "is required")
        elif isinstance(value, str):
            if not value.strip():
                self.fail(path, "must not be empty")
        elif not value:
            self.fail(path, "needs at least one language")
        else:
            for lang, text in value.items():
                if lang not in d.languages:
                    self.fail(f"{path}.{lang}", f"language {lang!r} is not one of the languages")
                elif not text.strip():
                    self.fail(f"{path}.{lang}", "must not be empty")
            if d.default_language not in value:
                self.fail(path, f"missing the default language {d.default_language!r}")

    def tags(self, tags: tuple[str, ...], path: str) -> None:
        for index, tag in enumerate(tags):
            if not re.fullmatch(TAG_PATTERN, tag):
                hint = "lowercase words joined by dots, such as heart.delight"
                self.fail(f"{path}[{index}]", f"expected {hint}, got {tag!r}")
        self.unique(path, tags, "tag")

    def question(self, q: Question, path: str) -> None:
        self.ident(q.id, f"{path}.id")
        self.text(q.text, f"{path}.text")
        self.text(q.help, f"{path}.help", optional=True)
        for name in sorted(_fields_set(q) - FIELDS_BY_TYPE[q.type]):
            self.fail(f"{path}.{name}", f"does not apply to {q.type} questions")
        self.tags(q.tags, f"{path}.tags")
        if q.scale is not None and default_scale(q.type) is not None:
            self.scale(q, q.scale, f"{path}.scale")
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE):
            least = 2 if q.type is QuestionType.SINGLE_CHOICE else 1
            if len(q.options) < least:
                self.fail(f"{path}.options", f"a {q.type} question needs at least {least} options")
            for index, option in enumerate(q.options):
                self.ident(option.id, f"{path}.options[{index}].id")
                self.text(option.text, f"{path}.options[{index}].text")
            self.unique(f"{path}.options", q.option_ids, "option id", suffix=".id")
        if q.type is QuestionType.MATRIX:
            if not q.rows:
                self.fail(f"{path}.rows", "a matrix question needs at least one row")
            for index, row in enumerate(q.rows):
                self.ident(row.id, f"{path}.rows[{index}].id")
                self.text(row.text, f"{path}.rows[{index}].text")
                self.tags(row.tags, f"{path}.rows[{index}].tags")
            self.unique(f"{path}.rows", q.row_ids, "row id", suffix=".id")
        for index, emotion in enumerate(q.emotions):
            if emotion not in EMOTIONS:
                self.fail(f"{path}.emotions[{index}]", f"unknown emotion {emotion!r}")
        self.unique(f"{path}.emotions", q.emotions, "emotion")
        if q.max_length is not None and not 1 <= q.max_length <= 100_000:
            self.fail(f"{path}.max_length", f"expected 1 to 100000, got {q.max_length}")
        self.bounds(q, path)

    def bounds(self, q: Question, path: str) -> None:
        for name, bound in (("min", q.min_value), ("max", q.max_value)):
            if bound is None:
                continue
            if not math.isfinite(bound):
                self.fail(f"{path}.{name}", "must be a finite number")
            elif q.integer and bound != int(bound):
                self.fail(
                    f"{path}.{name}", f"must be a whole number when integer is true, got {bound}"
                )
        if q.min_value is not None and q.max_value is not None and q.min_value > q.max_value:
            self.fail(f"{path}.max", f"max {q.max_value} is below min {q.min_value}")
        if q.min_date is not None and q.max_date is not None and q.min_date > q.max_date:
            self.fail(f"{path}.max", f"max {q.max_date} is before min {q.min_date}")

    def scale(self, q: Question, scale: Scale, path: str) -> None:
        expected = default_scale(q.type)
        if q.type in (QuestionType.LIKERT, QuestionType.MATRIX):
            if scale.min != 1 or scale.points not in LIKERT_POINTS:
                shown = f"{scale.min}–{scale.max}"
                self.fail(
                    f"{path}.points", f"a {q.type} scale has 5 or 7 points from 1, got {shown}"
                )
        elif expected is not None and (scale.min, scale.max) != (expected.min, expected.max):
            fixed = f"{expected.min}–{expected.max}"
            self.fail(path, f"a {q.type} scale is {fixed}, got {scale.min}–{scale.max}")
        self.text(scale.low, f"{path}.low", optional=True)
        self.text(scale.high, f"{path}.high", optional=True)
        if scale.labels and len(scale.labels) != scale.points:
            self.fail(
                f"{path}.labels",
                f"expected {scale.points} labels (one per point), got {len(scale.labels)}",
            )
        for index, label in enumerate(scale.labels):
            self.text(label, f"{path}.labels[{index}]")


def _fields_set(q: Question) -> set[str]:
    """The definition fields (YAML/JSON names) a question sets to something not default."""
    present = {
        "help": q.help is not None,
        "required": q.required,
        "tags": bool(q.tags),
        "reverse_keyed": q.reverse_keyed,
        "show_if": q.show_if is not None,
        "scale": q.scale is not None,
        "options": bool(q.options),
        "rows": bool(q.rows),
        "emotions": bool(q.emotions),
        "max_length": q.max_length is not None,
        "min": q.min_value is not None or q.min_date is not None,
        "max": q.max_value is not None or q.max_date is not None,
        "integer": q.integer,
    }
    return {name for name, is_set in present.items() if is_set}
