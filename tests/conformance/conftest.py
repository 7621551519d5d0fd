"""One seeded dataset in every engine: SQLite, PostgreSQL, and DuckDB over Parquet snapshots.

The dataset is built through the real services (the demo loader, ``save_definition`` for a
second survey version, ``store_many`` for boundary cases) into a SQLite file and a fresh
PostgreSQL database of its own (so no other test's truncation can touch it), then
snapshotted from each. PostgreSQL connections use a far-from-UTC session time zone: a
period computed in local time instead of UTC would move responses between months.
"""

from __future__ import annotations

import copy
import os
import random
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import create_engine, make_url, select, text

from rapport.analytics.engines import AnalyticsEngine, DuckDBEngine, OperationalEngine
from rapport.analytics.snapshot import write_snapshot
from rapport.domain.org import SYSTEM, PersonKind
from rapport.domain.survey.dump import definition_to_dict
from rapport.services import alerts, cases, demo, personal_data, responses, surveys
from rapport.services.demo.generator import generate_demo
from rapport.services.demo.models import DemoOrganisation
from rapport.storage import migrate
from rapport.storage.models import ResponseRow
from rapport.storage.uow import Database
from tests.conftest import PG_ADMIN_URL

BOUNDARY_TIMES = [
    datetime(2025, 12, 28, 23, 59, 59, tzinfo=UTC),  # Sunday: last second of an ISO week
    datetime(2025, 12, 29, 0, 0, 0, tzinfo=UTC),  # Monday
    datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),  # year, quarter, month end
    datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC),
    datetime(2025, 9, 30, 23, 30, 0, tzinfo=UTC),  # Auckland: already October 1st
]
COMMENTS = [
    "I felt completely ignored and taken for granted at the till.",
    "The staff made me feel really special, thank you so much!",
    "Queue was far too long and nobody seemed to care. Really annoying.",
    "ok",
    "Wow, I did not expect the new store to be this lovely.",
    "The delivery arrived on Tuesday.",
    "Disgusting toilets, and the manager was rude to my mother.",
]
ODD_ATTRIBUTES: list[dict[str, Any]] = [
    {"vip": True, "visits": 3},
    {"vip": False, "visits": 12},
    {"segment": "premium", "visits": 1.5},
    {},
    {"segment": "n/a|x"},
]


def without_texts(org: DemoOrganisation) -> DemoOrganisation:
    """The demo without free-text answers: metrics never read them, and storing them runs
    the emotion model over every comment, which this suite does not need."""
    kept = [
        replace(r, answers={k: v for k, v in r.answers.items() if not isinstance(v, str)})
        for r in org.responses
    ]
    return replace(org, responses=kept)


def build(db: Database) -> None:
    """The conformance dataset: a small demo plus a second version and boundary cases."""
    org = without_texts(generate_demo(seed=7, units=18, months=6, scale=0.4))
    demo.load(db, org)
    with db.unit_of_work() as uow:
        v1 = surveys.get_published(uow, "customer-relationship")
        data = copy.deepcopy(definition_to_dict(v1.definition))
        questions = {q["id"]: q for page in data["pages"] for q in page["questions"]}
        # Version 2 asks `fresh` on the 7-point scale of `ces`: top box moves from 5 to 7.
        questions["fresh"]["scale"] = {"points": 7, **questions["ces"]["scale"]}
        version = surveys.save_definition(uow, SYSTEM, surveys.parse_definition(data))
        v2 = surveys.get_version(uow, version.id)
        sample = [r for r in org.responses if r.survey_key == "customer-relationship"][:40]
        stores = [u.code for u in org.units if u.kind == "store"]
        subs = []
        for i, response in enumerate(sample):
            answers = dict(response.answers)
            answers["fresh"] = 1 + i % 7
            if i % 2 == 0:  # comments the emotion model reads (some too short to read)
                answers["comment"] = COMMENTS[i // 2 % len(COMMENTS)]
            unit = uow.units.by_code(stores[i % len(stores)])
            assert unit is not None
            subs.append(
                responses.Submission(
                    answers=answers,
                    unit_id=unit.id,
                    channel="api",
                    submitted_at=BOUNDARY_TIMES[i % len(BOUNDARY_TIMES)],
                    attributes=ODD_ATTRIBUTES[i % len(ODD_ATTRIBUTES)],
                )
            )
        responses.store_many(uow, v2, subs, validate=True)
    erase_some_customers(db, org)
    add_cases(db)


def erase_some_customers(db: Database, org: DemoOrganisation, count: int = 6) -> None:
    """Erase a few customers who answered: their responses lose every attribute but the
    anonymous ones and the tenure band (``preferred_channel`` goes), so the attribute
    aggregates have taken rows out and put them back."""
    answered = {
        r.person_external_id for r in org.responses if r.survey_key == "customer-relationship"
    }
    chosen = [
        p.external_id
        for p in org.people
        if p.kind == "customer"
        and p.external_id in answered
        and "preferred_channel" in p.attributes
    ][:count]
    assert len(chosen) == count
    with db.unit_of_work() as uow:
        for external_id in chosen:
            personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, external_id)


