"""Repository conformance: every test runs on SQLite and on PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from rapport.domain.org import PersonKind, Role, UnitKind
from rapport.storage import migrate
from rapport.storage.uow import Database

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _tree(db: Database) -> None:
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, root)
        uow.units.add("north-1", "North 1", UnitKind.STORE, north)
        uow.units.add("north-10", "North 10", UnitKind.STORE, north)
        south = uow.units.add("south", "South", UnitKind.REGION, root)
        uow.units.add("south-1", "South 1", UnitKind.STORE, south)


def test_schema_is_at_head(db: Database) -> None:
    assert migrate.current_revision(db.engine) == migrate.head_revision(db.engine)


def test_unit_tree_subtree_is_a_path_prefix_not_a_string_prefix(db: Database) -> None:
    _tree(db)
    with db.unit_of_work() as uow:
        codes = [u.code for u in uow.units.subtree("acme/north")]
        assert codes == ["north", "north-1", "north-10"]
        # "acme/north-1..." must not match a region called "north"; "acme/south" is separate.
        assert [u.code for u in uow.units.subtree("acme/north/north-1")] == ["north-1"]
        assert uow.units.find("south-1").path == "acme/south/south-1"  # type: ignore[union-attr]
        assert uow.units.find("acme/south").code == "south"  # type: ignore[union-attr]
        assert uow.units.count() == 6


def test_the_unit_tree_read_once_per_unit_of_work_follows_its_writes(db: Database) -> None:
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme", UnitKind.COMPANY)
        north = uow.units.add("north", "North", UnitKind.REGION, root)
        south = uow.units.add("south", "South", UnitKind.REGION, root)
        store = uow.units.add("s1", "Store 1", UnitKind.STORE, north)
        assert [u.path for u in uow.units.all()][-1] == "acme/south"
        uow.units.reparent(store, south)
        assert "acme/south/s1" in {u.path for u in uow.units.all()}
        uow.units.update(store.id, name="Store one")
        assert {u.name for u in uow.units.all()} >= {"Store one"}
        paths = uow.units.all()
        paths.clear()  # a caller's copy: the kept tree is not changed
        assert len(uow.units.all()) == 4
        kinds = {u.path: u.kind for u in uow.units.all()}
        assert uow.units.kinds() == kinds and kinds["acme/south/s1"] is UnitKind.STORE
    with db.unit_of_work(readonly=True) as uow:  # read as rows, before the tree is
        assert uow.units.kinds() == kinds


def test_unit_codes_are_unique(db: Database) -> None:
    _tree(db)
    with pytest.raises(IntegrityError), db.unit_of_work() as uow:
        uow.units.add("north", "Again", UnitKind.REGION, None)


def test_people_bulk_insert_round_trips_attributes_and_dates(db: Database) -> None:
    _tree(db)
    with db.unit_of_work() as uow:
        store = uow.units.by_code("north-1")
        assert store is not None
        uow.people.add_many(
            {
                "kind": "customer",
                "unit_id": store.id,
                "external_id": f"c{i}",
                "name": f"C {i}",
                "email": f"c{i}@example.com",
                "language": "en",
                "relationship_start": date(2020, 1, 1) + timedelta(days=i),
                "attributes": {"segment": "premium" if i % 2 else "everyday"},
                "consent_email": True,
            }
            for i in range(50)
        )
    with db.unit_of_work() as uow:
        ids = uow.people.ids_by_external(PersonKind.CUSTOMER)
        assert len(ids) == 50
        person = uow.people.get(ids["c3"])
        assert person is not None
        assert person.attributes == {"segment": "premium"}
        assert person.relationship_start == date(2020, 1, 4)
        assert person.tenure_days(date(2020, 1, 14)) == 10
        assert uow.people.count(PersonKind.EMPLOYEE) == 0


def test_users_tokens_attempts_and_audit(db: Database) -> None:
    _tree(db)
    with db.unit_of_work() as uow:
        north = uow.units.by_code("north")
        assert north is not None
        user = uow.users.add("m@example.com", "hash", Role.MANAGER, north.id, NOW)
        assert user.unit_path == "acme/north"
        uow.tokens.add("etl", "ab" * 32, "rpt_abc", Role.ANALYST, None, NOW)
        for i in range(3):
            uow.login_attempts.record("email:m@example.com", False, NOW - timedelta(seconds=i))
        uow.login_attempts.record("email:m@example.com", False, NOW - timedelta(minutes=5))
        uow.audit.record("system", "user.create", "m@example.com", NOW, {"role": "manager"})
    with db.unit_of_work() as uow:
        assert uow.users.by_email("m@example.com") == user
        token = uow.tokens.by_hash("ab" * 32)
        assert token is not None
        assert (token.role, token.revoked) == (Role.ANALYST, False)
        since = NOW - timedelta(minutes=1)
        assert uow.login_attempts.failures_since("email:m@example.com", since) == 3
        assert uow.audit.recent()[0]["detail"] == {"role": "manager"}


def test_rollback_on_error_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.unit_of_work() as uow:
        uow.units.add("tmp", "Tmp", UnitKind.COMPANY)
        raise RuntimeError("boom")
    with db.unit_of_work() as uow:
        assert uow.units.count() == 0


def test_migrations_produce_exactly_the_models(db: Database) -> None:
    """Alembic's autogenerate finds nothing to add: migrations and models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from rapport.storage.models import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_published_versions_are_remembered_but_never_across_a_refilled_database(
    db: Database,
) -> None:
    """The submit path keeps published versions per process; the same id holding another
    definition (a database emptied and refilled) must not be served from memory."""
    from sqlalchemy import text

    from rapport.services import surveys
    from tests.integration._survey_fixtures import seed_org

    survey_id = seed_org(db)
    with db.unit_of_work() as uow:
        first = surveys.get_published(uow, survey_id)
        again = surveys.get_published(uow, survey_id)
    assert again.definition is first.definition  # parsed once
    assert first.definition.title != "Refilled"
    changed = {**first.version.definition, "title": "Refilled"}
    with db.unit_of_work() as uow:
        uow.session.execute(
            text("UPDATE survey_versions SET definition = :d, checksum = :c WHERE id = :i"),
            {"d": json.dumps(changed), "c": "refilled", "i": first.version.id},
        )
    with db.unit_of_work() as uow:
        now = surveys.get_published(uow, survey_id)
    assert now.version.id == first.version.id
    assert now.definition.title == "Refilled"


def test_survey_activity_counts_and_dates_per_survey_within_units(db: Database) -> None:
    from rapport.services import responses, surveys
    from tests.integration._survey_fixtures import seed_org

    sid = seed_org(db)
    first, last = datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 5, 7, 18, tzinfo=UTC)
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        north, south = uow.units.by_code("north-1"), uow.units.by_code("south")
        assert north is not None and south is not None
        subs = [
            responses.Submission(answers={"nps": 9}, unit_id=unit.id, submitted_at=when)
            for unit, when in ((north, first), (north, last), (south, last + timedelta(days=1)))
        ]
        responses.store_many(uow, published, subs, validate=True)
    with db.unit_of_work() as uow:
        everywhere = uow.responses.activity()[sid]
        in_north = uow.responses.activity([north.id])[sid]
        assert uow.responses.activity([]) == {}
    assert everywhere.responses == 3 and in_north.responses == 2
    assert everywhere.first.replace(tzinfo=UTC) == first
    assert in_north.last.replace(tzinfo=UTC) == last
    assert everywhere.last.replace(tzinfo=UTC) == last + timedelta(days=1)
