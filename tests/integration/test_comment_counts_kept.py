"""The comment explorer's counts are kept in the database, not only in memory (issue 13).

Through HTTP on SQLite and PostgreSQL: a fresh server on the same database reads the counts
an earlier one kept (it runs no counting statement), a new response is counted at once by
counting only the responses above the kept ones, and an erasure, a deleted response or a
comment read again makes the counts start from scratch. Every figure equals a plain SQL
count of the comments (the oracle), exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rapport.domain.org import SYSTEM, PersonKind
from rapport.services import personal_data, responses
from rapport.storage.repositories.comments import CommentQuery
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, seed_org
from tests.integration._web_login import login
from tests.integration.test_closed_loop import _token
from tests.integration.test_comment_paging import _submit

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FILTERS: list[dict[str, str]] = [{}, {"sentiment": "positive"}, {"emotion": "joy"}]
COMMENTS = """
    FROM answers a
    JOIN responses r ON r.id = a.response_id
    LEFT JOIN comment_analyses ca ON ca.response_id = r.id AND ca.question_id = a.question_id
    WHERE r.survey_id = :s AND a.question_id IN ('why', 'comment') AND a.value_text IS NOT NULL
"""


def _oracle(db: Database, sid: int, where: str = "", **params: str) -> int:
    with db.engine.connect() as conn:
        found = conn.execute(sa.text(f"SELECT count(*) {COMMENTS} {where}"), {"s": sid, **params})
        return int(found.scalar_one())


def _emotions(db: Database, sid: int) -> dict[str, int]:
    """Comments per Ekman emotion, each counted by SQL on its own."""
    with db.engine.connect() as conn:
        sets = conn.execute(sa.text(f"SELECT DISTINCT ca.ekman {COMMENTS}"), {"s": sid})
        words = {w for (e,) in sets for w in (e or "").split()}
    has = "AND ' ' || ca.ekman || ' ' LIKE :like"
    return {w: _oracle(db, sid, has, like=f"% {w} %") for w in words}


def _check(db: Database, sid: int, bodies: list[dict[str, Any]], employee: bool) -> None:
    """The counts of each filter equal the oracle's (an employee survey: every comment of
    March, the one closed period, is either shown or counted as hidden)."""
    everything = _oracle(db, sid)
    if employee:
        assert bodies[0]["matching"] + bodies[0]["hidden"] == everything
        return
    assert bodies[0]["matching"] == everything and bodies[0]["hidden"] == 0
    assert bodies[0]["emotions"] == {e: n for e, n in _emotions(db, sid).items() if n}
    positive = _oracle(db, sid, "AND ca.sentiment = 'positive'")
    assert bodies[1]["matching"] == positive
    assert bodies[2]["matching"] == _emotions(db, sid).get("joy", 0)


class Statements:
    """The counting statements a server runs (the tally, the responses or their times
    per unit: each selects ``responses.unit_id`` first, and no other statement does)."""

    def __init__(self) -> None:
        self.counting: list[str] = []
        self.all: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        flat = " ".join(statement.split())
        if flat.startswith("SELECT responses.unit_id"):
            self.counting.append(flat)

    def everything(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self.all.append(" ".join(statement.split()))

    def seen(self, start: str) -> int:
        """How many statements run so far begin with ``start``."""
        return sum(s.startswith(start) for s in self.all)

    def tallies(self) -> list[bool]:
        """Per tally run, whether it counted only the responses above a kept version (an
        extension) rather than all of them."""
        return ["responses.id >" in s for s in self.counting if "GROUP BY responses.unit_id, " in s]


@contextmanager
def _server(tmp_path: Path, db: Database) -> Iterator[tuple[httpx.Client, Statements]]:
    """A fresh application (nothing in memory) on ``db``, and the statements it runs."""
    statements = Statements()
    sa.event.listen(db.engine, "before_cursor_execute", statements)
    try:
        with (
            LiveServer(make_settings(tmp_path, db), db) as server,
            httpx.Client(base_url=server.url, headers=_token(db), timeout=60) as client,
        ):
            yield client, statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statements)


def _bodies(client: httpx.Client, sid: int) -> list[dict[str, Any]]:
    found = []
    for params in FILTERS:
        r = client.get(f"/api/v1/surveys/{sid}/comments", params=params)
        assert r.status_code == 200, r.text
        found.append(r.json())
    return found


def _seed(db: Database, audience: str) -> int:
    sid = seed_org(db, {**EVERY_TYPE, "audience": audience})
    words = ["queue was slow", "staff were lovely", "parking was full", "great coffee"]
    for i in range(12):
        _submit(db, sid, START + timedelta(hours=i), f"{words[i % 4]} {i}")
    return sid


@pytest.mark.parametrize("audience", ["customer", "employee"])
def test_a_fresh_server_reads_the_kept_counts_and_counts_only_new_responses(
    db: Database, tmp_path: Path, audience: str
) -> None:
    sid = _seed(db, audience)
    employee = audience == "employee"
    with _server(tmp_path, db) as (client, statements):
        first = _bodies(client, sid)
        assert statements.tallies() and not any(statements.tallies())  # from scratch
    _check(db, sid, first, employee)
    with _server(tmp_path, db) as (client, statements):
        again = _bodies(client, sid)
        assert statements.counting == []  # read from the database, nothing counted
        assert again == first
        _submit(db, sid, START + timedelta(days=1), "queue was slow again")
        later = _bodies(client, sid)
        assert statements.tallies() and all(statements.tallies())  # only the new response
    _check(db, sid, later, employee)
    assert later[0]["matching"] + later[0]["hidden"] == 26
    with _server(tmp_path, db) as (client, statements):
        assert _bodies(client, sid) == later
        assert statements.counting == []  # the extended counts were kept too


def _survey_and_person(db: Database) -> int:
    sid = _seed(db, "customer")
    for i in range(3):
        with db.unit_of_work() as uow:
            answers = {**GOOD_ANSWERS, "why": f"quokka sandwich {i}", "comment": f"quokka {i}"}
            responses.submit_as(uow, SYSTEM, sid, answers, unit="north-1", person="c1")
    return sid


def _recounted(tmp_path: Path, db: Database, sid: int) -> list[dict[str, Any]]:
    """The counts on a fresh server after a change in place: counted from scratch, and
    equal to the oracle's."""
    with _server(tmp_path, db) as (client, statements):
        bodies = _bodies(client, sid)
        assert statements.tallies() and not any(statements.tallies())
    _check(db, sid, bodies, employee=False)
    return bodies


