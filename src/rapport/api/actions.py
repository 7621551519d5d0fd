"""Fresh-experience actions: ``/api/v1/actions`` (log, list, read) and their estimated
effect, ``/api/v1/actions/{id}/effect`` (difference in differences with an event study and
a pre-trend test; ``docs/relationship-health.md`` "Effects of actions").

Managers log and read actions of their own subtree only; the effect reads the metric
through the metrics service (suppression, scope), see :mod:`rapport.services.actions`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from rapport.api.deps import DbDep, PrincipalDep, ReadUowDep, UowDep, get_policy
from rapport.api.metrics import analytics_engine
from rapport.api.types import ApiDate, UtcDateTime
from rapport.domain.actions import Action
from rapport.services import actions

router = APIRouter(prefix="/api/v1", tags=["actions"])
ActionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Action id.")]


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit: str = Field(min_length=1, max_length=1000, description="Unit code or path.")
    title: str = Field(min_length=1, max_length=300, description="What is done.")
    started_on: ApiDate = Field(description="First day of the action.")
    ended_on: ApiDate | None = Field(default=None, description="Last day, if it has ended.")
    description: str = Field(default="", max_length=10_000)
    intended_effect: str = Field(
        default="", max_length=2000, description="The customer effect it is meant to have."
    )
    kind: str = Field(
        default="fresh_experience", description="fresh_experience | breakdown_learning"
    )


class ActionOut(BaseModel):
    id: int
    unit: str = Field(description="Unit code; the action covers its subtree.")
    unit_name: str
    kind: str
    title: str
    description: str
    intended_effect: str
    started_on: date
    ended_on: date | None
    created_by: str | None
    created_at: UtcDateTime | None


class EventPeriodOut(BaseModel):
    relative_period: int = Field(description="Months from the start (−1 is the reference).")
    estimate: float
    lower: float
    upper: float


class EffectOut(BaseModel):
    action: ActionOut
    survey: str
    metric: str
    audience: str
    engine: str
    estimate: float | None = Field(description="Effect in the metric's points; null: too few.")
    lower: float | None
    upper: float | None
    p_value: float | None = Field(description="Bootstrap p-value of no effect.")
    method: str
    pre_trend_p: float | None = Field(description="Joint test that every lead is zero.")
    n_treated: int
    n_control: int
    pre_periods: int
    post_periods: int
    treated_units: list[str]
    control_units: list[str]
    excluded_units: list[str] = Field(
        description="Units left out of the comparison: another action or their own decline."
    )
    event_study: list[EventPeriodOut]
    verdict: str = Field(
        description="effect | no_detectable_effect | pre_trend_fails | insufficient_data"
    )
    message: str


def action_out(a: Action) -> ActionOut:
    return ActionOut(
        id=a.id,
        unit=a.unit_code,
        unit_name=a.unit_name,
        kind=a.kind,
        title=a.title,
        description=a.description,
        intended_effect=a.intended_effect,
        started_on=a.started_on,
        ended_on=a.ended_on,
        created_by=a.created_by,
        created_at=a.created_at,
    )


@router.post("/actions", response_model=ActionOut, status_code=201, summary="Log an action")
def create_action(body: ActionIn, principal: PrincipalDep, uow: UowDep) -> ActionOut:
    """Managers log actions for units of their own subtree; admins and analysts anywhere."""
    new = actions.NewAction(**body.model_dump())
    return action_out(actions.log_action(uow, principal, new))


@router.get("/actions", response_model=list[ActionOut], summary="Actions of the units you see")
def get_actions(
    principal: PrincipalDep,
    uow: ReadUowDep,
    unit: Annotated[
        str | None,
        Query(max_length=1000, description="Unit code or path: only actions in its subtree."),
    ] = None,
) -> list[ActionOut]:
    return [action_out(a) for a in actions.list_actions(uow, principal, unit)]


@router.get("/actions/{action_id}", response_model=ActionOut, summary="One action")
def get_action(action_id: ActionId, principal: PrincipalDep, uow: ReadUowDep) -> ActionOut:
    return action_out(actions.get_action(uow, principal, action_id))


@router.get(
    "/actions/{action_id}/effect",
    response_model=EffectOut,
    summary="Estimated effect of an action (difference in differences, event study)",
)
async def get_effect(
    request: Request,
    action_id: ActionId,
    principal: PrincipalDep,
    db: DbDep,
    survey: Annotated[str, Query(min_length=1, max_length=200, description="Survey id or key.")],
    metric: Annotated[str, Query(max_length=100, description="hearts, minds, nps, …")] = "hearts",
) -> EffectOut:
    found = await run_in_threadpool(
        actions.action_effect,
        db,
        analytics_engine(request),
        principal,
        action_id,
        survey,
        get_policy(request),
        metric,
    )
    return effect_out(found)


def effect_out(found: actions.ActionEffect) -> EffectOut:
    e = found.effect
    return EffectOut(
        action=action_out(found.action),
        survey=found.survey_key,
        metric=found.metric,
        audience=found.audience,
        engine=found.engine,
        estimate=e.estimate,
        lower=e.lower,
        upper=e.upper,
        p_value=e.p_value,
        method=e.method,
        pre_trend_p=e.pre_trend_p,
        n_treated=e.n_treated,
        n_control=e.n_control,
        pre_periods=e.pre_periods,
        post_periods=e.post_periods,
        treated_units=found.treated_units,
        control_units=found.control_units,
        excluded_units=found.excluded_units,
        event_study=[EventPeriodOut(**vars(p)) for p in e.event_study],
        verdict=e.verdict,
        message=e.message,
    )
