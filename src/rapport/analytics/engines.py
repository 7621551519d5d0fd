"""Analytics engines: where metric statements run.

An :class:`AnalyticsEngine` hands out one read-only connection per computation, holding a
consistent view of the data for every statement of that computation. Two implementations
share the statements of :mod:`rapport.analytics.metrics.sql`:

- :class:`OperationalEngine` — the operational database (SQLite or PostgreSQL). SQLite is
  read through a separate reader engine (deferred ``BEGIN``, ``query_only``) so analytics
  never takes the write lock that the application's ``BEGIN IMMEDIATE`` takes; PostgreSQL
  reads in a ``REPEATABLE READ`` read-only transaction.
- :class:`DuckDBEngine` — DuckDB (through duckdb-engine) over a Parquet snapshot
  (:mod:`rapport.analytics.snapshot`), each table exposed as a view of the same name.

Choose with :func:`open_engine` (``RAPPORT_ANALYTICS_ENGINE=operational|duckdb`` and
``RAPPORT_SNAPSHOT_DIR`` once settings carry them).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

from rapport.analytics.snapshot import SNAPSHOT_TABLES, snapshot_folder
from rapport.errors import FieldError, ValidationFailed
from rapport.storage.db import generation_of, make_reader_engine
from rapport.storage.generation import ClosedMonths

EngineKind = Literal["operational", "duckdb"]


class AnalyticsEngine(Protocol):
    """Where metrics run: a name for reports and a consistent read-only connection."""

    @property
    def name(self) -> str:
        """The SQL dialect: ``sqlite``, ``postgresql`` or ``duckdb``."""
        ...

    @property
    def use_aggregates(self) -> bool:
        """Whether metrics may read ``metric_aggregates`` (False: always raw answers)."""
        ...

    def connect(self) -> AbstractContextManager[Connection]:
        """One read-only connection with a consistent view of the data."""
        ...

    def data_version(self) -> Hashable | None:
        """A value that changes on every commit that writes the data read, or None when
        there is none: what was read under one value may be reused while it stays."""
        ...

    def survey_version(self, surveys: Collection[int]) -> Hashable | None:
        """A value that changes on every commit that may change what a statement reads of
        ``surveys``' responses (their answers, emotions, aggregates, invitations) or of
        anything but survey responses, and on no other; None when there is none."""
        ...

    def closed_months(self) -> ClosedMonths | None:
        """The months whose aggregates a new response does not change, under a key that
        moves when anything else does (None: none kept)."""
        ...

    def dispose(self) -> None:
        """Close pooled connections."""
        ...


class OperationalEngine:
    """The operational SQLite or PostgreSQL database.

    >>> OperationalEngine(create_engine("sqlite://")).name
    'sqlite'
    """

    def __init__(self, engine: Engine, *, owned: bool = False, aggregates: bool = True) -> None:
        self._app_engine = engine
        self._owned = owned
        self._engine = make_reader_engine(engine)
        self._aggregates = aggregates
        self._generation = generation_of(engine)

    @classmethod
    def from_url(cls, url: str) -> OperationalEngine:
        """An engine of its own on ``url`` (disposed by :meth:`dispose`)."""
        return cls(create_engine(url, pool_pre_ping=not url.startswith("sqlite")), owned=True)

    @property
    def name(self) -> str:
        return self._engine.dialect.name

    @property
    def use_aggregates(self) -> bool:
        return self._aggregates

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            if self.name == "postgresql":
                conn = conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            try:
                yield conn
            finally:
                conn.rollback()

    def data_version(self) -> Hashable | None:
        """The database's data generation (:mod:`rapport.storage.generation`): it moves on
        every commit that writes what analytics read; None in memory."""
        return None if self._generation is None else self._generation()

    def survey_version(self, surveys: Collection[int]) -> Hashable | None:
        """The data generation of ``surveys``
        (:meth:`rapport.storage.generation.FileGeneration.of_surveys`); None in memory."""
        return None if self._generation is None else self._generation.of_surveys(surveys)

    def closed_months(self) -> ClosedMonths | None:
        """The history of the aggregates before the data generation's ``since``
        (:class:`rapport.storage.generation.ClosedMonths`); None in memory."""
        return None if self._generation is None else self._generation.closed()

    def dispose(self) -> None:
        if self._generation is not None:
            self._generation.close()
        if self._engine is not self._app_engine:
            self._engine.dispose()
        if self._owned:
            self._app_engine.dispose()


class DuckDBEngine:
    """DuckDB over the Parquet snapshot in ``snapshot_dir``.

    Each connection is a fresh in-memory DuckDB with one view per snapshot table, bound
    to the version that was current when it connected.
    """

    def __init__(
        self, snapshot_dir: Path | str, *, threads: int | None = None, aggregates: bool = True
    ) -> None:
        self.snapshot_dir = Path(snapshot_dir)
        self._aggregates = aggregates
        snapshot_folder(self.snapshot_dir)  # fail early and clearly when there is none
        self._threads = threads
        self._engine = create_engine("duckdb:///:memory:", poolclass=NullPool)
        event.listen(self._engine, "connect", self._create_views)

    @property
    def name(self) -> str:
        return "duckdb"

    @property
    def use_aggregates(self) -> bool:
        return self._aggregates

    def _create_views(self, dbapi_conn: Any, _record: Any) -> None:
        folder = snapshot_folder(self.snapshot_dir)
        cursor = dbapi_conn.cursor()
        if self._threads:
            cursor.execute(f"SET threads = {int(self._threads)}")
        for table in SNAPSHOT_TABLES:
            path = str((folder / f"{table}.parquet").resolve()).replace("'", "''")
            cursor.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
        cursor.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    def data_version(self) -> Hashable | None:
        """None: a snapshot is replaced as a whole, with no counter to read."""
        return None

    def survey_version(self, surveys: Collection[int]) -> Hashable | None:
        """None: a snapshot is replaced as a whole."""
        return None

    def closed_months(self) -> ClosedMonths | None:
        """None: nothing of a snapshot is kept."""
        return None

    def dispose(self) -> None:
        self._engine.dispose()


def open_engine(
    kind: str = "operational",
    *,
    database_url: str | None = None,
    engine: Engine | None = None,
    snapshot_dir: Path | str | None = None,
) -> AnalyticsEngine:
    """The engine named by ``kind`` (a setting): ``operational`` or ``duckdb``.

    >>> open_engine("operational", database_url="sqlite://").name
    'sqlite'
    >>> open_engine("spark")
    Traceback (most recent call last):
    ...
    rapport.errors.ValidationFailed: unknown analytics engine 'spark'
    """
    if kind == "operational":
        if engine is not None:
            return OperationalEngine(engine)
        if database_url:
            return OperationalEngine.from_url(database_url)
        raise ValidationFailed(
            "the operational engine needs the database",
            [FieldError("database_url", "set RAPPORT_DATABASE_URL")],
        )
    if kind == "duckdb":
        if snapshot_dir is None:
            raise ValidationFailed(
                "the DuckDB engine needs a snapshot directory",
                [FieldError("snapshot_dir", "set RAPPORT_SNAPSHOT_DIR (see `rapport snapshot`)")],
            )
        return DuckDBEngine(snapshot_dir)
    raise ValidationFailed(
        f"unknown analytics engine {kind!r}",
        [FieldError("analytics_engine", "expected operational or duckdb")],
    )
