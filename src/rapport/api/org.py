"""Organisation endpoints: the unit tree (``/api/v1/units``) and the people directory
(``/api/v1/people``). Imports take a CSV body and answer all or nothing: a bad file is a
422 problem whose ``errors`` name every row and column."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from rapport.api.deps import DbDep, PrincipalDep, ReadUowDep, UowDep
from rapport.api.types import ApiDate
from rapport.domain.org import Person, PersonKind, Principal, Unit, UnitKind
from rapport.errors import FieldError, ValidationFailed
from rapport.services import org, people, unit_import, units
from rapport.storage.uow import Database

router = APIRouter(prefix="/api/v1", tags=["organisation"])
UnitCode = Annotated[str, Path(max_length=1000, description="Unit code or path")]
CSV_BODY = {
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
}


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    parent: str | None = Field(description="The parent's code; null for the root")
    path: str = Field(description="Codes from the root, slash-joined")
    depth: int
    opened_on: date | None
    closed_on: date | None = Field(description="Set when the unit is archived")

    @classmethod
    def of(cls, u: Unit, codes: dict[int, str]) -> UnitOut:
        return cls(
            id=u.id,
            code=u.code,
            name=u.name,
            kind=u.kind.value,
            parent_id=u.parent_id,
            parent=codes.get(u.parent_id) if u.parent_id is not None else None,
            path=u.path,
            depth=u.path.count("/"),
            opened_on=u.opened_on,
            closed_on=u.closed_on,
        )


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=80, examples=["north"])
    name: str = Field(max_length=200, examples=["North region"])
    kind: UnitKind
    parent: str | None = Field(None, max_length=1000, description="Parent code; none for the root")
    opened_on: ApiDate | None = None


class UnitPatch(BaseModel):
    """What to change: a new name, a new parent (a move dated ``moved_on``), or
    ``archived`` true (dated ``closed_on``) / false (reopen)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    parent: str | None = Field(None, max_length=1000)
    moved_on: ApiDate | None = None
    archived: bool | None = None
    closed_on: ApiDate | None = None


class UnitImportOut(BaseModel):
    created: int
    updated: int
    moved: int
    unchanged: int


@router.get("/units", response_model=list[UnitOut], summary="The unit tree the caller may see")
def list_units(principal: PrincipalDep, uow: ReadUowDep) -> list[UnitOut]:
    """Units in tree order (a parent before its children), each with its parent's code;
    archived units are listed with ``closed_on``. Managers get their own subtree."""
    everything = uow.units.all()
    codes = {u.id: u.code for u in everything}
    return [UnitOut.of(u, codes) for u in org.list_units(uow, principal)]


@router.post("/units", response_model=UnitOut, status_code=201, summary="Add a unit (admins)")
def create_unit(body: UnitIn, principal: PrincipalDep, uow: UowDep) -> UnitOut:
    unit = units.create(
        uow, principal, body.code, body.name, body.kind, body.parent, body.opened_on
    )
    return _one(uow.units.all(), unit)


@router.patch("/units/{code}", response_model=UnitOut, summary="Rename, move, archive or reopen")
def update_unit(code: UnitCode, body: UnitPatch, principal: PrincipalDep, uow: UowDep) -> UnitOut:
    if body == UnitPatch():
        raise ValidationFailed(
            "nothing to change",
            [FieldError("body", "expected name, parent or archived", "required")],
        )
    unit = units.get(uow, code)
    if body.name is not None:
        unit = units.rename(uow, principal, unit.code, body.name)
    if body.parent is not None:
        unit = units.move(uow, principal, unit.code, body.parent, body.moved_on)
    if body.archived is True:
        unit = units.archive(uow, principal, unit.code, body.closed_on)
    elif body.archived is False:
        unit = units.reopen(uow, principal, unit.code)
    return _one(uow.units.all(), unit)


