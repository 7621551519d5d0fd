"""Engine and session factories for SQLite (embedded) and PostgreSQL (psycopg 3).

Two kinds of engine:

- the **writer** (:func:`make_engine`): on SQLite every transaction starts with
  ``BEGIN IMMEDIATE`` so read-then-write use cases (idempotent submit) serialise instead of
  failing with ``SQLITE_BUSY`` when a read lock is upgraded;
- the **reader** (:func:`make_reader_engine`): on SQLite a deferred ``BEGIN`` on a
  ``query_only`` connection, so reads (lists, the principal lookup, ``/healthz``,
  analytics) never take or wait for the write lock (WAL readers see the last commit).
  PostgreSQL has no such lock; its reader is the writer.

Database faults that a client can only wait out (server down, connection lost, lock or
pool timeouts) are recognised by :func:`is_unavailable`, so the edge answers 503 with
``Retry-After`` instead of 500.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from rapport.errors import Unavailable
from rapport.storage import generation

SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 5
#: Connections per process beyond the anyio thread pool's 40 threads would only queue.
POOL_SIZE = 10
POOL_OVERFLOW = 30
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def _is_file_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def _sqlite_connect_listener(busy_timeout_ms: int, *, reader: bool) -> Any:
    def setup(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; we emit it ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # WAL lets readers work while one writer commits; synchronous=FULL keeps a
        # committed response on disk before we answer 2xx, even on power loss.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=FULL")
        if reader:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    return setup


def make_engine(
    url: str | URL,
    *,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    connect_timeout_s: int = PG_CONNECT_TIMEOUT_S,
    **kwargs: Any,
) -> Engine:
    """Create the writer engine; SQLite files get WAL, foreign keys and a busy timeout.

    >>> make_engine("sqlite:///:memory:").dialect.name
    'sqlite'
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if _is_file_sqlite(parsed):
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            kwargs.setdefault("pool_size", POOL_SIZE)
            kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        engine = create_engine(parsed, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect_listener(busy_timeout_ms, reader=False))
        if _is_file_sqlite(parsed):
            _queue_writers(engine, busy_timeout_ms / 1000)
        else:
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        generation.track(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(connect_timeout_s)})
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    # A request waiting longer than this for a connection gets a 503, not a hang.
    kwargs.setdefault("pool_timeout", 10)
    engine = create_engine(parsed, pool_pre_ping=True, **kwargs)
    generation.track(engine)
    return engine


def _queue_writers(engine: Engine, timeout_s: float) -> None:
    """Writers of this process take turns at a gate before ``BEGIN IMMEDIATE``.

    SQLite has one writer at a time, and its busy handler polls the file lock with sleeps
    of up to 100 ms: under load, 40 request threads polling starve one another (a write
    could wait past the busy timeout while the lock was free most of the time). Queued
    here, threads hand over at once; other processes still meet the busy timeout. The
    gate is taken when the transaction's first statement runs (not when a unit of work
    opens, which may be on another thread than the request's work) and given back when
    the connection returns to the pool, after its commit or rollback.
    """
    gate = threading.Semaphore(1)  # released from whichever thread returns the connection

    def begin(conn: Connection) -> None:
        record_info = conn.connection.record_info
        if record_info is None:  # a connection detached from the pool: no checkin to wait for
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        if not gate.acquire(timeout=timeout_s):
            raise Unavailable("The database is busy with other writes; retry shortly.")
        record_info["rapport_gate"] = True
        try:
            # A read-then-write transaction holds the write lock from its start.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            record_info.pop("rapport_gate", None)
            gate.release()
            raise

    def checkin(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        if record.record_info and record.record_info.pop("rapport_gate", False):
            gate.release()

    event.listen(engine, "begin", begin)
    event.listen(engine.pool, "checkin", checkin)


def make_reader_engine(writer: Engine, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for reads beside ``writer``: on a SQLite file, deferred transactions on
    ``query_only`` connections; otherwise ``writer`` itself.

    >>> w = make_engine("sqlite:///:memory:")
    >>> make_reader_engine(w) is w      # an in-memory database exists only behind w
    True
    """
    url = writer.url
    if not _is_file_sqlite(url) or "mode=memory" in str(url):
        return writer
    reader = create_engine(
        url,
        connect_args={"check_same_thread": False},
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
    )
    event.listen(reader, "connect", _sqlite_connect_listener(busy_timeout_ms, reader=True))
    # A deferred transaction: every statement sees one snapshot (WAL), and writers are
    # never blocked by a reader.
    event.listen(reader, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return reader


def generation_of(
    writer: Engine,
) -> generation.FileGeneration | generation.Generation | None:
    """How to read the data generation of ``writer``'s database: a SQLite file's on a
    connection of its own, PostgreSQL's through ``writer``'s pool; None in memory (nothing
    is kept).

    >>> generation_of(make_engine("sqlite:///:memory:")) is None
    True
    """
    url = writer.url
    if url.get_backend_name() != "sqlite":
        return generation.Generation(writer)
    if not _is_file_sqlite(url) or "mode=memory" in str(url):
        return None
    return generation.FileGeneration(str(url.database))


def make_ping_engine(writer: Engine) -> Engine:
    """A PostgreSQL engine without a pool, 2 s to connect: health checks ask the server
    itself instead of waiting for a pooled connection behind busy requests."""
    url = writer.url.update_query_dict({"connect_timeout": "2"})
    return create_engine(url, poolclass=NullPool)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database cannot serve now (retrying later may work):
    the server is down or restarting, the connection was lost, the SQLite lock or the
    connection pool timed out. Constraint violations and programming errors are not.

    >>> import sqlite3
    >>> locked = sqlite3.OperationalError("database is locked")
    >>> is_unavailable(sa_exc.OperationalError("BEGIN IMMEDIATE", {}, locked))
    True
    >>> no_table = sqlite3.OperationalError("no such table: nope")
    >>> is_unavailable(sa_exc.OperationalError("SELECT", {}, no_table))
    False
    """
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        # SQLite also raises OperationalError for mistakes ("no such table"): only a lock
        # held too long or an unreadable file is a fault to wait out.
        return any(m in str(exc.orig).lower() for m in _SQLITE_TRANSIENT)
    return True


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` if it does not exist yet.

    Returns True when it was created. SQLite files are created on first connection anyway.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": parsed.database}
            ).first()
            if exists:
                return False
            quoted = conn.dialect.identifier_preparer.quote(parsed.database)
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
            return True
    finally:
        admin.dispose()
