"""Helpers shared by the benchmark scripts: best-of-N timing and throwaway SQLite files.

Benchmarks are reports, not tests: they print figures and a PASS/FAIL line against the
goal they track, and always exit 0 unless they crash.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from rapport.storage import migrate
from rapport.storage.uow import Database

State = TypeVar("State")


@dataclass(frozen=True)
class Timing:
    """Best wall-clock and best CPU seconds over several runs.

    CPU time is the steadier figure on a busy machine: other processes stretch the wall
    clock but not this process's CPU time.
    """

    wall: float
    cpu: float


@dataclass(frozen=True)
class Case(Generic[State]):
    """Something to time: ``setup(run)`` builds fresh state (untimed), ``action`` is timed."""

    setup: Callable[[int], State]
    action: Callable[[State], object]


def best_of(runs: int, cases: Mapping[str, Case[Any]]) -> dict[str, Timing]:
    """The best timing of each case over ``runs`` rounds.

    Rounds interleave the cases (a, b, a, b, …) so that a burst of load from other
    processes hurts both sides of a ratio instead of one.

    >>> best_of(2, {"noop": Case(lambda run: run, lambda state: None)})["noop"].wall >= 0
    True
    """
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    for run in range(runs):
        for name, case in cases.items():
            state = case.setup(run)
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            case.action(state)
            walls[name].append(time.perf_counter() - wall)
            cpus[name].append(time.process_time() - cpu)
    return {name: Timing(min(walls[name]), min(cpus[name])) for name in cases}


def migrated_sqlite(path: Path) -> Path:
    """A SQLite file at ``path`` with the schema created by the real migrations."""
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return path


def fresh_copy(template: Path, path: Path) -> Path:
    """Copy a (migrated, seeded) SQLite template so each run starts from the same state."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template, path)
    return path


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas production connections get (the
    baseline side of the import benchmarks)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "synchronous=FULL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def report_rows(label: str, timing: Timing, rows: int, baseline: Timing, width: int = 36) -> None:
    """One line of an import benchmark: wall, rows/s and CPU, each with its ratio to the
    baseline."""
    print(
        f"{label:<{width}} {timing.wall:7.2f} s {rows / timing.wall:>9,.0f} rows/s"
        f" {timing.wall / baseline.wall:6.2f}×   cpu {timing.cpu:7.2f} s"
        f" {timing.cpu / baseline.cpu:6.2f}×"
    )


def report_ratio(
    timings: Mapping[str, Timing], rows: int, baseline: str, ours: str, goal: float
) -> None:
    """An import benchmark's table (every case against ``baseline``) and the verdict on
    ``ours``: its wall-time ratio within ``goal``."""
    base = timings[baseline]
    print(f"{'':36} {'wall':>9} {'rows/s':>16} {'ratio':>7}   {'cpu':>11} {'ratio':>7}")
    for label, timing in timings.items():
        report_rows(label, timing, rows, base)
    ratio = timings[ours].wall / base.wall
    print(f"goal: ratio ≤ {goal:g}× → {verdict(ratio <= goal)} ({ratio:.2f}×)")


class SqliteTemplates:
    """Fresh copies of a migrated SQLite template (``self.template`` under
    ``self.workdir``): through Rapport's :class:`Database` or as a raw connection."""

    workdir: Path
    template: Path

    def fresh_db(self, name: str, template: Path | None = None) -> Database:
        path = fresh_copy(template or self.template, self.workdir / f"{name}.db")
        db = Database(f"sqlite:///{path}")
        db.ping()
        return db

    def fresh_conn(self, name: str) -> sqlite3.Connection:
        return connect_raw(fresh_copy(self.template, self.workdir / f"{name}.db"))
