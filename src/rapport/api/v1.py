"""JSON REST API, version 1: organisation basics. Survey and metrics routes live beside it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from rapport.api.deps import PrincipalDep, ReadUowDep
from rapport.services import org

router = APIRouter(prefix="/api/v1", tags=["organisation"])


class MeOut(BaseModel):
    name: str
    kind: str
    role: str
    unit_path: str | None


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str


@router.get("/me", response_model=MeOut, summary="Who the caller is")
def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        name=principal.name,
        kind=principal.kind,
        role=principal.role.value,
        unit_path=principal.unit_path,
    )


@router.get("/units", response_model=list[UnitOut], summary="Units the caller may see")
def units(principal: PrincipalDep, uow: ReadUowDep) -> list[UnitOut]:
    return [
        UnitOut(
            id=u.id, code=u.code, name=u.name, kind=u.kind.value, parent_id=u.parent_id, path=u.path
        )
        for u in org.list_units(uow, principal)
    ]
