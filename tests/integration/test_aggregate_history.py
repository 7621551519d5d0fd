"""The history of the monthly aggregates (``rapport.storage.generation``, migration 0022) on
real SQLite and PostgreSQL, and the metric reads kept under it (``services.metrics``).

A response submitted now writes only the open month's aggregates: ``h`` stays, and what
metric statements read of the months before ``since`` is kept across it. Any write of an
earlier month's aggregates — an import of last month's responses, an erasure, a rebuild, a
write that does not say which months it touches — moves ``h``, and the next request reads
those months again. Proved on the generation row itself, on the statement rows (the split
read equals the whole read, an independent oracle: the statements run once over every
month), and over real HTTP with the writes a user makes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.metrics import Filters, Grouping, MetricQuery, get_metric
from rapport.analytics.metrics.results import (
    KeptMonths,
    MetricTable,
    Rows,
    build_table,
    fetch_metric,
)
from rapport.domain.org import SYSTEM, PersonKind, UnitKind
from rapport.errors import ValidationFailed
from rapport.services import auth, metrics, responses, surveys
from rapport.services.confidentiality import DEFAULT_POLICY
from rapport.storage import generation
from rapport.storage.db import generation_of
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

THIS_MONTH = datetime.now(UTC).date().replace(day=1)


def _row(db: Database) -> tuple[int, int, str | None]:
    with db.engine.connect() as conn:
        n, h, since = conn.execute(text("SELECT n, h, since FROM data_generation")).one()
    return int(n), int(h), since


def _touch(db: Database, first: date | None, *, declare: bool = True) -> None:
    """A write of ``metric_aggregates`` (no row changes: every count + 0), declared as
    touching the months from ``first`` on when ``declare``."""
    with db.engine.begin() as conn:
        statement = text("UPDATE metric_aggregates SET n = n + 0 WHERE month >= :m")
        if declare:
            with generation.aggregating(conn, first):
                conn.execute(statement, {"m": first or date.min})
        else:
            conn.execute(statement, {"m": first or date.min})


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("INSERT INTO metric_aggregates (kind) SELECT 'x'", True),
        ('UPDATE "comment_aggregates" SET n = n - 1', True),
        ("DELETE FROM attribute_aggregates WHERE n = 0", True),
        ("INSERT INTO attribute_index_aggregates (name) VALUES (?)", True),
        ("INSERT INTO responses (survey_id) VALUES (?)", False),
        ("UPDATE units SET name = ?", False),
        ("SELECT * FROM metric_aggregates", False),
        ("ALTER TABLE answers ADD COLUMN x INT", True),
        ("VACUUM", True),
    ],
)
def test_which_statements_write_aggregates(statement: str, writes: bool) -> None:
    assert generation.writes_aggregates(statement) is writes


def test_history_moves_only_with_earlier_months_or_undeclared_writes(db: Database) -> None:
    seed_org(db)
    _touch(db, None, declare=False)  # an undeclared write: h moves, since is this month
    n, h, since = _row(db)
    assert since == THIS_MONTH.isoformat()

    _touch(db, THIS_MONTH)  # the open month only (a live response)
    assert _row(db) == (n + 1, h, since)

    _touch(db, date(THIS_MONTH.year - 1, 1, 1))  # last year's aggregates
    assert _row(db) == (n + 2, h + 1, since)

    with db.engine.connect() as conn:  # rolled back: nothing moves
        with generation.aggregating(conn, date(2000, 1, 1)):
            conn.execute(text("UPDATE metric_aggregates SET n = n + 0"))
        conn.rollback()
    assert _row(db) == (n + 2, h + 1, since)

    with db.engine.begin() as conn:  # writes of other tables leave the history alone
        conn.execute(text("UPDATE units SET name = name || ''"))
    assert _row(db) == (n + 3, h + 1, since)

    _touch(db, None)  # declared, but not knowing its months: every month
    assert _row(db)[1] == h + 2

    # ``since`` moves up to the current month with the first write of it; h stays.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE data_generation SET since = '2001-01-01'"))
    n, h, _ = _row(db)
    _touch(db, THIS_MONTH)
    assert _row(db) == (n + 1, h, THIS_MONTH.isoformat())


def test_storing_responses_declares_their_months(db: Database) -> None:
    """The repository's own writes: a response of now keeps the history, one of last
    year moves it (its months are looked up from the stored rows)."""
    sid = seed_org(db)
    engine = OperationalEngine(db.engine)
    _store(db, sid, datetime.now(UTC))
    _, h, since = _row(db)
    assert since == THIS_MONTH.isoformat()
    closed = engine.closed_months()
    assert closed is not None and closed.before == THIS_MONTH
    _store(db, sid, datetime.now(UTC))
    assert _row(db)[1:] == (h, since), "a response of now leaves the history"
    assert engine.closed_months() == closed
    _store(db, sid, datetime(THIS_MONTH.year - 1, 6, 15, tzinfo=UTC))
    assert _row(db)[1] == h + 1, "a response of last year moves it"
    assert engine.closed_months() != closed


def _store(
    db: Database,
    sid: int,
    when: datetime,
    *,
    unit: str = "north-1",
    person: str | None = None,
    nps: int | None = None,
) -> None:
    """One response submitted at ``when``, through the service that stores every response
    (by customer ``person`` when named, with that ``nps`` when given)."""
    with db.unit_of_work() as uow:
        found = uow.units.find(unit)
        assert found is not None
        published = surveys.get_published(uow, sid)
        who = None if person is None else uow.people.by_key(PersonKind.CUSTOMER, person)
        answers = dict(GOOD_ANSWERS) if nps is None else {**GOOD_ANSWERS, "nps": nps}
        if answers["nps"] > 6:  # "why" is asked of detractors and passives only
            del answers["why"]
        sub = responses.Submission(
            unit_id=found.id, answers=answers, submitted_at=when, channel="import", person=who
        )
        responses.submit(uow, published, sub)


QUERIES = [
    ("nps", ["unit"], "month"),
    ("nps", [], None),
    ("csat_mean", ["unit"], "quarter"),
    ("csat_top2", [], "month"),
    ("ces_mean", [], "year"),
    ("comment_emotions", [], "month"),
    ("hearts", ["unit"], "month"),
    ("responses", ["unit"], None),
    ("emotions", [], "month"),
    ("comment_sentiment", ["unit"], "month"),
]


@pytest.mark.parametrize("cut", [date(2026, 8, 1), date(2026, 10, 1), date(2027, 1, 1)])
def test_months_read_apart_equal_one_read_of_every_month(db: Database, cut: date) -> None:
    """The oracle: the statements run once over every month. Split at ``cut`` (the months
    before it kept, later ones read), every table's rows are the same."""
    sid = seed_org(db)
    for when in ("2026-07-03", "2026-08-20", "2026-09-30", "2026-10-01", "2026-11-11"):
        for hour in (1, 23):
            _store(db, sid, datetime.fromisoformat(f"{when}T{hour:02d}:30:00+00:00"))
    engine = OperationalEngine(db.engine)
    kept: dict[Any, Rows] = {}

    def keep(parts: tuple[Any, ...], read: Any) -> Rows:
        if parts not in kept:
            kept[parts] = read()
        return kept[parts]

    compared = 0
    for name, by, period in QUERIES:
        for filters in (
            Filters(survey_ids=(sid,), audience="customer"),
            Filters(survey_ids=(sid,), since=datetime(2026, 9, 1, tzinfo=UTC)),
            Filters(survey_ids=(sid,), until=datetime(2026, 10, 1, tzinfo=UTC)),
        ):
            query = MetricQuery(get_metric(name), Grouping.of(by, period), filters)
            try:
                whole = fetch_metric(engine, query)
            except ValidationFailed:  # a metric the fixture survey cannot answer
                continue
            assert whole.months, f"{name} is answered from the aggregates"
            apart = fetch_metric(engine, query, kept_months=KeptMonths(cut, keep))
            expected = build_table(query, "sqlite", whole).rows
            found = build_table(query, "sqlite", apart).rows
            assert [(r.key, r.n, r.emotion) for r in found] == [
                (r.key, r.n, r.emotion) for r in expected
            ]
            for a, b in zip(found, expected, strict=True):
                assert a.estimate.value == pytest.approx(b.estimate.value, abs=1e-9)
                assert a.estimate.lower == pytest.approx(b.estimate.lower, abs=1e-9)
            compared += 1
    assert compared >= 15
    assert kept, "the months before the cut were read apart and kept"