def add_cases(db: Database, seed: int = 17) -> None:
    """Cases on customer and employee responses (and by hand) with seeded timelines: first
    contact by a note or a status change, resolution, escalation, follow-up responses, and
    repeat pairs exactly at and just past the 30-day window. Times carry microseconds."""
    rng = random.Random(seed)
    with db.unit_of_work() as uow:
        rules = [
            alerts.create_rule(
                uow, SYSTEM, alerts.RuleInput(name=f"rule {k}", condition=RULE, active=False)
            ).id
            for k in (1, 2)
        ]
        r = ResponseRow.__table__.c
        rows = (
            uow.connection()
            .execute(
                select(r.id, r.unit_id, r.audience, r.submitted_at, r.person_id).order_by(r.id)
            )
            .all()
        )
        units = {u.id: u for u in uow.units.all()}
        customers = [r for r in rows if r.audience == "customer"]
        employees = [r for r in rows if r.audience == "employee"]
        chosen = rng.sample(customers, 140) + rng.sample(employees, 60)
        # Pairs of one person: a second case on another of their responses.
        by_person: dict[int, list[Any]] = {}
        for r in customers:
            if r.person_id is not None:
                by_person.setdefault(r.person_id, []).append(r)
        pairs = [rs[1] for rs in by_person.values() if len(rs) > 1][:25]
        chosen += [p for p in pairs if p not in chosen]
        followers = [r.id for r in customers if r not in chosen]
        rng.shuffle(followers)
        planned: list[tuple[Any, int | None, str, int | None, datetime]] = []
        for r in chosen:
            at = _as_utc(r.submitted_at) + timedelta(minutes=rng.uniform(0, 90))
            planned.append((units[r.unit_id], r.id, r.audience, rng.choice(rules), at))
        base = datetime(2025, 11, 3, 9, 15, 0, 123456, tzinfo=UTC)
        store = next(u for u in units.values() if u.kind == "store")
        for days, extra in ((0, 0), (30, 0), (60, 1), (3, 500)):  # 30 days exactly: a repeat
            at = base + timedelta(days=days, microseconds=extra)
            planned.append((store, None, "customer", rules[0], at))
        for _ in range(6):  # by hand: no response, no rule
            at = base + timedelta(days=rng.uniform(-60, 60))
            planned.append((store, None, "customer", None, at))
        for unit, response_id, audience, rule_id, at in planned:
            case_id = cases.open_case(
                uow, unit=unit, audience=audience, title="t", priority=rng.choice(PRIORITIES),
                actor="conformance", rule_id=rule_id, response_id=response_id, now=at,
            )  # fmt: skip
            _timeline(uow, rng, case_id, followers if audience == "customer" else [])


RULE = {"question": "nps", "op": "<=", "value": 6}
PRIORITIES = ("urgent", "high", "normal", "low")


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _timeline(uow: Any, rng: random.Random, case_id: int, followers: list[int]) -> None:
    """What happens to one case: notes, status changes, escalation, a follow-up."""
    case = uow.cases.get(case_id)
    opened = _as_utc(case.opened_at)
    roll = rng.random()
    if roll < 0.15:
        return  # never touched
    touch = opened + timedelta(hours=rng.uniform(0.05, 120), microseconds=rng.randrange(10**6))
    values: dict[str, Any] = {}
    if rng.random() < 0.5:
        uow.cases.add_note(case_id, "owner", touch, "called")
    else:
        values.update(status="in_progress", first_contact_at=touch)
        uow.cases.add_event(case_id=case_id, at=touch, actor="owner", kind="status",
                            from_value="open", to_value="in_progress")  # fmt: skip
    if rng.random() < 0.2:  # an owner change is no contact
        uow.cases.add_event(case_id=case_id, at=opened + timedelta(minutes=1), actor="x",
                            kind="owner", from_value="", to_value="1")  # fmt: skip
    if rng.random() < 0.2:
        values["escalation_level"] = rng.choice((1, 2))
    if rng.random() < 0.65:
        resolved = touch + timedelta(hours=rng.uniform(0, 150), microseconds=rng.randrange(10**6))
        values.update(status="closed", resolved_at=resolved, resolution_code="contacted_resolved")
        uow.cases.add_event(case_id=case_id, at=resolved, actor="owner", kind="status",
                            from_value="in_progress", to_value="closed")  # fmt: skip
        if followers and rng.random() < 0.5:
            values["follow_up_response_id"] = followers.pop()
    if values:
        uow.cases.update(case_id, **values)


