"""The database as the services layer sees it: a unit of work exposing repositories.

Services never touch SQLAlchemy; they open ``db.unit_of_work()`` and call repositories.
Leaving the ``with`` block without an exception commits; an exception rolls back.
``db.unit_of_work(readonly=True)`` reads without taking SQLite's write lock; a read may
still :meth:`UnitOfWork.defer` a non-essential write (a token's last use), which runs in
a short write transaction of its own afterwards. Database faults a client can only wait
out leave the block as :class:`rapport.errors.Unavailable` (503 at the edge).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from rapport.errors import Unavailable
from rapport.storage import generation
from rapport.storage.db import (
    PG_CONNECT_TIMEOUT_S,
    SQLITE_BUSY_TIMEOUT_MS,
    is_unavailable,
    make_engine,
    make_ping_engine,
    make_reader_engine,
    make_sessionmaker,
)
from rapport.storage.repositories.access import (
    AuditRepository,
    LoginAttemptRepository,
    TokenRepository,
    UserRepository,
)
from rapport.storage.repositories.cases import AlertRuleRepository, CaseRepository
from rapport.storage.repositories.comments import CommentRepository
from rapport.storage.repositories.distribution import DistributionRepository
from rapport.storage.repositories.jobs import ImportJobRepository
from rapport.storage.repositories.learnings import LearningRepository
from rapport.storage.repositories.org import ActionRepository, OutcomeRepository, UnitRepository
from rapport.storage.repositories.people import PersonRepository
from rapport.storage.repositories.personal_data import PersonalDataRepository
from rapport.storage.repositories.profiles import ProfileRepository
from rapport.storage.repositories.results import ResultsRepository
from rapport.storage.repositories.sessions import SessionRepository
from rapport.storage.repositories.surveys import ResponseRepository, SurveyRepository
from rapport.storage.repositories.webhooks import WebhookRepository

logger = logging.getLogger("rapport.storage")
Deferred = Callable[["UnitOfWork"], None]


class UnitOfWork:
    """One transaction with the repositories bound to it."""

    def __init__(
        self, session: Session, *, readonly: bool = False, memo: dict[Hashable, Any] | None = None
    ) -> None:
        self.session = session
        self.memo: dict[Hashable, Any] = {} if memo is None else memo
        self.readonly = readonly
        self.deferred: list[Deferred] = []
        self.units = UnitRepository(session)
        self.people = PersonRepository(session)
        self.profiles = ProfileRepository(session)
        self.personal_data = PersonalDataRepository(session)
        self.outcomes = OutcomeRepository(session)
        self.actions = ActionRepository(session)
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
        self.sessions = SessionRepository(session)
        self.login_attempts = LoginAttemptRepository(session)
        self.audit = AuditRepository(session)
        self.surveys = SurveyRepository(session, self.memo)
        self.responses = ResponseRepository(session)
        self.distribution = DistributionRepository(session)
        self.results = ResultsRepository(session)
        self.comments = CommentRepository(session)
        self.import_jobs = ImportJobRepository(session)
        self.alert_rules = AlertRuleRepository(session)
        self.cases = CaseRepository(session)
        self.learnings = LearningRepository(session)
        self.webhooks = WebhookRepository(session)

    def commit(self) -> None:
        self.session.commit()

    def connection(self) -> Connection:
        """This unit of work's connection, for analytics statements that must see its
        transaction (:mod:`rapport.analytics.metrics` runs on a Connection)."""
        return self.session.connection()

    def flush(self) -> None:
        self.session.flush()

    @contextmanager
    def for_surveys(self, surveys: Iterable[int]) -> Iterator[None]:
        """Declare that what this unit of work writes inside is only ``surveys``'
        responses and what hangs on them (:func:`rapport.storage.generation.for_surveys`):
        what was read of the other surveys stays kept. Pending ORM writes are flushed on
        the way in (they are not the block's) and out (they are)."""
        self.session.flush()
        with generation.for_surveys(self.session.connection(), surveys):
            yield
            self.session.flush()

    def defer(self, write: Deferred) -> None:
        """Run a non-essential ``write`` (e.g. a last-used time) after this unit of work,
        in a write transaction of its own, or now when this one may write. A deferred
        write that fails is logged, never raised: the request does not depend on it."""
        if self.readonly:
            self.deferred.append(write)
        else:
            write(self)


class Database:
    """Owns the writer and reader engines; hands out units of work."""

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: Engine | None = None,
        busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
        connect_timeout_s: int = PG_CONNECT_TIMEOUT_S,
    ) -> None:
        if engine is None:
            if url is None:
                raise ValueError("Database needs a url or an engine")
            engine = make_engine(
                url, busy_timeout_ms=busy_timeout_ms, connect_timeout_s=connect_timeout_s
            )
        generation.track(engine)  # idempotent: make_engine's engines already are
        self.engine = engine
        self.read_engine = make_reader_engine(engine, busy_timeout_ms=busy_timeout_ms)
        self._sessions = make_sessionmaker(engine)
        self._read_sessions = make_sessionmaker(self.read_engine)
        self._ping_engine: Engine | None = None
        # Facts that never change once written (published survey versions and their parsed
        # definitions), kept for this process and shared by its units of work.
        self.memo: dict[Hashable, Any] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, *, readonly: bool = False) -> Iterator[UnitOfWork]:
        """One transaction; ``readonly=True`` never takes SQLite's write lock (and cannot
        write: the connection is ``query_only``).

        >>> db = Database("sqlite:///:memory:")
        >>> with db.unit_of_work(readonly=True) as uow:
        ...     uow.readonly
        True
        """
        sessions = self._read_sessions if readonly else self._sessions
        with sessions() as session:
            uow = UnitOfWork(session, readonly=readonly, memo=self.memo)
            try:
                yield uow
                session.commit()
            except BaseException as exc:
                _rollback(session)
                if is_unavailable(exc):
                    raise Unavailable(_unavailable_detail(exc)) from exc
                raise
        for write in uow.deferred:
            self._run_deferred(write)

    def _run_deferred(self, write: Deferred) -> None:
        try:
            with self.unit_of_work() as uow:
                write(uow)
        except Unavailable as exc:
            logger.warning("deferred write skipped: %s", exc.detail)

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query. Never waits for SQLite's
        write lock nor for a pooled connection: PostgreSQL is asked on a connection of its
        own (2 s to connect, 2 s for the statement), so the answer is the server's."""
        if self.dialect != "postgresql":
            with self.read_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return
        if self._ping_engine is None:
            self._ping_engine = make_ping_engine(self.engine)
        with self._ping_engine.connect() as conn:
            conn.exec_driver_sql("SET statement_timeout = 2000")
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        if self._ping_engine is not None:
            self._ping_engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
        self.engine.dispose()


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except Exception as exc:  # the connection may be gone; the original error matters
        logger.debug("rollback failed: %s", exc)


def _unavailable_detail(exc: BaseException) -> str:
    if "locked" in str(exc).lower():
        return "The database is locked by another writer; retry shortly."
    return "The database cannot be reached right now; retry shortly."
