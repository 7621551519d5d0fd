"""Attrition and churn risk: ``GET /api/v1/risk`` (issue 16, item 5).

Every figure comes from :func:`rapport.services.risk.person_risk`: the model on the whole
organisation's people, units through the anonymity gate for employees, per-person rows
only for customers and only for roles that may read profiles.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rapport.api.deps import PrincipalDep, get_policy
from rapport.api.metrics import analytics_engine
from rapport.services import risk

router = APIRouter(prefix="/api/v1", tags=["risk"])


class RiskDriverOut(BaseModel):
    driver: str = Field(description="Person attribute, tenure_days, hearts, minds or nps.")
    weight: float = Field(description="Logistic relative weight: part of R²_O.")
    share: float = Field(description="weight / R²_O.")
    direction: str = Field(description="+ more risk, − less, ± depends on the level.")
    reference: str | None = Field(description="A text attribute's reference level.")


class RiskUnitOut(BaseModel):
    unit: str
    path: str
    n: int = Field(description="People in the unit's subtree with a known outcome.")
    mean_risk: float | None = Field(description="None when hidden to protect anonymity.")
    observed: float | None = Field(description="Share who left; None when hidden.")
    suppressed: bool


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
    kind: str
    target: str
    survey: str | None
    model: str
    folds: int
    n: int = Field(description="People with a known outcome (the whole organisation).")
    n_positive: int
    auc: float = Field(description="Out-of-fold AUC.")
    auc_lower: float = Field(description="95% DeLong interval.")
    auc_upper: float
    brier: float
    brier_baseline: float = Field(description="Brier score of predicting the base rate.")
    calibration_error: float
    calibration: list[CalibrationPoint]
    r_squared: float = Field(description="R²_O the driver weights sum to.")
    drivers: list[RiskDriverOut] = Field(description="Ranked by weight, largest first.")
    units: list[RiskUnitOut]
    people: list[RiskPersonOut] | None = Field(description="Highest risk first, or withheld.")
    people_withheld: str | None
    anonymity_threshold: int | None
    left_out: dict[str, str]
    notes: list[str]


@router.get("/risk", response_model=RiskOut, summary="Attrition or churn risk of people")
def get_risk(
    request: Request,
    principal: PrincipalDep,
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
) -> RiskOut:
    ask = risk.RiskRequest(kind, target, survey or None, model, unit or None, top)
    found = risk.person_risk(analytics_engine(request), principal, ask, get_policy(request))
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
