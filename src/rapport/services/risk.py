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

**Per unit where people are not known** (``level="unit"``: anonymous surveys, outcomes kept
per unit), the same entry point fits :func:`rapport.analytics.risk.fit_unit_risk`: a unit's
rate of period ``t`` (a stored outcome such as ``staff_turnover_rate``, or ``detractors``:
the survey's share of detractors) on its hearts and minds indices of ``t − lag``. Indices
come from :func:`rapport.services.metrics.compute`, the one anonymity gate: a suppressed
employee cell is neither fitted nor predicted from, and a unit whose latest cell is
suppressed is listed as suppressed, without a risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from rapport.analytics import linkage as panels
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
from rapport.services import confidentiality, metrics
from rapport.services.access import require
from rapport.services.linkage import PERIODS, index_cells, outcome_frame
from rapport.services.metrics import unit_scope

OUTCOME = "__outcome__"
SURVEY_COLUMNS = {"hearts": "heart", "minds": "mind"}
_CURVE = ("predicted", "observed", "n")
#: The model's figures, as the Python client puts them in ``attrs``.
SUMMARY_FIELDS = (
    "level", "kind", "target", "survey", "model", "n", "n_positive", "auc", "auc_lower",
    "auc_upper", "brier", "brier_baseline", "calibration_error", "r_squared",
    "drivers_measure", "people_withheld", "anonymity_threshold", "period", "lag", "n_units",
    "predicts",
)  # fmt: skip
_DRIVER_FIELDS = ("driver", "weight", "share", "direction", "reference", "lower", "upper")
LEVELS = ("person", "unit")
DETRACTORS = "detractors"
"""The unit-level target read from the survey itself: its share of detractors (NPS 0–6)."""
UNIT_INDICES = ("hearts", "minds")
PERSON_MEASURE = "logistic relative weight: part of R²_O, with a percentile bootstrap interval"
UNIT_MEASURE = (
    "change in the log-odds of next period's rate per 10 index points, with a "
    "cluster-robust interval (by unit)"
)
MAX_LAG = 12


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
    level: str = "person"
    """``person``, or ``unit``: ``target`` is then a stored outcome rate or ``detractors``
    and ``survey`` (required) gives the lagged indices."""
    period: str = "month"
    lag: int = 1


@dataclass(frozen=True)
class RiskDriver:
    """``weight`` is what ``RiskResult.drivers_measure`` says, bounded by ``lower``–``upper``;
    ``share`` (person level) is its part of R²_O."""

    driver: str
    weight: float
    share: float | None
    direction: str
    reference: str | None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class RiskUnit:
    """Person level: one unit's subtree, people with an outcome, their mean risk and
    observed rate. Unit level: the unit's predicted rate of ``predicts`` with its interval
    (``lower``–``upper``), respondents behind its latest indices (``n``) and its latest
    observed rate. None when hidden to protect anonymity."""

    unit: str
    path: str
    n: int
    mean_risk: float | None
    observed: float | None
    suppressed: bool
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class RiskPerson:
    external_id: str
    unit: str
    risk: float
    outcome: bool | None
    out_of_fold: bool


@dataclass(frozen=True)
class RiskResult:
    """Person level: ``n`` people with a known outcome. Unit level: ``n`` unit-periods
    fitted over ``n_units`` units; the classifier figures (AUC, Brier, calibration) are
    None there."""

    kind: str
    target: str
    survey: str | None
    model: str
    folds: int | None
    n: int
    n_positive: int | None
    auc: float | None
    auc_lower: float | None
    auc_upper: float | None
    brier: float | None
    brier_baseline: float | None
    calibration_error: float | None
    calibration: list[tuple[float, float, int]]
    """(mean predicted, observed share, people) per quantile bin."""
    r_squared: float | None
    drivers: list[RiskDriver]
    units: list[RiskUnit]
    people: list[RiskPerson] | None
    people_withheld: str | None
    """Why no per-person rows are shown, when they are not."""
    anonymity_threshold: int | None
    left_out: dict[str, str]
    notes: list[str]
    level: str = "person"
    drivers_measure: str = PERSON_MEASURE
    period: str | None = None
    lag: int | None = None
    n_units: int | None = None
    predicts: str | None = None
    """Unit level: the period (``YYYY-MM`` or ``YYYY-Qn``) whose rate is predicted."""


def person_risk(
    engine: AnalyticsEngine,
    principal: Principal,
    request: RiskRequest,
    policy: SuppressionPolicy,
    today: date | None = None,
    outcomes: pd.DataFrame | None = None,
) -> RiskResult:
    """Risk of ``request.target`` for the people of ``request.kind``, for ``principal``
    (``level="unit"``: per unit, from ``outcomes``, a frame as
    :func:`rapport.services.linkage.stored_outcomes` returns, or the survey's detractors).

    Raises PermissionDenied, NotFound (survey or unit), Confidential (a protected audience
    with fewer people than the threshold) or ValidationFailed naming the field (``kind``,
    ``target``, ``survey``, ``model``, ``top``, ``level``, ``period``, ``lag``).
    """
    require(principal, Permission.VIEW_RESULTS)
    if request.level not in LEVELS:
        raise ValidationFailed(
            "unknown level",
            [FieldError("level", f"expected person or unit, got {request.level!r}")],
        )
    kind = _kind(request.kind)
    if request.level == "unit":
        return _unit_risk(engine, principal, request, policy, kind, outcomes)
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
            RiskDriver(
                str(d),
                float(w),
                float(s),
                str(sign),
                ref if isinstance(ref, str) else None,
                float(lo),
                float(hi),
            )
            for d, w, s, sign, ref, lo, hi in zip(
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


def _unit_risk(
    engine: AnalyticsEngine,
    principal: Principal,
    request: RiskRequest,
    policy: SuppressionPolicy,
    kind: PersonKind,
    outcomes: pd.DataFrame | None,
) -> RiskResult:
    """The unit-level model: rates of ``request.target`` on lagged hearts and minds."""
    problems = []
    if request.period not in PERIODS:
        problems.append(FieldError("period", f"expected month or quarter, got {request.period!r}"))
    if not 1 <= request.lag <= MAX_LAG:
        problems.append(FieldError("lag", f"expected 1 to {MAX_LAG} periods, got {request.lag}"))
    if request.survey is None:
        problems.append(FieldError("survey", "name the survey whose indices predict the rate"))
    if problems:
        raise ValidationFailed("the unit risk request is not valid", problems)
    shown_units = unit_scope(engine, principal, request.unit)
    frames, latest_rows, survey = [], [], None
    for index in (*UNIT_INDICES, "nps") if request.target == DETRACTORS else UNIT_INDICES:
        result = metrics.compute(
            engine,
            principal,
            metrics.MetricRequest(
                survey=request.survey, metric=index, by=("unit",), period=request.period
            ),
            policy,
        )
        survey = result.survey
        if survey is None or survey.audience != str(kind):
            raise ValidationFailed(
                f"survey {request.survey} is not a survey of {kind}s",
                [FieldError("survey", f"expected a survey of {kind}s")],
            )
        if index == "nps":
            frames.append(_detractor_cells(result.rows, request.period))
        else:
            frames.append(index_cells(result.rows, index, request.period))
            latest_rows += [r for r in result.rows if r.unit_path and r.period is not None]
    panel = frames[0]
    for frame in frames[1:]:
        panel = panel.merge(frame, on=["unit", "period"], how="outer")
    weight = None
    if request.target == DETRACTORS:
        weight = "responses"
    else:
        stored = outcome_frame(outcomes, request.period)
        if stored is None or request.target not in stored.columns:
            raise ValidationFailed(
                f"no stored outcome {request.target!r}",
                [
                    FieldError(
                        "target",
                        "name a stored outcome rate (staff_turnover_rate, "
                        f"customer_churn_rate) or {DETRACTORS}",
                    )
                ],
            )
        panel = panel.merge(
            stored[["unit", "period", request.target]], on=["unit", "period"], how="outer"
        )
    try:
        fit = risk_models.fit_unit_risk(
            panel,
            request.target,
            list(UNIT_INDICES),
            lag=request.lag,
            weight=weight,
            size="hearts_n",
        )
    except ValueError as error:
        raise ValidationFailed(
            "the unit risk model cannot be fitted", [FieldError("target", str(error))]
        ) from error
    numbers = {
        id(r): panels.period_number(r.period, request.period) for r in latest_rows if r.period
    }
    last = max(numbers.values())
    with engine.connect() as conn:
        tree = load_units(conn)
    units = {u.code: u for u in tree.values()}
    parents = {u.parent_id for u in tree.values()}
    predicted: dict[str, dict[str, Any]] = {
        str(r["unit"]): {str(k): v for k, v in r.items()}
        for r in fit.units[fit.units["period"] == last].to_dict("records")
    }
    hidden = {  # suppressed at the latest period, at the bottom of the tree (as index_cells)
        str(r.unit_code)
        for r in latest_rows
        if r.suppressed and numbers[id(r)] == last and r.unit_id not in parents
    }
    rows = []
    for code in sorted(set(predicted) | hidden, key=lambda c: units[c].path):
        node = units[code]
        if shown_units is not None and node.id not in shown_units:
            continue
        if code in hidden or code not in predicted:
            rows.append(RiskUnit(node.code, node.path, 0, None, None, True))
            continue
        row = predicted[code]
        rows.append(
            RiskUnit(
                node.code,
                node.path,
                int(row["n"]) if row["n"] == row["n"] else 0,
                float(row["risk"]),
                None if row["observed"] != row["observed"] else float(row["observed"]),
                False,
                float(row["lower"]),
                float(row["upper"]),
            )
        )
    rows.sort(key=lambda u: (u.mean_risk is None, -(u.mean_risk or 0.0), u.path))
    protected = policy.protects(kind)
    return RiskResult(
        kind=str(kind),
        target=request.target,
        survey=survey.key if survey else None,
        model="binomial GLM (quasi-likelihood, cluster-robust by unit)",
        folds=None,
        n=fit.n_cells,
        n_positive=None,
        auc=None,
        auc_lower=None,
        auc_upper=None,
        brier=None,
        brier_baseline=None,
        calibration_error=None,
        calibration=[],
        r_squared=None,
        drivers=[
            RiskDriver(
                str(d["driver"]),
                float(d["estimate"]),
                None,
                "+" if d["estimate"] > 0 else "−",
                None,
                float(d["lower"]),
                float(d["upper"]),
            )
            for d in fit.drivers.to_dict("records")
        ],
        units=rows,
        people=None,
        people_withheld="no people at the unit level: the model is of units' rates",
        anonymity_threshold=policy.threshold(Measure.SCORES) if protected else None,
        left_out={},
        notes=list(fit.notes),
        level="unit",
        drivers_measure=UNIT_MEASURE,
        period=request.period,
        lag=request.lag,
        n_units=fit.n_units,
        predicts=_period_label(last + request.lag, request.period),
    )


def _detractor_cells(rows: Sequence[metrics.ResultRow], period: str) -> pd.DataFrame:
    """Each shown unit-period's share of detractors and the responses behind it."""
    records = [
        (
            r.unit_code,
            panels.period_number(r.period, period),
            r.detail["detractors"] / r.n,
            r.n,
        )
        for r in rows
        if r.unit_code
        and r.period is not None
        and not r.suppressed
        and r.n > 0
        and "detractors" in r.detail
    ]
    return pd.DataFrame(records, columns=["unit", "period", DETRACTORS, "responses"])


def _period_label(number: int, period: str) -> str:
    if period == "quarter":
        return f"{number // 4}-Q{number % 4 + 1}"
    return f"{number // 12}-{number % 12 + 1:02d}"
