"""Key drivers of a survey's outcome for a principal (issue 16, items 2–3).

:func:`key_drivers` reads the respondent-level scores of one survey — every item rescaled
to 0–100 as the metrics do, an index (``hearts``, ``minds``, ``index:<tag>``) as the mean of
a response's items under it — in one statement, within the principal's part of the
organisation, and splits the outcome's R² among the drivers
(:mod:`rapport.analytics.drivers`) with bootstrap intervals. Each driver is labelled
hearts, minds or other from its construct tag, and shown with its current mean score and
interval (importance × performance).

Employee surveys: the respondent-level rows never leave this module. The analysis runs only
on closed periods and when the respondents behind it form a group the anonymity gate
(:func:`rapport.analytics.suppression.suppress`) would show; only the weights are returned
(no means: a mean over all closed periods could be set against the per-period figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from rapport.analytics import drivers as kda
from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.intervals import mean_estimate
from rapport.analytics.metrics import (
    BUILTIN_METRICS,
    Filters,
    Metric,
    ScoredItem,
    Statistic,
    get_metric,
    select_items,
)
from rapport.analytics.metrics import sql as metric_sql
from rapport.analytics.metrics.catalog import SurveyInfo, find_survey, load_items
from rapport.analytics.periods import as_moment
from rapport.analytics.suppression import Cell, Measure, SuppressionPolicy, suppress
from rapport.domain.org import Permission, Principal
from rapport.errors import Confidential, FieldError, NotFound, ValidationFailed
from rapport.services import confidentiality
from rapport.services.access import require
from rapport.services.metrics import unit_scope

METHODS = ("relative_weights", "lmg")
CONSTRUCTS = {"heart": "hearts", "mind": "minds"}


@dataclass(frozen=True)
class DriverRequest:
    """What to analyse. ``outcome`` and each driver are an item id (``nps``, ``csat``,
    ``minds:ease`` for a matrix row), a single-item metric (``nps``, ``csat``, ``ces``) or an
    index (``hearts``, ``minds``, ``index:<tag>``). No drivers: the survey's items tagged
    ``heart.*`` and ``mind.*``."""

    survey: int | str
    outcome: str = "nps"
    drivers: Sequence[str] = ()
    method: str = "relative_weights"
    unit: str | None = None
    confidence: float = 0.95
    n_boot: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class DriverRow:
    """One driver: its raw weight (part of R²) with interval, its share of R², and its mean
    score 0–100 with interval (None for employee surveys)."""

    driver: str
    construct: str
    weight: float
    lower: float
    upper: float
    share: float
    mean: float | None
    mean_lower: float | None
    mean_upper: float | None


@dataclass(frozen=True)
class DriverResult:
    survey: SurveyInfo
    outcome: str
    method: str
    unit: str | None
    n: int
    n_dropped: int
    r_squared: float
    confidence: float
    n_boot: int
    anonymity_threshold: int | None
    rows: list[DriverRow]
    """Drivers ranked by weight, largest first."""


@dataclass(frozen=True)
class _Variable:
    name: str
    construct: str
    items: tuple[ScoredItem, ...]


def key_drivers(
    engine: AnalyticsEngine,
    principal: Principal,
    request: DriverRequest,
    policy: SuppressionPolicy,
) -> DriverResult:
    """Key drivers of ``request.outcome`` among ``request.drivers`` for ``principal``.

    Raises PermissionDenied (role or scope), NotFound (survey or unit), Confidential (an
    employee group below the anonymity threshold) or ValidationFailed naming the field
    (``outcome``, ``drivers``, ``method``, ``confidence``).
    """
    require(principal, Permission.VIEW_RESULTS)
    if request.method not in METHODS:
        raise ValidationFailed(
            "unknown method",
            [FieldError("method", f"expected relative_weights or lmg, got {request.method!r}")],
        )
    if not 0 < request.confidence < 1:
        raise ValidationFailed(
            "the confidence is not valid",
            [
                FieldError(
                    "confidence", f"expected a number between 0 and 1, got {request.confidence}"
                )
            ],
        )
    survey = find_survey(engine, request.survey)
    if survey is None:
        raise NotFound(f"survey {request.survey} does not exist")
    protected = policy.protects(survey.audience)
    filters = Filters((survey.id,), survey.audience)
    if protected:  # whole closed periods only, as for every protected figure
        window = confidentiality.closed_periods(policy, period=None, since=None, until=None)
        filters = replace(filters, until=as_moment(window.end))
    unit_ids = unit_scope(engine, principal, request.unit)
    with engine.connect() as conn:
        items = [i for i in load_items(conn, (survey.id,)) if i.has_scale]
        outcome = _resolve(request.outcome, items, survey, "outcome")
        chosen = _drivers(request.drivers, items, survey, outcome)
        needed = {i.id: i for v in (outcome, *chosen) for i in v.items}
        statement = metric_sql.item_scores_statement(filters, list(needed.values()), unit_ids)
        rows = conn.execute(statement).all()
    if request.method == "lmg" and len(chosen) > kda.LMG_MAX_DRIVERS:
        raise ValidationFailed(
            "too many drivers for LMG",
            [
                FieldError(
                    "method",
                    f"lmg takes at most {kda.LMG_MAX_DRIVERS} drivers ({len(chosen)} given): "
                    "use relative_weights",
                )
            ],
        )
    frame = _frame(rows, (outcome, *chosen))
    if not request.drivers:  # by default, the tagged items someone answered here
        chosen = [v for v in chosen if frame[v.name].notna().any()]
    names = [v.name for v in chosen]
    complete = frame.dropna(subset=[outcome.name, *names])
    threshold = policy.threshold(Measure.SCORES) if protected else None
    if protected:
        group = Cell("drivers", len(complete))
        decision = suppress([group], policy, audience=survey.audience, measure=Measure.SCORES)
        if decision[group.key].suppressed:
            raise Confidential(
                f"Key drivers of {survey.key} rest on {len(complete)} respondents here; "
                f"employee results need at least {threshold} to protect anonymity."
            )
    table = _weights(frame, outcome.name, names, request)
    r_squared = float(table.attrs["r_squared"])
    estimate, lower, upper = (
        table[c].astype(float).to_dict() for c in ("estimate", "lower", "upper")
    )
    found = []
    for v in chosen:
        mean = None if protected else mean_estimate(complete[v.name], request.confidence)
        weight = float(estimate[v.name])
        found.append(
            DriverRow(
                v.name,
                v.construct,
                weight,
                float(lower[v.name]),
                float(upper[v.name]),
                weight / r_squared if r_squared > 0 else float("nan"),
                None if mean is None else mean.value,
                None if mean is None else mean.lower,
                None if mean is None else mean.upper,
            )
        )
    found.sort(key=lambda r: (-r.weight, r.driver))
    return DriverResult(
        survey,
        outcome.name,
        request.method,
        request.unit,
        int(table.attrs["n"]),
        int(table.attrs["n_dropped"]),
        r_squared,
        request.confidence,
        int(table.attrs["n_boot_used"]),
        threshold,
        found,
    )


def _weights(
    frame: pd.DataFrame, outcome: str, names: list[str], request: DriverRequest
) -> pd.DataFrame:
    method = kda.lmg if request.method == "lmg" else kda.relative_weights
    try:
        return method(
            frame, outcome, names, ci=request.confidence, n_boot=request.n_boot, seed=request.seed
        )
    except ValueError as error:  # the analytics name the column and what was wrong
        raise ValidationFailed(
            "key drivers cannot be computed", [FieldError("drivers", str(error))]
        ) from error


def _frame(rows: Sequence[Sequence[object]], variables: Sequence[_Variable]) -> pd.DataFrame:
    """One row per response, one column per variable: an item's score, or an index's mean
    over the response's items under it (as the index metrics define it)."""
    long = pd.DataFrame(
        [(int(r[0]), str(r[1]), str(r[2] or ""), float(r[3])) for r in rows],  # type: ignore[call-overload,arg-type]
        columns=["response", "question", "item", "score"],
    )
    keys = long["question"] + ":" + long["item"]
    columns = {}
    for v in variables:
        wanted = {f"{i.question_id}:{i.item}" for i in v.items}
        picked = long[keys.isin(wanted)]
        columns[v.name] = picked.groupby("response")["score"].mean()
    return pd.DataFrame(columns, dtype=np.float64)


