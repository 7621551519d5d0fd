"""Survey definitions as frozen dataclasses: a definition has pages, pages have questions.

Build them from dictionaries (YAML/JSON) with :func:`rapport.domain.survey.definition_from_dict`,
which also checks cross-references; building them directly is fine too, and
:func:`rapport.domain.survey.check_definition` then tells what is wrong.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from rapport.domain.logic import Condition
from rapport.domain.survey.text import EMOTIONS, Translatable

ID_PATTERN: Final = r"[a-z][a-z0-9_]{0,63}"
"""Page, question, option and matrix row ids (Python ``re.fullmatch`` syntax)."""
KEY_PATTERN: Final = r"[a-z0-9]+(?:-[a-z0-9]+)*"
"""Survey keys such as ``customer-relationship`` (at most 120 characters)."""
TAG_PATTERN: Final = r"[a-z_]+(?:\.[a-z_]+)*"
"""Construct tags such as ``heart.delight`` or ``relationship.taken_for_granted``."""
CONSTRUCT_TAGS: Final = frozenset(
    (
        *("heart.delight", "heart.special", "heart.about_me", "heart.expectations"),
        *("heart.cared", "heart.challenge"),
        *("mind.needs", "mind.ease", "mind.fast", "mind.convenient", "mind.trackable"),
        *("mind.personalised", "mind.predictive", "mind.effort"),
        *("relationship.fresh", "relationship.taken_for_granted"),
        *("loyalty.recommend", "loyalty.recommend_employer", "effort.contacts"),
        *("satisfaction.overall", "satisfaction.contact"),
        *("readiness.leadership", "readiness.organised", "readiness.managers"),
        *("readiness.climate", "readiness.motivation"),
    )
)
"""The construct tags Rapport's templates and analytics read (docs/surveys.md, "Long rows
and construct tags"): what the tags edited in an import's preview may be. A definition may
carry other tags."""
LANGUAGE_PATTERN: Final = r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*"
"""Language codes such as ``en``, ``es`` or ``pt-BR``."""
DEFAULT_TEXT_MAX_LENGTH: Final = 2000
"""The longest free-text answer accepted when a question does not set ``max_length``."""


class Audience(enum.StrEnum):
    CUSTOMER = "customer"
    EMPLOYEE = "employee"


class QuestionType(enum.StrEnum):
    """What a question asks for; docs/surveys.md lists each type's answer shape."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    LIKERT = "likert"
    MATRIX = "matrix"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    EMOTION_PICKER = "emotion_picker"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DISPLAY = "display"


FIXED_SCALES: Final[Mapping[QuestionType, tuple[int, int]]] = {
    QuestionType.NPS: (0, 10),
    QuestionType.CSAT: (1, 5),
    QuestionType.CES: (1, 7),
}
LIKERT_POINTS: Final = (5, 7)
SCALE_TYPES: Final = frozenset(
    {QuestionType.NPS, QuestionType.CSAT, QuestionType.CES, QuestionType.LIKERT}
)
"""Types answered with one integer on a :class:`Scale`."""
INTENSITY_RANGE: Final = (1, 3)
"""Emotion picker intensities."""

_COMMON = ("id", "type", "text", "help", "required", "tags", "show_if")
FIELDS_BY_TYPE: Final[Mapping[QuestionType, frozenset[str]]] = {
    QuestionType.NPS: frozenset((*_COMMON, "scale", "reverse_keyed")),
    QuestionType.CSAT: frozenset((*_COMMON, "scale", "reverse_keyed")),
    QuestionType.CES: frozenset((*_COMMON, "scale", "reverse_keyed")),
    QuestionType.LIKERT: frozenset((*_COMMON, "scale", "reverse_keyed")),
    QuestionType.MATRIX: frozenset((*_COMMON, "scale", "rows")),
    QuestionType.SINGLE_CHOICE: frozenset((*_COMMON, "options")),
    QuestionType.MULTI_CHOICE: frozenset((*_COMMON, "options")),
    QuestionType.EMOTION_PICKER: frozenset((*_COMMON, "emotions")),
    QuestionType.TEXT: frozenset((*_COMMON, "max_length")),
    QuestionType.NUMBER: frozenset((*_COMMON, "min", "max", "integer")),
    QuestionType.DATE: frozenset((*_COMMON, "min", "max")),
    QuestionType.DISPLAY: frozenset(("id", "type", "text", "help", "show_if")),
}
"""Which definition fields each question type accepts (names as in YAML/JSON)."""


