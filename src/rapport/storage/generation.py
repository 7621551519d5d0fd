"""The data generation: a number that moves on every commit that writes what analytics read.

What metrics read from the operational database may be kept across requests while the data
stay as they were (``services.metrics``). SQLite's ``PRAGMA data_version`` moves on every
commit, but a server commits all the time without changing any figure: a session's
last-seen time, a login, a login attempt, an API token's last use, a webhook delivery attempt, an
import's progress, the comment counts kept for the next start. Each of those made every
kept table be read again. PostgreSQL has no such counter at all.

So the writer engine (:func:`track`, on every engine :func:`rapport.storage.db.make_engine`
makes) watches the statements of each transaction and, when one wrote a table other than
the :data:`OPERATIONAL_TABLES` (or changed the schema, or did anything it cannot read),
moves the single row of ``data_generation`` (migration 0021) just before the commit, in the
same transaction: the new number is visible exactly when the data it counts are. A reader
(:class:`Generation`) reads it *before* its statements, so what it keeps under a number is
never older than that number; a random token, written with the row, tells databases apart
(a truncated or re-created table gets a new one).

The row also counts the **history** of the aggregates (migration 0022): ``h`` moves only
when a transaction wrote rows of the monthly aggregate tables (:data:`AGGREGATE_TABLES`)
for a month before the row's ``since``, or wrote them without saying which months
(:func:`aggregating`), or changed the schema, or did anything this cannot read. A response
submitted now writes only the open month's aggregates, so ``h`` stays: what metric
statements read of the months before ``since`` may be kept under ``(token, h, since)``
across new responses (:meth:`FileGeneration.closed`), and only the months from ``since``
on are read again. ``since`` moves to the current month (UTC) when ``h`` moves and when a
transaction writes only months from the current one on.

The row also counts **wide** writes (``w``, migration 0024), and ``survey_generations`` one
number per survey: a transaction whose every data write ran inside :func:`for_surveys` and
wrote only :data:`SURVEY_TABLES` (a response, its answers, emotions and aggregates, the
invitation it used) moves the numbers of those surveys and leaves ``w``; any other data write
moves ``w``. What a statement reads of one survey's responses may so be kept under ``(token,
w, that survey's number)`` (:meth:`FileGeneration.of_surveys`): a customer's response leaves
what was read of the employee survey as it was. ``n`` still moves on every data write.

A write that bypasses the engine (a hand edit with the ``sqlite3`` shell) does not move it:
restart the server after one, as after a restore.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy import exc as sa_exc

TABLE = "data_generation"

#: Tables whose rows no metric, page figure or export is computed from: writing them
#: leaves the generation where it was (``tests/integration/test_data_generation.py`` checks
#: that no analytics statement names one).
OPERATIONAL_TABLES = frozenset(
    {
        "users",
        "sessions",
        "login_attempts",
        "api_tokens",
        "audit_log",
        "import_jobs",
        "webhook_deliveries",
        "webhook_attempts",
        "comment_snapshots",
    }
)

#: Columns of data tables that no analytics statement reads either: an ``UPDATE`` that sets
#: only these leaves the generation where it was (the case sweeper marks each owner's
#: e-mail sent, thousands of commits on a large organisation's first sweep).
OPERATIONAL_COLUMNS = {"case_events": frozenset({"notified_at"})}

#: The monthly sums metric statements read instead of answers
#: (``analytics/metrics/aggregates.py``). No trigger or cascade writes them: their rows
#: change only through a statement that names one of them.
AGGREGATE_TABLES = frozenset(
    {
        "metric_aggregates",
        "comment_aggregates",
        "attribute_aggregates",
        "attribute_index_aggregates",
    }
)

#: Tables whose every row belongs to one survey (through its response, its survey version
#: or its distribution): writes of them inside :func:`for_surveys` move only those surveys'
#: numbers. A statement read under one survey's number reads rows of these tables of that
#: survey only (``services.metrics``, whose statements filter by the survey).
SURVEY_TABLES = frozenset(
    {
        "responses",
        "answers",
        "comment_analyses",
        "invitations",
        *AGGREGATE_TABLES,
    }
)
SURVEYS_TABLE = "survey_generations"

_READS = frozenset(
    {"SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SHOW", "SET"}
)
_FIRST_WORD = re.compile(r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(\w+)", re.DOTALL)
# Not writes: a row lock, an upsert's other branch, a foreign key's action.
_NOT_WRITES = re.compile(r"\b(?:FOR\s+(?:NO\s+KEY\s+)?|DO\s+|ON\s+)UPDATE\b", re.IGNORECASE)
_WRITE_VERBS = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
_TARGETS = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"""\s+(?:["`]?\w+["`]?\.)?["`]?(\w+)["`]?""",
    re.IGNORECASE,
)
_DEFINITIONS = frozenset({"CREATE", "DROP", "ALTER", "TRUNCATE"})
_UPDATE_SET = re.compile(
    r"""\s*UPDATE\s+["`]?(\w+)["`]?\s+SET\s+(.*?)(?:\s+WHERE\s|\s+RETURNING\s|$)""",
    re.IGNORECASE | re.DOTALL,
)
_ASSIGNED = re.compile(r"""["`]?(\w+)["`]?\s*=(?!=)""")


_SAME = re.compile(r"""["`]?(\w+)["`]?\s*=\s*(?:["`]?(\w+)["`]?\.)?["`]?(\w+)["`]?\s*(?:,\s*|$)""")


def _sets_only_operational_columns(statement: str) -> bool:
    found = _UPDATE_SET.match(statement)
    if found is None:
        return False
    if _sets_each_column_to_itself(found.group(1), found.group(2).strip()):
        return True  # a row lock (comment snapshots lock their survey's row so)
    allowed = OPERATIONAL_COLUMNS.get(found.group(1).lower())
    assigned = {c.lower() for c in _ASSIGNED.findall(found.group(2))}
    return allowed is not None and bool(assigned) and assigned <= allowed


def _sets_each_column_to_itself(table: str, assignments: str) -> bool:
    """Whether every assignment of an UPDATE's SET clause is ``c = c`` (or ``c = table.c``).

    >>> _sets_each_column_to_itself("surveys", "data_revision=surveys.data_revision")
    True
    >>> _sets_each_column_to_itself("surveys", "data_revision=surveys.data_revision + 1")
    False
    >>> _sets_each_column_to_itself("surveys", "a=a, b=other.a")
    False
    """
    at = 0
    while at < len(assignments):
        found = _SAME.match(assignments, at)
        if found is None or found.end() == at:
            return False
        column, source_table, source = found.groups()
        same_table = source_table is None or source_table.lower() == table.lower()
        if not same_table or column.lower() != source.lower():
            return False
        at = found.end()
    return at > 0


@functools.lru_cache(maxsize=4096)
def _written(statement: str) -> frozenset[str] | None:
    """The tables ``statement`` writes: none for a read, None for a schema change or
    anything this cannot read (a caller counts it as writing every table)."""
    first = _FIRST_WORD.match(statement)
    word = first.group(1).upper() if first else ""
    if word in _READS or word == "EXPLAIN":
        return frozenset()
    if word in _DEFINITIONS or word not in {"WITH", "INSERT", "UPDATE", "DELETE", "REPLACE"}:
        return None
    plain = _NOT_WRITES.sub(" ", statement)
    targets = frozenset(t.lower() for t in _TARGETS.findall(plain))
    if targets:
        return targets
    return None if word != "WITH" or _WRITE_VERBS.search(plain) else frozenset()


@functools.lru_cache(maxsize=4096)
def writes_data(statement: str) -> bool:
    """Whether ``statement`` may change what analytics read: it writes a table that is not
    operational, changes the schema, or is something this cannot read (counted as a write).

    >>> writes_data("SELECT * FROM responses FOR UPDATE SKIP LOCKED")
    False
    >>> writes_data('UPDATE sessions SET last_seen_at=? WHERE sessions.id = ?')
    False
    >>> writes_data("INSERT INTO webhook_deliveries (msg_id) VALUES (?) "
    ...             "ON CONFLICT (msg_id) DO UPDATE SET status = 'pending'")
    False
    >>> writes_data('INSERT INTO "responses" (survey_id) VALUES (?)')
    True
    >>> writes_data("UPDATE case_events SET notified_at=? WHERE case_events.id = ?")
    False
    >>> writes_data("UPDATE case_events SET kind=?, notified_at=? WHERE case_events.id = ?")
    True
    >>> writes_data("UPDATE surveys SET data_revision=surveys.data_revision WHERE surveys.id = ?")
    False
    >>> writes_data("WITH gone AS (SELECT id FROM responses) DELETE FROM answers")
    True
    >>> writes_data("TRUNCATE sessions"), writes_data("VACUUM")
    (True, True)
    """
    written = _written(statement)
    if written is None:
        return True
    if not written or _sets_only_operational_columns(statement):
        return False
    return not written <= OPERATIONAL_TABLES


@functools.lru_cache(maxsize=4096)
def writes_aggregates(statement: str) -> bool:
    """Whether ``statement`` may write a table of :data:`AGGREGATE_TABLES`: it names one,
    changes the schema, or is something this cannot read.

    >>> writes_aggregates('INSERT INTO metric_aggregates (kind) SELECT kind FROM answers')
    True
    >>> writes_aggregates('INSERT INTO responses (survey_id) VALUES (?)')
    False
    >>> writes_aggregates("VACUUM"), writes_aggregates("SELECT * FROM metric_aggregates")
    (True, False)
    """
    written = _written(statement)
    return written is None or bool(written & AGGREGATE_TABLES)


@functools.lru_cache(maxsize=256)
def _changes_schema(statement: str) -> bool:
    first = _FIRST_WORD.match(statement)
    return first is not None and first.group(1).upper() in _DEFINITIONS


#: ``since`` of a write that did not say which months it wrote: before any month.
_ANY_MONTH = date.min.isoformat()


#: :func:`_columns_statement`'s answer once every column and table exists (migration 0024).
_COLUMNS = 3


def _bump_statement(dialect: str, columns: int, earliest: str | None, wide: bool = True) -> str:
    """The upsert that moves the row: ``n`` always; ``h`` and ``since`` (``columns`` 2, from
    migration 0022 on) when the transaction wrote aggregates of months from ``earliest``
    (an ISO date made here, never user input) on; ``w`` (``columns`` 3, from 0024 on) when
    it was ``wide``: it wrote something outside :func:`for_surveys`."""
    token = "lower(hex(randomblob(16)))" if dialect == "sqlite" else "md5(random()::text)"
    now = datetime.now(UTC).date().replace(day=1).isoformat()
    if columns < 2:
        return (
            f"INSERT INTO {TABLE} (id, token, n) VALUES (1, {token}, 1) "
            f"ON CONFLICT (id) DO UPDATE SET n = {TABLE}.n + 1"
        )
    moves = "FALSE"
    advances = "FALSE"
    if earliest is not None:
        moves = f"({TABLE}.since IS NULL OR '{earliest}' < {TABLE}.since)"
        advances = f"('{earliest}' >= '{now}' AND {TABLE}.since < '{now}')"
    w_column, w_value, w_set = "", "", ""
    if columns >= _COLUMNS:
        w_column, w_value = ", w", ", 1"
        w_set = f", w = {TABLE}.w + {int(wide)}"
    return (
        f"INSERT INTO {TABLE} (id, token, n, h, since{w_column}) "
        f"VALUES (1, {token}, 1, 1, '{now}'{w_value}) "
        f"ON CONFLICT (id) DO UPDATE SET n = {TABLE}.n + 1, "
        f"h = CASE WHEN {moves} THEN {TABLE}.h + 1 ELSE {TABLE}.h END, "
        f"since = CASE WHEN {moves} OR {advances} THEN '{now}' ELSE {TABLE}.since END{w_set}"
    )


def _surveys_bump_statement(surveys: Iterable[int]) -> str:
    """The upsert that moves the numbers of ``surveys`` (ids, made ints here)."""
    rows = ", ".join(f"({int(s)}, 1)" for s in sorted(surveys))
    return (
        f"INSERT INTO {SURVEYS_TABLE} (survey_id, n) VALUES {rows} "
        f"ON CONFLICT (survey_id) DO UPDATE SET n = {SURVEYS_TABLE}.n + 1"
    )


def _columns_statement(dialect: str) -> str:
    """How much of the table exists: 0 none, 1 ``token`` and ``n`` (migration 0021), 2 also
    ``h`` and ``since`` (0022), 3 also ``w`` and ``survey_generations`` (0024)."""
    if dialect == "sqlite":
        return (
            f"SELECT count(*) + (SELECT count(*) FROM pragma_table_info('{TABLE}') "
            f"WHERE name IN ('since', 'w')) FROM sqlite_master "
            f"WHERE type = 'table' AND name = '{TABLE}'"
        )
    return (
        f"SELECT count(*) + (SELECT count(*) FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name = '{TABLE}' "
        f"AND column_name IN ('since', 'w')) FROM (SELECT to_regclass('{TABLE}') AS t) AS r "
        f"WHERE r.t IS NOT NULL"
    )


_WROTE = "rapport_wrote_data"
_EARLIEST = "rapport_aggregates_from"
_DECLARED = "rapport_aggregating"
_TRACKED = "_rapport_generation_tracked"
_SCOPE = "rapport_for_surveys"
_WIDE = "rapport_wrote_wide"
_TOUCHED = "rapport_wrote_surveys"


@contextmanager
def aggregating(conn: Connection, first: date | None) -> Iterator[None]:
    """Say that the statements inside write aggregate rows of the months from ``first`` on
    only (None: unknown). Undeclared aggregate writes count as writing every month."""
    conn.info[_DECLARED] = None if first is None else first.replace(day=1).isoformat()
    try:
        yield
    finally:
        # A connection lost inside (a database shut down) leaves nothing to clean: the
        # pool clears its info when it connects again. Asking for it would raise "invalid
        # transaction" over the error that lost it: a 500 where a lost database is a 503.
        if not conn.invalidated:
            conn.info.pop(_DECLARED, None)


@contextmanager
def for_surveys(conn: Connection, surveys: Iterable[int]) -> Iterator[None]:
    """Say that the statements inside write rows of :data:`SURVEY_TABLES` of ``surveys``
    only (their responses, answers, emotions, aggregates and invitations): they move those
    surveys' numbers and leave ``w``. A statement inside that writes any other table still
    moves ``w``, and so does every data write outside."""
    outer = conn.info.get(_SCOPE)
    conn.info[_SCOPE] = frozenset(int(s) for s in surveys)
    try:
        yield
    finally:
        if not conn.invalidated:  # else lost with its connection (as in aggregating)
            if outer is None:
                conn.info.pop(_SCOPE, None)
            else:
                conn.info[_SCOPE] = outer


def _forget(info: dict[Any, Any]) -> None:
    for name in (_WROTE, _EARLIEST, _WIDE, _TOUCHED):
        info.pop(name, None)


def track(engine: Engine) -> None:
    """Move the generation on every commit of ``engine`` whose transaction wrote data.

    Idempotent. Until the table exists (a database migrated below 0021, or migrating) commits
    leave it alone; a schema change makes the engine look again.
    """
    if getattr(engine, _TRACKED, False):
        return
    setattr(engine, _TRACKED, True)
    lock = threading.Lock()
    known = {"columns": 0}
    columns_of = _columns_statement(engine.dialect.name)
    dialect = engine.dialect.name

    def before_cursor_execute(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if not writes_data(statement):
            return
        conn.info[_WROTE] = True
        if _changes_schema(statement):
            with lock:
                known["columns"] = 0
        scope = conn.info.get(_SCOPE)
        written = _written(statement)
        if scope and written is not None and written <= SURVEY_TABLES | OPERATIONAL_TABLES:
            conn.info.setdefault(_TOUCHED, set()).update(scope)
        else:
            conn.info[_WIDE] = True
        if writes_aggregates(statement):
            declared = conn.info.get(_DECLARED) if written is not None else None
            month = declared or _ANY_MONTH
            earliest = conn.info.get(_EARLIEST)
            conn.info[_EARLIEST] = month if earliest is None else min(earliest, month)

    def commit(conn: Connection) -> None:
        earliest = conn.info.pop(_EARLIEST, None)
        wide = conn.info.pop(_WIDE, False)
        touched = conn.info.pop(_TOUCHED, None)
        if not conn.info.pop(_WROTE, False):
            return
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            # Looked up until the whole table is there: a database migrated by another
            # engine while this one ran must get ``w`` and the survey numbers from its
            # next commit on (readers key on them as soon as they exist).
            if known["columns"] < _COLUMNS:
                cursor.execute(columns_of)
                (found,) = cursor.fetchone() or (0,)
                if not found:
                    return
                with lock:
                    known["columns"] = int(found)
            cursor.execute(_bump_statement(dialect, known["columns"], earliest, wide))
            if touched and known["columns"] >= _COLUMNS:
                cursor.execute(_surveys_bump_statement(touched))
        except engine.dialect.loaded_dbapi.Error as error:
            # The driver's own error, wrapped as SQLAlchemy wraps its statements' errors:
            # a database gone at this commit is then "unavailable" (503), not a 500.
            raise sa_exc.DBAPIError.instance(
                "data generation", None, error, engine.dialect.loaded_dbapi.Error,
                dialect=engine.dialect,
            ) from error  # fmt: skip
        finally:
            cursor.close()

    def rollback(conn: Connection) -> None:
        if not conn.invalidated:  # else its info went with it (as in aggregating)
            _forget(conn.info)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)


@dataclass(frozen=True)
class ClosedMonths:
    """What the aggregates of the months before ``before`` were when ``key`` was read: the
    same key, the same rows (``h`` moves on any write of those months).

    ``raw_key`` is ``key`` with ``w`` (None before migration 0024): what statements read of
    those months' responses, answers and comment analyses is the same under it. A write
    that is not one survey's (:func:`for_surveys`) moves ``w``; one survey's writes change
    those rows only in the months whose aggregates the same transaction writes (a response
    stored with its aggregates, declared with :func:`aggregating`), which moves ``h`` for a
    month before ``before``. Its invitations are the exception (an old invitation used now):
    nothing reading them may be kept under it."""

    key: Hashable
    before: date
    raw_key: Hashable | None = None


_READ = f"SELECT token, n, h, since FROM {TABLE} WHERE id = 1"


def read(conn: Any) -> tuple[str, int, int, date | None] | None:
    """(token, number, history number, since) through a DBAPI or SQLAlchemy connection;
    None without the row."""
    if isinstance(conn, Connection):
        row = conn.execute(text(_READ)).first()
    else:
        row = conn.execute(_READ).fetchone()
    if row is None:
        return None
    since = None if row[3] is None else date.fromisoformat(str(row[3])[:10])
    return str(row[0]), int(row[1]), int(row[2]), since


T = TypeVar("T")


def _surveys_read(surveys: tuple[int, ...]) -> str:
    """One statement (one snapshot) reading the token, ``w`` and the numbers of
    ``surveys`` (ids, made ints here)."""
    head = f"SELECT token, w, NULL, NULL FROM {TABLE} WHERE id = 1"
    if not surveys:  # ``w`` alone (``IN ()`` is not SQL on PostgreSQL)
        return head
    listed = ", ".join(str(int(s)) for s in surveys)
    return (
        f"{head} UNION ALL "
        f"SELECT NULL, NULL, survey_id, n FROM {SURVEYS_TABLE} WHERE survey_id IN ({listed})"
    )


def _of_surveys(where: Hashable, surveys: tuple[int, ...], rows: Iterable[Any]) -> Hashable | None:
    """The version of ``surveys`` from :func:`_surveys_read`'s rows (None without the row)."""
    head = None
    numbers: dict[int, int] = {}
    for token, w, survey, n in rows:
        if token is not None:
            head = (str(token), int(w))
        else:
            numbers[int(survey)] = int(n)
    if head is None:
        return None
    return (where, *head, "surveys", tuple(numbers.get(s, 0) for s in surveys))


def _survey_ids(surveys: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted({int(s) for s in surveys}))


_READ_CLOSED = f"SELECT token, h, since, w FROM {TABLE} WHERE id = 1"


def _closed(where: Hashable, row: Sequence[Any] | None) -> ClosedMonths | None:
    """The closed months from a row of ``token, h, since[, w]`` (None: nothing to keep)."""
    if row is None or row[2] is None:
        return None
    token, h, since = str(row[0]), int(row[1]), date.fromisoformat(str(row[2])[:10])
    raw = None if len(row) < 4 else (where, token, h, since, int(row[3]))
    return ClosedMonths((where, token, h, since), since, raw)


def _read_closed(conn: Any) -> Sequence[Any] | None:
    """``token, h, since, w`` through a DBAPI or SQLAlchemy connection (without ``w``
    before migration 0024)."""
    sqlalchemy = isinstance(conn, Connection)
    try:
        if sqlalchemy:
            return conn.execute(text(_READ_CLOSED)).first()  # type: ignore[no-any-return]
        return conn.execute(_READ_CLOSED).fetchone()  # type: ignore[no-any-return]
    except (sqlite3.OperationalError, sa_exc.DBAPIError):
        if sqlalchemy:
            conn.rollback()
        found = read(conn)
        return None if found is None else (found[0], found[2], found[3])


class FileGeneration:
    """The current generation of a SQLite file, read on a connection of its own that never
    writes (autocommit: each read sees the last commit of any connection or process). The
    value also names the file (device, inode): a file restored over the path is read afresh.

    >>> import sqlite3, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "example.db"
    >>> FileGeneration(path)() is None      # no file, no table: nothing is kept
    True
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None

    def _query(self, run: Callable[[sqlite3.Connection], T]) -> tuple[tuple[int, int], T] | None:
        """The file's (device, inode) and ``run`` on its connection; None without the file
        or the table (or columns: nothing is kept)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        file = (stat.st_dev, stat.st_ino)
        with self._lock:
            if self._conn is None or file != self._file:
                if self._conn is not None:
                    self._conn.close()
                self._conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                self._conn.execute("PRAGMA query_only=ON")
                self._file = file
            try:
                return file, run(self._conn)
            except sqlite3.OperationalError:
                return None

    def _read(self) -> tuple[tuple[int, int], tuple[str, int, int, date | None]] | None:
        got = self._query(read)
        return None if got is None or got[1] is None else (got[0], got[1])

    def __call__(self) -> Hashable | None:
        got = self._read()
        return None if got is None else (*got[0], *got[1][:2])

    def closed(self) -> ClosedMonths | None:
        """The history of the months before ``since`` (None: nothing to keep)."""
        got = self._query(_read_closed)
        return None if got is None else _closed(got[0], got[1])

    def of_surveys(self, surveys: Iterable[int]) -> Hashable | None:
        """A value that moves on every commit that may change rows of
        :data:`SURVEY_TABLES` of ``surveys`` (a wide write, or one for them), and on
        no other: the generation itself before migration 0024."""
        ids = _survey_ids(surveys)
        got = self._query(lambda conn: conn.execute(_surveys_read(ids)).fetchall())
        if got is None:  # before migration 0024: the whole generation
            return self()
        return _of_surveys(got[0], ids, got[1])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class Generation:
    """The current generation of a PostgreSQL database, read through ``engine``: a
    hashable value that names the database (its URL and token) and the number; None while
    the table or its row does not exist."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._where = engine.url.render_as_string(hide_password=True)

    def _read(self) -> tuple[str, int, int, date | None] | None:
        with self._engine.connect() as conn:  # rolled back as it goes back to the pool
            try:
                return read(conn)
            except sa_exc.DBAPIError:  # no table (or columns) yet: nothing is kept
                return None

    def __call__(self) -> Hashable | None:
        found = self._read()
        return None if found is None else (self._where, *found[:2])

    def of_surveys(self, surveys: Iterable[int]) -> Hashable | None:
        """As :meth:`FileGeneration.of_surveys`."""
        ids = _survey_ids(surveys)
        with self._engine.connect() as conn:  # rolled back as it goes back to the pool
            try:
                rows = conn.execute(text(_surveys_read(ids))).all()
            except sa_exc.DBAPIError:  # before migration 0024: the whole generation
                rows = None
        return self() if rows is None else _of_surveys(self._where, ids, rows)

    def closed(self) -> ClosedMonths | None:
        """The history of the months before ``since`` (None: nothing to keep)."""
        with self._engine.connect() as conn:  # rolled back as it goes back to the pool
            try:
                return _closed(self._where, _read_closed(conn))
            except sa_exc.DBAPIError:  # no table (or columns) yet: nothing is kept
                return None

    def close(self) -> None:
        """Nothing to close: connections go back to ``engine``'s pool."""
