"""The further signals of relationship health, per unit and period, on both sides.

Beside hearts, minds and NPS (``services/relationships.py``) a unit's relationship shows in
what people feel and say and in whether they still answer (``docs/relationship-health.md``,
"Further signals"). Every figure here is a metric of the metrics engine, read through
:func:`rapport.services.metrics.compute` — so it runs on every engine, and an employee
group below the anonymity threshold is hidden by the one suppression point (such a signal
says ``suppressed`` and carries no value; it never enters a trend). Signals are read for the
whole organisation and narrowed to the units a principal sees by the caller.

- ``comment.<emotion>``: % of the comments the emotion model read that show care, delight,
  annoyance or disappointment (metric ``comment_relationship``);
- ``picked.<emotion>``: % of emotion-picker answers choosing cared for, delighted,
  frustrated (annoyance), disappointed or taken for granted (metric ``emotions``);
- ``response_rate``: % of invitations answered (``response_rate``), or where the unit had
  no invitations that period, % of its people in the directory who responded (``reach``);
- ``response_rate_trend``: its least-squares slope over the last 6 periods, points per
  period, with a t interval (``analytics/relationships/trend.py``);
- ``repeat_complaints``: of complaints (0–6 on the recommendation item) of known people,
  % following another of the same person within 90 days (``repeat_complaints``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics.catalog import SurveyInfo, load_surveys
from rapport.analytics.relationships.shares import share_shifts
from rapport.analytics.relationships.trend import WINDOW, slope_trend
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.comment_emotions import PICKED_RELATIONSHIP_EMOTIONS, RELATIONSHIP_EMOTIONS
from rapport.domain.org import SYSTEM
from rapport.errors import ValidationFailed
from rapport.services.metrics import MetricRequest, ResultRow, compute

Key = tuple[str, date]


@dataclass(frozen=True)
class Signal:
    """One signal of one unit in one period.

    ``value``/``lower``/``upper`` are None when hidden (``suppressed``) or unknown (``note``
    says why); ``n`` is what the figure rests on (comments, answers, invitations or people,
    complaints; periods for a trend).
    """

    name: str
    side: str
    value: float | None
    lower: float | None
    upper: float | None
    n: int
    suppressed: bool
    note: str | None = None


def counterpart(engine: AnalyticsEngine, survey: SurveyInfo) -> SurveyInfo | None:
    """The survey of the other side: for ``customer-relationship`` the employee survey
    (the one survey of the other audience, or the one whose key is the same after the
    audience word), None when there is no single such survey."""
    other = "employee" if survey.audience == "customer" else "customer"
    with engine.connect() as conn:
        candidates = [s for s in load_surveys(conn) if s.audience == other]
    if len(candidates) == 1:
        return candidates[0]
    mirrored = survey.key.replace(survey.audience, other, 1)
    return next((s for s in candidates if s.key == mirrored), None)


def relationship_signals(
    engine: AnalyticsEngine,
    surveys: list[SurveyInfo],
    grain: str,
    policy: SuppressionPolicy,
    unit: str | None = None,
) -> dict[Key, list[Signal]]:
    """Every signal of every unit and period of ``surveys`` (one per side), for the whole
    organisation, or for ``unit``'s subtree only (a code: its page; every figure is a
    unit's own, its baseline and trend too, so a unit's signals are the same either way).
    A side whose survey cannot be read by ``grain`` (an employee survey shown by quarters
    when asked for months) has no signals."""
    found: dict[Key, list[Signal]] = defaultdict(list)
    for survey in surveys:
        try:
            for key, signal in _side(engine, survey, grain, policy, unit):
                found[key].append(signal)
        except ValidationFailed:
            continue
    return dict(found)


def signal_evidence(found: dict[Key, list[Signal]]) -> dict[Key, str]:
    """What moved, per unit and period: every share that shifted significantly from the
    unit's baseline (:func:`~rapport.analytics.relationships.shares.share_shifts`, α 1 %)
    and a response-rate trend whose interval excludes 0, as a clause of the evidence."""
    shares = pd.DataFrame(
        [
            (unit, period, f"{s.side} {s.name}", s.value if s.value is not None else np.nan, s.n)
            for (unit, period), signals in found.items()
            for s in signals
            if s.name != "response_rate_trend"
        ],
        columns=["unit", "period", "signal", "estimate", "n"],
    )
    clauses: dict[Key, list[str]] = defaultdict(list)
    if not shares.empty:
        shifted = share_shifts(shares)
        moved = shifted[shifted["significant"]]
        columns = ("unit", "period", "signal", "estimate", "baseline")
        for unit, period, signal, estimate, baseline in zip(
            *(moved[c].tolist() for c in columns), strict=True
        ):
            clauses[str(unit), period].append(
                f"{_label(str(signal))} {estimate:.0f} % (baseline {baseline:.0f} %)"
            )
    for key, signals in found.items():
        for s in signals:
            if s.name != "response_rate_trend" or s.lower is None or s.upper is None:
                continue
            if s.value is not None and (s.lower > 0 or s.upper < 0):
                clauses[key].append(
                    f"{s.side} response rate {s.value:+.1f} points a period "
                    f"({s.lower:+.1f} to {s.upper:+.1f})"
                )
    return {key: "; ".join(sorted(parts)) for key, parts in clauses.items()}


def _label(signal: str) -> str:
    """``customer picked.taken_for_granted`` → ``customer picked "taken for granted"``."""
    side, _, name = signal.partition(" ")
    source, _, emotion = name.partition(".")
    if not emotion:
        return f"{side} {source.replace('_', ' ')}"
    where = "comments" if source == "comment" else "picked"
    return f"{side} {where} {emotion.replace('_', ' ')}"


def _side(
    engine: AnalyticsEngine,
    survey: SurveyInfo,
    grain: str,
    policy: SuppressionPolicy,
    unit: str | None,
) -> list[tuple[Key, Signal]]:
    side = survey.audience
    out: list[tuple[Key, Signal]] = []
    comments = _rows(engine, survey, "comment_relationship", grain, policy, unit)
    for r in comments:
        if r.emotion in RELATIONSHIP_EMOTIONS:
            out.append((_key(r), _signal(f"comment.{r.emotion}", side, r)))
    picked = {v: k for k, v in PICKED_RELATIONSHIP_EMOTIONS.items()}
    # Narrowed rows of the picker name the emotions picked anywhere in the table (0 % where
    # a unit's people picked none), as the whole organisation's do.
    for r in _rows(engine, survey, "emotions", grain, policy, unit):
        if r.emotion in picked:
            out.append((_key(r), _signal(f"picked.{picked[r.emotion]}", side, r)))
    rates = _rates(engine, survey, grain, policy, unit)
    out.extend((key, signal) for key, signal in rates.items())
    out.extend(_trend(rates, side))
    complaints = _rows(engine, survey, "repeat_complaints", grain, policy, unit)
    unknown = "persons unknown: anonymous responses" if survey.anonymous else None
    for r in complaints:
        note = unknown or (None if r.n else "no complaints of known people")
        out.append((_key(r), _signal("repeat_complaints", side, r, note)))
    return out


def _rates(
    engine: AnalyticsEngine,
    survey: SurveyInfo,
    grain: str,
    policy: SuppressionPolicy,
    unit: str | None,
) -> dict[Key, Signal]:
    """Invitations answered where the unit had invitations that period, else the share of
    its people who responded (unknown for an anonymous survey)."""
    side = survey.audience
    found: dict[Key, Signal] = {}
    for r in _rows(engine, survey, "response_rate", grain, policy, unit):
        if r.n:
            found[_key(r)] = _signal("response_rate", side, r, "of invitations")
    reach = [] if survey.anonymous else _rows(engine, survey, "reach", grain, policy, unit)
    for r in reach:
        if _key(r) not in found and r.n:
            found[_key(r)] = _signal("response_rate", side, r, "of people in the directory")
    return found


def _trend(rates: dict[Key, Signal], side: str) -> list[tuple[Key, Signal]]:
    if not rates:
        return []
    frame = pd.DataFrame(
        [
            # A hidden cell stays in the frame without a value: never read, but its period
            # keeps its place on the time axis.
            (unit, period, s.value if s.value is not None else float("nan"), s.n)
            for (unit, period), s in rates.items()
        ],
        columns=["unit", "period", "estimate", "n"],
    )
    trend = slope_trend(frame) if not frame.empty else frame
    out = []
    columns = ("unit", "period", "slope", "lower", "upper", "periods")
    for unit, period, slope, lower, upper, periods in zip(
        *(trend[c].tolist() for c in columns), strict=True
    ):
        if rates[str(unit), period].suppressed:
            continue  # said below: a hidden period has no trend either
        ok = bool(pd.notna(slope))
        note = "points per period" if ok else f"fewer than 4 of the last {WINDOW} periods"
        out.append(
            (
                (str(unit), period),
                Signal(
                    "response_rate_trend",
                    side,
                    float(slope) if ok else None,
                    float(lower) if ok else None,
                    float(upper) if ok else None,
                    int(periods),
                    False,
                    note,
                ),
            )
        )
    hidden = [(k, s) for k, s in rates.items() if s.suppressed]
    out.extend(
        (k, Signal("response_rate_trend", side, None, None, None, 0, True, s.note))
        for k, s in hidden
    )
    return out


def _rows(
    engine: AnalyticsEngine,
    survey: SurveyInfo,
    metric: str,
    grain: str,
    policy: SuppressionPolicy,
    unit: str | None = None,
) -> list[ResultRow]:
    """The metric by unit × period (of ``unit``'s subtree when given), or nothing when the
    survey has no item it reads."""
    request = MetricRequest(survey=survey.key, metric=metric, by=["unit"], period=grain, unit=unit)
    try:
        result = compute(engine, SYSTEM, request, policy)
    except ValidationFailed as error:
        if any(f.location in ("metric", "question") for f in error.errors):
            return []
        raise
    return [r for r in result.rows if r.unit_code is not None and r.period is not None]


def _key(row: ResultRow) -> Key:
    if row.unit_code is None or row.period is None:
        raise RuntimeError("internal error: expected a unit and period")
    return row.unit_code, row.period


def _signal(name: str, side: str, row: ResultRow, note: str | None = None) -> Signal:
    hidden = row.suppressed or row.value is None
    return Signal(
        name,
        side,
        None if hidden else row.value,
        None if hidden else row.lower,
        None if hidden else row.upper,
        row.n,
        row.suppressed,
        row.reason if row.suppressed else note,
    )
