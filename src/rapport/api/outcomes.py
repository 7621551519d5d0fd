"""Business outcomes: ``POST /api/v1/outcomes/import`` (CSV, all or nothing) and
``GET /api/v1/outcomes`` (a unit's figures, or its series rolled up the tree).

The rules live in :mod:`rapport.services.outcome_import` and
:mod:`rapport.services.outcomes`; see ``docs/outcomes.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from rapport.api.deps import DbDep, PrincipalDep, ReadUowDep
from rapport.api.org import CSV_BODY
from rapport.domain.org import Principal
from rapport.domain.outcomes import Grain
from rapport.services import outcome_import, outcomes
from rapport.storage.uow import Database

router = APIRouter(prefix="/api/v1", tags=["outcomes"])


class OutcomeImportOut(BaseModel):
    rows: int = Field(description="Rows of the file")
    created: int = Field(description="Figures stored for the first time")
    updated: int = Field(description="Figures that replaced a stored one")
    outcomes: list[str] = Field(description="The file's outcome columns")
    encoding: str


class OutcomeOut(BaseModel):
    unit: str = Field(description="Unit code")
    period: date = Field(description="First day of the period (a Monday for a week)")
    period_label: str = Field(description="e.g. 2026-03, 2026-W11 or 2026-Q1")
    grain: str = Field(description="week | month | quarter")
    name: str = Field(description="The outcome, e.g. revenue")
    value: float
    units: int = Field(description="Units whose own figures make the value (1 if its own)")
    rollup: str | None = Field(
        description="sum or mean when rolled up from child units; null for a unit's own figure"
    )


def _import(db: Database, principal: Principal, data: bytes) -> OutcomeImportOut:
    with db.unit_of_work() as uow:
        result = outcome_import.import_outcomes(uow, principal, data, pause_gc=False)
    return OutcomeImportOut(
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        outcomes=list(result.outcomes),
        encoding=result.encoding,
    )


@router.post(
    "/outcomes/import",
    response_model=OutcomeImportOut,
    summary="Import outcomes from a CSV body: unit,period,<outcome>... (all or nothing)",
    openapi_extra=CSV_BODY,
)
async def import_outcomes(request: Request, principal: PrincipalDep, db: DbDep) -> OutcomeImportOut:
    """``period`` is YYYY-MM, YYYY-Www (ISO week) or YYYY-Qn; every other column is an
    outcome of numbers (an empty cell: no figure). Upsert by unit, grain, period and
    outcome. Any bad cell imports nothing and the 422 problem lists every row, column and
    reason. Admins and analysts."""
    data = await request.body()
    return await run_in_threadpool(_import, db, principal, data)


@router.get(
    "/outcomes",
    response_model=list[OutcomeOut],
    summary="Outcome figures of a unit's subtree, or its series rolled up",
)
def list_outcomes(
    principal: PrincipalDep,
    uow: ReadUowDep,
    unit: Annotated[
        str | None,
        Query(max_length=1000, description="Unit code or path (default: all you may see)"),
    ] = None,
    outcome: Annotated[
        str | None, Query(max_length=60, description="One outcome, e.g. revenue")
    ] = None,
    grain: Grain | None = None,
    rollup: Annotated[
        bool,
        Query(
            description="One series for the unit: its own figure, else its child units' "
            "sum (money, counts) or mean (rates)"
        ),
    ] = False,
) -> list[OutcomeOut]:
    found = outcomes.list_outcomes(
        uow, principal, unit=unit, outcome=outcome, grain=grain, rollup=rollup
    )
    return [OutcomeOut(**vars(v)) for v in found]