#: The operational database each engine reads, directly or through its snapshot. Every
#: engine runs twice: reading ``metric_aggregates`` where they can answer (the default) and
#: ``-raw``, always from the answers — the aggregate path is held to the raw one.
SOURCE = {"sqlite": "sqlite", "duckdb": "sqlite", "postgresql": "postgresql",
          "duckdb-from-pg": "postgresql"}  # fmt: skip
SOURCE |= {f"{name}-raw": source for name, source in SOURCE.items()}


@dataclass
class Dataset:
    engines: dict[str, AnalyticsEngine]
    frames: dict[str, pd.DataFrame]  # the SQLite database's tables
    sources: dict[str, dict[str, pd.DataFrame]]  # each operational database's tables

    def frames_of(self, engine: str) -> dict[str, pd.DataFrame]:
        """The tables of the database ``engine`` reads (a snapshot reads its source's)."""
        return self.sources[SOURCE[engine]]


def _frames(db: Database) -> dict[str, pd.DataFrame]:
    with db.engine.connect() as conn:
        return {
            name: pd.read_sql_query(text(f"SELECT * FROM {name}"), conn)
            for name in (
                "units",
                "surveys",
                "responses",
                "answers",
                "survey_items",
                "survey_versions",
                "distributions",
                "invitations",
                "comment_analyses",
                "cases",
                "case_events",
                "case_notes",
            )
        }


#: Set to a folder, the suite runs on SQLite only, built once into the folder and reused by
#: later sessions: mutation testing (tools/mutation.md) starts a session per mutant, and
#: building the dataset with PostgreSQL and two snapshots would cost more than the tests.
SQLITE_CACHE = os.environ.get("RAPPORT_CONFORMANCE_SQLITE_CACHE")
SQLITE_ENGINES = ("sqlite", "sqlite-raw")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without PostgreSQL (``RAPPORT_CONFORMANCE_SQLITE_CACHE``), deselect its engines."""
    if not SQLITE_CACHE:
        return
    keep, drop = [], []
    for item in items:
        engine = getattr(item, "callspec", None) and item.callspec.params.get("engine")
        (drop if engine and engine not in SQLITE_ENGINES else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _cached_sqlite(folder: Path) -> Iterator[Dataset]:
    if not (folder / "rapport.db").exists():
        building = folder / f"building-{uuid.uuid4().hex[:8]}"
        building.mkdir(parents=True)
        db = Database(f"sqlite:///{building / 'rapport.db'}")
        migrate.upgrade(db.engine)
        build(db)
        db.dispose()
        with closing(sqlite3.connect(building / "rapport.db")) as raw:  # WAL into the file
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.move(building / "rapport.db", folder / "rapport.db")
        shutil.rmtree(building)
    db = Database(f"sqlite:///{folder / 'rapport.db'}")
    engines: dict[str, AnalyticsEngine] = {
        "sqlite": OperationalEngine(db.engine),
        "sqlite-raw": OperationalEngine(db.engine, aggregates=False),
    }
    try:
        frames = _frames(db)
        yield Dataset(engines, frames, {"sqlite": frames})
    finally:
        for engine in engines.values():
            engine.dispose()
        db.dispose()


@pytest.fixture(scope="session")
def conformance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dataset]:
    if SQLITE_CACHE:
        yield from _cached_sqlite(Path(SQLITE_CACHE))
        return
    folder = tmp_path_factory.mktemp("conformance")
    name = f"rapport_conformance_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    sqlite_db = Database(f"sqlite:///{folder / 'rapport.db'}")
    pg_db = Database(url)
    far_zone = create_engine(url, connect_args={"options": "-c TimeZone=Pacific/Auckland"})
    engines: dict[str, AnalyticsEngine] = {}
    try:
        for database in (sqlite_db, pg_db):
            migrate.upgrade(database.engine)
            build(database)
        engines["sqlite"] = OperationalEngine(sqlite_db.engine)
        engines["postgresql"] = OperationalEngine(far_zone)
        write_snapshot(engines["sqlite"], folder / "snapshot-sqlite")
        write_snapshot(engines["postgresql"], folder / "snapshot-pg")
        engines["duckdb"] = DuckDBEngine(folder / "snapshot-sqlite")
        engines["duckdb-from-pg"] = DuckDBEngine(folder / "snapshot-pg")
        engines["sqlite-raw"] = OperationalEngine(sqlite_db.engine, aggregates=False)
        engines["postgresql-raw"] = OperationalEngine(far_zone, aggregates=False)
        engines["duckdb-raw"] = DuckDBEngine(folder / "snapshot-sqlite", aggregates=False)
        engines["duckdb-from-pg-raw"] = DuckDBEngine(folder / "snapshot-pg", aggregates=False)
        sources = {"sqlite": _frames(sqlite_db), "postgresql": _frames(pg_db)}
        yield Dataset(engines, sources["sqlite"], sources)
    finally:
        for engine in engines.values():
            engine.dispose()
        far_zone.dispose()
        sqlite_db.dispose()
        pg_db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)
