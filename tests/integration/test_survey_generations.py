"""One survey's data version (``rapport.storage.generation.for_surveys``, migration 0024) on
real SQLite and PostgreSQL: a commit that wrote only one survey's responses moves that
survey's number and no other survey's; any other data write moves every survey's. Over real
HTTP: a new response to one survey is shown at once, and what was read of another survey is
served without reading it again; a wide write (a renamed unit) reads both again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rapport.analytics.engines import OperationalEngine
from rapport.domain.org import SYSTEM
from rapport.services import auth, invitations, metrics, responses, surveys
from rapport.storage import generation, migrate
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, seed_org

OTHER = {**EVERY_TYPE, "key": "other-survey", "title": {"en": "Other", "es": "Otra"}}


def _two_surveys(db: Database) -> tuple[int, int]:
    first = seed_org(db)
    with db.unit_of_work() as uow:
        second = surveys.save_definition(uow, SYSTEM, surveys.parse_definition(OTHER)).survey_id
    return first, second


def test_a_surveys_own_write_moves_its_number_only(db: Database) -> None:
    first, second = _two_surveys(db)
    engine = OperationalEngine(db.engine)

    def versions() -> tuple[Any, Any, Any, Any]:
        return (
            engine.data_version(),
            engine.survey_version([first]),
            engine.survey_version([second]),
            engine.survey_version([second, first]),
        )

    start = versions()
    assert None not in start
    assert engine.survey_version([first, second]) == start[3], "the order of ids is no matter"

    with db.unit_of_work() as uow:  # a response to the first survey, as the API stores it
        responses.submit_as(uow, SYSTEM, first, GOOD_ANSWERS, unit="north-1")
    after = versions()
    assert after[0] != start[0], "the whole database's version moves on every data write"
    assert after[1] != start[1] and after[3] != start[3]
    assert after[2] == start[2], "the other survey's responses did not change"

    with db.unit_of_work() as uow, uow.for_surveys([first]):  # another table declared: wide
        uow.session.execute(text("UPDATE units SET name = name || ''"))
    wide = versions()
    assert all(w != a for w, a in zip(wide, after, strict=True))

    with db.unit_of_work() as uow:  # a response row written outside any declaration: wide
        uow.session.execute(text("UPDATE responses SET language = language || ''"))
    undeclared = versions()
    assert all(u != w for u, w in zip(undeclared, wide, strict=True))

    with db.engine.connect() as conn:  # declared, rolled back: nothing moves
        with generation.for_surveys(conn, [second]):
            conn.execute(text("UPDATE responses SET language = language || ''"))
        conn.rollback()
    assert versions() == undeclared

    with db.engine.connect() as conn:  # declared for the second: moved at the commit only
        with generation.for_surveys(conn, [first]), generation.for_surveys(conn, [second]):
            conn.execute(text("UPDATE answers SET item = item || ''"))
        assert versions() == undeclared
        conn.commit()
    last = versions()
    assert last[1] == undeclared[1] and last[2] != undeclared[2]


def test_the_closed_months_raw_rows_stay_across_one_surveys_writes_only(db: Database) -> None:
    """``ClosedMonths.raw_key`` (what a margin of the months before ``since`` is kept
    under): a response of now leaves it; a write of old responses that is not one survey's
    (no aggregate moves) changes it, though the aggregates' own key stays."""
    first, _ = _two_surveys(db)
    engine = OperationalEngine(db.engine)
    with db.unit_of_work() as uow:
        responses.submit_as(uow, SYSTEM, first, GOOD_ANSWERS, unit="north-1")
    closed = engine.closed_months()
    assert closed is not None and closed.raw_key is not None
    with db.unit_of_work() as uow:
        responses.submit_as(uow, SYSTEM, first, GOOD_ANSWERS, unit="north-1", person="c1")
    assert engine.closed_months() == closed
    with db.unit_of_work() as uow:  # say, a person erased from every response
        uow.session.execute(text("UPDATE responses SET person_id = NULL"))
    after = engine.closed_months()
    assert after is not None and after.key == closed.key and after.raw_key != closed.raw_key