@dataclass(frozen=True)
class Scale:
    """The points of a rating question, with optional end anchors and per-point labels.

    ``labels`` is empty or has exactly one label per point, lowest first.
    """

    min: int
    max: int
    low: Translatable | None = None
    high: Translatable | None = None
    labels: tuple[Translatable, ...] = ()

    @property
    def points(self) -> int:
        """How many answer points the scale has.

        >>> Scale(0, 10).points
        11
        """
        return self.max - self.min + 1


def default_scale(qtype: QuestionType, points: int = 5) -> Scale | None:
    """The scale a question of ``qtype`` has unless told otherwise (None: no scale).

    >>> default_scale(QuestionType.CES)
    Scale(min=1, max=7, low=None, high=None, labels=())
    >>> default_scale(QuestionType.TEXT) is None
    True
    """
    if qtype in FIXED_SCALES:
        low, high = FIXED_SCALES[qtype]
        return Scale(low, high)
    if qtype in (QuestionType.LIKERT, QuestionType.MATRIX):
        return Scale(1, points)
    return None


@dataclass(frozen=True)
class Option:
    """One choice of a single or multi choice question."""

    id: str
    text: Translatable


@dataclass(frozen=True)
class MatrixRow:
    """One Likert row of a matrix question; its tags add to the question's tags."""

    id: str
    text: Translatable
    tags: tuple[str, ...] = ()
    reverse_keyed: bool = False


@dataclass(frozen=True)
class Question:
    """One question (or, for ``display``, a piece of text with no answer).

    Rating types get their default scale, and emotion pickers the full emotion set, when
    none is given:

    >>> q = Question("nps", QuestionType.NPS, "How likely are you to recommend us?")
    >>> (q.scale.min, q.scale.max) if q.scale else None
    (0, 10)
    """

    id: str
    type: QuestionType
    text: Translatable
    help: Translatable | None = None
    required: bool = False
    tags: tuple[str, ...] = ()
    reverse_keyed: bool = False
    show_if: Condition | None = None
    scale: Scale | None = None
    options: tuple[Option, ...] = ()
    rows: tuple[MatrixRow, ...] = ()
    emotions: tuple[str, ...] = ()
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    integer: bool = False
    min_date: date | None = None
    max_date: date | None = None

    def __post_init__(self) -> None:
        if self.scale is None:
            object.__setattr__(self, "scale", default_scale(self.type))
        if self.type is QuestionType.EMOTION_PICKER and not self.emotions:
            object.__setattr__(self, "emotions", EMOTIONS)

    @property
    def answerable(self) -> bool:
        """False only for display text."""
        return self.type is not QuestionType.DISPLAY

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)

    @property
    def row_ids(self) -> tuple[str, ...]:
        return tuple(row.id for row in self.rows)

    @property
    def text_max_length(self) -> int:
        """The effective limit of a text answer."""
        return self.max_length if self.max_length is not None else DEFAULT_TEXT_MAX_LENGTH


@dataclass(frozen=True)
class Page:
    id: str
    questions: tuple[Question, ...]
    title: Translatable | None = None


@dataclass(frozen=True)
class SurveyDefinition:
    """A survey as its author wrote it; a published version of it never changes.

    >>> q = Question("nps", QuestionType.NPS, "How likely...?")
    >>> d = SurveyDefinition("demo", "Demo", Audience.CUSTOMER, (Page("p1", (q,)),))
    >>> [q.id for q in d.questions], d.question("nps").type.value
    (['nps'], 'nps')
    """

    key: str
    title: Translatable
    audience: Audience
    pages: tuple[Page, ...]
    anonymous: bool = False
    default_language: str = "en"
    languages: tuple[str, ...] = ("en",)
    description: Translatable | None = None
    thank_you: Translatable | None = None

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question of every page, in the order respondents meet them."""
        return tuple(q for page in self.pages for q in page.questions)

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError when there is none."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong with a definition: where (``pages[1].questions[3].show_if``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SurveyDefinitionError(ValueError):
    """A survey definition is not valid; ``problems`` lists every problem found.

    >>> str(SurveyDefinitionError([DefinitionProblem("key", "is required")]))
    'key: is required'
    """

    def __init__(self, problems: Iterable[DefinitionProblem]) -> None:
        self.problems: tuple[DefinitionProblem, ...] = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = "\n".join(f"  {p}" for p in self.problems)
        return f"{len(self.problems)} problems in the survey definition:\n{lines}"
