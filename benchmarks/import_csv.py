"""CSV import of responses on SQLite against a raw ``sqlite3`` executemany of the same rows.

Issue goal: a 100,000-row CSV imports in under 3× the time of a raw ``executemany`` of
the same response and answer rows, measured in the same run. Both sides start from a
fresh copy of the same migrated, seeded database file, use the production connection
pragmas (WAL, foreign keys, ``synchronous=FULL``) and write in one transaction; each is
the best of ``--runs``. Before timing, the script checks that both sides store exactly
the same rows, so the ratio compares like with like.

    uv run python benchmarks/import_csv.py               # 100,000 rows, best of 3
    uv run python benchmarks/import_csv.py --rows 20000 --profile
    uv run python benchmarks/import_csv.py --prototype   # also time the proposed fixes

``--prototype`` re-times the import with each proposed production change applied on top
of the previous ones, by monkeypatching (see the section at the end; measurement only,
to be deleted once production has the changes). The stored rows are checked to be
identical under every patch.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import dataclasses
import functools
import io
import pstats
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from _common import Case, Timing, best_of, fresh_copy, migrated_sqlite, verdict
from sqlalchemy import Connection

from rapport.domain import survey_rows
from rapport.domain.org import SYSTEM, Permission, Principal, UnitKind
from rapport.domain.survey_model import SCALE_TYPES, Question, QuestionType, SurveyDefinition
from rapport.importers.csv_responses import decode, read_rows
from rapport.services import comments, response_import
from rapport.services import responses as responses_service
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.services.responses import Submission
from rapport.services.surveys import get_published, parse_definition, save_definition
from rapport.storage.models import ResponseRow
from rapport.storage.repositories.surveys import ResponseRepository
from rapport.storage.uow import Database, UnitOfWork

GOAL_RATIO = 3.0
SEED = 42
REGIONS = ("north", "south", "east", "west")
STORES_PER_REGION = 10
COMMENT_SHARE = 0.3
BLANK = -1
_INTEGER = re.compile(r"[+-]?\d+")
PRAISE = (
    "Friendly staff",
    "Quick, easy and helpful",
    "Great advice from the team",
    "Lovely clean store",
    "The new self-checkout is brilliant",
    "Très bien, merci",
)
COMPLAINTS = (
    "Queue was too long",
    'The "express" till was closed',
    "Could not find my size",
    "Parking was a nightmare",
    "Shelves were half empty",
    "Nobody at the fitting rooms",
)
DETAILS = ("", " again", " today", ", waited {n} minutes", " on visit number {n}", " (aisle {n})")
SURVEY: dict[str, Any] = {
    "key": "store-visit",
    "title": {"en": "Store visit"},
    "audience": "customer",
    "pages": [
        {
            "id": "visit",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Recommend us?"},
                {"id": "csat", "type": "csat", "text": "How satisfied are you?"},
                {"id": "ces", "type": "ces", "text": "It was easy to get what I needed."},
                {
                    "id": "delight",
                    "type": "likert",
                    "scale": {"points": 5, "low": "Disagree", "high": "Agree"},
                    "text": "The visit delighted me.",
                },
                {
                    "id": "minds",
                    "type": "matrix",
                    "scale": {"points": 5, "low": "Disagree", "high": "Agree"},
                    "text": "The store was…",
                    "rows": [{"id": "ease", "text": "Easy"}, {"id": "fast", "text": "Fast"}],
                },
                {"id": "comment", "type": "text", "text": "Anything else?"},
            ],
        }
    ],
}
HEADER = ("unit", "submitted_at", "nps", "csat", "ces", "delight", "minds.ease", "minds.fast")
SCORES = (  # CSV column → (question id, item) of the answer row it becomes
    ("nps", ""),
    ("csat", ""),
    ("ces", ""),
    ("delight", ""),
    ("minds", "ease"),
    ("minds", "fast"),
)
RESPONSE_COLUMNS = (
    "id", "survey_id", "survey_version_id", "unit_id", "person_id", "audience", "channel",
    "language", "started_at", "submitted_at", "tenure_days", "attributes", "idempotency_key",
    "body_hash",
)  # fmt: skip
ANSWER_COLUMNS = ("response_id", "question_id", "item", "value_num", "value_text")
#: Tables Rapport fills from model output (emotions read in comments): the baseline inserts
#: the rows Rapport stored there instead of rebuilding them by hand.
DERIVED = ("comment_analyses",)

Rows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]  # table → (columns, rows)


@dataclass(frozen=True)
class Seeded:
    template: Path
    survey_id: int
    version_id: int
    unit_ids: dict[str, int]


@dataclass(frozen=True)
class Sample:
    """Generated responses: one row per response, column arrays of equal length."""

    units: list[str]
    submitted: list[datetime]
    scores: np.ndarray  # (rows, 6) ints, BLANK where unanswered (only CES may be)
    comments: list[str]

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow((*HEADER, "comment"))
        for i, unit in enumerate(self.units):
            stamp = self.submitted[i].strftime("%Y-%m-%dT%H:%M:%SZ")
            cells = ["" if v == BLANK else str(v) for v in self.scores[i].tolist()]
            writer.writerow((unit, stamp, *cells, self.comments[i]))
        return out.getvalue().encode("utf-8")


def generate(rows: int, stores: list[str]) -> Sample:
    """Realistic responses: skewed NPS, correlated scales, ~30% with a short comment."""
    rng = np.random.default_rng(SEED)
    nps_weights = np.array([2, 1, 1, 2, 2, 5, 6, 12, 20, 24, 25], dtype=float)
    nps = rng.choice(11, size=rows, p=nps_weights / nps_weights.sum())
    mood = nps / 10  # 0..1: later scales follow the NPS loosely

    def scale(points: int) -> np.ndarray:
        noisy = mood * (points - 1) + rng.normal(0, 0.9, rows)
        return np.clip(np.rint(noisy), 0, points - 1).astype(int) + 1

    ces = scale(7)
    ces[rng.random(rows) < 0.15] = BLANK  # an optional question left blank
    scores = np.column_stack([nps, scale(5), ces, scale(5), scale(5), scale(5)])
    start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    seconds = rng.integers(0, 365 * 86400, rows) + int(start)
    return Sample(
        units=[stores[i] for i in rng.integers(0, len(stores), rows)],
        submitted=[datetime.fromtimestamp(s, UTC) for s in seconds.tolist()],
        scores=scores,
        comments=generate_comments(rng, nps),
    )


def generate_comments(rng: np.random.Generator, nps: np.ndarray) -> list[str]:
    """~30% of rows get a comment: praise from promoters, complaints from detractors, with
    details and numbers, so that most comments are distinct, as in real exports."""
    out = [""] * len(nps)
    for i in np.flatnonzero(rng.random(len(nps)) < COMMENT_SHARE).tolist():
        clauses = []
        for _ in range(int(rng.integers(1, 3))):
            pool = PRAISE if rng.random() < nps[i] / 10 else COMPLAINTS
            detail = DETAILS[int(rng.integers(len(DETAILS)))].format(n=int(rng.integers(2, 60)))
            clauses.append(pool[int(rng.integers(len(pool)))] + detail)
        out[i] = ". ".join(clauses)
    return out


def seed(workdir: Path) -> Seeded:
    """A migrated SQLite file with 1 company, 4 regions, 40 stores and the survey published."""
    path = migrated_sqlite(workdir / "template.db")
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
        unit_ids = {}
        for region in REGIONS:
            parent = uow.units.add(region, region.title(), UnitKind.REGION, root)
            for n in range(1, STORES_PER_REGION + 1):
                store = uow.units.add(f"{region}-{n:02d}", f"{region} {n}", UnitKind.STORE, parent)
                unit_ids[store.code] = store.id
        version = save_definition(uow, SYSTEM, parse_definition(SURVEY))
    db.dispose()
    return Seeded(path, version.survey_id, version.id, unit_ids)


def raw_rows(sample: Sample, seeded: Seeded) -> Rows:
    """Response and answer rows exactly as Rapport stores them, with ids assigned up front."""
    responses, answers = [], []
    for i, (unit, submitted) in enumerate(zip(sample.units, sample.submitted, strict=True)):
        rid = i + 1
        stamp = submitted.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME
        responses.append(
            (rid, seeded.survey_id, seeded.version_id, seeded.unit_ids[unit], None,
             "customer", "import", "en", None, stamp, None, "{}", None, None)
        )  # fmt: skip
        for (question, item), value in zip(SCORES, sample.scores[i].tolist(), strict=True):
            if value != BLANK:
                answers.append((rid, question, item, float(value), None))
        if sample.comments[i]:
            answers.append((rid, "comment", "", None, sample.comments[i]))
    return {"responses": (RESPONSE_COLUMNS, responses), "answers": (ANSWER_COLUMNS, answers)}


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas production connections get."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "synchronous=FULL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def raw_insert(conn: sqlite3.Connection, tables: Rows) -> None:
    """One transaction, one ``executemany`` per table."""
    conn.execute("BEGIN IMMEDIATE")
    for table, (columns, rows) in tables.items():
        marks = ", ".join("?" * len(columns))
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")


def rapport_import(db: Database, survey_id: int, data: bytes) -> None:
    with db.unit_of_work() as uow:
        response_import.import_responses(uow, SYSTEM, survey_id, data)


def stored(path: Path, tables: Iterable[str]) -> Rows:
    """Every row of ``tables`` in id order, without the ``id`` of tables that do not set it."""
    conn = sqlite3.connect(path)
    out: Rows = {}
    for table in tables:
        columns = RESPONSE_COLUMNS if table == "responses" else tuple(
            name for _, name, *_ in conn.execute(f"PRAGMA table_info({table})") if name != "id"
        )  # fmt: skip
        if columns:  # an empty list: the table does not exist in this schema version
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            out[table] = (columns, rows.fetchall())
    conn.close()
    return out


class Bench:
    """One benchmark run's fixtures: the seeded template, the CSV and the raw rows."""

    def __init__(self, workdir: Path, rows: int) -> None:
        self.workdir = workdir
        self.seeded = seed(workdir)
        self.sample = generate(rows, sorted(self.seeded.unit_ids))
        self.data = self.sample.csv_bytes()
        self.rows = raw_rows(self.sample, self.seeded)

    def fresh_db(self, name: str) -> Database:
        path = fresh_copy(self.seeded.template, self.workdir / f"{name}.db")
        db = Database(f"sqlite:///{path}")
        db.ping()  # open the pooled connection outside the timing, as the raw side does
        return db

    def fresh_conn(self, name: str) -> sqlite3.Connection:
        return connect_raw(fresh_copy(self.seeded.template, self.workdir / f"{name}.db"))

    def check_same_rows(self) -> None:
        """Both sides must store identical rows, or the ratio means nothing.

        Also takes the rows of :data:`DERIVED` tables for the baseline from Rapport's run.
        """
        db = self.fresh_db("check-rapport")
        rapport_import(db, self.seeded.survey_id, self.data)
        db.dispose()
        ours = stored(self.workdir / "check-rapport.db", [*self.rows, *DERIVED])
        self.rows.update({table: ours[table] for table in DERIVED if table in ours})
        conn = self.fresh_conn("check-raw")
        raw_insert(conn, self.rows)
        conn.close()
        for table, (_, rows) in stored(self.workdir / "check-raw.db", ours).items():
            if rows != ours[table][1]:
                raise SystemExit(f"the baseline does not store the same {table} rows as Rapport")

    def rapport_case(self) -> Case[Database]:
        return Case(
            lambda run: self.fresh_db(f"rapport-{run}"),
            lambda db: rapport_import(db, self.seeded.survey_id, self.data),
        )

    def raw_case(self) -> Case[sqlite3.Connection]:
        return Case(
            lambda run: self.fresh_conn(f"raw-{run}"),
            lambda conn: raw_insert(conn, self.rows),
        )

    def profile(self, top: int) -> None:
        db = self.fresh_db("profile")
        profiler = cProfile.Profile()
        profiler.runcall(rapport_import, db, self.seeded.survey_id, self.data)
        stats = pstats.Stats(profiler).strip_dirs()
        print(f"\n--- cProfile of import_responses: top {top} by cumulative time ---")
        stats.sort_stats("cumulative").print_stats(top)
        print(f"--- top {top} by own time ---")
        stats.sort_stats("tottime").print_stats(top)