def _drivers(
    requested: Sequence[str], items: list[ScoredItem], survey: SurveyInfo, outcome: _Variable
) -> list[_Variable]:
    if requested:
        chosen = [_resolve(name, items, survey, "drivers") for name in requested]
    else:
        used = {(i.question_id, i.item) for i in outcome.items}
        ids = sorted(
            {
                _item_id(i)
                for i in items
                if (i.tagged("heart") or i.tagged("mind")) and (i.question_id, i.item) not in used
            }
        )
        chosen = [_resolve(name, items, survey, "drivers") for name in ids]
    if len(chosen) < 1:
        raise ValidationFailed(
            f"survey {survey.key} has no hearts or minds items",
            [FieldError("drivers", "name the driver items or indices")],
        )
    names = [v.name for v in chosen]
    repeated = sorted({n for n in names if names.count(n) > 1} | ({outcome.name} & set(names)))
    if repeated:
        raise ValidationFailed(
            "a driver is listed twice or is the outcome",
            [FieldError("drivers", f"list each driver once, apart from the outcome: {repeated}")],
        )
    return chosen


def _item_id(item: ScoredItem) -> str:
    return f"{item.question_id}:{item.item}" if item.item else item.question_id


def _resolve(name: str, items: list[ScoredItem], survey: SurveyInfo, field: str) -> _Variable:
    """An item id, a single-item metric or an index of ``survey``, as a variable."""
    name = name.strip()
    matching = tuple(i for i in items if _item_id(i) == name)
    if matching:
        return _Variable(name, _construct(matching[0].tags), matching)
    if name in BUILTIN_METRICS or name.startswith("index:"):
        try:
            metric = get_metric(name)
        except ValidationFailed:
            metric = None
        if metric is not None and (metric.statistic is Statistic.INDEX or metric.single_item):
            found = tuple(i for i in items if i in _select(metric, items))
            if found:
                tag = metric.tag_prefix if metric.statistic is Statistic.INDEX else None
                construct = _construct((tag,)) if tag else _construct(found[0].tags)
                return _Variable(name, construct, found)
    known = ", ".join(sorted({_item_id(i) for i in items}))
    raise ValidationFailed(
        f"{name!r} is not a scored item or index of survey {survey.key}",
        [
            FieldError(
                field,
                f"expected hearts, minds, index:<tag>, nps, csat, ces or one of {known}; "
                f"got {name!r}",
            )
        ],
    )


def _select(metric: Metric, items: list[ScoredItem]) -> list[ScoredItem]:
    try:
        return select_items(metric, items, None, None)
    except ValidationFailed:
        return []


def _construct(tags: Sequence[str]) -> str:
    """hearts, minds or other, from the first tag's root (``heart.cared`` → hearts)."""
    for tag in tags:
        root = tag.split(".", 1)[0]
        if root in CONSTRUCTS:
            return CONSTRUCTS[root]
    return "other"
