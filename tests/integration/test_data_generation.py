"""The data generation (``rapport.storage.generation``) on real SQLite and PostgreSQL: it
moves on every commit that writes a table analytics read, in the same transaction, and
stays on commits that write only operational tables, on rollbacks and on reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

import rapport
from rapport.storage.db import generation_of
from rapport.storage.generation import OPERATIONAL_COLUMNS, OPERATIONAL_TABLES, writes_data
from rapport.storage.models import Base
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import seed_org

ANALYTICS = [
    *sorted((Path(rapport.__file__).parent / "analytics").rglob("*.py")),
    Path(rapport.__file__).parent / "services" / "metrics.py",
    Path(rapport.__file__).parent / "services" / "metric_memo.py",
]


def test_operational_tables_exist_and_no_analytics_statement_names_one() -> None:
    assert set(Base.metadata.tables) >= OPERATIONAL_TABLES
    for path in ANALYTICS:
        source = path.read_text()
        columns = {c for cs in OPERATIONAL_COLUMNS.values() for c in cs}
        named = {t for t in OPERATIONAL_TABLES | columns if re.search(rf"\b{t}\b", source)}
        assert named == set(), f"{path} reads {named}: its writes must move the generation"


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("SELECT * FROM responses", False),
        ("  select id from cases for no key update skip locked", False),
        ("UPDATE sessions SET last_seen_at=? WHERE sessions.id = ?", False),
        ("UPDATE users SET last_login_at=? WHERE users.id = ?", False),
        (
            'INSERT INTO "comment_snapshots" (kind) VALUES (?) ON CONFLICT DO UPDATE SET x = 1',
            False,
        ),
        ("DELETE FROM webhook_attempts WHERE at < ?", False),
        ("UPDATE case_events SET notified_at=? WHERE case_events.id = ?", False),
        ("UPDATE case_events SET notified_at=?, kind=? WHERE case_events.id = ?", True),
        ("UPDATE case_events SET at=? WHERE notified_at IS NULL", True),
        ("INSERT INTO answers (response_id) VALUES (?)", True),
        ("UPDATE cases SET status=? WHERE cases.id = ?", True),
        ("DELETE FROM main.responses WHERE id = ?", True),
        ("INSERT OR REPLACE INTO metric_aggregates SELECT * FROM x", True),
        ("WITH s AS (SELECT 1) UPDATE sessions SET client = '' ", False),
        ("WITH s AS (SELECT 1) UPDATE units SET name = name", True),
        ("WITH s AS (SELECT 1) SELECT * FROM s", False),
        ("CREATE INDEX ix ON answers (item)", True),
        ("/* hint */ TRUNCATE sessions", True),
        ("ANALYZE", True),
    ],
)
def test_which_statements_write_data(statement: str, writes: bool) -> None:
    assert writes_data(statement) is writes


def test_the_generation_moves_with_data_commits_only(db: Database) -> None:
    seed_org(db)
    generation = generation_of(db.engine)
    assert generation is not None
    start = generation()
    assert start is not None

    with db.engine.begin() as conn:  # operational writes only
        conn.execute(text("UPDATE users SET last_login_at = NULL"))
        conn.execute(text("DELETE FROM sessions"))
    with db.engine.connect() as conn:  # a read
        conn.execute(text("SELECT count(*) FROM responses")).scalar_one()
        conn.commit()
    with db.engine.connect() as conn:  # a data write rolled back
        conn.execute(text("UPDATE units SET name = 'x'"))
        conn.rollback()
    assert generation() == start

    with db.unit_of_work() as uow:  # the ORM, as the services write
        uow.session.execute(text("UPDATE units SET name = name || ''"))
    moved = generation()
    assert moved is not None and moved != start
    assert moved[:-1] == start[:-1] and moved[-1] == start[-1] + 1

    # A column set to itself is a row lock (comment snapshots lock their survey's row so).
    with db.engine.connect() as conn:
        conn.execute(text("UPDATE units SET name = units.name"))
        conn.commit()
    assert generation() == moved

    # Moved in the committing transaction: a reader never sees the data before the number.
    with db.engine.connect() as conn:
        conn.execute(text("UPDATE units SET name = name || ''"))
        assert generation() == moved  # not yet committed
        conn.commit()
    assert generation() != moved


def test_a_truncated_generation_comes_back_with_a_new_token(db: Database) -> None:
    generation = generation_of(db.engine)
    assert generation is not None
    before = generation()
    assert before is not None
    with db.engine.begin() as conn:  # the row goes: the same commit writes it anew
        conn.execute(text("DELETE FROM data_generation"))
    after = generation()
    assert after is not None and after[-2] != before[-2] and after[-1] == 1