# --- prototype of the proposed production changes (monkeypatched, for measuring only) ---


def _cached_property(cls: type, name: str) -> Any:
    prop = functools.cached_property(getattr(cls, name).fget)
    prop.__set_name__(cls, name)
    return mock.patch.object(cls, name, prop)


def _questions_by_id(self: SurveyDefinition) -> dict[str, Question]:
    cached: dict[str, Question] | None = self.__dict__.get("_questions_by_id")
    if cached is None:
        cached = self.__dict__["_questions_by_id"] = {q.id: q for q in self.questions}
    return cached


def _already_checked(question: Question, value: object) -> list[Any]:
    return []  # store_many(validate=False): the caller validated every answer


_redact_answers = comments.redact_answers


def _redact_if_any_text(definition: SurveyDefinition, answers: Mapping[str, Any]) -> Any:
    texts = comments.text_question_ids(definition)
    return _redact_answers(definition, answers) if any(q in answers for q in texts) else answers


def _replace_if_changed(sub: Submission, **changes: Any) -> Submission:
    if all(getattr(sub, name) is value for name, value in changes.items()):
        return sub
    return dataclasses.replace(sub, **changes)


def _insert_sql(conn: Connection, table: str, columns: Sequence[str]) -> str:
    """An INSERT in the driver's own placeholder style (``?`` for sqlite3, ``%s`` psycopg)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _add_many_driver(
    self: ResponseRepository,
    responses: Sequence[dict[str, Any]],
    answers: Sequence[Sequence[dict[str, Any]]],
) -> list[int]:
    """``add_many`` with the answers as tuples through the driver's own ``executemany``.

    Answer values need no type processing (text, float, None), so SQLAlchemy's per-row
    parameter building is pure overhead. (On PostgreSQL, ``COPY`` would be faster still.)
    """
    if not responses:
        return []
    ids: list[int] = self._allocate_ids(len(responses))  # private, as today's add_many
    conn = self.s.connection()
    conn.execute(
        ResponseRow.__table__.insert(),
        [{**r, "id": rid} for rid, r in zip(ids, responses, strict=True)],
    )
    rows = [
        (rid, a["question_id"], a["item"], a["value_num"], a["value_text"])
        for rid, group in zip(ids, answers, strict=True)
        for a in group
    ]
    if rows:
        conn.exec_driver_sql(_insert_sql(conn, "answers", ANSWER_COLUMNS), rows)
    return ids


class _NotFast(Exception):
    """A row the columnar path does not vouch for: the import goes the checked way."""


def _scale_number(question: Question, cell: object) -> float:
    if not isinstance(cell, str) or not _INTEGER.fullmatch(cell):
        raise _NotFast
    value = int(cell)
    assert question.scale is not None
    if not question.scale.min <= value <= question.scale.max:
        raise _NotFast
    return float(value)


def _answer_cells(question: Question, cell: Any) -> list[tuple[str, float | None, str | None]]:
    """``(item, value_num, value_text)`` of one cell, exactly as ``answer_rows`` stores it."""
    if question.type in SCALE_TYPES:
        return [("", _scale_number(question, cell), None)]
    if question.type is QuestionType.MATRIX:
        if not set(cell) <= set(question.row_ids) or (
            question.required and len(cell) < len(question.row_ids)
        ):
            raise _NotFast
        return [(r, _scale_number(question, cell[r]), None) for r in question.row_ids if r in cell]
    text = cell.replace("\r\n", "\n")  # TEXT: the only other type _compiled accepts
    if len(text) > question.text_max_length:
        raise _NotFast
    return [("", None, text)]


def _compiled(definition: SurveyDefinition) -> list[Question] | None:
    """The questions, when the columnar path covers them all (no display logic, simple types)."""
    covered = {*SCALE_TYPES, QuestionType.MATRIX, QuestionType.TEXT, QuestionType.DISPLAY}
    questions = [q for q in definition.questions if q.type is not QuestionType.DISPLAY]
    if any(q.show_if is not None or q.type not in covered for q in definition.questions):
        return None
    return questions


def _import_columnar(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    data: bytes,
    progress: Callable[[int], None] | None = None,
    *,
    keep_original: bool = False,
) -> Any:
    """``import_responses`` for files whose every row is valid: typed cells go straight to
    answer tuples, comments are read in one model call, and rows reach the driver's
    ``executemany`` as tuples. Any doubt (a problem, a person column, display logic) falls
    back to the checked path, which then reports exactly as today."""

    def checked_path() -> Any:
        return _import_responses(
            uow, principal, survey, data, progress, keep_original=keep_original
        )

    require(principal, Permission.IMPORT_DATA)
    published = get_published(uow, survey)
    defn = published.definition
    questions = _compiled(defn)
    text, encoding = decode(data)
    rows, errors = read_rows(text, defn)
    if errors or questions is None or any(r.meta.get("person") for r in rows):
        return checked_path()
    known = {q.id for q in questions}
    units = {}
    for u in uow.units.all():
        if principal.sees_unit(u.path):
            units[u.code] = units[u.path] = u.id
    texts = comments.text_question_ids(defn)
    parsed, answer_sets = [], []
    try:
        for row in rows:
            unit_id = units.get(row.meta.get("unit", ""))
            if unit_id is None or not set(row.raw) <= known:
                raise _NotFast
            cells = [
                (q.id, *cell) for q in questions if q.id in row.raw
                for cell in _answer_cells(q, row.raw[q.id])
            ]  # fmt: skip
            if any(q.required and q.id not in row.raw for q in questions):
                raise _NotFast
            stamp = row.meta.get("submitted_at")
            submitted = response_import._parse_time(stamp) if stamp else utcnow()
            language = row.meta.get("language") or defn.default_language
            parsed.append((unit_id, submitted, language, cells))
            answer_sets.append({qid: value for qid, _, _, value in cells if qid in texts})
    except (_NotFast, ValueError):
        return checked_path()
    if progress:
        progress(len(rows))
    analyses = comments.analyse(defn, answer_sets, keep_original=keep_original)
    ids = uow.responses._allocate_ids(len(parsed))  # would be a repository method
    conn = uow.session.connection()
    table = ResponseRow.__table__
    bind = [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in
            ("submitted_at", "attributes")]  # fmt: skip
    survey_row, version = published.survey, published.version
    response_rows, answer_rows = [], []
    for rid, (unit_id, submitted, language, cells), found in zip(
        ids, parsed, answer_sets, strict=True
    ):
        response_rows.append(
            (rid, survey_row.id, version.id, unit_id, None, survey_row.audience, "import",
             language, None, bind[0](submitted) if bind[0] else submitted, None,
             bind[1]({}) if bind[1] else {}, None, None)
        )  # fmt: skip
        redacted = comments.redact_answers(defn, found) if found else found
        answer_rows += [
            (rid, qid, item, num, redacted.get(qid, value)) for qid, item, num, value in cells
        ]
    conn.exec_driver_sql(_insert_sql(conn, "responses", RESPONSE_COLUMNS), response_rows)
    conn.exec_driver_sql(_insert_sql(conn, "answers", ANSWER_COLUMNS), answer_rows)
    uow.responses.add_analyses(
        [{**a, "response_id": rid} for rid, group in zip(ids, analyses, strict=True) for a in group]
    )
    if progress:
        progress(len(rows))
    details = {"rows": len(parsed), "encoding": encoding}
    uow.audit.record(principal.name, "responses.import", survey_row.key, datetime.now(UTC), details)
    return response_import.ImportResult(survey_row.key, len(parsed), encoding)


_import_responses = response_import.import_responses


FIXES = {
    "domain: cache SurveyDefinition.questions": lambda: [
        _cached_property(SurveyDefinition, "questions"),
        _cached_property(Question, "row_ids"),
        _cached_property(Question, "option_ids"),
        mock.patch.object(SurveyDefinition, "questions_by_id", _questions_by_id),
    ],
    "domain: answer_rows trusts checked answers": lambda: [
        mock.patch.object(survey_rows, "check_value", _already_checked)
    ],
    "service: redact only rows with text": lambda: [
        mock.patch.object(comments, "redact_answers", _redact_if_any_text),
        mock.patch.object(responses_service, "replace", _replace_if_changed),
    ],
    "storage: answers via driver executemany": lambda: [
        mock.patch.object(ResponseRepository, "add_many", _add_many_driver)
    ],
    "service: columnar import of valid files": lambda: [
        mock.patch.object(response_import, "import_responses", _import_columnar)
    ],
}


@contextmanager
def patched(count: int) -> Iterator[None]:
    """The first ``count`` proposed fixes applied, cumulatively."""
    with ExitStack() as stack:
        for make in list(FIXES.values())[:count]:
            for patcher in make():
                stack.enter_context(patcher)
        yield


def report(label: str, timing: Timing, rows: int, baseline: Timing) -> None:
    print(
        f"{label:<46} {timing.wall:7.2f} s {rows / timing.wall:>9,.0f} rows/s"
        f" {timing.wall / baseline.wall:6.2f}×   cpu {timing.cpu:7.2f} s"
        f" {timing.cpu / baseline.cpu:6.2f}×"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="responses in the CSV")
    parser.add_argument("--runs", type=int, default=3, help="best of N runs per side")
    parser.add_argument("--profile", action="store_true", help="cProfile one Rapport import")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    parser.add_argument(
        "--prototype", action="store_true", help="also time Rapport with the proposed fixes"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        bench = Bench(Path(tmp), args.rows)
        bench.check_same_rows()
        counts = ", ".join(f"{len(rows):,} {table}" for table, (_, rows) in bench.rows.items())
        print(
            f"import_csv: {len(bench.data) / 1e6:.1f} MB CSV → {counts} rows; "
            f"best of {args.runs}; SQLite {sqlite3.sqlite_version}",
            flush=True,
        )
        cases: dict[str, Case[Any]] = {
            "raw sqlite3 executemany": bench.raw_case(),
            "Rapport import_responses": bench.rapport_case(),
        }
        timings = best_of(args.runs, cases)
        raw, ours = timings["raw sqlite3 executemany"], timings["Rapport import_responses"]
        print(f"{'':46} {'wall':>9} {'rows/s':>16} {'ratio':>7}   {'cpu':>11} {'ratio':>7}")
        for label, timing in timings.items():
            report(label, timing, args.rows, raw)
        if args.prototype:  # each stage against a baseline timed in the same rounds
            for count, label in enumerate(FIXES, start=1):
                with patched(count):
                    bench.check_same_rows()
                    stage = best_of(
                        args.runs, {"raw": bench.raw_case(), label: bench.rapport_case()}
                    )
                report(f"+ {label}", stage[label], args.rows, stage["raw"])
        ratio = ours.wall / raw.wall
        print(f"goal: ratio ≤ {GOAL_RATIO:g}× → {verdict(ratio <= GOAL_RATIO)} ({ratio:.2f}×)")
        if args.profile:
            bench.profile(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
