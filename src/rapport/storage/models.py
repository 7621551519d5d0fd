"""SQLAlchemy 2 table models. The schema is created only through Alembic migrations.

Tables are grouped by concern: organisation (units, people, outcomes, actions), access
(users, sessions, api_tokens, login_attempts, audit_log) and surveys (surveys, survey_versions,
survey_items, distributions, invitations, public_links, responses, answers).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType}  # noqa: RUF012


# --- organisation -------------------------------------------------------------------------


class UnitRow(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # Materialised path of codes from the root ("northwind/west/west-store-02"): subtree
    # queries become a prefix match, which both SQLite and PostgreSQL index well.
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(200))


class UnitMoveRow(Base):
    """A unit moved to another parent on a date (the tree keeps only the current parent)."""

    __tablename__ = "unit_moves"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    old_parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    new_parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    moved_on: Mapped[date] = mapped_column(Date)
    moved_by: Mapped[str] = mapped_column(String(200))


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10), default="en")
    relationship_start: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consent_email: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the person entered the directory (set by the database): retention counts
    # inactivity from here for people never invited.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OutcomeRow(Base):
    """A business figure per unit and period: ``period`` is the first day of the month,
    ISO week (a Monday) or quarter named by ``grain``; ``metric`` is the outcome's name
    (revenue, complaints, ...), not a metrics-engine metric (docs/outcomes.md)."""

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("unit_id", "grain", "period", "metric"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    grain: Mapped[str] = mapped_column(String(10), default="month", server_default="month")
    period: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)


class ActionRow(Base):
    """A fresh-experience action or a breakdown learning entry for a unit."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    intended_effect: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# --- access --------------------------------------------------------------------------------


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """An API bearer token; only its SHA-256 is stored (tokens carry 256 random bits)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SessionRow(Base):
    """A browser session. The signed cookie carries a random id; only its SHA-256 is
    stored, so logging out (or an admin) can end a session a copied cookie still names."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Written at most once a minute per session, not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    success: Mapped[bool] = mapped_column(Boolean)


class AuditRow(Base):
    """Who did what to which target; action names are listed in ``domain/audit.py``."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_id", "actor", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ImportJobRow(Base):
    """A CSV import running in the background; its report is the 201/422 body it ends with."""

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    owner_kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(Integer)
    owner_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # host:pid of the process running it, so a restart can tell an orphan from a live job.
    runner: Mapped[str] = mapped_column(String(200))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    report: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- surveys -------------------------------------------------------------------------------


class SurveyRow(Base):
    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(20))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counts changes to the survey's stored responses other than new ones (an erasure
    strips comments): what a cache of their counts or themes cannot see from ids alone."""


class SurveyVersionRow(Base):
    """One version of a survey definition; a published version is never changed again."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft | published
    definition: Mapped[dict[str, Any]] = mapped_column()
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SurveyItemRow(Base):
    """One scored item of a published version (a question, or a matrix row), with its tags.

    Derived from the definition on publish so metrics can join answers to construct tags
    and scales in SQL instead of parsing definitions.
    """

    __tablename__ = "survey_items"
    __table_args__ = (UniqueConstraint("survey_version_id", "question_id", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(120))
    item: Mapped[str] = mapped_column(String(120), default="")
    qtype: Mapped[str] = mapped_column(String(30))
    tags: Mapped[str] = mapped_column(String(500), default="")  # space-separated
    scale_min: Mapped[float | None] = mapped_column(Float)
    scale_max: Mapped[float | None] = mapped_column(Float)
    reverse_keyed: Mapped[bool] = mapped_column(Boolean, default=False)


class DistributionRow(Base):
    __tablename__ = "distributions"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))  # link | email | qr | api | import
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200), default="")


class InvitationRow(Base):
    """A single-use invitation; for anonymous surveys ``response_id`` is never set."""

    __tablename__ = "invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The link is HMAC(secret key, salt): reminders can rebuild it, a database leak alone
    # cannot.
    salt: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    partial_answers: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # The page the respondent was last on (a page id): the link reopens there.
    partial_page: Mapped[str | None] = mapped_column(String(64))


class PublicLinkRow(Base):
    """An anonymous, reusable link per unit (kiosks, receipts)."""

    __tablename__ = "public_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ResponseRow(Base):
    __tablename__ = "responses"
    __table_args__ = (
        # A key belongs to the caller that sent it (idempotency_scope, e.g. "token:7").
        UniqueConstraint("survey_id", "idempotency_scope", "idempotency_key"),
        # The audience last: a survey's periods by audience read from the index alone, and
        # one unit's responses still read by the unit's index (migration 0023).
        Index("ix_responses_survey_submitted_audience", "survey_id", "submitted_at", "audience"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="en")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tenure_days: Mapped[int | None] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    idempotency_scope: Mapped[str] = mapped_column(String(120), default="", server_default="")
    body_hash: Mapped[str | None] = mapped_column(String(64))


class AnswerRow(Base):
    """Answers in long form: one row per question, matrix row, chosen option or emotion."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_response_question", "response_id", "question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(120))
    item: Mapped[str] = mapped_column(String(120), default="")
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)