MARGIN_QUERIES = [
    ("nps", "month"),
    ("emotions", "month"),
    ("comment_emotions", "quarter"),
    ("comment_sentiment", "month"),
    ("reach", "month"),
    ("reach", "quarter"),
    ("repeat_complaints", "month"),
    ("responses", "year"),
]


@pytest.mark.parametrize("cut", [date(2026, 8, 1), date(2026, 10, 1), date(2027, 1, 1)])
def test_margins_read_apart_equal_one_read(db: Database, cut: date) -> None:
    """A store's query reads the whole organisation's keys (its margin). Split at ``cut``
    (the months before it kept, raw or aggregated, later ones read), its keys, its emotions
    and the store's table are those of one read of every month (the oracle)."""
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        store, south = uow.units.find("north-1"), uow.units.find("south")
        assert store is not None and south is not None
        uow.units.add("south-1", "South store 1", UnitKind.STORE, south)
    days = ("2026-07-03", "2026-08-20", "2026-09-30", "2026-10-01", "2026-11-11", "2026-12-02")
    for i, when in enumerate(days):  # complaints of known people, repeated, and others
        at = datetime.fromisoformat(f"{when}T10:30:00+00:00")
        _store(db, sid, at, person=f"c{i % 2}", nps=3 if i % 3 else 9)
        _store(db, sid, at, unit="south-1", nps=8)
    engine = OperationalEngine(db.engine)
    kept: dict[Any, Any] = {}

    def keep(parts: tuple[Any, ...], read: Any) -> Any:
        if parts not in kept:
            kept[parts] = read()
        return kept[parts]

    for name, period in MARGIN_QUERIES:
        units = Filters(survey_ids=(sid,), audience="customer", units=(store.id,))
        query = MetricQuery(get_metric(name), Grouping.of(["unit"], period), units)
        whole = fetch_metric(engine, query)
        apart = fetch_metric(engine, query, kept_months=KeptMonths(cut, keep, keep))
        assert whole.margin, f"{name}: the organisation has keys"
        assert set(apart.margin) == set(whole.margin), name
        assert len(apart.margin) == len(whole.margin), f"{name}: each key once"
        assert apart.margin_emotions == whole.margin_emotions, name
        expected = build_table(query, "sqlite", whole).rows
        found = build_table(query, "sqlite", apart).rows
        assert [(r.key, r.n, r.emotion) for r in found] == [
            (r.key, r.n, r.emotion) for r in expected
        ], name
    margins = [parts for parts in kept if isinstance(parts[0], MetricQuery) and len(parts) == 4]
    assert margins, "the margins' months before the cut were read apart and kept"


