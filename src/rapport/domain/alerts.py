"""Alert rules and cases: the closed loop's vocabulary, and what a rule's condition reads.

A rule's condition is the display-logic language (:mod:`rapport.domain.logic`) over a
response's *facts*: its answers by question id, plus pseudo-fields (``docs/closed-loop.md``):

- ``emotion:<name>`` is answered when a comment of the response was read with that emotion:
  an Ekman emotion (``anger``, ``sadness``, …) or a GoEmotions label (``disappointment``).
  ``{"question": "emotion:anger", "op": "answered"}`` means "anger in a comment".
- ``index:hearts`` and ``index:minds`` are the response's hearts and minds scores (0–100, by
  the metrics' own definitions); ``{"question": "index:hearts", "op": "<", "value": 40}``.

A score such as NPS ≤ 6 is an ordinary comparison: ``{"question": "nps", "op": "<=",
"value": 6}``.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from rapport.domain.comment_emotions import EKMAN_EMOTIONS
from rapport.domain.logic import Condition, comparisons
from rapport.domain.survey.model import QuestionType, SurveyDefinition
from rapport.domain.survey.rows import AnswerValues

EMOTION_PREFIX: Final = "emotion:"
INDEX_PREFIX: Final = "index:"
INDICES: Final = ("hearts", "minds")


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


#: Hours to resolve a case of each priority unless ``RAPPORT_CASE_SLA_HOURS`` says otherwise.
DEFAULT_SLA_HOURS: Final[Mapping[str, int]] = {
    Priority.URGENT: 4,
    Priority.HIGH: 24,
    Priority.NORMAL: 72,
    Priority.LOW: 168,
}


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: Statuses in which a case waits for someone (and can become overdue).
WAITING: Final = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS})

#: Where each status may go next; a closed case stays closed.
TRANSITIONS: Final[Mapping[CaseStatus, frozenset[CaseStatus]]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}

RESOLUTION_CODES: Final = (
    "contacted_resolved",
    "contacted_unresolved",
    "no_contact_possible",
    "no_action_needed",
    "duplicate",
)


def due_at(opened: datetime, priority: str, sla_hours: Mapping[str, int]) -> datetime:
    """When a case of ``priority`` opened at ``opened`` is overdue.

    >>> due_at(datetime(2026, 1, 1), "high", DEFAULT_SLA_HOURS)
    datetime.datetime(2026, 1, 2, 0, 0)
    """
    return opened + timedelta(hours=sla_hours[priority])


def check_fields(
    condition: Condition,
    questions: Iterable[str] | None,
    emotions: Collection[str] = EKMAN_EMOTIONS,
) -> list[tuple[str, str]]:
    """``(path, message)`` for each comparison naming an unknown pseudo-field (``emotions``
    are the names ``emotion:`` accepts), or (when the survey's ``questions`` are known) an
    unknown question.

    >>> from rapport.domain.logic import AnyOf, Comparison, Op
    >>> check_fields(AnyOf((Comparison("emotion:rage", Op.ANSWERED),
    ...                     Comparison("index:hearts", Op.LT, 40))), None)
    [('any[0].question', "unknown emotion 'rage'")]
    """
    known = None if questions is None else set(questions)
    problems: list[tuple[str, str]] = []
    for path, comparison in comparisons(condition):
        where = f"{path}.question" if path else "question"
        name = comparison.question
        if name.startswith(EMOTION_PREFIX):
            if not name[len(EMOTION_PREFIX) :].strip():
                problems.append((where, "expected emotion:<name>"))
            elif name[len(EMOTION_PREFIX) :] not in emotions:
                problems.append((where, f"unknown emotion {name[len(EMOTION_PREFIX) :]!r}"))
        elif name.startswith(INDEX_PREFIX):
            if name[len(INDEX_PREFIX) :] not in INDICES:
                problems.append(
                    (where, f"unknown index {name!r}; expected index:hearts or index:minds")
                )
        elif known is not None and name not in known:
            problems.append((where, f"unknown question {name!r}"))
    return problems


def needs_indices(condition: Condition) -> bool:
    """Whether the condition reads ``index:*`` (scores are read only for such rules)."""
    return any(c.question.startswith(INDEX_PREFIX) for _, c in comparisons(condition))


def answers_from_values(
    definition: SurveyDefinition, values: Sequence[AnswerValues]
) -> dict[str, object]:
    """The answers mapping conditions read, rebuilt from stored long-form values.

    >>> from rapport.domain.survey import definition_from_dict
    >>> d = definition_from_dict({"key": "k", "title": "T", "audience": "customer",
    ...     "pages": [{"id": "p", "questions": [{"id": "nps", "type": "nps", "text": "?"},
    ...         {"id": "m", "type": "multi_choice", "text": "?",
    ...          "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}]}]})
    >>> answers_from_values(d, [("nps", "", 3.0, None), ("m", "b", 1.0, None)])
    {'nps': 3.0, 'm': ['b']}
    """
    types = {q.id: q.type for q in definition.questions}
    found: dict[str, object] = {}
    for qid, item, num, text in values:
        qtype = types.get(qid)
        if qtype is QuestionType.MULTI_CHOICE:
            chosen = found.setdefault(qid, [])
            if isinstance(chosen, list):
                chosen.append(item)
        elif qtype in (QuestionType.MATRIX, QuestionType.EMOTION_PICKER):
            rows = found.setdefault(qid, {})
            if isinstance(rows, dict):
                rows[item] = num
        else:
            found[qid] = num if num is not None else text
    return found


def facts(
    answers: Mapping[str, object],
    emotions: Iterable[str] = (),
    indices: Mapping[str, float | None] | None = None,
) -> dict[str, object]:
    """A response's answers with its pseudo-fields added (emotions found, index scores).

    >>> facts({"nps": 3}, ["anger"], {"hearts": 35.0, "minds": None})
    {'nps': 3, 'emotion:anger': 1, 'index:hearts': 35.0}
    """
    found: dict[str, object] = dict(answers)
    for emotion in emotions:
        found[EMOTION_PREFIX + emotion] = 1
    for name, score in (indices or {}).items():
        if score is not None:
            found[INDEX_PREFIX + name] = score
    return found
