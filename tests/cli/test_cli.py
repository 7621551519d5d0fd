"""The ``rapport`` command as a user runs it: a real process, real databases."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from rapport.storage.uow import Database

CHECKSUM_QUERIES = {
    "units": "SELECT code, name, kind, path FROM units ORDER BY code",
    "people": "SELECT kind, external_id, name, email, relationship_start, attributes "
    "FROM people ORDER BY kind, external_id",
    "responses": "SELECT r.id, s.key, u.code, p.external_id, r.submitted_at, r.language, "
    "r.tenure_days, r.attributes FROM responses r JOIN surveys s ON s.id = r.survey_id "
    "JOIN units u ON u.id = r.unit_id LEFT JOIN people p ON p.id = r.person_id "
    "ORDER BY r.id",
    "answers": "SELECT response_id, question_id, item, value_num, value_text FROM answers "
    "ORDER BY response_id, question_id, item",
    "outcomes": "SELECT u.code, o.period, o.metric, o.value FROM outcomes o "
    "JOIN units u ON u.id = o.unit_id ORDER BY u.code, o.period, o.metric",
    "actions": "SELECT u.code, a.kind, a.title, a.started_on FROM actions a "
    "JOIN units u ON u.id = a.unit_id ORDER BY u.code, a.started_on",
}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _canonical(value: object) -> object:
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)  # SQLite returns JSON as text, PostgreSQL as dict
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d[ T][\d:.]+", value):
        value = datetime.fromisoformat(value)  # SQLite returns date-times as text
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "isoformat"):
        text_value = value.isoformat()  # type: ignore[union-attr]
        return text_value.replace("+00:00", "")
    return value


def checksums(url: str) -> dict[str, tuple[int, str]]:
    engine = create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table, query in CHECKSUM_QUERIES.items():
            rows = [tuple(_canonical(v) for v in row) for row in conn.execute(text(query))]
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            out[table] = (len(rows), digest)
    engine.dispose()
    return out


@pytest.mark.slow
def test_demo_same_seed_twice_gives_identical_data_on_sqlite_and_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    sums = []
    for i in range(2):
        url = f"sqlite:///{tmp_path / f'demo{i}.db'}"
        result = run(
            {"RAPPORT_DATABASE_URL": url, "RAPPORT_DATA_DIR": str(tmp_path)},
            "demo",
            "--seed",
            "7",
            "--months",
            "12",
        )
        assert result.returncode == 0, result.stderr
        assert "Demo admin login: admin@northwind.example" in result.stdout
        sums.append(checksums(url))
    assert sums[0] == sums[1]
    assert sums[0]["units"][0] >= 40
    assert sums[0]["responses"][0] > 5000
    # The same demo on PostgreSQL holds exactly the same data.
    db = Database(pg_url)
    from tests.conftest import _truncate_all

    _truncate_all(db)
    db.dispose()
    result = run(
        {"RAPPORT_DATABASE_URL": pg_url, "RAPPORT_DATA_DIR": str(tmp_path)},
        "demo",
        "--seed",
        "7",
        "--months",
        "12",
    )
    assert result.returncode == 0, result.stderr
    assert checksums(pg_url) == sums[0]
    _truncate_all(Database(pg_url))
    # A second demo into a database with data refuses; --if-empty is a no-op.
    again = run(
        {
            "RAPPORT_DATABASE_URL": f"sqlite:///{tmp_path / 'demo0.db'}",
            "RAPPORT_DATA_DIR": str(tmp_path),
        },
        "demo",
        "--if-empty",
    )
    assert again.returncode == 0 and "not loaded" in again.stdout


def test_errors_are_one_line_without_traceback_unless_debug(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path), "RAPPORT_NEW_PASSWORD": "long-enough-password"}
    assert run(env, "init").returncode == 0
    bad_role = run(env, "user", "create", "a@example.com", "--role", "boss")
    assert bad_role.returncode == 1
    assert bad_role.stderr.strip() == (
        "error: --role must be one of admin, analyst, manager, viewer, got 'boss'"
    )
    ok = run(env, "user", "create", "a@example.com", "--role", "admin")
    assert ok.returncode == 0, ok.stderr
    dup = run(env, "user", "create", "a@example.com", "--role", "admin")
    assert dup.returncode == 1
    assert dup.stderr.count("\n") == 1 and "already exists" in dup.stderr
    assert "Traceback" not in dup.stderr
    debug = run(env, "--debug", "user", "create", "a@example.com", "--role", "admin")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    few = run(env, "demo", "--units", "10")
    assert few.returncode == 1 and "--units must be at least 40" in few.stderr
    month = run(env, "demo", "--start", "2025-13")
    assert month.returncode == 1
    assert "--start must be a month as YYYY-MM or 'live', got '2025-13'" in month.stderr


def test_demo_start_moves_the_calendar_and_live_ends_this_month() -> None:
    from datetime import date

    from rapport.cli.serve_cmds import _first_month
    from rapport.services import demo

    assert _first_month(None, 24) is None
    assert _first_month("2024-02", 24) == date(2024, 2, 1)
    today = date.today()
    live = _first_month("live", 24)
    assert live is not None and live.day == 1
    assert (today.year - live.year) * 12 + today.month - live.month == 23
    org = demo.generate(seed=7, units=12, months=2, start=date(2024, 2, 1))
    months = {r.submitted_at.date().replace(day=1) for r in org.responses}
    assert months == {date(2024, 2, 1), date(2024, 3, 1)}


def test_token_create_prints_a_working_token_once(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init").returncode == 0
    result = run(env, "token", "create", "--role", "analyst", "--name", "etl")
    assert result.returncode == 0, result.stderr
    token = result.stdout.splitlines()[0].strip()
    assert token.startswith("rpt_") and len(token) > 40
    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    from rapport.services import auth

    with db.unit_of_work() as uow:
        assert auth.principal_for_token(uow, token).name == "etl"
    db.dispose()
    bad = run({"RAPPORT_ANONYMITY_MIN_SCORES": "2", **env}, "init")
    assert bad.returncode == 1
    assert "anonymity_min_scores" in bad.stderr and "at least 3" in bad.stderr


def test_token_expiry_list_and_revoke_by_prefix(tmp_path: Path) -> None:
    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    assert run(env, "init").returncode == 0
    made = run(env, "token", "create", "--role", "analyst", "--name", "etl")
    assert made.returncode == 0, made.stderr
    assert "expires in 90 days" in made.stdout  # RAPPORT_TOKEN_DEFAULT_DAYS
    token = made.stdout.splitlines()[0].strip()
    revoked = run(env, "token", "revoke", token[:10])
    assert revoked.returncode == 0, revoked.stderr
    assert "Revoked token 1 (" in revoked.stdout
    listed = run(env, "token", "list").stdout
    assert re.search(r"1\s+rpt_\S+\s+etl\s+analyst\s+expires \S+\s+revoked", listed), listed
    assert token not in listed


def test_user_set_role_and_deactivate(tmp_path: Path) -> None:
    from rapport.domain.org import Role
    from rapport.services import auth
    from rapport.storage import migrate

    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    migrate.upgrade(db.engine)
    with db.unit_of_work() as uow:
        auth.create_user(uow, "a@example.com", "long-enough-password", Role.ADMIN)
        auth.create_user(uow, "b@example.com", "long-enough-password", Role.ANALYST)
    viewer = run(env, "user", "set-role", "b@example.com", "--role", "viewer")
    assert viewer.returncode == 0, viewer.stderr
    assert "b@example.com: viewer, active; their sessions were ended." in viewer.stdout
    last = run(env, "user", "deactivate", "a@example.com")
    assert last.returncode == 1 and "last active admin" in last.stderr
    with db.unit_of_work() as uow:
        user = uow.users.by_email("b@example.com")
        assert user is not None and user.role is Role.VIEWER
        actions = [e["action"] for e in uow.audit.recent(5)]
    assert actions[0] == "user.role"
    db.dispose()


def test_only_init_upgrade_demo_and_serve_change_the_schema(tmp_path: Path) -> None:
    """Other commands refuse a missing or outdated schema and name the fix, never migrating it
    behind the user's back."""
    from rapport.storage import migrate

    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    fresh = run(env, "survey", "list")
    assert fresh.returncode == 1
    assert "run `rapport init` first" in fresh.stderr
    assert not (tmp_path / "rapport.db").exists() or _revision(tmp_path) is None

    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    migrate.upgrade(db.engine, "0001")
    db.dispose()
    behind = run(env, "token", "list")
    assert behind.returncode == 1
    assert "at revision 0001" in behind.stderr and "run `rapport db upgrade`" in behind.stderr
    assert _revision(tmp_path) == "0001"

    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "survey", "list").returncode == 0