def test_over_http_a_live_response_reads_only_the_open_month(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "history", auth.Role.ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    closed_reads = {"n": 0}
    real = metrics._kept_months

    def counted(engine: Any) -> KeptMonths | None:
        found = real(engine)
        if found is None:
            return None

        def keep(parts: tuple[Any, ...], read: Any) -> Rows:
            def counted_read() -> Rows:
                closed_reads["n"] += 1
                return read()  # type: ignore[no-any-return]

            return found.keep(parts, counted_read)

        return KeptMonths(found.before, keep)

    monkeypatch.setattr(metrics, "_kept_months", counted)
    last_year = THIS_MONTH.replace(year=THIS_MONTH.year - 1).isoformat()
    csv = (
        f"unit,submitted_at,nps\nnorth-1,{last_year}T10:00:00Z,9\nnorth-1,{last_year}T11:00:00Z,3\n"
    )
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url, headers=headers) as api,
    ):

        def imported(body: str) -> None:
            r = api.post(
                f"/api/v1/surveys/{sid}/responses/import",
                content=body,
                headers={"Content-Type": "text/csv"},
            )
            assert r.status_code == 201, r.text

        def by_month() -> dict[str, int]:
            r = api.get(
                "/api/v1/metrics", params={"survey": str(sid), "metric": "nps", "period": "month"}
            )
            assert r.status_code == 200, r.text
            return {row["period"]: row["n"] for row in r.json()["rows"]}

        def respond(key: str) -> None:
            r = api.post(
                f"/api/v1/surveys/{sid}/responses",
                json={"answers": GOOD_ANSWERS, "unit": "north-1"},
                headers={"Idempotency-Key": key},
            )
            assert r.status_code == 201, r.text

        imported(csv)
        respond("now-1")
        first = by_month()
        assert first == {last_year: 2, THIS_MONTH.isoformat(): 1}
        reads = closed_reads["n"]
        assert reads >= 1

        respond("now-2")  # the open month only: last year's rows are not read again
        assert by_month() == {last_year: 2, THIS_MONTH.isoformat(): 2}
        assert closed_reads["n"] == reads

        imported(csv)  # last year's month written: read again, and shown at once
        assert by_month() == {last_year: 4, THIS_MONTH.isoformat(): 2}
        assert closed_reads["n"] == reads + 1

        generation_row = generation_of(db.engine)
        assert generation_row is not None and generation_row.closed() is not None