def test_an_invitation_saved_and_answered_moves_its_survey_only(db: Database) -> None:
    first, second = _two_surveys(db)
    with db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, first, unit="north-1", link_secret="k" * 32)
    token = issued[0].token
    engine = OperationalEngine(db.engine)

    def versions() -> tuple[Any, Any]:
        return engine.survey_version([first]), engine.survey_version([second])

    start = versions()
    with db.unit_of_work() as uow:  # a page of the form left half done
        ctx = invitations.resolve(uow, token)
        invitations.save_partial(uow, ctx, {"nps": 9}, page="scores")
    saved = versions()
    assert saved[0] != start[0] and saved[1] == start[1]
    with db.unit_of_work() as uow:  # the response stored and the invitation used up
        invitations.complete(uow, invitations.resolve(uow, token), GOOD_ANSWERS, language="en")
    done = versions()
    assert done[0] != saved[0] and done[1] == start[1]
    with db.unit_of_work() as uow:
        [(survey, n)] = uow.session.execute(
            text("SELECT r.survey_id, count(*) FROM invitations i "
                 "JOIN responses r ON r.id = i.response_id GROUP BY r.survey_id")
        ).all()  # fmt: skip
    assert (survey, n) == (first, 1), "the invitation was used by its response"


def test_over_http_a_response_to_one_survey_leaves_what_was_read_of_another(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _two_surveys(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "survey-versions", auth.Role.ADMIN)
    fetched: list[int | None] = []
    real = metrics.fetch_metric

    def counted(engine: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        fetched.append(None if not query.filters.survey_ids else query.filters.survey_ids[0])
        return real(engine, query, *args, **kwargs)

    monkeypatch.setattr(metrics, "fetch_metric", counted)
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as api,
    ):

        def respond(survey: int, key: str) -> None:
            r = api.post(
                f"/api/v1/surveys/{survey}/responses",
                json={"answers": GOOD_ANSWERS, "unit": "north-1"},
                headers={"Idempotency-Key": key},
            )
            assert r.status_code == 201, r.text

        def n(survey: int) -> int:
            r = api.get("/api/v1/metrics", params={"survey": str(survey), "metric": "nps"})
            assert r.status_code == 200, r.text
            return sum(int(row["n"]) for row in r.json()["rows"])

        respond(first, "a1")
        respond(second, "b1")
        assert (n(first), n(second)) == (1, 1)
        assert sorted(fetched) == sorted([first, second])

        fetched.clear()
        respond(first, "a2")
        assert (n(first), n(second)) == (2, 1), "the new response shows at once"
        assert fetched == [first], "the other survey's table was kept"

        fetched.clear()
        respond(second, "b2")
        assert (n(first), n(second)) == (2, 2)
        assert fetched == [second]

        fetched.clear()
        r = api.patch("/api/v1/units/north-1", json={"name": "Renamed store"})
        assert r.status_code == 200, r.text
        assert (n(first), n(second)) == (2, 2)
        assert sorted(fetched) == sorted([first, second]), "a wide write reads both again"

        fetched.clear()  # an import of the second survey's responses (all or nothing)
        csv = "unit,nps\nnorth-1,9\nnorth-1,3\n"
        r = api.post(
            f"/api/v1/surveys/{second}/responses/import",
            content=csv,
            headers={"Content-Type": "text/csv"},
        )
        assert r.status_code == 201, r.text
        assert (n(first), n(second)) == (2, 4)
        assert fetched == [second]


def test_a_database_migrated_by_another_engine_moves_w_from_the_next_commit(
    tmp_path: Path,
) -> None:
    """A server's engine that wrote before migration 0024 (its table had no ``w``), then
    the database migrated by another engine: its next data write moves ``w``, which
    readers already key on."""
    url = f"sqlite:///{tmp_path / 'rapport.db'}"
    running = Database(url)
    migrate.upgrade(running.engine, "0023")
    with running.engine.begin() as conn:  # a data write: the table has no w yet
        conn.execute(
            text(
                "INSERT INTO units (code, name, kind, path, depth) VALUES ('a', 'A', 'company', 'a', 0)"
            )
        )
    other = Database(url)
    migrate.upgrade(other.engine)
    other.dispose()
    engine = OperationalEngine(running.engine)
    before = engine.survey_version([1])
    assert before is not None
    with running.engine.begin() as conn:  # a wide write through the engine that ran before
        conn.execute(text("UPDATE units SET name = 'B'"))
    assert engine.survey_version([1]) != before
    running.dispose()


@pytest.mark.parametrize("declaration", ["aggregating", "for_surveys"])
def test_a_connection_lost_inside_a_declaration_raises_what_lost_it(
    db: Database, declaration: str
) -> None:
    """A connection lost inside ``aggregating`` or ``for_surveys`` (a database shut down
    mid-transaction, as the PostgreSQL outage test once met it) raises the error that lost
    it, which the app answers with 503. Asking the lost connection for its info on the way
    out raised "invalid transaction" over it instead: a 500."""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # a transaction under way
        declared = (
            generation.aggregating(conn, None)
            if declaration == "aggregating"
            else generation.for_surveys(conn, [1])
        )
        with pytest.raises(RuntimeError, match="connection lost"), declared:
            conn.invalidate()
            raise RuntimeError("connection lost")