def _revision(data_dir: Path) -> str | None:
    from rapport.storage import migrate

    db = Database(f"sqlite:///{data_dir / 'rapport.db'}")
    try:
        return migrate.current_revision(db.engine)
    finally:
        db.dispose()


def test_rebuild_aggregates_recomputes_them_exactly(tmp_path: Path) -> None:
    """``rapport metrics rebuild-aggregates`` refuses a database without schema, and on a
    damaged aggregate table restores exactly what the responses imply, idempotently."""
    from rapport.storage import migrate
    from tests.integration._survey_fixtures import seed_org
    from tests.integration.test_metric_aggregates import aggregate_rows, store

    env = {"RAPPORT_DATA_DIR": str(tmp_path)}
    fresh = run(env, "metrics", "rebuild-aggregates")
    assert fresh.returncode == 1 and "run `rapport init` first" in fresh.stderr

    db = Database(f"sqlite:///{tmp_path / 'rapport.db'}")
    migrate.upgrade(db.engine)
    survey_id = seed_org(db)
    store(db, survey_id, True, [({"nps": n, "delight": 1 + n % 5}, "north-1", 24 * n)
                                for n in range(11)])  # fmt: skip
    exact = aggregate_rows(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE metric_aggregates SET n = n + 5 WHERE kind = 'value'"))
        conn.execute(text("DELETE FROM metric_aggregates WHERE kind = 'index'"))
    assert aggregate_rows(db) != exact
    for _ in range(2):
        rebuilt = run(env, "metrics", "rebuild-aggregates")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert f"{len(exact):,} rows" in rebuilt.stdout
        assert aggregate_rows(db) == exact
    db.dispose()
