"""The database as the services layer sees it: a unit of work exposing repositories.

Services never touch SQLAlchemy; they open ``db.unit_of_work()`` and call repositories.
Leaving the ``with`` block without an exception commits; an exception rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from rapport.storage.db import make_engine, make_sessionmaker
from rapport.storage.repositories.access import (
    AuditRepository,
    LoginAttemptRepository,
    TokenRepository,
    UserRepository,
)
from rapport.storage.repositories.comments import CommentRepository
from rapport.storage.repositories.distribution import DistributionRepository
from rapport.storage.repositories.org import (
    ActionRepository,
    OutcomeRepository,
    PersonRepository,
    UnitRepository,
)
from rapport.storage.repositories.results import ResultsRepository
from rapport.storage.repositories.sessions import SessionRepository
from rapport.storage.repositories.surveys import ResponseRepository, SurveyRepository


class UnitOfWork:
    """One transaction with the repositories bound to it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.units = UnitRepository(session)
        self.people = PersonRepository(session)
        self.outcomes = OutcomeRepository(session)
        self.actions = ActionRepository(session)
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
        self.sessions = SessionRepository(session)
        self.login_attempts = LoginAttemptRepository(session)
        self.audit = AuditRepository(session)
        self.surveys = SurveyRepository(session)
        self.responses = ResponseRepository(session)
        self.distribution = DistributionRepository(session)
        self.results = ResultsRepository(session)
        self.comments = CommentRepository(session)

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()


class Database:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if engine is None:
            if url is None:
                raise ValueError("Database needs a url or an engine")
            engine = make_engine(url)
        self.engine = engine
        self._sessions = make_sessionmaker(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with self._sessions() as session:
            uow = UnitOfWork(session)
            try:
                yield uow
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
