"""Dictionaries (parsed YAML/JSON) → :class:`SurveyDefinition`, with every problem's path.

The reader checks shapes and JSON types; :func:`rapport.domain.survey.checks.check_definition`
then checks meaning (ids, scales, translations, display logic references).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from rapport.domain.logic import AllOf, AnyOf, Comparison, Condition, Not, Op, Scalar
from rapport.domain.survey.checks import check_definition
from rapport.domain.survey.model import (
    FIELDS_BY_TYPE,
    Audience,
    DefinitionProblem,
    MatrixRow,
    Option,
    Page,
    Question,
    QuestionType,
    Scale,
    SurveyDefinition,
    SurveyDefinitionError,
    default_scale,
)
from rapport.domain.survey.reader import Reader, at, json_type

_DEFINITION_FIELDS: Final = frozenset(
    {"key", "title", "description", "thank_you", "audience", "anonymous"}
    | {"default_language", "languages", "pages"}
)
_QUESTION_FIELDS: Final = frozenset().union(*FIELDS_BY_TYPE.values())


def definition_from_dict(data: object) -> SurveyDefinition:
    """Build and check a definition; raise :class:`SurveyDefinitionError` naming each path.

    >>> d = definition_from_dict({"key": "pulse", "title": "Pulse", "audience": "employee",
    ...     "pages": [{"id": "p1", "questions": [{"id": "enps", "type": "nps",
    ...     "text": "Would you recommend working here?"}]}]})
    >>> d.question("enps").scale.max if d.question("enps").scale else None
    10
    >>> try:
    ...     definition_from_dict({"key": "x", "title": "X", "audience": "customer",
    ...         "pages": [{"id": "p", "questions": [{"id": "q", "type": "text", "text": "Hi",
    ...         "show_if": {"question": "nsp", "op": "answered"}}]}]})
    ... except SurveyDefinitionError as error:
    ...     print(error)
    pages[0].questions[0].show_if: unknown question 'nsp'
    """
    reader = _Reader()
    definition = reader.definition(data)
    if reader.problems or definition is None:
        raise SurveyDefinitionError(reader.problems)
    problems = check_definition(definition)
    if problems:
        raise SurveyDefinitionError(problems)
    return definition


def condition_from_dict(data: object) -> Condition:
    """One condition of the display-logic language (alert rules reuse it); raise
    :class:`SurveyDefinitionError` naming each problem's path (``any[1].op``).

    >>> condition_from_dict({"question": "nps", "op": "<=", "value": 6})
    Comparison(question='nps', op=<Op.LE: '<='>, value=6, row=None)
    >>> try:
    ...     condition_from_dict({"all": [{"question": "nps", "op": "in", "value": 6}]})
    ... except SurveyDefinitionError as error:
    ...     print(error)
    all[0].value: 'in' needs a non-empty list, got a number
    """
    reader = _Reader()
    condition = reader.condition(data, "")
    if reader.problems or condition is None:
        raise SurveyDefinitionError(reader.problems or [DefinitionProblem("$", "no condition")])
    return condition


class _Reader(Reader):
    """Converts one definition, collecting problems instead of stopping at the first."""

    def definition(self, value: object) -> SurveyDefinition | None:
        data = self.mapping(value, "", _DEFINITION_FIELDS, ("key", "title", "audience", "pages"))
        if data is None:
            return None
        audience = self.string(data, "audience", "", "customer")
        if audience not in set(Audience):
            self.fail("audience", f"expected customer or employee, got {audience!r}")
            audience = "customer"
        languages = self.strings(data, "languages", "")
        default_language = self.string(data, "default_language", "", (*languages, "en")[0])
        pages = [self.page(item, path) for path, item in self.items(data, "pages", "")]
        return SurveyDefinition(
            key=self.string(data, "key", ""),
            title=self.text(data.get("title", ""), "title"),
            audience=Audience(audience),
            pages=tuple(page for page in pages if page is not None),
            anonymous=self.flag(data, "anonymous", ""),
            default_language=default_language,
            languages=languages or (default_language,),
            description=self.optional_text(data, "description", ""),
            thank_you=self.optional_text(data, "thank_you", ""),
        )

    def page(self, value: object, path: str) -> Page | None:
        data = self.mapping(
            value, path, frozenset({"id", "title", "questions"}), ("id", "questions")
        )
        if data is None:
            return None
        questions = [self.question(item, p) for p, item in self.items(data, "questions", path)]
        return Page(
            id=self.string(data, "id", path),
            questions=tuple(q for q in questions if q is not None),
            title=self.optional_text(data, "title", path),
        )

    def question(self, value: object, path: str) -> Question | None:
        data = self.mapping(value, path, _QUESTION_FIELDS, ("id", "type", "text"))
        if data is None:
            return None
        raw_type = data.get("type")
        if raw_type not in set(QuestionType):
            choices = ", ".join(QuestionType)
            self.fail(at(path, "type"), f"unknown question type {raw_type!r}; expected {choices}")
            return None
        qtype = QuestionType(str(raw_type))
        for key in data:
            if key in _QUESTION_FIELDS and key not in FIELDS_BY_TYPE[qtype]:
                self.fail(at(path, key), f"does not apply to {qtype} questions")
        number_type = qtype is QuestionType.NUMBER
        date_type = qtype is QuestionType.DATE
        max_length = data.get("max_length")
        if max_length is not None and (not isinstance(max_length, int) or max_length is True):
            self.fail(at(path, "max_length"), f"expected an integer, got {json_type(max_length)}")
            max_length = None
        show_if = data.get("show_if")
        return Question(
            id=self.string(data, "id", path),
            type=qtype,
            text=self.text(data.get("text", ""), at(path, "text")),
            help=self.optional_text(data, "help", path),
            required=self.flag(data, "required", path),
            tags=self.strings(data, "tags", path),
            reverse_keyed=self.flag(data, "reverse_keyed", path),
            show_if=None if show_if is None else self.condition(show_if, at(path, "show_if")),
            scale=self.scale(data.get("scale"), qtype, at(path, "scale")),
            options=tuple(self.option(item, p) for p, item in self.items(data, "options", path)),
            rows=tuple(self.row(item, p) for p, item in self.items(data, "rows", path)),
            emotions=self.strings(data, "emotions", path),
            max_length=max_length,
            min_value=self.number(data, "min", path) if number_type else None,
            max_value=self.number(data, "max", path) if number_type else None,
            integer=self.flag(data, "integer", path),
            min_date=self.day(data, "min", path) if date_type else None,
            max_date=self.day(data, "max", path) if date_type else None,
        )

    def scale(self, value: object, qtype: QuestionType, path: str) -> Scale | None:
        default = default_scale(qtype)
        if value is None or default is None:
            return default
        data = self.mapping(value, path, frozenset({"points", "low", "high", "labels"}), ())
        if data is None:
            return default
        points = data.get("points", default.points)
        if "points" in data and qtype not in (QuestionType.LIKERT, QuestionType.MATRIX):
            self.fail(at(path, "points"), f"{qtype} has a fixed scale {default.min}–{default.max}")
        elif not isinstance(points, int) or isinstance(points, bool):
            self.fail(at(path, "points"), f"expected 5 or 7, got {json_type(points)}")
        else:
            default = Scale(default.min, default.min + points - 1)
        labels = tuple(self.text(item, p) for p, item in self.items(data, "labels", path))
        return Scale(
            default.min,
            default.max,
            low=self.optional_text(data, "low", path),
            high=self.optional_text(data, "high", path),
            labels=labels,
        )

    def option(self, value: object, path: str) -> Option:
        data = self.mapping(value, path, frozenset({"id", "text"}), ("id", "text")) or {}
        return Option(
            self.string(data, "id", path), self.text(data.get("text", ""), at(path, "text"))
        )

    def row(self, value: object, path: str) -> MatrixRow:
        allowed = frozenset({"id", "text", "tags", "reverse_keyed"})
        data = self.mapping(value, path, allowed, ("id", "text")) or {}
        return MatrixRow(
            id=self.string(data, "id", path),
            text=self.text(data.get("text", ""), at(path, "text")),
            tags=self.strings(data, "tags", path),
            reverse_keyed=self.flag(data, "reverse_keyed", path),
        )

    def condition(self, value: object, path: str) -> Condition | None:
        if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in _COMBINATORS:
            name, inner = next(iter(value.items()))
            if name == "not":
                part = self.condition(inner, at(path, "not"))
                return None if part is None else Not(part)
            if not isinstance(inner, list | tuple) or not inner:
                self.fail(at(path, name), "expected a non-empty list of conditions")
                return None
            parts = [self.condition(item, at(at(path, name), i)) for i, item in enumerate(inner)]
            kept = tuple(part for part in parts if part is not None)
            return AllOf(kept) if name == "all" else AnyOf(kept)
        allowed = frozenset({"question", "op", "value", "row"})
        data = self.mapping(value, path, allowed, ("question", "op"))
        if data is None:
            return None
        raw_op = data.get("op")
        if raw_op not in set(Op):
            self.fail(at(path, "op"), f"unknown op {raw_op!r}; expected one of {' '.join(Op)}")
            return None
        op = Op(str(raw_op))
        row = data.get("row")
        if row is not None and not isinstance(row, str):
            self.fail(at(path, "row"), f"expected a string, got {json_type(row)}")
            row = None
        return Comparison(self.string(data, "question", path), op, self.value(data, op, path), row)

    def value(
        self, data: Mapping[str, object], op: Op, path: str
    ) -> Scalar | tuple[Scalar, ...] | None:
        value, where = data.get("value"), at(path, "value")
        if op in (Op.ANSWERED, Op.NOT_ANSWERED):
            if "value" in data:
                self.fail(where, f"'{op}' takes no value")
            return None
        if op in (Op.IN, Op.NOT_IN):
            if not isinstance(value, list | tuple) or not value:
                self.fail(where, f"'{op}' needs a non-empty list, got {json_type(value)}")
                return None
            if not all(_is_scalar(item) for item in value):
                self.fail(where, "expected strings or numbers")
            return tuple(item for item in value if _is_scalar(item))
        if not _is_scalar(value):
            self.fail(where, f"expected a string or a number, got {json_type(value)}")
            return None
        return value  # type: ignore[return-value]  # _is_scalar checked the type


_COMBINATORS: Final = frozenset({"all", "any", "not"})


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)