def test_a_newer_table_drops_what_was_kept_from_the_older(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``services.metrics.SUPERSEDED``: after a new response the query's older table, its
    decisions and its shown rows leave ``KEPT`` at once (never asked for again); a repeat
    without a data change keeps them."""
    sid = seed_org(db)
    _store(db, sid, datetime.now(UTC))
    engine = OperationalEngine(db.engine)
    put: list[tuple[bytes, Any]] = []
    real_put = metrics.KEPT.put

    def spied(key: bytes, value: Any, *, entries: int) -> None:
        put.append((key, value))
        real_put(key, value, entries=entries)

    monkeypatch.setattr(metrics.KEPT, "put", spied)
    request = metrics.MetricRequest(survey=str(sid), metric="nps", by=["unit"], period="month")
    first = metrics.compute(engine, SYSTEM, request, DEFAULT_POLICY).rows
    tables = [k for k, v in put if isinstance(v, MetricTable)]
    shown = [k for k, v in put if isinstance(v, list) and v and isinstance(v[0], metrics.ResultRow)]
    assert len(tables) == 1 and len(shown) == 1
    assert metrics.compute(engine, SYSTEM, request, DEFAULT_POLICY).rows == first
    assert metrics.KEPT.get(tables[0]) is not None and metrics.KEPT.get(shown[0]) is not None

    _store(db, sid, datetime.now(UTC))
    again = metrics.compute(engine, SYSTEM, request, DEFAULT_POLICY).rows
    assert sum(r.n for r in again) > sum(r.n for r in first)
    assert metrics.KEPT.get(tables[0]) is None, "the older table is dropped"
    assert metrics.KEPT.get(shown[0]) is None, "with the rows shown from it"


def test_a_narrowed_querys_whole_organisation_keys_are_kept_until_the_data_change(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query of one unit also reads the whole organisation's periods (its grid: zero
    rows where others answered). Those are the same for every unit: read once per data
    version, not once per unit; a response in a month no one had answered shows in every
    unit's grid at once, as in the whole organisation's table."""
    sid = seed_org(db)
    for when in ("2026-07-03", "2026-08-20"):
        _store(db, sid, datetime.fromisoformat(f"{when}T10:30:00+00:00"))
    engine, policy = OperationalEngine(db.engine), DEFAULT_POLICY
    reads = {"n": 0}
    real = metrics._kept_margin

    def counted(engine: Any, version: Any) -> Any:
        found = real(engine, version)
        assert found is not None, "SQLite has a data version: the margin is kept"

        def keep(parts: tuple[Any, ...], read: Any) -> Any:
            def counted_read() -> Any:
                reads["n"] += 1
                return read()

            return found(parts, counted_read)

        return keep

    monkeypatch.setattr(metrics, "_kept_margin", counted)

    def rows(unit: str | None) -> list[tuple[Any, ...]]:
        request = metrics.MetricRequest(str(sid), "nps", by=["unit"], period="month", unit=unit)
        found = metrics.compute(engine, SYSTEM, request, policy).rows
        return [(r.unit_code, r.period, r.n, r.value) for r in found]

    def whole(*codes: str) -> list[tuple[Any, ...]]:
        return [r for r in rows(None) if r[0] in codes]

    assert rows("south") == whole("south") and len(rows("south")) == 2  # zero rows
    assert reads["n"] == 1
    assert rows("north") == whole("north", "north-1")
    assert reads["n"] == 1, "another unit's query read the kept margin"
    _store(db, sid, datetime.fromisoformat("2026-09-14T10:30:00+00:00"))
    assert rows("south") == whole("south") and len(rows("south")) == 3
    assert reads["n"] == 2, "read again after the data changed"