def test_an_erasure_a_deleted_response_or_a_comment_read_again_counts_from_scratch(
    db: Database, tmp_path: Path
) -> None:
    sid = _survey_and_person(db)
    with _server(tmp_path, db) as (client, _):
        kept = _bodies(client, sid)
    assert kept[0]["matching"] == 30
    with db.unit_of_work() as uow:
        personal_data.erase_person(uow, SYSTEM, PersonKind.CUSTOMER, "c1")
    assert _recounted(tmp_path, db, sid)[0]["matching"] == 24

    with _server(tmp_path, db) as (client, _):
        _bodies(client, sid)
    with db.engine.begin() as conn:  # a response goes and a new one comes: same count
        old = conn.execute(
            sa.text("SELECT min(id) FROM responses WHERE survey_id = :s"), {"s": sid}
        ).scalar_one()
        conn.execute(sa.text("DELETE FROM comment_analyses WHERE response_id = :r"), {"r": old})
        conn.execute(sa.text("DELETE FROM answers WHERE response_id = :r"), {"r": old})
        conn.execute(sa.text("DELETE FROM responses WHERE id = :r"), {"r": old})
    _submit(db, sid, START + timedelta(days=2), "parking was full again")
    assert _recounted(tmp_path, db, sid)[0]["matching"] == 24  # extended, it would be 26

    with _server(tmp_path, db) as (client, _):
        kept = _bodies(client, sid)
    with db.engine.connect() as conn:
        rid, qid, sentiment = conn.execute(
            sa.text(
                f"SELECT r.id, a.question_id, ca.sentiment {COMMENTS} "
                "AND ca.sentiment = 'positive' ORDER BY r.id LIMIT 1"
            ),
            {"s": sid},
        ).one()
    with db.unit_of_work() as uow:
        row = {"response_id": rid, "question_id": qid, "model_version": "again"}
        values = {"status": "ok", "sentiment": "negative", "labels": "anger", "ekman": "anger"}
        uow.comments.replace_analyses([{**row, **values, "original_text": None}])
    assert sentiment == "positive"
    assert _recounted(tmp_path, db, sid)[1]["matching"] == kept[1]["matching"] - 1


def test_counts_stop_at_the_versions_largest_response(db: Database) -> None:
    # A response stored between reading the version and counting is left to the next
    # extension (which counts above the version's largest id), so it is never counted twice.
    sid = _seed(db, "customer")
    query = CommentQuery(sid, ("why", "comment"))
    with db.unit_of_work(readonly=True) as uow:
        version = uow.comments.version(sid)
        tally = uow.comments.tally(query)
        per_unit = uow.comments.response_counts(sid)
    _submit(db, sid, START + timedelta(days=1), "stored meanwhile")
    last = version.last_response_id
    with db.unit_of_work(readonly=True) as uow:
        assert uow.comments.tally(replace(query, through_id=last)) == tally
        assert uow.comments.response_counts(sid, 0, last) == per_unit
        assert len(uow.comments.response_moments(sid, 0, last)) == sum(per_unit.values()) == 12
        added = uow.comments.tally(replace(query, above_id=last))
    assert sum(t.n for t in added) == 2 == _oracle(db, sid, f"AND r.id > {last}")


VERSION_READ = "SELECT coalesce(max(responses.id)"
MATCHING = re.compile(r"(\d+) comments match")


def test_the_page_reads_the_surveys_data_version_again_only_when_its_generation_moved(
    db: Database, tmp_path: Path
) -> None:
    """The comments page keeps the survey's data version under the survey's data
    generation: a repeat reads no count of responses (the first page's kept counts lock the
    survey's row, which is no data write), and a response stored after the page was drawn
    moves the generation, so the next page counts it (the oracle's count)."""
    sid = _seed(db, "customer")
    statements = Statements()
    sa.event.listen(db.engine, "before_cursor_execute", statements.everything)
    try:
        with (
            LiveServer(make_settings(tmp_path, db), db) as server,
            httpx.Client(base_url=server.url, timeout=60) as web,
        ):
            login(web, "admin@example.com")

            def matching() -> int:
                r = web.get(f"/surveys/{sid}/comments")
                assert r.status_code == 200, r.text
                found = MATCHING.search(r.text)
                assert found, "no count of matching comments"
                return int(found.group(1))

            assert matching() == _oracle(db, sid)
            read = statements.seen(VERSION_READ)
            assert matching() == _oracle(db, sid)
            assert statements.seen(VERSION_READ) == read, "a repeat reads the version kept"
            _submit(db, sid, START + timedelta(days=1), "a new one")
            assert matching() == _oracle(db, sid) == 26
            assert statements.seen(VERSION_READ) == read + 1
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", statements.everything)
