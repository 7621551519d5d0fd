"""Attrition and churn risk on Rapport's own people (issue 16, item 5).

:func:`person_risk` builds one row per person of a kind (employees or customers) from the
people directory — their attributes and tenure — and, when a survey is named, their latest
answers to it (hearts and minds indices, NPS), takes the yes/no outcome from a person
attribute (``left``, ``churned``, …) and runs the same code path as for the IBM samples,
:func:`rapport.analytics.risk.fit_risk`.

The model is always fitted on the whole organisation's people of that kind, so every
principal gets the same figures; scope (a manager's subtree, ``unit=``) only picks the rows
shown. What each principal sees (docs/drivers.md, "Who sees what"):

- **Per-person risk** is shown for customers, to roles that may read profiles
  (``view_comments``: admins, analysts, managers in their subtree). **Never for
  employees**, to anyone: an employee's risk is a function of their confidential answers
  and attributes, and profiles show no employee answers even to admins.
- **Per-unit risk** (mean risk and observed rate of the people in a unit's subtree) goes,
  for a protected audience, through the one anonymity gate
  (:func:`rapport.analytics.suppression.suppress`) over the whole unit tree.
- The model's own figures (AUC, Brier, calibration, drivers) rest on the whole
  organisation; for a protected audience they are refused when fewer people than the
  threshold stand behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from rapport.analytics import risk as risk_models
from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics import Filters
from rapport.analytics.metrics import sql as metric_sql
from rapport.analytics.metrics.catalog import UnitNode, find_survey, load_items, load_units
from rapport.analytics.metrics.people_sql import people_statement, person_responses_statement
from rapport.analytics.periods import as_moment
from rapport.analytics.suppression import Cell, Measure, SuppressionPolicy, suppress
from rapport.domain.org import Permission, PersonKind, Principal
from rapport.errors import Confidential, FieldError, NotFound, ValidationFailed
from rapport.services import confidentiality
from rapport.services.access import require
from rapport.services.metrics import unit_scope

OUTCOME = "__outcome__"
SURVEY_COLUMNS = {"hearts": "heart", "minds": "mind"}
_CURVE = ("predicted", "observed", "n")
#: The model's figures, as the Python client puts them in ``attrs``.
SUMMARY_FIELDS = (
    "kind", "target", "survey", "model", "n", "n_positive", "auc", "auc_lower", "auc_upper",
    "brier", "brier_baseline", "calibration_error", "r_squared", "people_withheld",
    "anonymity_threshold",
)  # fmt: skip
_DRIVER_FIELDS = ("driver", "weight", "share", "direction", "reference")


@dataclass(frozen=True)
class RiskRequest:
    """``target``: the person attribute holding the yes/no outcome. ``survey``: whose latest
    answers join the attributes (None: the directory only)."""

    kind: str = "employee"
    target: str = "left"
    survey: int | str | None = None
    model: str = "logistic"
    unit: str | None = None
    top: int = 50


@dataclass(frozen=True)
class RiskDriver:
    driver: str
    weight: float
    share: float
    direction: str
    reference: str | None


@dataclass(frozen=True)
class RiskUnit:
    """One unit's subtree: people with an outcome, their mean risk and observed rate (None
    when hidden to protect anonymity)."""

    unit: str
    path: str
    n: int
    mean_risk: float | None
    observed: float | None
    suppressed: bool


@dataclass(frozen=True)
class RiskPerson:
    external_id: str
    unit: str
    risk: float
    outcome: bool | None
    out_of_fold: bool


@dataclass(frozen=True)
class RiskResult:
    kind: str
    target: str
    survey: str | None
    model: str
    folds: int
    n: int
    n_positive: int
    auc: float
    auc_lower: float
    auc_upper: float
    brier: float
    brier_baseline: float
    calibration_error: float
    calibration: list[tuple[float, float, int]]
    """(mean predicted, observed share, people) per quantile bin."""
    r_squared: float
    drivers: list[RiskDriver]
    units: list[RiskUnit]
    people: list[RiskPerson] | None
    people_withheld: str | None
    """Why no per-person rows are shown, when they are not."""
    anonymity_threshold: int | None
    left_out: dict[str, str]
    notes: list[str]


def person_risk(
    engine: AnalyticsEngine,
    principal: Principal,
    request: RiskRequest,
    policy: SuppressionPolicy,
    today: date | None = None,
) -> RiskResult:
    """Risk of ``request.target`` for the people of ``request.kind``, for ``principal``.

    Raises PermissionDenied, NotFound (survey or unit), Confidential (a protected audience
    with fewer people than the threshold) or ValidationFailed naming the field (``kind``,
    ``target``, ``survey``, ``model``, ``top``).
    """
    require(principal, Permission.VIEW_RESULTS)
    kind = _kind(request.kind)
    if request.model not in risk_models.MODELS:
        raise ValidationFailed(
            "unknown model",
            [FieldError("model", f"expected logistic or gradient_boosting, got {request.model!r}")],
        )
    if not 1 <= request.top <= 1000:
        raise ValidationFailed(
            "top is not valid", [FieldError("top", f"expected 1 to 1000, got {request.top}")]
        )
    protected = policy.protects(kind)
    shown_units = unit_scope(engine, principal, request.unit)
    frame, units, survey_key = _people_frame(engine, kind, request, policy, protected, today)
    if request.target not in frame.columns or frame[request.target].isna().all():
        raise ValidationFailed(
            f"no {kind} has the attribute {request.target!r}",
            [FieldError("target", "name the person attribute that holds yes/no (left, churned)")],
        )
    labelled = int(frame[request.target].notna().sum())
    threshold = policy.threshold(Measure.SCORES) if protected else None
    if protected:
        group = Cell("risk", labelled)
        if suppress([group], policy, audience=kind, measure=Measure.SCORES)[group.key].suppressed:
            raise Confidential(
                f"The risk model rests on {labelled} {kind}s with a known {request.target}; "
                f"{kind} results need at least {threshold} to protect anonymity."
            )
    features = frame.drop(columns=["unit_id", "external_id"])
    try:
        fit = risk_models.fit_risk(features, request.target, model=request.model)
    except ValueError as error:
        raise ValidationFailed(
            "the risk model cannot be fitted", [FieldError("target", str(error))]
        ) from error
    frame = frame.assign(risk=fit.risk, labelled=fit.labelled)
    outcome = risk_models.build_design(features, request.target).outcome
    frame["outcome"] = outcome
    unit_rows = _units(frame, units, shown_units, policy, kind)
    people, withheld = _people(frame, units, shown_units, principal, protected, request.top)
    auc = fit.auc
    return RiskResult(
        kind=str(kind),
        target=request.target,
        survey=survey_key,
        model=request.model,
        folds=fit.folds,
        n=fit.n,
        n_positive=fit.n_positive,
        auc=auc.auc,
        auc_lower=auc.lower,
        auc_upper=auc.upper,
        brier=fit.brier,
        brier_baseline=fit.brier_baseline,
        calibration_error=fit.calibration_error,
        calibration=[
            (float(p), float(o), int(n))
            for p, o, n in zip(*(fit.calibration[c].tolist() for c in _CURVE), strict=True)
        ],
        r_squared=fit.r_squared,
        drivers=[
            RiskDriver(str(d), float(w), float(s), str(sign), ref if isinstance(ref, str) else None)
            for d, w, s, sign, ref in zip(
                *(fit.drivers[c].tolist() for c in _DRIVER_FIELDS), strict=True
            )
        ],
        units=unit_rows,
        people=people,
        people_withheld=withheld,
        anonymity_threshold=threshold,
        left_out=dict(fit.left_out),
        notes=list(fit.notes),
    )


def _kind(value: str) -> PersonKind:
    try:
        return PersonKind(value)
    except ValueError:
        raise ValidationFailed(
            "unknown kind", [FieldError("kind", f"expected employee or customer, got {value!r}")]
        ) from None


def _people_frame(
    engine: AnalyticsEngine,
    kind: PersonKind,
    request: RiskRequest,
    policy: SuppressionPolicy,
    protected: bool,
    today: date | None,
) -> tuple[pd.DataFrame, dict[int, UnitNode], str | None]:
    """One row per person: unit, external id, attributes, tenure and survey indices."""
    on = today or date.today()
    survey_key = None
    with engine.connect() as conn:
        units = load_units(conn)
        rows = conn.execute(people_statement(str(kind))).all()
        scores: pd.DataFrame | None = None
        if request.survey is not None:
            survey = find_survey(engine, request.survey)
            if survey is None:
                raise NotFound(f"survey {request.survey} does not exist")
            if survey.audience != str(kind):
                raise ValidationFailed(
                    f"survey {survey.key} is for {survey.audience}s",
                    [FieldError("survey", f"expected a survey of {kind}s")],
                )
            survey_key = survey.key
            scores = _latest_scores(conn, survey.id, policy, protected)
    frame = pd.DataFrame(
        [
            {
                "person_id": int(r[0]),
                "unit_id": int(r[1]),
                "external_id": str(r[2]),
                "tenure_days": None if r[3] is None else (on - _as_date(r[3])).days,
                **{str(k): str(v) for k, v in dict(r[4] or {}).items()},
            }
            for r in rows
        ]
    )
    if frame.empty:
        raise ValidationFailed(
            f"there are no {kind}s in the people directory",
            [FieldError("kind", "import people first (rapport people import)")],
        )
    frame = frame.set_index("person_id")
    if scores is not None:
        frame = frame.join(scores)
    return frame, units, survey_key


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _latest_scores(
    conn: Any, survey_id: int, policy: SuppressionPolicy, protected: bool
) -> pd.DataFrame:
    """Each person's latest response to the survey: hearts, minds (0–100) and NPS."""
    filters = Filters((survey_id,), None)
    until = None
    if protected:  # closed periods only, as for every protected figure
        window = confidentiality.closed_periods(policy, period=None, since=None, until=None)
        until = as_moment(window.end)
        filters = replace(filters, until=until)
    items = [i for i in load_items(conn, (survey_id,)) if i.has_scale]
    responses = pd.DataFrame(
        conn.execute(person_responses_statement(survey_id, until)).all(),
        columns=["response", "person_id", "submitted"],
    )
    columns = ["hearts", "minds", "nps"]
    if responses.empty or not items:
        return pd.DataFrame(columns=columns, dtype=float)
    latest = responses.sort_values(["submitted", "response"]).groupby("person_id").tail(1)
    answers = pd.DataFrame(
        conn.execute(
            metric_sql.item_scores_statement(
                filters, items, response_ids=[int(r) for r in latest["response"]]
            )
        ).all(),
        columns=["response", "question", "item", "score"],
    )
    answers["score"] = answers["score"].astype(float)
    tag = {(i.question_id, i.item or ""): i for i in items}
    picked: dict[str, pd.Series] = {}
    for name, prefix in SURVEY_COLUMNS.items():
        mask = [
            tag[(q, it or "")].tagged(prefix) if (q, it or "") in tag else False
            for q, it in zip(answers["question"], answers["item"], strict=True)
        ]
        picked[name] = answers[mask].groupby("response")["score"].mean()
    picked["nps"] = answers[answers["question"] == "nps"].groupby("response")["score"].mean()
    per_response = pd.DataFrame(picked)
    joined = latest.set_index("response").join(per_response)
    return joined.set_index("person_id")[columns].dropna(axis=1, how="all")


