"""The people directory: CSV import (upsert, normalisation, all or nothing), listing, and
responses that link to imported people — on SQLite and PostgreSQL, and over HTTP."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from rapport.domain.org import SYSTEM, PersonKind, Principal, Role
from rapport.errors import PermissionDenied, ValidationFailed
from rapport.services import auth, people, responses, units
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

PEOPLE = (
    "external_id,kind,unit,name,email,phone,language,relationship_start,consent_email,"
    "consent_sms,segment,contract\n"
    " k1 ,customer,north-1,Kim One, Kim.One@Example.COM ,+44 20 7946 0001,fr,2020-01-15,"
    "yes,no,premium,\n"
    "k2,Customer,acme/north/north-1,Kai Two,,,,,,yes,everyday,annual\n"
    "e1,employee,south,Eve,eve@example.com,,,2019-06-01,no,,,permanent\n"
)
VIEWER = Principal("user", 7, "v@example.com", Role.VIEWER)
MANAGER = Principal("user", 8, "m@example.com", Role.MANAGER, "acme/north")


def _people(db: Database) -> dict[str, dict[str, object]]:
    with db.unit_of_work() as uow:
        found, _ = people.list_people(uow, SYSTEM, limit=500)
    return {p.external_id: p.__dict__ for p in found}


def test_import_normalises_and_upserts_by_kind_and_external_id(db: Database) -> None:
    seed_org(db)  # three customers c0..c2 in north-1
    with db.unit_of_work() as uow:
        done = people.import_people(uow, SYSTEM, PEOPLE.encode())
    assert (done.created, done.updated) == (3, 0)
    found = _people(db)
    k1 = found["k1"]
    assert k1["email"] == "kim.one@example.com" and k1["phone"] == "+44 20 7946 0001"
    assert k1["language"] == "fr" and k1["relationship_start"] == date(2020, 1, 15)
    assert (k1["consent_email"], k1["consent_sms"]) == (True, False)
    assert k1["attributes"] == {"segment": "premium"}  # an empty cell is no attribute
    k2 = found["k2"]
    assert k2["kind"] is PersonKind.CUSTOMER and k2["email"] is None
    assert (k2["consent_email"], k2["consent_sms"]) == (True, True)  # defaults, then yes
    assert k2["language"] == "en"
    assert found["e1"]["kind"] is PersonKind.EMPLOYEE and found["e1"]["consent_email"] is False

    # Upsert: only the file's columns change; a column the file lacks keeps its value.
    again = "external_id,kind,unit,segment\nk1,customer,south,gold\nk9,customer,south,new\n"
    with db.unit_of_work() as uow:
        done = people.import_people(uow, SYSTEM, again.encode())
        south = uow.units.by_code("south")
    assert (done.created, done.updated) == (1, 1)
    k1 = _people(db)["k1"]
    assert k1["unit_id"] == south.id and k1["attributes"] == {"segment": "gold"}  # type: ignore[union-attr]
    assert k1["email"] == "kim.one@example.com" and k1["name"] == "Kim One"


def test_a_bad_file_imports_nothing_and_names_rows_and_columns(db: Database) -> None:
    seed_org(db)
    with db.unit_of_work() as uow:
        units.archive(uow, SYSTEM, "south")
    bad = (
        "external_id,kind,unit,email,phone,relationship_start,consent_sms,language\n"
        "ok1,customer,north-1,a@example.com,,2020-01-01,yes,en\n"
        ",visitor,nowhere,not-an-email,call me,01/02/2020,maybe,English\n"
        "ok1,customer,south,,,,,\n"
    )
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        people.import_people(uow, SYSTEM, bad.encode())
    assert [(e.location, e.code) for e in exc.value.errors] == [
        ("row 3, column external_id", "required"),
        ("row 3, column kind", "kind"),
        ("row 3, column unit", "unknown_unit"),
        ("row 3, column email", "email"),
        ("row 3, column phone", "phone"),
        ("row 3, column language", "language"),
        ("row 3, column relationship_start", "date"),
        ("row 3, column consent_sms", "flag"),
        ("row 4, column unit", "closed_unit"),
        ("row 4, column external_id", "duplicate"),
    ]
    assert "ok1" not in _people(db)
    with db.unit_of_work() as uow, pytest.raises(ValidationFailed) as exc:
        people.import_people(uow, SYSTEM, b"external_id,unit\nx,north-1\n")
    assert [e.location for e in exc.value.errors] == ["column kind"]
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        people.import_people(uow, MANAGER, PEOPLE.encode())


def test_a_response_links_to_an_imported_person_with_tenure_and_attributes(
    db: Database,
) -> None:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        people.import_people(uow, SYSTEM, PEOPLE.encode())
        done = responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1", person="k1")
        stored = uow.responses.get(done.response_id)
        k1 = uow.people.by_key(PersonKind.CUSTOMER, "k1")
    assert stored is not None and k1 is not None
    assert stored["person_id"] == k1.id
    submitted = stored["submitted_at"].date()
    assert stored["tenure_days"] == (submitted - date(2020, 1, 15)).days
    assert stored["attributes"]["segment"] == "premium"


def test_imported_responses_link_to_imported_people(db: Database) -> None:
    from rapport.services import response_import

    sid = seed_org(db)
    with db.unit_of_work() as uow:
        people.import_people(uow, SYSTEM, PEOPLE.encode())
        csv = b"unit,person,submitted_at,nps,csat\nnorth-1,k1,2026-03-01T10:00:00Z,9,4\n"
        response_import.import_responses(uow, SYSTEM, sid, csv)
        [stored] = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=10)
        k1 = uow.people.by_key(PersonKind.CUSTOMER, "k1")
    assert k1 is not None and stored["person_id"] == k1.id
    assert stored["tenure_days"] == (date(2026, 3, 1) - date(2020, 1, 15)).days
    assert stored["attributes"]["segment"] == "premium"


def test_listing_pages_filters_and_scopes(db: Database) -> None:
    seed_org(db)
    rows = "".join(f"p{i},customer,{'north-1' if i % 2 else 'south'}\n" for i in range(25))
    with db.unit_of_work() as uow:
        people.import_people(uow, SYSTEM, ("external_id,kind,unit\n" + rows).encode())
        first, after = people.list_people(uow, SYSTEM, kind=PersonKind.CUSTOMER, limit=10)
        second, after2 = people.list_people(
            uow, SYSTEM, kind=PersonKind.CUSTOMER, after=after or 0, limit=10
        )
        south, _ = people.list_people(uow, SYSTEM, unit="south", limit=100)
        managed, _ = people.list_people(uow, MANAGER, limit=100)
        with pytest.raises(PermissionDenied):
            people.list_people(uow, VIEWER)
    assert len(first) == 10 and len(second) == 10 and after2 is not None
    assert {p.id for p in first}.isdisjoint(p.id for p in second)
    assert {p.external_id for p in south} == {f"p{i}" for i in range(0, 25, 2)}
    # seed_org's three customers and the 12 odd p's are in north-1, the manager's subtree
    assert len(managed) == 3 + 12


def test_people_api_over_http(live_server: LiveServer, db: Database) -> None:
    seed_org(db)
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "etl", Role.ANALYST)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    with httpx.Client(base_url=live_server.url, headers=headers) as api:
        r = api.post("/api/v1/people/import", content=PEOPLE.encode())
        assert r.status_code == 200, r.text
        assert r.json() == {"created": 3, "updated": 0, "encoding": "utf-8-sig"}
        r = api.post("/api/v1/people/import", content=b"external_id,kind,unit\nz,alien,north-1\n")
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"] == [
            {
                "location": "row 2, column kind",
                "message": "expected customer or employee, got 'alien'",
                "code": "kind",
            }
        ]
        page = api.get("/api/v1/people", params={"kind": "customer", "limit": 2}).json()
        assert len(page["items"]) == 2 and page["next_after"] is not None
        rest = api.get("/api/v1/people", params={"kind": "customer", "after": page["next_after"]})
        ids = [p["external_id"] for p in page["items"] + rest.json()["items"]]
        assert sorted(ids) == ["c0", "c1", "c2", "k1", "k2"]
        k1 = next(p for p in rest.json()["items"] if p["external_id"] == "k1")
        assert k1["unit"] == "north-1" and k1["attributes"] == {"segment": "premium"}
