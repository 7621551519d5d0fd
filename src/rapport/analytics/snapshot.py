"""Parquet snapshots of the tables metrics read, for the DuckDB engine (``rapport snapshot``).

Layout of a snapshot directory::

    <dir>/CURRENT                      the name of the live version (replaced atomically)
    <dir>/20261123T101500Z-1a2b3c/     one version: <table>.parquet + manifest.json

Readers resolve ``CURRENT`` once per connection, so a query never mixes two versions while a
new snapshot is being written; the previous version is kept for readers still using it.
A directory holding the ``.parquet`` files directly (no ``CURRENT``) is read as it is.

Timestamps are written as naive UTC, JSON columns as JSON text, booleans as booleans.
Comment texts (``answers.value_text``) are left out unless asked for: a snapshot is a copy
that outlives the database's access rules, and employee comments are the most identifying
thing Rapport holds (``docs/confidentiality.md``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy import JSON, Boolean, Column, Connection, Date, DateTime, Float, Integer, select

from rapport.errors import NotFound
from rapport.storage.models import Base

SNAPSHOT_TABLES = (
    "units",
    "surveys",
    "survey_versions",
    "survey_items",
    "responses",
    "answers",
    "distributions",
    "invitations",
    "comment_analyses",
    "metric_aggregates",
    "cases",
    "case_events",
    "case_notes",
    "comment_aggregates",
    "attribute_aggregates",
    "attribute_index_aggregates",
    "people",
)
#: Columns metrics never read and a snapshot must not spread: request fingerprints, link
#: secrets, who was invited and which response answered an invitation, half-filled forms,
#: comments as written before redaction.
EXCLUDED_COLUMNS = {
    "responses": frozenset({"idempotency_key", "idempotency_scope", "body_hash"}),
    "invitations": frozenset(
        {"token_hash", "salt", "person_id", "response_id", "partial_answers", "partial_page"}
    ),
    "comment_analyses": frozenset({"original_text"}),
    # Closed-loop metrics read times, units, rules and links; never what people wrote.
    "cases": frozenset({"title"}),
    "case_events": frozenset({"actor", "from_value", "to_value"}),
    "case_notes": frozenset({"author", "text"}),
}
#: Tables of which a snapshot keeps only these columns: of the people directory, who is in
#: which unit (the denominators of reach), never a name, address or attribute.
ONLY_COLUMNS = {"people": frozenset({"id", "kind", "unit_id"})}
TEXT_COLUMNS = {"answers": frozenset({"value_text"})}
CURRENT = "CURRENT"
MANIFEST = "manifest.json"


class Readable(Protocol):
    """Something that hands out a read connection (an analytics engine)."""

    def connect(self) -> AbstractContextManager[Connection]: ...


@dataclass(frozen=True)
class SnapshotInfo:
    """Where a snapshot was written and how many rows each table holds."""

    directory: Path
    version: str
    created_at: datetime
    rows: dict[str, int]
    source: str


def snapshot_folder(directory: Path | str) -> Path:
    """The folder holding the live version's Parquet files, or NotFound.

    >>> snapshot_folder("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rapport.errors.NotFound: no analytics snapshot in /nonexistent ...
    """
    root = Path(directory)
    pointer = root / CURRENT
    folder = root / pointer.read_text().strip() if pointer.is_file() else root
    missing = [t for t in SNAPSHOT_TABLES if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise NotFound(
            f"no analytics snapshot in {root} (missing {', '.join(missing)}): "
            "run `rapport snapshot` first"
        )
    return folder


def write_snapshot(
    source: Readable,
    directory: Path | str,
    *,
    include_text: bool = False,
    batch_rows: int = 50_000,
    keep: int = 2,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SnapshotInfo:
    """Write every table metrics read to a new Parquet version and make it current.

    ``source`` is read in one consistent transaction (pass the operational analytics
    engine, which reads without locking writers out). Older versions beyond ``keep``
    (counting the new one) are removed.

    Example (with an operational engine over the demo database)::

        info = write_snapshot(open_engine(database_url=url), "var/snapshot")
        info.rows["responses"]
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    created = clock()
    version = f"{created:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"
    folder = root / version
    staging = root / f".{version}.tmp"
    staging.mkdir()
    rows: dict[str, int] = {}
    try:
        with source.connect() as conn:
            dialect = conn.dialect.name
            for name in SNAPSHOT_TABLES:
                rows[name] = _write_table(conn, name, staging, include_text, batch_rows)
        manifest = {
            "version": version,
            "created_at": created.isoformat(),
            "source": dialect,
            "include_text": include_text,
            "rows": rows,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pointer = root / f".{CURRENT}.tmp"
    pointer.write_text(version + "\n")
    os.replace(pointer, root / CURRENT)
    _prune(root, keep)
    return SnapshotInfo(folder, version, created, rows, dialect)


def _columns(name: str, include_text: bool) -> list[Column[Any]]:
    skip = set(EXCLUDED_COLUMNS.get(name, ()))
    if not include_text:
        skip |= TEXT_COLUMNS.get(name, frozenset())
    only = ONLY_COLUMNS.get(name)
    return [
        c
        for c in Base.metadata.tables[name].columns
        if c.name not in skip and (only is None or c.name in only)
    ]


def _arrow_type(column: Column[Any]) -> tuple[pa.DataType, Callable[[Any], Any] | None]:
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_(), bool
    if isinstance(kind, Integer):
        return pa.int64(), None
    if isinstance(kind, Float):
        return pa.float64(), float
    if isinstance(kind, DateTime):
        return pa.timestamp("us"), _naive_utc
    if isinstance(kind, Date):
        return pa.date32(), None
    if isinstance(kind, JSON):
        return pa.string(), _json_text
    return pa.string(), None


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _write_table(
    conn: Connection, name: str, folder: Path, include_text: bool, batch_rows: int
) -> int:
    import pyarrow.parquet as pq  # only snapshots write Parquet: not held by every server

    columns = _columns(name, include_text)
    types = [_arrow_type(c) for c in columns]
    schema = pa.schema(
        [pa.field(c.name, t, nullable=True) for c, (t, _) in zip(columns, types, strict=True)]
    )
    key = Base.metadata.tables[name].primary_key.columns.values()
    statement = select(*columns).order_by(*key)
    count = 0
    with pq.ParquetWriter(folder / f"{name}.parquet", schema, compression="zstd") as writer:
        result = conn.execution_options(yield_per=batch_rows).execute(statement)
        for batch in result.partitions():
            writer.write_batch(_batch(batch, schema, types))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def _batch(
    rows: Sequence[Any],
    schema: pa.Schema,
    types: list[tuple[pa.DataType, Callable[[Any], Any] | None]],
) -> pa.RecordBatch:
    arrays = []
    for index, (kind, convert) in enumerate(types):
        values = [row[index] for row in rows]
        if convert is not None:
            values = [None if v is None else convert(v) for v in values]
        arrays.append(pa.array(values, type=kind))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _prune(root: Path, keep: int) -> None:
    current = (root / CURRENT).read_text().strip()
    versions = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file()
    )
    stale = [p for p in versions if p.name != current][: max(len(versions) - max(keep, 1), 0)]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
