"""The organisation tree: create, rename, move, archive, reopen and CSV import, on SQLite
and PostgreSQL; archived units refuse new data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rapport.domain.org import SYSTEM, Principal, Role, UnitKind
from rapport.errors import Conflict, PermissionDenied, ValidationFailed
from rapport.services import invitations, responses, unit_import, units
from rapport.services.clock import utcnow
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

TREE = b"""code,parent,name,kind
acme,,Acme,company
north,acme,North,region
south,acme,South,region
n1,north,North 1,store
n2,north,North 2,store
s1,south,South 1,store
"""
ANALYST = Principal("user", 9, "ann@example.com", Role.ANALYST)


def _paths(db: Database) -> dict[str, str]:
    with db.unit_of_work() as uow:
        return {u.code: u.path for u in uow.units.all()}


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.location, e.code) for e in exc.value.errors]


def test_import_builds_the_tree_and_a_second_run_changes_nothing(db: Database) -> None:
    with db.unit_of_work() as uow:
        first = unit_import.import_units(uow, SYSTEM, TREE)
    assert (first.created, first.updated, first.moved) == (6, 0, 0)
    assert _paths(db)["n2"] == "acme/north/n2"
    with db.unit_of_work() as uow:
        again = unit_import.import_units(uow, SYSTEM, TREE)
        assert [e.action for e in uow.audit.page(limit=10)].count("units.import") == 2
    assert (again.created, again.updated, again.moved, again.unchanged) == (0, 0, 0, 6)


def test_import_upserts_renames_and_moves_a_subtree_with_a_dated_move(db: Database) -> None:
    with db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, TREE)
    change = b"code,parent,name,kind\nnorth,south,North (now in South),region\nn3,north,N3,store\n"
    with db.unit_of_work() as uow:
        done = unit_import.import_units(uow, SYSTEM, change, moved_on=date(2026, 7, 1))
        moves = uow.units.moves()
    assert (done.created, done.updated, done.moved) == (1, 1, 1)
    paths = _paths(db)
    assert paths["north"] == "acme/south/north"
    assert paths["n1"] == "acme/south/north/n1"  # the subtree moved with it
    assert paths["n3"] == "acme/south/north/n3"
    assert [(m.moved_on, m.moved_by) for m in moves] == [(date(2026, 7, 1), "system")]


def test_a_bad_file_imports_nothing_and_names_every_row_and_column(db: Database) -> None:
    with db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, TREE)
        units.archive(uow, SYSTEM, "s1")
    bad = (
        b"code,parent,name,kind\n"
        b"x1,nowhere,X1,store\n"  # row 2: unknown parent
        b"x2,north,X2,shop\n"  # row 3: unknown kind
        b"x3,north,,store\n"  # row 4: no name
        b"x3,north,X3,store\n"  # row 5: duplicate code
        b"bad/code,north,B,store\n"  # row 6: a slash cannot be in a code
        b"x4,s1,X4,team\n"  # row 7: archived parent (fixed by hand below)
    )
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        unit_import.import_units(uow, SYSTEM, bad)
    assert _errors(exc) == [
        ("row 3, column kind", "kind"),
        ("row 4, column name", "required"),
        ("row 5, column code", "duplicate_code"),
        ("row 6, column code", "code"),
    ]
    tree_errors = b"code,parent,name,kind\nx1,nowhere,X1,store\nx4,s1,X4,team\n"
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        unit_import.import_units(uow, SYSTEM, tree_errors)
    assert _errors(exc) == [
        ("row 2, column parent", "unknown_parent"),
        ("row 3, column parent", "closed_unit"),
    ]
    assert "x1" not in _paths(db)


def test_cycles_and_second_roots_are_refused(db: Database) -> None:
    with db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, TREE)
    cycle = b"code,parent,name,kind\nnorth,n1,North,region\n"
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        unit_import.import_units(uow, SYSTEM, cycle)
    assert _errors(exc) == [("row 2, column parent", "cycle")]
    loop = b"code,parent,name,kind\na,b,A,team\nb,a,B,team\n"
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        unit_import.import_units(uow, SYSTEM, loop)
    assert {c for _, c in _errors(exc)} == {"cycle"}
    second = b"code,parent,name,kind\nother,,Other,company\n"
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        unit_import.import_units(uow, SYSTEM, second)
    assert _errors(exc) == [("row 2, column parent", "second_root")]
    missing = b"code,name,kind\nx,X,store\n"
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        unit_import.import_units(uow, SYSTEM, missing)
    assert _errors(exc) == [("column parent", "missing_column")]


def test_create_rename_move_archive_reopen(db: Database) -> None:
    with db.unit_of_work() as uow:
        units.create(uow, SYSTEM, "acme", "Acme", UnitKind.COMPANY)
        units.create(uow, SYSTEM, "north", "North", UnitKind.REGION, "acme")
        units.create(uow, SYSTEM, "south", "South", UnitKind.REGION, "acme")
        units.create(uow, SYSTEM, "n1", "N1", UnitKind.STORE, "north")
        with pytest.raises(Conflict):
            units.create(uow, SYSTEM, "n1", "Again", UnitKind.STORE, "north")
        with pytest.raises(ValidationFailed, match="root"):
            units.create(uow, SYSTEM, "other", "Other", UnitKind.COMPANY)
        assert units.rename(uow, SYSTEM, "n1", " Northgate ").name == "Northgate"
        with pytest.raises(ValidationFailed) as exc:
            units.move(uow, SYSTEM, "north", "n1")
        assert _errors(exc) == [("parent", "cycle")]
        moved = units.move(uow, SYSTEM, "north", "south", date(2026, 5, 1))
        assert moved.path == "acme/south/north"
        assert uow.units.by_code("n1").path == "acme/south/north/n1"  # type: ignore[union-attr]
        with pytest.raises(Conflict, match="open units"):
            units.archive(uow, SYSTEM, "north")
        closed = units.archive(uow, SYSTEM, "n1")
        assert closed.closed_on == utcnow().date() and closed.closed_by == "system"
        units.archive(uow, SYSTEM, "north")
        with pytest.raises(Conflict, match="parent north is archived"):
            units.reopen(uow, SYSTEM, "n1")
        with pytest.raises(ValidationFailed) as exc:
            units.create(uow, SYSTEM, "n2", "N2", UnitKind.STORE, "north")
        assert _errors(exc) == [("parent", "closed_unit")]
        units.reopen(uow, SYSTEM, "north")
        assert units.reopen(uow, SYSTEM, "n1").closed_on is None
        actions = [e.action for e in uow.audit.page(limit=50)]
    assert actions.count("unit.archive") == 2 and actions.count("unit.reopen") == 2
    assert {"unit.create", "unit.rename", "unit.move"} <= set(actions)


def test_only_admins_change_the_tree(db: Database) -> None:
    with db.unit_of_work() as uow:
        unit_import.import_units(uow, SYSTEM, TREE)
        for change in (
            lambda: units.create(uow, ANALYST, "x", "X", UnitKind.STORE, "north"),
            lambda: units.rename(uow, ANALYST, "n1", "X"),
            lambda: units.move(uow, ANALYST, "n1", "south"),
            lambda: units.archive(uow, ANALYST, "n1"),
            lambda: unit_import.import_units(uow, ANALYST, TREE),
        ):
            with pytest.raises(PermissionDenied):
                change()


def test_an_archived_unit_keeps_its_responses_and_refuses_new_ones(db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1")
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
        units.archive(uow, SYSTEM, "north-1")
    with db.unit_of_work() as uow:
        assert uow.responses.count() == 1  # history stays
        with pytest.raises(ValidationFailed) as exc:
            responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1")
        assert _errors(exc) == [("unit", "closed_unit")]
        with pytest.raises(ValidationFailed):
            invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    from rapport.errors import Gone

    with db.unit_of_work() as uow, pytest.raises(Gone, match="closed"):
        invitations.resolve(uow, token)


def test_a_unit_closing_later_still_takes_responses_until_then(db: Database) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        units.archive(uow, SYSTEM, "north-1", utcnow().date() + timedelta(days=30))
        responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1")
        assert uow.responses.count() == 1


def test_after_a_move_past_results_roll_up_through_the_current_tree(db: Database) -> None:
    """docs/organisation.md: a move restates every period, past ones included (responses and
    aggregates are keyed by the leaf unit and roll up through the current tree)."""
    from rapport.analytics.engines import OperationalEngine
    from rapport.analytics.suppression import SuppressionPolicy
    from rapport.services import metrics
    from tests.integration.test_metrics_data import seed

    seed(db)  # customer responses of January and February 2026, before the move
    engine = OperationalEngine(db.engine)
    request = metrics.MetricRequest("customer-relationship", "nps", by=["unit"])
    policy = SuppressionPolicy(period="quarter")

    def counts() -> dict[str, int]:
        return {r.unit_code: r.n for r in metrics.compute(engine, SYSTEM, request, policy).rows}

    before = counts()
    assert before["south-1"] > 0
    with db.unit_of_work() as uow:
        units.move(uow, SYSTEM, "south-1", "north", date(2026, 6, 1))
    after = counts()
    engine.dispose()
    assert after["north"] == before["north"] + before["south-1"]
    assert after["south"] == before["south"] - before["south-1"]
    assert after["south-1"] == before["south-1"] and after["acme"] == before["acme"]