def _units(
    frame: pd.DataFrame,
    units: dict[int, UnitNode],
    shown: Sequence[int] | None,
    policy: SuppressionPolicy,
    kind: PersonKind,
) -> list[RiskUnit]:
    """Mean risk and observed rate per unit subtree, decided over the whole tree."""
    labelled = frame[frame["labelled"]]
    members: dict[str, list[int]] = {u.path: [] for u in units.values()}
    for person, unit_id in labelled["unit_id"].items():
        node: UnitNode | None = units[int(unit_id)]
        while node is not None:  # the person counts in every unit above theirs
            members[node.path].append(int(person))  # type: ignore[call-overload]
            node = None if node.parent_id is None else units[node.parent_id]
    cells = [
        Cell(
            u.path,
            len(members[u.path]),
            None if u.parent_id is None else units[u.parent_id].path,
        )
        for u in sorted(units.values(), key=lambda u: u.path)
    ]
    decisions = suppress(cells, policy, audience=kind, measure=Measure.SCORES)
    rows = []
    for u in sorted(units.values(), key=lambda u: u.path):
        people = members[u.path]
        if not people or (shown is not None and u.id not in shown):
            continue
        hidden = decisions[u.path].suppressed
        part = labelled.loc[people]
        rows.append(
            RiskUnit(
                u.code,
                u.path,
                len(people),
                None if hidden else float(part["risk"].mean()),
                None if hidden else float(part["outcome"].mean()),
                hidden,
            )
        )
    return rows


def _people(
    frame: pd.DataFrame,
    units: dict[int, UnitNode],
    shown: Sequence[int] | None,
    principal: Principal,
    protected: bool,
    top: int,
) -> tuple[list[RiskPerson] | None, str | None]:
    if protected:
        return None, (
            "per-person risk is never shown for a protected audience: it is computed from "
            "confidential answers; see the units"
        )
    if not principal.can(Permission.VIEW_COMMENTS):
        return None, "per-person risk needs access to people's profiles (view_comments)"
    visible = frame if shown is None else frame[frame["unit_id"].isin(list(shown))]
    ranked = visible.sort_values(["risk", "external_id"], ascending=[False, True]).head(top)
    columns = ("external_id", "unit_id", "risk", "outcome", "labelled")
    return [
        RiskPerson(
            str(external),
            units[int(unit_id)].code,
            float(value),
            None if np.isnan(outcome) else bool(outcome),
            bool(labelled),
        )
        for external, unit_id, value, outcome, labelled in zip(
            *(ranked[c].tolist() for c in columns), strict=True
        )
    ], None
