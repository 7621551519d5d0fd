"""JSON REST API, version 1: who the caller is. Units and people are in ``api/org.py``;
survey and metrics routes live beside it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from rapport.api.deps import PrincipalDep

router = APIRouter(prefix="/api/v1", tags=["organisation"])


class MeOut(BaseModel):
    name: str
    kind: str
    role: str
    unit_path: str | None


@router.get("/me", response_model=MeOut, summary="Who the caller is")
def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        name=principal.name,
        kind=principal.kind,
        role=principal.role.value,
        unit_path=principal.unit_path,
    )