def _one(everything: list[Unit], unit: Unit) -> UnitOut:
    codes = {u.id: u.code for u in everything}
    return UnitOut.of(unit, codes)


def _import_units(db: Database, principal: Principal, data: bytes) -> unit_import.UnitImportResult:
    with db.unit_of_work() as uow:
        return unit_import.import_units(uow, principal, data)


@router.post(
    "/units/import",
    response_model=UnitImportOut,
    summary="Import units from a CSV body: code,parent,name,kind (all or nothing)",
    openapi_extra=CSV_BODY,
)
async def import_units(request: Request, principal: PrincipalDep, db: DbDep) -> UnitImportOut:
    """Upsert by code; a changed parent is a move dated today. Any bad row imports nothing
    and the 422 problem lists every row, column and reason."""
    data = await request.body()
    result = await run_in_threadpool(_import_units, db, principal, data)
    return UnitImportOut(
        created=result.created,
        updated=result.updated,
        moved=result.moved,
        unchanged=result.unchanged,
    )


class PersonOut(BaseModel):
    id: int
    kind: str
    external_id: str
    unit: str = Field(description="Unit code")
    name: str
    email: str | None
    phone: str | None
    language: str
    relationship_start: date | None
    consent_email: bool
    consent_sms: bool
    attributes: dict[str, str]

    @classmethod
    def of(cls, p: Person, codes: dict[int, str]) -> PersonOut:
        return cls(
            id=p.id,
            kind=p.kind.value,
            external_id=p.external_id,
            unit=codes.get(p.unit_id, ""),
            name=p.name,
            email=p.email,
            phone=p.phone,
            language=p.language,
            relationship_start=p.relationship_start,
            consent_email=p.consent_email,
            consent_sms=p.consent_sms,
            attributes={k: str(v) for k, v in p.attributes.items()},
        )


class PeoplePage(BaseModel):
    items: list[PersonOut]
    next_after: int | None = Field(description="Pass as ?after= for the next page.")


class PeopleImportOut(BaseModel):
    created: int
    updated: int
    encoding: str


@router.get("/people", response_model=PeoplePage, summary="The people directory, a page at a time")
def list_people(
    principal: PrincipalDep,
    uow: ReadUowDep,
    kind: PersonKind | None = None,
    unit: Annotated[str | None, Query(max_length=1000, description="Unit code or path")] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=people.MAX_PAGE)] = 100,
    search: Annotated[
        str | None,
        Query(max_length=200, description="External id prefix or part of the name"),
    ] = None,
) -> PeoplePage:
    """Customers and employees by id; ``unit`` includes its subtree. Managers see their
    own subtree; viewers may not list people. Each person's profile is
    ``/api/v1/people/{kind}/{external_id}`` (page: ``/people/{kind}/{external_id}``)."""
    found, next_after = people.list_people(
        uow, principal, kind=kind, unit=unit, after=after, limit=limit, search=search
    )
    codes = {u.id: u.code for u in uow.units.all()}
    return PeoplePage(items=[PersonOut.of(p, codes) for p in found], next_after=next_after)


def _import_people(db: Database, principal: Principal, data: bytes) -> people.PeopleImportResult:
    with db.unit_of_work() as uow:
        return people.import_people(uow, principal, data, pause_gc=False)


@router.post(
    "/people/import",
    response_model=PeopleImportOut,
    summary="Import people from a CSV body: external_id,kind,unit,... (all or nothing)",
    openapi_extra=CSV_BODY,
)
async def import_people(request: Request, principal: PrincipalDep, db: DbDep) -> PeopleImportOut:
    """Upsert by (kind, external_id); optional name, email, phone, language,
    relationship_start, consent_email, consent_sms; other columns become attributes. Any
    bad row imports nothing and the 422 problem lists every row, column and reason."""
    data = await request.body()
    result = await run_in_threadpool(_import_people, db, principal, data)
    return PeopleImportOut(created=result.created, updated=result.updated, encoding=result.encoding)
