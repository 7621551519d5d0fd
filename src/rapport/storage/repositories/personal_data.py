"""Everything held about one person, read for an export and cut away for an erasure.

A person's data lives in ``people`` (identity, contact, attributes, consent), in their
``invitations`` (and the partial answers saved there) and in the ``responses`` linked to
them, with ``answers`` and ``comment_analyses``, in the notes and titles of follow-up
``cases`` opened on those responses, and in the text of the ``learnings`` linked to those
responses or cases (staff write about the person there). Erasure unlinks and strips the responses
and invitations and then deletes the ``people`` row; what stays is anonymous and keeps
every unit, month and numeric answer, so ``metric_aggregates`` need no change; the
attributes dropped leave ``attribute_aggregates`` (taken out and added back).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from rapport.storage import page_aggregates
from rapport.storage.models import (
    AnswerRow,
    CaseNoteRow,
    CaseRow,
    CommentAnalysisRow,
    DistributionRow,
    InvitationRow,
    LearningChangeRow,
    LearningLinkRow,
    LearningRow,
    PersonRow,
    ResponseRow,
    SurveyRow,
    SurveyVersionRow,
)
from rapport.storage.repositories.comments import CommentRepository

#: The text a case note keeps after the person it was about is erased.
ERASED_NOTE = "(note removed: the person was erased)"


@dataclass(frozen=True)
class ErasedRows:
    """What an erasure changed, by table (counts only: nothing identifying)."""

    responses: int
    invitations: int
    comments: int
    case_notes: int = 0
    learnings: int = 0


#: The text columns of a learning that may name the person it came from.
LEARNING_TEXTS = ("title", "what_happened", "impact", "learnt", "owner")


def _plain(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


class PersonalDataRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def response_ids(self, person_id: int) -> list[int]:
        """The person's responses: linked directly, or through one of their invitations."""
        through_invitation = select(InvitationRow.response_id).where(
            InvitationRow.person_id == person_id, InvitationRow.response_id.is_not(None)
        )
        query = select(ResponseRow.id).where(
            or_(ResponseRow.person_id == person_id, ResponseRow.id.in_(through_invitation))
        )
        return sorted(self.s.scalars(query))

    def version_ids(self, person_id: int) -> list[int]:
        """Survey versions of the person's responses."""
        ids = self.response_ids(person_id)
        if not ids:
            return []
        query = select(ResponseRow.survey_version_id).where(ResponseRow.id.in_(ids)).distinct()
        return sorted(self.s.scalars(query))

    def set_consent_email(self, person_id: int, consent: bool) -> None:
        self.s.execute(
            update(PersonRow)
            .where(PersonRow.id == person_id)
            .values(consent_email=consent)
            .execution_options(synchronize_session=False)
        )

    def invitations(self, person_id: int) -> list[dict[str, Any]]:
        """The person's invitations with their survey and distribution, oldest first."""
        i, d, v, s = InvitationRow, DistributionRow, SurveyVersionRow, SurveyRow
        query = (
            select(
                i.id, s.key.label("survey"), v.version, d.name.label("distribution"),
                d.channel, i.status, i.created_at, i.sent_at, i.reminded_at, i.reminders,
                i.used_at, i.response_id, i.partial_answers,
            )
            .join(d, d.id == i.distribution_id)
            .join(v, v.id == d.survey_version_id)
            .join(s, s.id == v.survey_id)
            .where(i.person_id == person_id)
            .order_by(i.id)
        )  # fmt: skip
        return [_plain(row) for row in self.s.execute(query).mappings()]

    def responses(self, response_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Responses with their survey key, version id, answers and comment analyses."""
        if not response_ids:
            return []
        r = ResponseRow
        query = (
            select(
                r.id, SurveyRow.key.label("survey"), r.survey_version_id, SurveyRow.audience,
                SurveyRow.anonymous, r.unit_id, r.channel, r.language, r.started_at,
                r.submitted_at, r.tenure_days, r.attributes,
            )
            .join(SurveyRow, SurveyRow.id == r.survey_id)
            .where(r.id.in_(response_ids))
            .order_by(r.id)
        )  # fmt: skip
        found = {row["id"]: _plain(row) | {"answers": [], "comments": []} for row in
                 self.s.execute(query).mappings()}  # fmt: skip
        a = AnswerRow
        answers = select(a.response_id, a.question_id, a.item, a.value_num, a.value_text).where(
            a.response_id.in_(response_ids)
        )
        for rid, question, item, num, text in self.s.execute(answers.order_by(a.id)):
            found[rid]["answers"].append(
                {"question": question, "item": item, "value": num if num is not None else text}
            )
        c = CommentAnalysisRow
        comments = select(
            c.response_id, c.question_id, c.sentiment, c.labels, c.ekman, c.original_text
        ).where(c.response_id.in_(response_ids))
        comments = comments.order_by(c.id)
        for rid, question, sentiment, labels, ekman, original in self.s.execute(comments):
            found[rid]["comments"].append(
                {
                    "question": question,
                    "sentiment": sentiment,
                    "emotions": [e for e in (labels or "").split() if e],
                    "ekman": [e for e in (ekman or "").split() if e],
                    "original_text": original,
                }
            )
        return list(found.values())

    def cases(self, response_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Follow-up cases opened on these responses, each with its notes (staff write
        about the person there, so the notes are the person's data too)."""
        if not response_ids:
            return []
        c, n = CaseRow, CaseNoteRow
        query = (
            select(
                c.id, c.response_id, c.title, c.status, c.priority, c.opened_at,
                c.resolved_at, c.resolution_code,
            )
            .where(c.response_id.in_(response_ids))
            .order_by(c.id)
        )  # fmt: skip
        found = {row["id"]: _plain(row) | {"notes": []} for row in
                 self.s.execute(query).mappings()}  # fmt: skip
        if found:
            notes = select(n.case_id, n.author, n.at, n.text).where(n.case_id.in_(list(found)))
            for row in self.s.execute(notes.order_by(n.id)).mappings():
                found[row["case_id"]]["notes"].append(
                    _plain({k: row[k] for k in ("author", "at", "text")})
                )
        return list(found.values())

    def learning_ids(self, response_ids: Sequence[int]) -> list[int]:
        """Learnings linked to these responses or to cases opened on them."""
        if not response_ids:
            return []
        link = LearningLinkRow
        on_cases = select(CaseRow.id).where(CaseRow.response_id.in_(response_ids))
        query = select(link.learning_id).where(
            or_(link.response_id.in_(response_ids), link.case_id.in_(on_cases))
        )
        return sorted(set(self.s.scalars(query)))

    def scrub_linked(self, response_ids: Sequence[int], scrub: Callable[[str], str]) -> int:
        """Pass the text of the learnings linked to these responses (or their cases) and the
        titles of the cases opened on them through ``scrub`` (the person's identifying
        values out), and drop the learnings' links to the responses; the learnings, their
        links to cases, units and themes, and the cases stay. Returns the learnings
        touched."""
        learning_ids = self.learning_ids(response_ids)
        learning_columns = [getattr(LearningRow, name) for name in LEARNING_TEXTS]
        for column in learning_columns:
            self._scrub(column, LearningRow.id.in_(learning_ids), scrub)
        self._scrub(
            LearningChangeRow.description, LearningChangeRow.learning_id.in_(learning_ids), scrub
        )
        self._scrub(CaseRow.title, CaseRow.response_id.in_(response_ids), scrub)
        if response_ids:
            self.s.execute(
                delete(LearningLinkRow)
                .where(LearningLinkRow.response_id.in_(response_ids))
                .execution_options(synchronize_session=False)
            )
        return len(learning_ids)

    def _scrub(self, column: Any, where: ColumnElement[bool], scrub: Callable[[str], str]) -> None:
        """Rewrite ``column`` of the rows ``where`` selects through ``scrub`` (only the
        rows it changes)."""
        key = column.class_.id
        for row_id, text in self.s.execute(select(key, column).where(where)).all():
            if text and (scrubbed := scrub(text)) != text:
                self.s.execute(
                    update(column.class_)
                    .where(key == row_id)
                    .values({column.key: scrubbed})
                    .execution_options(synchronize_session=False)
                )

    def erase(
        self,
        person_id: int,
        text_questions: Mapping[int, Collection[str]],
        keep_attributes: Collection[str],
        now: datetime,
    ) -> ErasedRows:
        """Unlink and strip the person's responses and invitations, then delete the person.

        ``text_questions`` maps a survey version id to its free-text question ids: those
        answers lose their text (the row stays, so counts of answered questions hold).
        Response attributes keep only ``keep_attributes``; tenure in days, the
        idempotency key (a caller's key may be built from the person's id) and its body
        hash go. Comment originals are dropped; the emotions read in them stay.
        """
        ids = self.response_ids(person_id)
        comments = 0
        if ids:
            query = select(ResponseRow.id, ResponseRow.survey_version_id).where(
                ResponseRow.id.in_(ids)
            )
            versions = dict(self.s.execute(query).all())
            for version_id, questions in text_questions.items():
                of_version = [rid for rid, v in versions.items() if v == version_id]
                if not of_version or not questions:
                    continue
                result = self.s.execute(
                    update(AnswerRow)
                    .where(
                        AnswerRow.response_id.in_(of_version),
                        AnswerRow.question_id.in_(sorted(questions)),
                        AnswerRow.value_text.is_not(None),
                    )
                    .values(value_text=None)
                    .execution_options(synchronize_session=False)
                )
                comments += cast(CursorResult[Any], result).rowcount
            self.s.execute(
                update(CommentAnalysisRow)
                .where(CommentAnalysisRow.response_id.in_(ids))
                .values(original_text=None)
                .execution_options(synchronize_session=False)
            )
            attributes = list(
                self.s.execute(
                    select(ResponseRow.id, ResponseRow.attributes).where(ResponseRow.id.in_(ids))
                )
            )
            # The attribute counts change with the attributes: out before, back after.
            page_aggregates.remove(self.s.connection(), "attributes", ids)
            for rid, attrs in attributes:
                kept = {k: v for k, v in (attrs or {}).items() if k in keep_attributes}
                self.s.execute(
                    update(ResponseRow)
                    .where(ResponseRow.id == rid)
                    .values(
                        person_id=None,
                        tenure_days=None,
                        attributes=kept,
                        idempotency_key=None,
                        body_hash=None,
                    )
                    .execution_options(synchronize_session=False)
                )
            page_aggregates.add(self.s.connection(), "attributes", ids)
            CommentRepository(self.s).changed_in_place(ids)  # caches and themes of comments
        notes = 0
        if ids:  # what staff wrote about the person on their cases goes; the cases stay
            on_their_cases = select(CaseRow.id).where(CaseRow.response_id.in_(ids))
            result = self.s.execute(
                update(CaseNoteRow)
                .where(CaseNoteRow.case_id.in_(on_their_cases))
                .values(text=ERASED_NOTE)
                .execution_options(synchronize_session=False)
            )
            notes = cast(CursorResult[Any], result).rowcount
        mine = InvitationRow.person_id == person_id
        invitations = self.s.execute(
            select(func.count()).select_from(InvitationRow).where(mine)
        ).scalar_one()
        # An unused link of an erased person must not take a response any more.
        self.s.execute(
            update(InvitationRow)
            .where(and_(mine, InvitationRow.used_at.is_(None)))
            .values(status="erased", used_at=now)
            .execution_options(synchronize_session=False)
        )
        self.s.execute(
            update(InvitationRow)
            .where(mine)
            .values(person_id=None, partial_answers=None, partial_page=None)
            .execution_options(synchronize_session=False)
        )
        self.s.execute(
            delete(PersonRow)
            .where(PersonRow.id == person_id)
            .execution_options(synchronize_session=False)
        )
        return ErasedRows(len(ids), int(invitations), comments, notes)

    def inactive_since(self, cutoff: datetime) -> list[int]:
        """Ids of people added to the directory before ``cutoff`` with no invitation
        created, sent, reminded or used and no response submitted since ``cutoff``."""
        i, r = InvitationRow, ResponseRow
        recent_invitation = select(i.person_id).where(
            i.person_id.is_not(None),
            or_(
                i.created_at >= cutoff,
                i.sent_at >= cutoff,
                i.reminded_at >= cutoff,
                i.used_at >= cutoff,
            ),
        )
        recent_response = select(r.person_id).where(
            r.person_id.is_not(None), r.submitted_at >= cutoff
        )
        query = select(PersonRow.id).where(
            PersonRow.created_at < cutoff,
            PersonRow.id.not_in(recent_invitation),
            PersonRow.id.not_in(recent_response),
        )
        return sorted(self.s.scalars(query.order_by(PersonRow.id)))