class CommentSnapshotRow(Base):
    """Something computed from a survey's comments (``kind`` ``themes`` or ``counts``), for
    one filter (``key``: a digest of the query), as of a data version: the responses'
    largest id and count, the newest comment analysis and the survey's ``data_revision``."""

    __tablename__ = "comment_snapshots"
    __table_args__ = (UniqueConstraint("survey_id", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    last_response_id: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(Integer)
    analysis_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    comments: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column()


class CommentAnalysisRow(Base):
    """Emotions read in one free-text answer, and the model version that read them.

    ``answers.value_text`` holds the comment with personal data redacted; the original is
    kept in ``original_text`` only when ``RAPPORT_KEEP_ORIGINAL_COMMENTS`` is set.
    """

    __tablename__ = "comment_analyses"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        Index("ix_comment_analyses_model_version", "model_version"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(120))
    model_version: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(40))
    sentiment: Mapped[str | None] = mapped_column(String(60))
    labels: Mapped[str] = mapped_column(String(500), default="")
    ekman: Mapped[str] = mapped_column(String(200), default="")
    original_text: Mapped[str | None] = mapped_column(Text)


# --- aggregates that metrics read (rapport.storage.aggregates) ------------------------------


class ItemConstructRow(Base):
    """Each construct (tag or dotted tag prefix) a survey item counts towards: an item
    tagged ``heart.cared`` is in ``heart`` and ``heart.cared``. Derived from
    ``survey_items.tags`` on publish, so index aggregates are a join, not string work."""

    __tablename__ = "item_constructs"
    survey_item_id: Mapped[int] = mapped_column(
        ForeignKey("survey_items.id", ondelete="CASCADE"), primary_key=True
    )
    prefix: Mapped[str] = mapped_column(String(500), primary_key=True)


class MetricAggregateRow(Base):
    """Sufficient statistics per survey version × unit × month (UTC) — what metrics read
    instead of raw answers when the query allows (``analytics/metrics/aggregates.py``).

    ``kind`` says what a row counts:

    - ``responses``: responses (``n``);
    - ``value``: answers to ``key`` (question) / ``item`` equal to ``value`` (a histogram);
    - ``answered``: responses with a numeric answer to question ``key``;
    - ``index``: responses scored on construct ``key`` (a tag prefix), with
      Σ(score − 50) and Σ(score − 50)² of their 0–100 scores.

    Written in the transaction that stores the responses; ``rapport metrics
    rebuild-aggregates`` recomputes it from the raw rows.
    """

    __tablename__ = "metric_aggregates"
    __table_args__ = (
        Index("ix_metric_aggregates_grain", "survey_id", "month"),
        {"sqlite_with_rowid": False},
    )
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    item: Mapped[str] = mapped_column(String(120), primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_versions.id"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float, primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    n: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[float] = mapped_column(Float)
    total_sq: Mapped[float] = mapped_column(Float)


class CommentAggregateRow(Base):
    """Comments the emotion model read per survey version × unit × month (UTC): what the
    comment emotion and sentiment metrics read instead of ``comment_analyses``.

    ``kind`` ``read`` counts the comments read (``key`` empty), ``sentiment`` those of
    sentiment ``key``, ``ekman`` those showing Ekman emotion ``key``. Written with the
    analyses (``rapport.storage.page_aggregates``), rebuilt with ``metric_aggregates``.
    """

    __tablename__ = "comment_aggregates"
    __table_args__ = ({"sqlite_with_rowid": False},)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_versions.id"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    n: Mapped[int] = mapped_column(BigInteger)


class AttributeAggregateRow(Base):
    """Responses per person attribute ``name`` = ``value`` (as text, the way metrics
    read it) × survey version × unit × month (UTC); responses without the attribute are
    the ``responses`` count of ``metric_aggregates`` minus these. Written with the
    responses (``rapport.storage.page_aggregates``), rebuilt with ``metric_aggregates``.
    """

    __tablename__ = "attribute_aggregates"
    __table_args__ = ({"sqlite_with_rowid": False},)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_versions.id"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    n: Mapped[int] = mapped_column(BigInteger)


class AttributeIndexAggregateRow(Base):
    """Index sums per person attribute ``name`` = ``value`` × top-level construct ``key``
    (``heart``, ``mind``; no dotted prefix) × survey version × unit × month (UTC): of the
    responses scored on the construct, ``n``, Σ(s − 50) and Σ(s − 50)² of their 0–100
    scores — ``metric_aggregates``' ``index`` rows split by attribute, so an index by
    tenure band or segment is read without the answers. Written with the responses and
    taken out and added back when their attributes change (``rapport.storage.page_aggregates``).
    """

    __tablename__ = "attribute_index_aggregates"
    __table_args__ = ({"sqlite_with_rowid": False},)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[str] = mapped_column(Text, primary_key=True)
    survey_version_id: Mapped[int] = mapped_column(
        ForeignKey("survey_versions.id"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    audience: Mapped[str] = mapped_column(String(20), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    n: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[float] = mapped_column(Float)
    total_sq: Mapped[float] = mapped_column(Float)


# --- closed loop: alert rules and cases (rapport.services.alerts, rapport.services.cases) ----


class AlertRuleRow(Base):
    """A condition on stored responses that opens a case (``docs/closed-loop.md``)."""

    __tablename__ = "alert_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))
    audience: Mapped[str | None] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # its subtree
    condition: Mapped[dict[str, Any]] = mapped_column()
    priority: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "Did we put it right?": sent to the respondent when a case of this rule is closed.
    follow_up_survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))


class CaseRow(Base):
    """Follow-up of one piece of feedback; one per (rule, response) when a rule opened it."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("rule_id", "response_id"),
        Index("ix_cases_status_due_at", "status", "due_at"),
        # A unit's cases (its prefix), and the repeat-issue rate's earlier cases of one unit
        # and rule within a window of opening times (migration 0025).
        Index("ix_cases_unit_rule_opened", "unit_id", "rule_id", "opened_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id"))
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    audience: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_code: Mapped[str | None] = mapped_column(String(60))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # The follow-up survey's invitation sent on closing, and the response that answered it.
    follow_up_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), index=True
    )
    follow_up_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="SET NULL")
    )


class CaseNoteRow(Base):
    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)


class CaseEventRow(Base):
    """What happened to a case (opened, status, owner, escalated); rows are only added.

    ``notified_at`` is set once the owner was e-mailed about an ``opened`` or
    ``escalated`` event: mail goes out after the transaction, never inside it."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    from_value: Mapped[str | None] = mapped_column(String(200))
    to_value: Mapped[str | None] = mapped_column(String(200))
    notify_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LearningRow(Base):
    """A blameless breakdown learning entry (``docs/closed-loop.md`` "Learning log")."""

    __tablename__ = "learnings"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    what_happened: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(Text, default="")
    learnt: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(320), default="")
    review_on: Mapped[date | None] = mapped_column(Date)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"))  # the metric's
    metric: Mapped[str | None] = mapped_column(String(60))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LearningChangeRow(Base):
    """What changes after a learning, in one area (people, policies, processes, ...)."""

    __tablename__ = "learning_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    learning_id: Mapped[int] = mapped_column(
        ForeignKey("learnings.id", ondelete="CASCADE"), index=True
    )
    area: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    changed_on: Mapped[date | None] = mapped_column(Date)


class LearningLinkRow(Base):
    """A learning's link to one case, response, unit or comment theme (one is set)."""

    __tablename__ = "learning_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    learning_id: Mapped[int] = mapped_column(
        ForeignKey("learnings.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    theme: Mapped[str | None] = mapped_column(String(120))


# --- webhooks -----------------------------------------------------------------------------


class WebhookEndpointRow(Base):
    """A receiver of Standard Webhooks: its URL, the event types it takes and its secret."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column()
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookDeliveryRow(Base):
    """The outbox: one message to one endpoint, written in the transaction of its event.

    ``body`` is the exact JSON sent (the signature covers it, so every retry sends the same
    bytes). A deliverer claims a row by a conditional UPDATE (``status`` pending and due, or
    ``sending`` with its lease over) that sets ``claim`` and ``lease_until``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_status_next_at", "status", "next_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claim: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))


class WebhookAttemptRow(Base):
    """One POST of a delivery and how it ended (the delivery log)."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)


class DataGenerationRow(Base):
    """One row: a number that moves on every commit writing what analytics read, a random
    token naming the database, and the history of the monthly aggregates before ``since``
    (``h``; ``rapport.storage.generation``)."""

    __tablename__ = "data_generation"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(BigInteger)
    h: Mapped[int] = mapped_column(BigInteger, server_default="0")
    since: Mapped[str | None] = mapped_column(String(10))
    w: Mapped[int] = mapped_column(BigInteger, server_default="0")


class SurveyGenerationRow(Base):
    """A number per survey, moved by the commits that wrote only its responses (and what
    hangs on them), where ``data_generation.w`` stays (``rapport.storage.generation``). No
    foreign key: a deleted survey's number is harmless, and deleting moves ``w``."""

    __tablename__ = "survey_generations"
    survey_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
