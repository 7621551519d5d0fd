"""Attrition and churn risk: ``GET /api/v1/risk`` (issue 16, item 5).

Every figure comes from :func:`rapport.services.risk.person_risk`: the model on the whole
organisation's people, units through the anonymity gate for employees, per-person rows
only for customers and only for roles that may read profiles. ``level=unit``: a unit's
next-period rate (a stored outcome, or ``detractors``) from its lagged indices.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rapport.api.deps import DbDep, PrincipalDep, get_policy
from rapport.api.metrics import analytics_engine
from rapport.services import linkage, risk

router = APIRouter(prefix="/api/v1", tags=["risk"])


class RiskDriverOut(BaseModel):
    driver: str = Field(description="Person attribute, tenure_days, hearts, minds or nps.")
    weight: float = Field(
        description="What drivers_measure says: person level, the logistic relative weight "
        "(part of R²_O); unit level, log-odds per 10 index points."
    )
    share: float | None = Field(description="weight / R²_O (person level).")
    direction: str = Field(description="+ more risk, − less, ± depends on the level.")
    reference: str | None = Field(description="A text attribute's reference level.")
    lower: float | None = Field(description="The weight's 95% interval.")
    upper: float | None


class RiskUnitOut(BaseModel):
    unit: str
    path: str
    n: int = Field(description="People in the unit's subtree with a known outcome.")
    mean_risk: float | None = Field(description="None when hidden to protect anonymity.")
    observed: float | None = Field(description="Share who left; None when hidden.")
    suppressed: bool
    lower: float | None = Field(description="Unit level: the predicted rate's 95% interval.")
    upper: float | None


class RiskPersonOut(BaseModel):
    external_id: str
    unit: str
    risk: float = Field(description="Probability, from a model that did not see the person.")
    outcome: bool | None
    out_of_fold: bool


class CalibrationPoint(BaseModel):
    predicted: float
    observed: float
    n: int


class RiskOut(BaseModel):
    level: str = Field(description="person | unit")
    kind: str
    target: str
    survey: str | None
    model: str
    folds: int | None
    n: int = Field(
        description="People with a known outcome (the whole organisation); unit level: "
        "unit-periods fitted."
    )
    n_positive: int | None
    auc: float | None = Field(description="Out-of-fold AUC (person level).")
    auc_lower: float | None = Field(description="95% DeLong interval.")
    auc_upper: float | None
    brier: float | None
    brier_baseline: float | None = Field(description="Brier score of predicting the base rate.")
    calibration_error: float | None
    calibration: list[CalibrationPoint]
    r_squared: float | None = Field(description="R²_O the driver weights sum to.")
    drivers_measure: str = Field(description="What a driver's weight and interval are.")
    drivers: list[RiskDriverOut] = Field(
        description="Person level: ranked by weight; unit level: by p-value."
    )
    period: str | None = Field(description="Unit level: month | quarter.")
    lag: int | None = Field(description="Unit level: periods between indices and rate.")
    n_units: int | None = Field(description="Unit level: units in the fit.")
    predicts: str | None = Field(description="Unit level: the period whose rate is predicted.")
    units: list[RiskUnitOut]
    people: list[RiskPersonOut] | None = Field(description="Highest risk first, or withheld.")
    people_withheld: str | None
    anonymity_threshold: int | None
    left_out: dict[str, str]
    notes: list[str]


@router.get("/risk", response_model=RiskOut, summary="Attrition or churn risk of people or units")
def get_risk(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    kind: Annotated[str, Query(description="employee | customer")] = "employee",
    target: Annotated[
        str, Query(max_length=200, description="Person attribute holding yes/no.")
    ] = "left",
    survey: Annotated[
        str | None, Query(max_length=200, description="Survey whose latest answers join in.")
    ] = None,
    model: Annotated[str, Query(description="logistic | gradient_boosting")] = "logistic",
    unit: Annotated[
        str | None, Query(max_length=500, description="Unit code or path: rows of its subtree.")
    ] = None,
    top: Annotated[int, Query(ge=1, le=1000, description="People listed.")] = 50,
    level: Annotated[
        str,
        Query(
            pattern="^(person|unit)$",
            description="person, or unit: target is a stored outcome rate or detractors, "
            "predicted from the survey's lagged hearts and minds.",
        ),
    ] = "person",
    period: Annotated[str, Query(pattern="^(month|quarter)$", description="Unit level.")] = "month",
    lag: Annotated[int, Query(ge=1, le=risk.MAX_LAG, description="Unit level: periods.")] = 1,
) -> RiskOut:
    ask = risk.RiskRequest(
        kind, target, survey or None, model, unit or None, top, level, period, lag
    )
    stored = None
    if level == "unit" and target != risk.DETRACTORS:
        with db.unit_of_work(readonly=True) as uow:
            stored = linkage.stored_outcomes(uow, principal, [target], period)
    found = risk.person_risk(
        analytics_engine(request), principal, ask, get_policy(request), outcomes=stored
    )
    data = vars(found).copy()
    data["calibration"] = [
        CalibrationPoint(predicted=p, observed=o, n=n) for p, o, n in found.calibration
    ]
    data["drivers"] = [RiskDriverOut(**vars(d)) for d in found.drivers]
    data["units"] = [RiskUnitOut(**vars(u)) for u in found.units]
    data["people"] = (
        None if found.people is None else [RiskPersonOut(**vars(p)) for p in found.people]
    )
    return RiskOut(**data)
