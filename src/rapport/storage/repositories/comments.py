"""Free-text answers with their emotion analysis, for the comment explorer and themes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

from rapport.storage import page_aggregates
from rapport.storage.models import (
    AnswerRow,
    CommentAnalysisRow,
    CommentSnapshotRow,
    ResponseRow,
    SurveyItemRow,
    SurveyRow,
)


@dataclass(frozen=True)
class DataVersion:
    """What changes when a survey's comments do: its responses' largest id and count, the
    newest comment analysis (re-reading comments replaces their analyses) and the survey's
    ``data_revision`` (an erasure strips comments in place)."""

    last_response_id: int
    responses: int
    analysis_id: int
    revision: int


@dataclass(frozen=True)
class CommentRecord:
    response_id: int
    unit_id: int
    submitted_at: datetime
    question_id: str
    text: str
    status: str | None
    sentiment: str | None
    labels: tuple[str, ...]
    ekman: tuple[str, ...]
    recommend: float | None
    answer_id: int = 0
    """With ``submitted_at`` and ``response_id``, where the next page starts (a cursor)."""


@dataclass(frozen=True)
class CommentCursor:
    """Where a page of comments ended: the next page holds what sorts after it (newest
    first), so comments stored between two requests neither repeat nor go missing."""

    submitted_at: datetime
    response_id: int
    answer_id: int

    @classmethod
    def of(cls, record: CommentRecord) -> CommentCursor:
        return cls(record.submitted_at, record.response_id, record.answer_id)

    def token(self) -> str:
        """The cursor as a query parameter: ``<ISO time>~<response id>~<answer id>``."""
        return f"{self.submitted_at.isoformat()}~{self.response_id}~{self.answer_id}"

    @classmethod
    def parse(cls, token: str) -> CommentCursor | None:
        """The cursor :meth:`token` wrote, or None when ``token`` is not one."""
        parts = token.split("~")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            return None
        try:
            at = datetime.fromisoformat(parts[0])
        except ValueError:
            return None
        return cls(at, int(parts[1]), int(parts[2]))


@dataclass(frozen=True)
class CommentQuery:
    """Which comments of a survey: free-text answers to ``question_ids`` from ``unit_ids``
    (None: every unit) submitted in [since, until); ``score_band`` an inclusive range of the
    recommend score, ``emotion`` a label or Ekman emotion, ``sentiment`` a sentiment."""

    survey_id: int
    question_ids: tuple[str, ...]
    unit_ids: tuple[int, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None
    score_band: tuple[float, float] | None = None
    emotion: str | None = None
    sentiment: str | None = None
    above_id: int = 0
    """Only responses with a larger id (0: all): the increment of a kept tally."""
    through_id: int | None = None
    """Only responses with at most this id (None: all): a tally of exactly the responses
    of a :class:`DataVersion`, so one stored meanwhile is never counted twice."""


@dataclass(frozen=True)
class CommentSnapshot:
    """What was computed from a survey's comments for one filter, as of ``version``."""

    version: DataVersion
    comments: int
    computed_at: datetime
    payload: dict[str, Any]


class NewSnapshot(NamedTuple):
    """A snapshot to keep: what (``kind``, filter ``key``), over how many comments, when,
    and its JSON ``payload``."""

    kind: str
    key: str
    comments: int
    computed_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class CommentTally:
    """How many comments of one unit share a status, sentiment, Ekman set and score band
    (``band``: the index of the matching band of those asked for, or None); ``emotion``:
    whether the asked-for emotion is among their labels."""

    unit_id: int
    status: str | None
    sentiment: str | None
    ekman: tuple[str, ...]
    band: int | None
    emotion: bool
    n: int


def _has_word(column: Any, word: str) -> ColumnElement[bool]:
    """Whether a space-separated list of words holds ``word`` (labels, Ekman emotions)."""
    padded = literal(" ") + func.coalesce(column, "") + literal(" ")
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return padded.like(f"% {escaped} %", escape="\\")


class CommentRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- the comment explorer: pages and tallies in the database -------------------------

    @staticmethod
    def _recommend() -> ColumnElement[float | None]:
        score = aliased(AnswerRow)
        return (
            select(func.max(score.value_num))
            .join(
                SurveyItemRow,
                and_(
                    SurveyItemRow.survey_version_id == ResponseRow.survey_version_id,
                    SurveyItemRow.question_id == score.question_id,
                    SurveyItemRow.qtype == "nps",
                ),
            )
            .where(score.response_id == ResponseRow.id)
            .correlate(ResponseRow)
            .scalar_subquery()
        )

    def _matching(self, query: CommentQuery, *columns: Any) -> Select[Any]:
        q = (
            select(*columns)
            .select_from(ResponseRow)
            .join(AnswerRow, AnswerRow.response_id == ResponseRow.id)
            .outerjoin(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == ResponseRow.id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(
                ResponseRow.survey_id == query.survey_id,
                AnswerRow.question_id.in_(query.question_ids),
                AnswerRow.value_text.is_not(None),
            )
        )
        if query.unit_ids is not None:
            q = q.where(ResponseRow.unit_id.in_(query.unit_ids))
        if query.above_id:
            q = q.where(ResponseRow.id > query.above_id)
        if query.through_id is not None:
            q = q.where(ResponseRow.id <= query.through_id)
        if query.since is not None:
            q = q.where(ResponseRow.submitted_at >= query.since)
        if query.until is not None:
            q = q.where(ResponseRow.submitted_at < query.until)
        if query.score_band is not None:
            q = q.where(self._recommend().between(*query.score_band))
        if query.emotion:
            q = q.where(
                or_(
                    _has_word(CommentAnalysisRow.ekman, query.emotion),
                    _has_word(CommentAnalysisRow.labels, query.emotion),
                )
            )
        if query.sentiment:
            q = q.where(CommentAnalysisRow.sentiment == query.sentiment)
        return q

    def page(
        self,
        query: CommentQuery,
        *,
        limit: int,
        after: CommentCursor | None = None,
        offset: int = 0,
    ) -> list[CommentRecord]:
        """One page of the matching comments, newest first: those after ``after`` (keyset;
        stable while comments arrive) or from ``offset`` on, at most ``limit``."""
        q = self._matching(
            query,
            ResponseRow.id,
            ResponseRow.unit_id,
            ResponseRow.submitted_at,
            AnswerRow.question_id,
            AnswerRow.value_text,
            CommentAnalysisRow.status,
            CommentAnalysisRow.sentiment,
            CommentAnalysisRow.labels,
            CommentAnalysisRow.ekman,
            self._recommend(),
            AnswerRow.id,
        ).order_by(ResponseRow.submitted_at.desc(), ResponseRow.id.desc(), AnswerRow.id.desc())
        if after is not None:
            at, rid, aid = after.submitted_at, after.response_id, after.answer_id
            q = q.where(
                or_(
                    ResponseRow.submitted_at < at,
                    and_(
                        ResponseRow.submitted_at == at,
                        or_(ResponseRow.id < rid, and_(ResponseRow.id == rid, AnswerRow.id < aid)),
                    ),
                )
            )
        rows = self.s.execute(q.limit(limit).offset(offset))
        return [
            CommentRecord(
                rid,
                uid,
                at,
                qid,
                text or "",
                status,
                sentiment,
                tuple((labels or "").split()),
                tuple((ekman or "").split()),
                rec,
                aid,
            )
            for rid, uid, at, qid, text, status, sentiment, labels, ekman, rec, aid in rows
        ]

    def tally(
        self,
        query: CommentQuery,
        bands: Sequence[tuple[float, float]] = (),
        emotion: str | None = None,
    ) -> list[CommentTally]:
        """The matching comments counted by unit, status, sentiment, Ekman set, score band
        (the index in ``bands``) and whether they carry ``emotion``: every count a page of
        the explorer shows, without reading the comments."""
        recommend = self._recommend()
        band = (
            case(*((recommend.between(lo, hi), i) for i, (lo, hi) in enumerate(bands)), else_=None)
            if bands
            else literal(None)
        )
        has = (
            or_(
                _has_word(CommentAnalysisRow.ekman, emotion),
                _has_word(CommentAnalysisRow.labels, emotion),
            )
            if emotion
            else literal(False)
        )
        q = self._matching(
            query,
            ResponseRow.unit_id,
            CommentAnalysisRow.status,
            CommentAnalysisRow.sentiment,
            CommentAnalysisRow.ekman,
            band.label("band"),
            has.label("has"),
            func.count(),
        ).group_by(
            ResponseRow.unit_id,
            CommentAnalysisRow.status,
            CommentAnalysisRow.sentiment,
            CommentAnalysisRow.ekman,
            "band",
            "has",
        )
        return [
            CommentTally(
                int(uid),
                status,
                sentiment,
                tuple((ekman or "").split()),
                None if b is None else int(b),
                bool(h),
                int(n),
            )
            for uid, status, sentiment, ekman, b, h, n in self.s.execute(q)
        ]

    def texts(self, query: CommentQuery) -> list[tuple[str, datetime, tuple[str, ...]]]:
        """(text, submitted at, Ekman emotions) of every matching comment, newest first:
        what themes are found in (read once per data version, see ``CommentCache``)."""
        q = self._matching(
            query, AnswerRow.value_text, ResponseRow.submitted_at, CommentAnalysisRow.ekman
        ).order_by(ResponseRow.submitted_at.desc(), ResponseRow.id.desc(), AnswerRow.id.desc())
        return [(t or "", at, tuple((e or "").split())) for t, at, e in self.s.execute(q)]

    def version(self, survey_id: int) -> DataVersion:
        """The survey's :class:`DataVersion` now."""
        found = self.s.execute(
            select(func.coalesce(func.max(ResponseRow.id), 0), func.count(ResponseRow.id)).where(
                ResponseRow.survey_id == survey_id
            )
        ).one()
        analysed = self.s.scalar(select(func.coalesce(func.max(CommentAnalysisRow.id), 0)))
        revision = self.s.scalar(select(SurveyRow.data_revision).where(SurveyRow.id == survey_id))
        return DataVersion(int(found[0]), int(found[1]), int(analysed or 0), int(revision or 0))

    def only_added(self, survey_id: int, before: DataVersion, now: DataVersion) -> bool:
        """Whether the survey's data went from ``before`` to ``now`` by new responses only
        (with their comments' analyses): then what was counted up to ``before`` still
        holds, and the responses above ``before.last_response_id`` are the whole change.
        An erasure (``data_revision``), a deleted response (the count) or a comment read
        again (an analysis of an older response) says no."""
        if now.revision != before.revision or now.last_response_id < before.last_response_id:
            return False
        added = self.s.scalar(
            select(func.count(ResponseRow.id)).where(
                ResponseRow.survey_id == survey_id, ResponseRow.id > before.last_response_id
            )
        )
        if before.responses + int(added or 0) != now.responses:
            return False
        # From the analyses made since (usually a few), each response looked up by its key:
        # as a join SQLite walked every response of the survey to find none (0.06–0.11 s
        # at 400 units, three times a comments page after each response).
        older = (
            select(ResponseRow.id)
            .where(
                ResponseRow.id == CommentAnalysisRow.response_id,
                ResponseRow.survey_id == survey_id,
                ResponseRow.id <= before.last_response_id,
            )
            .exists()
        )
        reread = self.s.scalar(
            select(CommentAnalysisRow.id)
            .where(CommentAnalysisRow.id > before.analysis_id, older)
            .limit(1)
        )
        return reread is None

    def changed_in_place(self, response_ids: Sequence[int]) -> None:
        """Stored responses changed other than by being added (an erasure strips their
        comments): their surveys' ``data_revision`` goes up, so every cache of their counts
        misses, and what was computed from their comments (themes quote them) goes."""
        if not response_ids:
            return
        surveys = select(ResponseRow.survey_id).where(ResponseRow.id.in_(response_ids))
        ids = sorted({int(i) for i in self.s.scalars(surveys.distinct())})
        self.s.execute(
            update(SurveyRow)
            .where(SurveyRow.id.in_(ids))
            .values(data_revision=SurveyRow.data_revision + 1)
            .execution_options(synchronize_session=False)
        )
        self.s.execute(delete(CommentSnapshotRow).where(CommentSnapshotRow.survey_id.in_(ids)))

    def snapshot(self, survey_id: int, kind: str, key: str) -> CommentSnapshot | None:
        """The snapshot kept for (survey, kind, filter key), if any."""
        row = self.s.scalars(
            select(CommentSnapshotRow).where(
                CommentSnapshotRow.survey_id == survey_id,
                CommentSnapshotRow.kind == kind,
                CommentSnapshotRow.key == key,
            )
        ).first()
        if row is None:
            return None
        version = DataVersion(row.last_response_id, row.responses, row.analysis_id, row.revision)
        return CommentSnapshot(version, row.comments, row.computed_at, dict(row.payload))

    def keep_snapshot(
        self,
        survey_id: int,
        kind: str,
        key: str,
        version: DataVersion,
        comments: int,
        computed_at: datetime,
        payload: dict[str, Any],
    ) -> bool:
        """Keep one snapshot computed at ``version`` (see :meth:`keep_snapshots`)."""
        return self.keep_snapshots(
            survey_id, version, [NewSnapshot(kind, key, comments, computed_at, payload)]
        )

    def keep_snapshots(
        self, survey_id: int, version: DataVersion, snapshots: Sequence[NewSnapshot]
    ) -> bool:
        """Keep snapshots computed at ``version`` in place of those before (same kind and
        key), unless the survey's data changed in place since (its revision moved on: a
        snapshot may quote an erased comment). One conditional UPDATE checks the revision
        and locks the survey row (a write lock on SQLite), so an erasure running at the same
        time either comes before (no row matches: refused) or after (and deletes them)."""
        locked = self.s.execute(
            update(SurveyRow)
            .where(SurveyRow.id == survey_id, SurveyRow.data_revision == version.revision)
            .values(data_revision=SurveyRow.data_revision)
            .execution_options(synchronize_session=False)
        )
        if locked.rowcount != 1:  # type: ignore[attr-defined]
            return False
        self.s.execute(
            delete(CommentSnapshotRow).where(
                CommentSnapshotRow.survey_id == survey_id,
                tuple_(CommentSnapshotRow.kind, CommentSnapshotRow.key).in_(
                    [(n.kind, n.key) for n in snapshots]
                ),
            )
        )
        self.s.add_all(
            CommentSnapshotRow(
                survey_id=survey_id,
                kind=n.kind,
                key=n.key,
                last_response_id=version.last_response_id,
                responses=version.responses,
                analysis_id=version.analysis_id,
                revision=version.revision,
                comments=n.comments,
                computed_at=n.computed_at,
                payload=n.payload,
            )
            for n in snapshots
        )
        self.s.flush()
        return True

    def response_counts(
        self, survey_id: int, above_id: int = 0, through_id: int | None = None
    ) -> dict[int, int]:
        """Responses with any answer to a survey item, by unit (the comment explorer's
        suppression counts); only those with an id above ``above_id`` and, when given, at
        most ``through_id``."""
        q = (
            select(ResponseRow.unit_id, func.count())
            .where(self._answered_between(survey_id, above_id, through_id))
            .group_by(ResponseRow.unit_id)
        )
        return {int(u): int(n) for u, n in self.s.execute(q)}

    def response_moments(
        self, survey_id: int, above_id: int = 0, through_id: int | None = None
    ) -> list[tuple[int, datetime]]:
        """(unit, submitted at) of the responses :meth:`response_counts` counts."""
        q = select(ResponseRow.unit_id, ResponseRow.submitted_at).where(
            self._answered_between(survey_id, above_id, through_id)
        )
        return [(int(u), at) for u, at in self.s.execute(q)]

    @classmethod
    def _answered_between(
        cls, survey_id: int, above_id: int, through_id: int | None
    ) -> ColumnElement[bool]:
        through = true() if through_id is None else ResponseRow.id <= through_id
        return and_(
            ResponseRow.survey_id == survey_id,
            ResponseRow.id > above_id,
            through,
            cls._answered(),
        )

    @staticmethod
    def _answered() -> ColumnElement[bool]:
        return exists(
            select(AnswerRow.id)
            .join(
                SurveyItemRow,
                and_(
                    SurveyItemRow.survey_version_id == ResponseRow.survey_version_id,
                    SurveyItemRow.question_id == AnswerRow.question_id,
                    SurveyItemRow.item == AnswerRow.item,
                ),
            )
            .where(AnswerRow.response_id == ResponseRow.id)
            .correlate(ResponseRow)
        )

    def for_survey(
        self, survey_id: int, question_ids: Sequence[str], unit_ids: Sequence[int] | None = None
    ) -> list[CommentRecord]:
        """The survey's free-text answers (redacted) to ``question_ids``, newest first."""
        score = aliased(AnswerRow)
        recommend = (
            select(func.max(score.value_num))
            .join(
                SurveyItemRow,
                and_(
                    SurveyItemRow.survey_version_id == ResponseRow.survey_version_id,
                    SurveyItemRow.question_id == score.question_id,
                    SurveyItemRow.qtype == "nps",
                ),
            )
            .where(score.response_id == ResponseRow.id)
            .correlate(ResponseRow)
            .scalar_subquery()
        )
        q = (
            select(
                ResponseRow.id,
                ResponseRow.unit_id,
                ResponseRow.submitted_at,
                AnswerRow.question_id,
                AnswerRow.value_text,
                CommentAnalysisRow.status,
                CommentAnalysisRow.sentiment,
                CommentAnalysisRow.labels,
                CommentAnalysisRow.ekman,
                recommend,
            )
            .join(AnswerRow, AnswerRow.response_id == ResponseRow.id)
            .outerjoin(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == ResponseRow.id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(
                ResponseRow.survey_id == survey_id,
                AnswerRow.question_id.in_(question_ids),
                AnswerRow.value_text.is_not(None),
            )
            .order_by(ResponseRow.submitted_at.desc(), ResponseRow.id.desc())
        )
        if unit_ids is not None:
            q = q.where(ResponseRow.unit_id.in_(unit_ids))
        return [
            CommentRecord(
                rid,
                uid,
                at,
                qid,
                text or "",
                status,
                sentiment,
                tuple((labels or "").split()),
                tuple((ekman or "").split()),
                rec,
            )
            for rid, uid, at, qid, text, status, sentiment, labels, ekman, rec in self.s.execute(q)
        ]

    def stale(
        self, version_id: int, question_ids: Sequence[str], model_version: str
    ) -> list[tuple[int, str, str, str | None]]:
        """(response id, question id, stored text, kept original) of answers of one survey
        version not yet read by ``model_version``."""
        q = (
            select(
                AnswerRow.response_id,
                AnswerRow.question_id,
                AnswerRow.value_text,
                CommentAnalysisRow.original_text,
            )
            .join(ResponseRow, ResponseRow.id == AnswerRow.response_id)
            .outerjoin(
                CommentAnalysisRow,
                and_(
                    CommentAnalysisRow.response_id == AnswerRow.response_id,
                    CommentAnalysisRow.question_id == AnswerRow.question_id,
                ),
            )
            .where(
                ResponseRow.survey_version_id == version_id,
                AnswerRow.question_id.in_(question_ids),
                AnswerRow.value_text.is_not(None),
            )
            .where(
                (CommentAnalysisRow.id.is_(None))
                | (CommentAnalysisRow.model_version != model_version)
            )
            .order_by(AnswerRow.response_id)
        )
        return [(r, qid, t or "", o) for r, qid, t, o in self.s.execute(q)]

    def replace_analyses(self, rows: Sequence[dict[str, Any]]) -> None:
        """Overwrite the analyses of (response, question) pairs (delete, then insert),
        and their responses' comment aggregates."""
        ids = sorted({int(r["response_id"]) for r in rows})
        page_aggregates.remove(self.s.connection(), "comments", ids)
        for row in rows:
            self.s.execute(
                delete(CommentAnalysisRow).where(
                    CommentAnalysisRow.response_id == row["response_id"],
                    CommentAnalysisRow.question_id == row["question_id"],
                )
            )
        if rows:
            self.s.connection().execute(insert(CommentAnalysisRow), list(rows))
        page_aggregates.add(self.s.connection(), "comments", ids)
