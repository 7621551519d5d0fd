"""One person's profile: who they are to the organisation and their history across channels.

A profile holds the relationship (start, tenure), the unit, attributes and consent, and a
timeline, newest first: invitations (sent, opened, answered), responses with their hearts,
minds and NPS answer (scored by the metrics' own definitions,
:mod:`rapport.analytics.metrics.per_response`), the person's comments with the emotions read
in them, the follow-up cases opened on those responses, and their answers to items tagged
``heart.special`` ("I am treated as unique and
special": what makes the relationship feel special to them).

**Confidential surveys stay confidential.** A profile never shows the answers, scores or
comments of a protected survey (employee surveys always are,
:func:`rapport.services.confidentiality.protects`), to anyone, admins included: only that an
invitation was sent and whether it was used, and for an anonymous survey not even that.
An anonymous survey of an unprotected audience shows its invitations as sent only (whether
one was used would say who answered). Managers see people of their own subtree; anyone
else's profile is "not found", so a manager cannot learn who exists outside it. Every view
is written to the audit log (``person.view``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from rapport.analytics.metrics.per_response import ResponseScores, response_scores
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Person, PersonKind, Principal, Unit
from rapport.domain.survey import SurveyDefinition, text_for
from rapport.errors import NotFound
from rapport.services import audit, confidentiality, surveys
from rapport.services.access import require
from rapport.services.clock import as_utc, utcnow
from rapport.storage.repositories.profiles import PersonAnswer, PersonInvitation, PersonResponse
from rapport.storage.uow import UnitOfWork

SPECIAL_TAG = "heart.special"
"""The construct tag of "what makes this relationship feel special" (docs/surveys.md)."""


@dataclass(frozen=True)
class SurveyRef:
    id: int
    key: str
    title: str
    audience: str
    anonymous: bool
    confidential: bool


@dataclass(frozen=True)
class InvitationEvent:
    """An invitation: ``state`` is sent, opened (answering started) or answered; for an
    anonymous or confidential survey it is reduced to what may be known (see module)."""

    at: datetime
    survey: SurveyRef
    channel: str
    state: str
    answered_at: datetime | None
    kind: str = "invitation"


@dataclass(frozen=True)
class Comment:
    question_id: str
    question: str
    text: str
    sentiment: str | None
    emotions: tuple[str, ...]  # Ekman emotions read in the comment
    labels: tuple[str, ...]  # the model's finer labels


@dataclass(frozen=True)
class ResponseEvent:
    at: datetime
    survey: SurveyRef
    channel: str
    response_id: int
    unit: str  # the code of the unit the response was given at
    hearts: float | None
    minds: float | None
    recommend: float | None
    nps_category: str | None
    emotions_chosen: dict[str, float] = field(default_factory=dict)  # emotion picker
    comments: tuple[Comment, ...] = ()
    kind: str = "response"


@dataclass(frozen=True)
class SpecialAnswer:
    at: datetime
    survey: SurveyRef
    response_id: int
    question_id: str
    question: str
    value: float | None
    label: str


@dataclass(frozen=True)
class CaseEvent:
    """A follow-up case opened on a response the profile shows (never on a confidential
    survey's response: its case would say the person answered, and how)."""

    at: datetime  # when it was opened
    case_id: int
    response_id: int
    title: str
    status: str
    priority: str
    resolved_at: datetime | None
    resolution_code: str | None
    kind: str = "case"


@dataclass(frozen=True)
class Profile:
    person: Person
    unit: Unit
    tenure_days: int | None
    timeline: list[InvitationEvent | ResponseEvent | CaseEvent]
    special: list[SpecialAnswer]
    confidential_withheld: bool  # a confidential survey's answers exist but are not shown
    cases: list[CaseEvent] = field(default_factory=list)  # also in the timeline


def get_profile(
    uow: UnitOfWork,
    principal: Principal,
    policy: SuppressionPolicy,
    kind: PersonKind,
    external_id: str,
    *,
    today: date | None = None,
) -> Profile:
    """The profile of the person ``(kind, external_id)`` as ``principal`` may see it, and
    an audit entry ``person.view`` for it (written in the caller's transaction).

    >>> # get_profile(uow, analyst, policy, PersonKind.CUSTOMER, "c-0001").timeline[0].kind
    """
    require(principal, Permission.VIEW_COMMENTS)
    person = uow.people.by_key(kind, external_id.strip())
    unit = uow.units.get(person.unit_id) if person is not None else None
    if person is None or unit is None or not principal.sees_unit(unit.path):
        # Out of a manager's scope reads as absent: existence is personal data too.
        raise NotFound(f"no {kind.value} {external_id!r} in your part of the organisation")
    refs: dict[int, SurveyRef] = {}
    definitions: dict[int, SurveyDefinition] = {}

    def survey_of(survey_id: int, version_id: int) -> SurveyRef:
        if version_id not in definitions:
            published = surveys.get_version(uow, version_id)
            definitions[version_id] = published.definition
            s = published.survey
            refs[survey_id] = SurveyRef(
                s.id,
                s.key,
                s.title,
                s.audience,
                s.anonymous,
                confidentiality.protects(policy, s.audience),
            )
        return refs[survey_id]

    invitations = uow.profiles.invitations(person.id)
    events: list[InvitationEvent | ResponseEvent | CaseEvent] = [
        e
        for inv in invitations
        if (e := _invitation(inv, survey_of(inv.survey_id, inv.survey_version_id))) is not None
    ]
    shown: list[PersonResponse] = []
    withheld = False
    for r in uow.profiles.responses(person.id):
        if survey_of(r.survey_id, r.survey_version_id).confidential:
            withheld = True
        else:
            shown.append(r)
    # An anonymous confidential survey leaves no trace at all, not even this flag.
    withheld = withheld or any(
        refs[i.survey_id].confidential and not refs[i.survey_id].anonymous for i in invitations
    )
    answers: dict[int, list[PersonAnswer]] = {}
    for a in uow.profiles.answers([r.id for r in shown]):
        answers.setdefault(a.response_id, []).append(a)
    scores = response_scores(uow.connection(), [(r.id, r.survey_id) for r in shown])
    codes = {u.id: u.code for u in uow.units.all()}
    special: list[SpecialAnswer] = []
    for r in shown:
        ref, definition = refs[r.survey_id], definitions[r.survey_version_id]
        mine = answers.get(r.id, [])
        events.append(_response(r, ref, definition, mine, scores[r.id], codes, person.language))
        special.extend(_special(r, ref, definition, mine, person.language))
    cases = [
        CaseEvent(
            c.opened_at, c.id, c.response_id, c.title, c.status, c.priority,
            c.resolved_at, c.resolution_code,
        )
        for c in uow.profiles.cases([r.id for r in shown])
    ]  # fmt: skip
    events.extend(cases)
    order = {"invitation": 0, "response": 1, "case": 2}  # at the same instant: case on top
    events.sort(key=lambda e: (as_utc(e.at), order[e.kind]), reverse=True)
    special.sort(key=lambda s: as_utc(s.at), reverse=True)
    # By internal id, as export and erasure do: an erased person leaves no identity in the log.
    audit.record(uow, principal, AuditAction.PERSON_VIEW, f"person:{person.id}")
    return Profile(
        person,
        unit,
        person.tenure_days(today or utcnow().date()),
        events,
        special,
        withheld,
        cases,
    )


def _invitation(inv: PersonInvitation, survey: SurveyRef) -> InvitationEvent | None:
    if survey.confidential and survey.anonymous:
        return None
    state = "answered" if inv.used_at is not None else "sent"
    if inv.status == "started" and state == "sent":
        state = "opened"
    answered_at = inv.used_at
    if survey.anonymous:
        state, answered_at = "sent", None
    elif survey.confidential and state == "opened":  # only whether it was used
        state = "sent"
    return InvitationEvent(inv.sent_at or inv.created_at, survey, inv.channel, state, answered_at)


def _question_text(definition: SurveyDefinition, question_id: str, lang: str) -> str:
    question = definition.questions_by_id().get(question_id)
    if question is None:
        return question_id
    return text_for(question.text, lang, definition.default_language)


def _response(
    r: PersonResponse,
    survey: SurveyRef,
    definition: SurveyDefinition,
    answers: Sequence[PersonAnswer],
    s: ResponseScores,
    codes: dict[int, str],
    lang: str,
) -> ResponseEvent:
    by_id = definition.questions_by_id()
    chosen: dict[str, float] = {}
    comments: list[Comment] = []
    for a in answers:
        question = by_id.get(a.question_id)
        qtype = question.type.value if question is not None else ""
        if qtype == "emotion_picker" and a.item:
            chosen[a.item] = a.value_num if a.value_num is not None else 1.0
        elif qtype == "text" and a.value_text:
            comments.append(
                Comment(
                    a.question_id,
                    _question_text(definition, a.question_id, lang),
                    a.value_text,
                    a.sentiment,
                    a.ekman,
                    a.labels,
                )
            )
    return ResponseEvent(
        r.submitted_at,
        survey,
        r.channel,
        r.id,
        codes.get(r.unit_id, ""),
        s.hearts,
        s.minds,
        s.recommend,
        s.nps_category,
        chosen,
        tuple(comments),
    )


def _special(
    r: PersonResponse,
    survey: SurveyRef,
    definition: SurveyDefinition,
    answers: Sequence[PersonAnswer],
    lang: str,
) -> list[SpecialAnswer]:
    by_id = definition.questions_by_id()
    found: list[SpecialAnswer] = []
    for a in answers:
        question = by_id.get(a.question_id)
        if question is None:
            continue
        tags = set(question.tags)
        row = next((w for w in question.rows if w.id == a.item), None)
        if row is not None:
            tags.update(row.tags)
        if not any(t == SPECIAL_TAG or t.startswith(SPECIAL_TAG + ".") for t in tags):
            continue
        label = ""
        scale = question.scale
        if scale is not None and scale.labels and a.value_num is not None:
            point = int(a.value_num) - scale.min
            if 0 <= point < len(scale.labels):
                label = text_for(scale.labels[point], lang, definition.default_language)
        text = _question_text(definition, a.question_id, lang)
        if row is not None:
            text = f"{text}: {text_for(row.text, lang, definition.default_language)}"
        found.append(
            SpecialAnswer(
                r.submitted_at,
                survey,
                r.id,
                a.question_id,
                text,
                a.value_num,
                label or (a.value_text or ""),
            )
        )
    return found
