"""Business outcomes on SQLite and PostgreSQL: CSV import (upsert, all or nothing, the
row/column report), listings, the roll-up rule and manager scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rapport.domain.org import SYSTEM, Principal, Role, UnitKind
from rapport.errors import PermissionDenied, ValidationFailed
from rapport.services import outcome_import, outcomes, unit_import
from rapport.storage.uow import Database

TREE = b"""code,parent,name,kind
acme,,Acme,company
north,acme,North,region
south,acme,South,region
n1,north,North 1,store
n2,north,North 2,store
s1,south,South 1,store
"""
OUTCOMES = b"""unit,period,revenue,customer_churn_pct,complaints
n1,2026-01,1000,2.0,3
n2,2026-01,3000,4.0,
s1,2026-01,500.5,,1
n1,2026-W05,250,,
acme/north/n2,2026-Q1,9000,3.5,
"""
ANALYST = Principal("user", 9, "ann@example.com", Role.ANALYST)
VIEWER = Principal("user", 10, "vic@example.com", Role.VIEWER)
MANAGER = Principal("user", 11, "nora@example.com", Role.MANAGER, unit_path="acme/north")


def _setup(db: Database) -> outcome_import.OutcomeImportResult:
    with db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, TREE)
        return outcome_import.import_outcomes(uow, ANALYST, OUTCOMES)


def _values(db: Database, principal: Principal = ANALYST, **kw: object) -> list[tuple]:
    with db.unit_of_work(readonly=True) as uow:
        found = outcomes.list_outcomes(uow, principal, **kw)  # type: ignore[arg-type]
    return [(v.unit, v.period_label, v.name, v.value, v.units, v.rollup) for v in found]


def test_import_stores_each_figure_with_its_grain_and_skips_empty_cells(db: Database) -> None:
    result = _setup(db)
    assert (result.rows, result.created, result.updated) == (5, 10, 0)
    assert result.outcomes == ("revenue", "customer_churn_pct", "complaints")
    with db.unit_of_work(readonly=True) as uow:
        stored = {(g, p, n, v) for _, g, p, n, v in uow.outcomes.rows()}
        assert uow.audit.page(limit=5)[0].action == "outcomes.import"
    assert ("week", date(2026, 1, 26), "revenue", 250.0) in stored  # 2026-W05 is a Monday
    assert ("quarter", date(2026, 1, 1), "customer_churn_pct", 3.5) in stored
    assert ("month", date(2026, 1, 1), "revenue", 500.5) in stored
    assert len(stored) == 10  # the six empty cells wrote nothing
    assert _values(db, unit="n2", grain="month") == [
        ("n2", "2026-01", "customer_churn_pct", 4.0, 1, None),
        ("n2", "2026-01", "revenue", 3000.0, 1, None),
    ]


def test_reimport_is_idempotent_and_an_upsert_replaces_values(db: Database) -> None:
    _setup(db)
    before = _values(db)
    with db.unit_of_work() as uow:
        again = outcome_import.import_outcomes(uow, ANALYST, OUTCOMES)
    assert (again.created, again.updated) == (0, 10)
    assert _values(db) == before
    change = b"unit,period,revenue,nps_target\nn1,2026-01,1100,\nn1,2026-02,1200,50\n"
    with db.unit_of_work() as uow:
        changed = outcome_import.import_outcomes(uow, ANALYST, change)
    assert (changed.created, changed.updated) == (2, 1)
    n1 = _values(db, unit="n1", outcome="revenue", grain="month")
    assert [(p, v) for _, p, _, v, _, _ in n1] == [("2026-01", 1100.0), ("2026-02", 1200.0)]
    # complaints of n1 in January was not in the file: it stays.
    assert ("n1", "2026-01", "complaints", 3.0, 1, None) in _values(db, unit="n1")


def test_a_bad_file_imports_nothing_and_names_each_row_and_column(db: Database) -> None:
    _setup(db)
    bad = (
        b"unit,period,revenue,complaints\n"
        b"n1,2026-02,12O0,1\n"  # letter O
        b"nowhere,2026-02,1,1\n"
        b"n2,2026-13,1,1\n"
        b"n2,2026-W54,1,1\n"
        b"n1,2026-02,5,nan\n"  # the same unit and period as row 2
        b"s1,2026-Q2,1_000,\n"
    )
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as caught:
        outcome_import.import_outcomes(uow, ANALYST, bad)
    found = [(e.location, e.code) for e in caught.value.errors]
    assert found == [
        ("row 2, column revenue", "number"),
        ("row 3, column unit", "unknown_unit"),
        ("row 4, column period", "period"),
        ("row 5, column period", "period"),
        ("row 6, column period", "duplicate"),
        ("row 6, column complaints", "number"),
        ("row 7, column revenue", "number"),
    ]
    messages = {e.location: e.message for e in caught.value.errors}
    assert "also on row 2" in messages["row 6, column period"]
    assert "YYYY-MM" in messages["row 4, column period"]
    assert "'12O0'" in messages["row 2, column revenue"]
    with db.unit_of_work(readonly=True) as uow:
        assert uow.outcomes.count() == 10  # nothing of the bad file


@pytest.mark.parametrize(
    ("data", "location", "code"),
    [
        (b"unit,period,Revenue!\nn1,2026-01,1\n", "column revenue!", "outcome_name"),
        (b"unit,period\nn1,2026-01\n", "columns", "no_outcomes"),
        (b"unit,revenue\nn1,1\n", "column period", "missing_column"),
        (b"unit,period,revenue,revenue\nn1,2026-01,1,2\n", "column revenue", "duplicate_column"),
    ],
)
def test_bad_headers_are_named(sqlite_db: Database, data: bytes, location: str, code: str) -> None:
    with sqlite_db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, TREE)
    with sqlite_db.unit_of_work() as uow, pytest.raises(ValidationFailed) as caught:
        outcome_import.import_outcomes(uow, ANALYST, data)
    assert [(e.location, e.code) for e in caught.value.errors] == [(location, code)]


def test_roll_up_sums_money_and_counts_and_averages_rates(db: Database) -> None:
    _setup(db)
    north = _values(db, unit="north", grain="month", rollup=True)
    assert north == [
        ("north", "2026-01", "complaints", 3.0, 1, "sum"),
        ("north", "2026-01", "customer_churn_pct", 3.0, 2, "mean"),  # (2 + 4) / 2
        ("north", "2026-01", "revenue", 4000.0, 2, "sum"),
    ]
    acme = {(n, v, k) for _, _, n, v, k, _ in _values(db, unit="acme", grain="month", rollup=True)}
    # acme's children are north (rolled up: 4000 from 2 stores) and south (500.5 from s1).
    assert acme == {("revenue", 4500.5, 3), ("complaints", 4.0, 2), ("customer_churn_pct", 3.0, 2)}
    # A parent's own figure wins over its children's: nothing is counted twice.
    with db.unit_of_work() as uow:
        outcome_import.import_outcomes(uow, ANALYST, b"unit,period,revenue\nnorth,2026-01,4100\n")
    acme = {(n, v, k) for _, _, n, v, k, _ in _values(db, unit="acme", grain="month", rollup=True)}
    assert ("revenue", 4600.5, 2) in acme
    # Grains are never mixed: n1's weekly figure rolls up on its own.
    weekly = _values(db, unit="north", grain="week", rollup=True)
    assert weekly == [("north", "2026-W05", "revenue", 250.0, 1, "sum")]


def test_roll_up_against_an_independent_sum_over_random_trees(sqlite_db: Database) -> None:
    """Additive figures rolled up equal the plain sum over every store in the subtree."""
    import random

    rng = random.Random(16)
    lines = ["code,parent,name,kind", "co,,Co,company"]
    stores: dict[str, list[str]] = {}
    for r in range(4):
        lines.append(f"r{r},co,R{r},region")
        stores[f"r{r}"] = [f"r{r}-s{s}" for s in range(rng.randrange(1, 6))]
        lines += [f"{s},r{r},{s},store" for s in stores[f"r{r}"]]
    rows = ["unit,period,revenue"]
    expected: dict[str, float] = {}
    for region, codes in stores.items():
        for code in codes:
            value = round(rng.uniform(0, 1000), 2)
            rows.append(f"{code},2026-03,{value}")
            expected[region] = expected.get(region, 0.0) + value
    with sqlite_db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, ("\n".join(lines) + "\n").encode())
        outcome_import.import_outcomes(uow, ANALYST, ("\n".join(rows) + "\n").encode())
    for region, total in expected.items():
        [(_, _, _, value, n, _)] = _values(sqlite_db, unit=region, rollup=True)
        assert value == pytest.approx(total, abs=1e-9)
        assert n == len(stores[region])
    [(_, _, _, value, _, _)] = _values(sqlite_db, unit="co", rollup=True)
    assert value == pytest.approx(sum(expected.values()), abs=1e-9)


def _recent_from_every_figure(
    db: Database, unit: str
) -> tuple[str, list[str], list[tuple[date, dict[str, float | None]]]] | None:
    """The dashboard's recent table made from every rolled-up figure of ``unit`` (the
    listing's roll-up over the whole subtree): the grain with most figures (month when it
    has any), its last six periods, newest first, a column per name of that grain."""
    with db.unit_of_work(readonly=True) as uow:
        figures = outcomes.list_outcomes(uow, ANALYST, unit=unit, rollup=True)
    if not figures:
        return None
    by_grain: dict[str, int] = {}
    for v in figures:
        by_grain[v.grain] = by_grain.get(v.grain, 0) + 1
    grain = "month" if "month" in by_grain else max(by_grain, key=lambda g: (by_grain[g], g))
    names = sorted({v.name for v in figures if v.grain == grain})
    starts = sorted({v.period for v in figures if v.grain == grain})[-6:]
    value = {(v.period, v.name): v.value for v in figures if v.grain == grain}
    rows = [(p, {n: value.get((p, n)) for n in names}) for p in reversed(starts)]
    return grain, names, rows


def test_recent_outcomes_read_only_their_periods_and_equal_every_figure_rolled_up(
    db: Database,
) -> None:
    """Random trees with figures at stores and regions, three grains, sums and means, gaps:
    the recent table (its grain, columns and last six periods read alone) equals the one
    made from every figure rolled up; kept under the data version, a new figure shows."""
    import random

    from rapport.analytics.engines import OperationalEngine

    rng = random.Random(20261203)
    lines = ["code,parent,name,kind", "co,,Co,company"]
    units = ["co"]
    for r in range(3):
        lines.append(f"r{r},co,R{r},region")
        units.append(f"r{r}")
        for s in range(rng.randrange(1, 5)):
            lines.append(f"r{r}-s{s},r{r},S{s},store")
            units.append(f"r{r}-s{s}")
    rows = ["unit,period,revenue,customer_churn_pct,complaints"]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    for code in units[1:]:
        for period in [*rng.sample(months, 9), "2025-Q1", "2025-Q3", "2025-W07"]:
            cells = [
                f"{rng.uniform(0, 900):.2f}",
                f"{rng.uniform(0, 9):.1f}",
                str(rng.randrange(9)),
            ]
            cells = [c if rng.random() < 0.7 else "" for c in cells]
            if any(cells):
                rows.append(f"{code},{period}," + ",".join(cells))
    with db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, ("\n".join(lines) + "\n").encode())
        outcome_import.import_outcomes(uow, ANALYST, ("\n".join(rows) + "\n").encode())

    live = OperationalEngine(db.engine)  # its data version keeps the table (SQLite)

    def recent(unit: str, grain: str = "month") -> object:
        version = live.data_version()
        with db.unit_of_work(readonly=True) as uow:
            table = outcomes.recent_outcomes(uow, ANALYST, unit, grain, version=version)
        if table is None:
            return None
        return table.grain, table.names, [(r.period, r.outcomes) for r in table.rows]

    for unit in units:
        assert recent(unit) == _recent_from_every_figure(db, unit), unit
        assert recent(unit) == _recent_from_every_figure(db, unit), unit  # kept, the same
    quarterly = recent("co", "quarter")
    assert quarterly is not None and quarterly[0] == "quarter"  # type: ignore[index]
    # A figure at a store, then one at its region (a parent's own figure wins): each shows
    # on the next read, kept or not.
    with db.unit_of_work() as uow:
        outcome_import.import_outcomes(uow, ANALYST, b"unit,period,revenue\nr0-s0,2026-02,7\n")
    assert recent("co") == _recent_from_every_figure(db, "co")
    assert recent("co")[2][0][0] == date(2026, 2, 1)  # type: ignore[index]
    with db.unit_of_work() as uow:
        outcome_import.import_outcomes(uow, ANALYST, b"unit,period,revenue\nr0,2026-02,70\n")
    assert recent("co")[2][0][1]["revenue"] == 70.0  # type: ignore[index]
    assert recent("r0") == _recent_from_every_figure(db, "r0")
    live.dispose()


def test_permissions_and_manager_scope(db: Database) -> None:
    _setup(db)
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        outcome_import.import_outcomes(uow, VIEWER, OUTCOMES)
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        outcome_import.import_outcomes(uow, MANAGER, OUTCOMES)
    assert {u for u, *_ in _values(db, MANAGER)} == {"n1", "n2"}
    assert _values(db, VIEWER, unit="s1") != []
    with pytest.raises(PermissionDenied):
        _values(db, MANAGER, unit="s1")
    with pytest.raises(ValidationFailed):
        _values(db, unit="nowhere")


def test_the_panel_puts_experience_beside_rolled_up_outcomes(db: Database) -> None:
    """NPS per unit × month against a hand count of the answers submitted; outcomes as
    imported (stores) and rolled up (the region and the company)."""
    import math

    import pandas as pd

    from rapport.analytics.engines import OperationalEngine
    from rapport.client import connect
    from rapport.services import confidentiality, responses
    from rapport.services.clock import utcnow
    from rapport.services.outcome_panel import outcome_panel
    from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

    sid = seed_org(db)
    scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 5]
    month = utcnow().date().replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    with db.unit_of_work() as uow:
        for score in scores:
            answers = {**GOOD_ANSWERS, "nps": score}
            if score > 6:  # "why" is asked of detractors only
                answers.pop("why")
            responses.submit_as(uow, SYSTEM, sid, answers, unit="north-1")
        uow.units.add("north-2", "North 2", UnitKind.STORE, uow.units.by_code("north"))
        data = (
            "unit,period,revenue,customer_churn_pct\n"
            f"north-1,{month:%Y-%m},1000,2\nnorth-2,{month:%Y-%m},500,4\n"
            f"north-1,{before:%Y-%m},900,\n"
        )
        outcome_import.import_outcomes(uow, ANALYST, data.encode())
        survey_key = uow.surveys.get(sid).key
    engine = OperationalEngine(db.engine)
    try:
        with db.unit_of_work(readonly=True) as uow:
            panel = outcome_panel(
                uow, engine, ANALYST, confidentiality.DEFAULT_POLICY, [sid], metrics=["nps"]
            )
    finally:
        engine.dispose()
    with connect(db.engine.url.render_as_string(hide_password=False)) as client:
        same = client.outcome_panel(survey_key, metrics=["nps"])
    pd.testing.assert_frame_equal(same, panel)
    nps = f"{survey_key}.nps"
    assert list(panel.columns) == [
        "unit", "unit_path", "unit_depth", "period", nps, f"{nps}.n",
        "customer_churn_pct", "revenue",
    ]  # fmt: skip
    rows = panel.set_index(["unit", "period"])

    def cell(unit: str, start: date, column: str) -> float:
        return float(rows.loc[(unit, pd.Timestamp(start)), column])

    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    expected = 100 * (promoters - detractors) / len(scores)
    assert cell("north-1", month, nps) == pytest.approx(expected, abs=1e-9)
    assert cell("north-1", month, f"{nps}.n") == len(scores)
    assert (cell("north-1", month, "revenue"), cell("north-1", month, "customer_churn_pct")) == (
        1000.0,
        2.0,
    )
    assert cell("north", month, nps) == pytest.approx(expected, abs=1e-9)
    assert (cell("north", month, "revenue"), cell("north", month, "customer_churn_pct")) == (
        1500.0,
        3.0,
    )
    assert cell("acme", month, "revenue") == 1500.0
    # An outcome without responses, and a store without any: NaN beside the figure.
    assert cell("north-1", before, "revenue") == 900.0
    assert math.isnan(cell("north-1", before, nps))
    assert math.isnan(cell("north-2", month, nps))


def test_the_dashboard_shows_a_units_recent_outcomes_beside_its_key_figures(
    sqlite_live_server: object, sqlite_db: Database
) -> None:
    import re

    import httpx

    from rapport.services.clock import utcnow
    from tests.integration._survey_fixtures import seed_org
    from tests.integration._web_login import login

    seed_org(sqlite_db)
    month = utcnow().date().replace(day=1)
    rows = ["unit,period,revenue,customer_churn_pct"]
    start = month
    for k in range(8):  # eight months back: the table shows the last six
        rows.append(f"north-1,{start:%Y-%m},{1000 + k},{k}.5")
        start = (start - timedelta(days=1)).replace(day=1)
    with sqlite_db.unit_of_work() as uow:
        outcome_import.import_outcomes(uow, ANALYST, ("\n".join(rows) + "\n").encode())
    url = sqlite_live_server.url  # type: ignore[attr-defined]
    with httpx.Client(base_url=url) as client:
        login(client, "admin@example.com")
        page = client.get("/dashboard", params={"survey": "every-type", "unit": "north"})
        assert page.status_code == 200, page.text[:500]
        section = page.text[page.text.index('id="section-outcomes"') :]
        table = section[: section.index("</table>")]
        assert "Business outcomes · North" in section
        labels = re.findall(r'<th scope="row">([^<]+)</th>', table)
        assert labels[0] == f"{month:%Y-%m}" and len(labels) == 6
        assert "<td>1,000</td>" in table and "1,006" not in table  # the newest six of eight
        assert "Customer churn pct (mean)" in table
        for kpi in ("NPS", "Hearts", "Minds"):
            assert f'<th scope="col">{kpi}</th>' in table  # monthly, like the outcomes
        quarterly = client.get(
            "/dashboard", params={"survey": "every-type", "unit": "north", "period": "quarter"}
        )
        section = quarterly.text[quarterly.text.index('id="section-outcomes"') :]
        assert "are not beside them" in section.split("</p>")[0]
        south = client.get("/dashboard", params={"survey": "every-type", "unit": "south"})
        assert 'id="section-outcomes"' not in south.text


def test_migration_0010_keeps_monthly_rows_and_goes_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rows stored before 0010 become monthly; a downgrade drops the other grains only."""
    from alembic import command
    from sqlalchemy import text

    from rapport.storage import migrate

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        migrate.upgrade(db.engine, "0009")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO units (id, code, name, kind, path, depth) "
                              "VALUES (1, 'acme', 'Acme', 'company', 'acme', 0)"))  # fmt: skip
            conn.execute(text("INSERT INTO outcomes (unit_id, period, metric, value) "
                              "VALUES (1, '2026-01-01', 'revenue', 10)"))  # fmt: skip
        migrate.upgrade(db.engine)
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT grain FROM outcomes")).scalars().all() == ["month"]
            conn.execute(text("INSERT INTO outcomes (unit_id, grain, period, metric, value) "
                              "VALUES (1, 'quarter', '2026-01-01', 'revenue', 30)"))  # fmt: skip
        cfg = migrate.alembic_config(db.engine)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        with db.engine.begin() as conn:
            rows = conn.execute(text("SELECT metric, value FROM outcomes")).all()
        assert [tuple(r) for r in rows] == [("revenue", 10.0)]
    finally:
        db.dispose()


def test_the_python_client_returns_a_frame(sqlite_db: Database) -> None:
    import pandas as pd

    from rapport.client import connect

    _setup(sqlite_db)
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    with connect(url) as client:
        frame = client.outcomes(unit="north", outcome="revenue", grain="month", rollup=True)
        empty = client.outcomes(outcome="no_such_outcome")
    assert list(frame.columns) == [
        "unit", "period", "period_label", "grain", "name", "value", "units", "rollup",
    ]  # fmt: skip
    assert frame.to_dict("records") == [
        {
            "unit": "north",
            "period": pd.Timestamp("2026-01-01"),
            "period_label": "2026-01",
            "grain": "month",
            "name": "revenue",
            "value": 4000.0,
            "units": 2,
            "rollup": "sum",
        }
    ]
    assert empty.empty and "value" in empty.columns
