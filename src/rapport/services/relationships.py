"""Relationship health for a principal: stages and decline alarms per unit and period.

Hearts, minds and NPS by unit × period are read through :func:`rapport.services.metrics.compute`
— the one way figures leave the metrics engine, with its permission checks, manager scope
and employee suppression — and fed to :mod:`rapport.analytics.relationships` unchanged
(``docs/relationship-health.md``). A suppressed cell is *missing* for the models: its value
is never read, so it never moves a stage or an alarm, and a period whose hearts or minds are
hidden reads ``insufficient_data``.

The models run on the whole organisation's grid and the rows are then narrowed to the units
the principal may see, so a manager reads the same stage and alarm as an analyst for the
same unit (the alarm's period-to-period spread σ is estimated over all units of the same
depth: stores with stores, regions with regions).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.metrics.catalog import find_survey
from rapport.analytics.relationships import decline_alarms, relationship_stages
from rapport.analytics.relationships.alarms import ALARM_SIGNALS, THRESHOLD
from rapport.analytics.relationships.stages import SIGNALS as STAGE_SIGNALS
from rapport.analytics.suppression import SuppressionPolicy
from rapport.analytics.suppression.cache import DecisionCache, content_key
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import FieldError, ValidationFailed
from rapport.services.metric_memo import MetricMemo
from rapport.services.metrics import MetricRequest, MetricResult, compute
from rapport.services.relationship_signals import (
    Signal,
    counterpart,
    relationship_signals,
    signal_evidence,
)
from rapport.services.versioned_cache import SingleFlight

PERIODS = ("month", "quarter")
SIGNALS = ("hearts", "minds", "nps")
COLUMNS = (
    "unit",
    "unit_name",
    "period",
    "period_label",
    "stage",
    "probability",
    "alarm",
    "hearts",
    "minds",
    "n",
    "evidence",
)
SIGNAL_COLUMNS = (
    "unit", "period", "name", "side", "value", "lower", "upper", "n", "suppressed", "note",
)  # fmt: skip


@dataclass(frozen=True)
class HealthRow:
    """One unit in one period: its stage, the stage's probability, the alarm and evidence.

    ``probability`` is None for ``insufficient_data``; ``hearts``/``minds`` are None when
    hidden (an employee group below the anonymity threshold) or absent; ``n`` is the number
    of hearts responses (shown even when hidden, as the metrics do).
    """

    unit: str
    unit_name: str
    period: date
    period_label: str
    stage: str
    probability: float | None
    alarm: bool
    hearts: float | None
    minds: float | None
    n: int
    evidence: str
    signals: list[Signal] = field(default_factory=list)


@dataclass(frozen=True)
class RelationshipHealth:
    survey_key: str
    survey_title: str
    audience: str
    period: str
    engine: str
    anonymity_threshold: int | None
    rows: list[HealthRow]
    counterpart: str | None = None
    """The survey of the other side whose signals the rows carry (None: none found)."""


def relationship_health(
    engine: AnalyticsEngine,
    principal: Principal,
    survey: int | str,
    policy: SuppressionPolicy,
    period: str = "month",
    *,
    memo: MetricMemo | None = None,
    signals: bool = False,
    signals_of: str | None = None,
) -> RelationshipHealth:
    """Stages and alarms of every unit ``principal`` may see, per ``period`` of ``survey``,
    with the further signals of both sides (``services/relationship_signals.py``) when
    ``signals`` is True (they cost about five metric reads more); with ``signals_of`` (a
    unit code: its page), only that unit's subtree carries them (the same signals, its
    rows only built).

    ``memo`` (one per page request) lets the page's other reads of the same metric tables
    reuse them.

    Raises what :func:`~rapport.services.metrics.compute` raises (PermissionDenied,
    NotFound, ValidationFailed naming the field), and ValidationFailed for a period other
    than month or quarter.
    """
    grain = (period or "").strip().lower()
    if grain not in PERIODS:
        raise ValidationFailed(
            "relationship health is computed by month or quarter",
            [FieldError("period", f"expected month or quarter, got {period!r}")],
        )
    if survey is None or str(survey).strip() == "":
        raise ValidationFailed(
            "relationship health is computed for one survey",
            [FieldError("survey", "name the survey (its key or id)")],
        )
    if _sees_everything(principal):
        whole = _fetch(engine, principal, survey, grain, policy, SIGNALS, memo)
        first = whole[SIGNALS[0]]
    else:  # a manager: their rows of one signal decide what is shown (and check their scope)
        first = _fetch(engine, principal, survey, grain, policy, SIGNALS[:1], memo)[SIGNALS[0]]
        whole = _fetch(engine, SYSTEM, survey, grain, policy, SIGNALS, memo)
    if first.survey is None:
        raise RuntimeError("internal error: expected a survey")
    visible = {r.unit_code for r in first.rows if r.unit_code is not None}
    slot = ("health", id(engine), first.survey.key, grain)
    rows = [r for r in _whole_health(whole, slot) if r.unit in visible]
    other = None
    if signals:
        info = find_survey(engine, first.survey.key)
        other = None if info is None else counterpart(engine, info)
        sides = [s for s in (info, other) if s is not None]
        found = relationship_signals(engine, sides, grain, policy, signals_of)
        moved = signal_evidence(found)
        # Only the rows with signals change (with ``signals_of``, one unit's subtree of
        # thousands of rows); ``moved`` is keyed by ``found``'s keys.
        rows = [
            replace(
                r,
                signals=found[r.unit, r.period],
                evidence=_with(r.evidence, moved.get((r.unit, r.period))),
            )
            if (r.unit, r.period) in found
            else r
            for r in rows
        ]
    return RelationshipHealth(
        first.survey.key,
        first.survey.title,
        first.survey.audience,
        grain,
        first.engine,
        first.anonymity_threshold,
        rows,
        None if other is None else other.key,
    )


def _sees_everything(principal: Principal) -> bool:
    """Only managers are narrowed to a subtree (``services.metrics``)."""
    return principal.role is not Role.MANAGER


def _fetch(
    engine: AnalyticsEngine,
    principal: Principal,
    survey: int | str,
    grain: str,
    policy: SuppressionPolicy,
    signals: tuple[str, ...],
    memo: MetricMemo | None = None,
) -> dict[str, MetricResult]:
    memo = memo or MetricMemo()
    return {
        signal: compute(
            engine,
            principal,
            MetricRequest(survey=survey, metric=signal, by=["unit"], period=grain),
            policy,
            memo=memo,
        )
        for signal in signals
    }


def signal_frame(results: dict[str, MetricResult]) -> pd.DataFrame:
    """The long signal frame of :mod:`rapport.analytics.relationships.signals`, one row per
    unit × period × signal, plus ``unit_name``, ``depth`` and ``period_label``. A hidden
    (suppressed) cell keeps its ``n`` but has no estimate: the models treat it as missing."""
    records = []
    for signal, result in results.items():
        for r in result.rows:
            if r.unit_code is None or r.period is None:
                continue
            hidden = r.suppressed or r.value is None
            records.append(
                (
                    r.unit_code,
                    r.unit_name or r.unit_code,
                    r.unit_depth or 0,
                    r.period,
                    r.period_label or str(r.period),
                    signal,
                    np.nan if hidden else r.value,
                    np.nan if hidden or r.lower is None else r.lower,
                    np.nan if hidden or r.upper is None else r.upper,
                    r.n,
                )
            )
    columns = ["unit", "unit_name", "depth", "period", "period_label", "signal"]
    columns += ["estimate", "lower", "upper", "n"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype({"estimate": float, "lower": float, "upper": float, "n": int})


STAGED = DecisionCache(max_bytes=32 * 1024 * 1024)
"""Health rows by the content of their signal frame: the stage model and the alarms are a
function of it alone, so a kept answer is never stale (new data, a new key) and every page,
role and worker asking for the same frame reads it once (``health_rows``). Each is kept
with what it was built from, unit by unit (:class:`_Built`): the next frame of its slot
builds only the units whose rows changed."""
_LATEST: dict[Hashable, bytes] = {}
"""The key of each slot's latest frame (``health_rows``)."""
_LATEST_LOCK = threading.Lock()
_BUILDING = SingleFlight()
"""The frames whose rows are being built: a unit's page asking for the frame the map is
building (the background refresh, another person) waits for those rows."""


@dataclass(frozen=True)
class _UnitRows:
    """One unit's health rows in one build, and what they follow from."""

    digest: bytes
    """Of the unit's hearts and minds rows of the frame (every column)."""
    rows: list[HealthRow]
    sentences: list[str]
    """Each row's stage evidence, before an alarm's reason is added."""
    reasons: list[str | None]
    """Each row's alarm reason (None: no alarm)."""


@dataclass(frozen=True)
class _Built:
    """A build's rows (in order) and, per unit, its part of them (:class:`_UnitRows`).

    A unit's stages follow from its own hearts and minds rows and the periods the stage
    model's chains step through (``relationship_stages``), so a unit whose rows and those
    periods are the same has the same stages again; its alarms do not (their spread σ is
    estimated over every unit of its depth) and are found for every unit on every build."""

    rows: list[HealthRow]
    periods: tuple[Hashable, ...]
    units: dict[Hashable, _UnitRows]


def _whole_health(results: dict[str, MetricResult], slot: Hashable) -> list[HealthRow]:
    """The health rows of the whole organisation's signal tables, kept under the tables'
    digests (the rows they show): a unit's page asks for the same tables as the map, and
    building their frame and its hash again took 0.05 s of a store's first request at
    400 units. Results without a digest are kept by their frame's content."""
    digests = [(signal, r.digest) for signal, r in sorted(results.items())]
    if any(d is None for _, d in digests):
        return health_rows(signal_frame(results), slot)
    key = content_key(["health of", *(part for pair in digests for part in pair)])
    return _staged(key, lambda previous: _health_rows_with(signal_frame(results), previous), slot)


def health_rows(frame: pd.DataFrame, slot: Hashable | None = None) -> list[HealthRow]:
    """Run the alarms (per unit depth) and the stage model on a signal frame (once per
    distinct frame in this process: :data:`STAGED`).

    ``slot`` names what the frame is of (a survey by period on one engine): its newer
    frame's rows replace the older ones in :data:`STAGED` at once (at 400 units a frame's
    rows take about 10 MB, and each new response made a new frame while the older ones
    stayed until the budget pushed them out), and are built from them: only the units
    whose rows changed are staged again."""
    if frame.empty:
        return []
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    key = content_key(["health", tuple(frame.columns), hashed])
    return _staged(key, lambda previous: _health_rows_with(frame, previous), slot)


def _staged(
    key: bytes, build: Callable[[_Built | None], _Built], slot: Hashable | None
) -> list[HealthRow]:
    """The rows kept under ``key`` in :data:`STAGED`, else ``build(previous)`` kept there,
    ``previous`` being the build of ``slot``'s latest key while it is kept (a newer key of
    ``slot`` drops the older one's rows)."""
    kept: _Built | None = STAGED.get(key)
    if kept is None:
        kept = _BUILDING.run(key, lambda: _build(key, build, slot))
    return list(kept.rows)


def _build(key: bytes, build: Callable[[_Built | None], _Built], slot: Hashable | None) -> _Built:
    previous = None
    if slot is not None:
        with _LATEST_LOCK:
            older = _LATEST.get(slot)
        previous = None if older is None else STAGED.peek(older)
    kept = build(previous)
    STAGED.put(key, kept, entries=3 * len(kept.rows))
    if slot is not None:
        with _LATEST_LOCK:
            older = _LATEST.get(slot)
            _LATEST[slot] = key
        if older is not None and older != key:
            STAGED.discard([older])
    return kept


def _health_rows(frame: pd.DataFrame) -> list[HealthRow]:
    """The health rows of a signal frame, every unit staged."""
    return [] if frame.empty else _health_rows_with(frame, None).rows


def _health_rows_with(frame: pd.DataFrame, previous: _Built | None) -> _Built:
    """The health rows of a signal frame: its alarms for every unit, its stages for the
    units whose hearts and minds rows differ from ``previous``'s (another frame's build)
    or are new, every unit's when the stage model's periods differ. The rows are those of
    staging every unit (``tests/unit/services/test_health_rows_reuse.py``)."""
    if frame.empty:
        return _Built([], (), {})
    alarms = decline_alarms(frame, ALARM_SIGNALS, within="depth")  # σ of each depth's units
    alarmed = alarms[alarms["alarm"]]
    why: dict[tuple[object, object], str] = {}
    for unit, period, signal, path in zip(
        *(alarmed[c].tolist() for c in ("unit", "period", "signal", "cusum")), strict=True
    ):
        text = f"{signal} CUSUM {path:.1f} > {THRESHOLD:.2f}"
        why[unit, period] = f"{why[unit, period]}; {text}" if (unit, period) in why else text
    staged = frame[frame["signal"].isin(STAGE_SIGNALS)]
    if staged.empty:
        return _Built([], (), {})
    periods = pd.Index(staged["period"].unique()).sort_values()
    axis = tuple(periods.tolist())
    digests = _unit_digests(staged)
    kept = {}
    if previous is not None and previous.periods == axis:
        kept = {u: previous.units[u] for u, d in digests.items()
                if u in previous.units and previous.units[u].digest == d}  # fmt: skip
    fresh = _fresh_rows(staged, [u for u in digests if u not in kept], kept, periods)
    rows: list[HealthRow] = []
    units: dict[Hashable, _UnitRows] = {}
    # The order of staging every unit: units sorted, each one's periods in order.
    for unit in pd.Index(list(digests)).sort_values().tolist():
        found = kept.get(unit)
        if found is None:
            built = fresh.get(unit, ([], []))
            reasons = [why.get((unit, r.period)) for r in built[0]]
            mine = [_alarmed(r, sentence, reason)
                    for r, sentence, reason in zip(*built, reasons, strict=True)]  # fmt: skip
            found = _UnitRows(digests[unit], mine, built[1], reasons)
        else:
            reasons = [why.get((unit, r.period)) for r in found.rows]
            if reasons != found.reasons:  # an alarm came or went: those rows again
                mine = [r if now == then else _alarmed(r, sentence, now)
                        for r, sentence, now, then in zip(
                            found.rows, found.sentences, reasons, found.reasons, strict=True
                        )]  # fmt: skip
                found = _UnitRows(found.digest, mine, found.sentences, reasons)
        units[unit] = found
        rows.extend(found.rows)
    return _Built(rows, axis, units)


def _alarmed(row: HealthRow, sentence: str, reason: str | None) -> HealthRow:
    evidence = sentence if reason is None else f"{sentence}; alarm: {reason}"
    if row.alarm == (reason is not None) and row.evidence == evidence:
        return row
    return replace(row, alarm=reason is not None, evidence=evidence)


def _unit_digests(staged: pd.DataFrame) -> dict[Hashable, bytes]:
    """A digest of each unit's rows of ``staged`` (every column, in the frame's order)."""
    hashes = pd.util.hash_pandas_object(staged, index=False).to_numpy()
    codes, uniques = pd.factorize(staged["unit"])
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    parts = np.split(hashes[order], bounds)
    return {
        unit: hashlib.blake2b(part.tobytes(), digest_size=20).digest()
        for unit, part in zip(uniques.tolist(), parts, strict=True)
    }


def _fresh_rows(
    staged: pd.DataFrame,
    wanted: list[Hashable],
    kept: dict[Hashable, _UnitRows],
    periods: pd.Index,
) -> dict[Hashable, tuple[list[HealthRow], list[str]]]:
    """The rows (no alarm yet) and stage sentences of the ``wanted`` units, staged on the
    whole frame's ``periods``."""
    if not wanted:
        return {}
    part = staged if not kept else staged[staged["unit"].isin(wanted)]
    if set(STAGE_SIGNALS) - set(part["signal"].unique().tolist()):
        part = staged  # the model wants both signals in its frame: every unit staged again
    stages = relationship_stages(part, periods=periods)
    # A unit's name and a period's label, each found once (not per unit × period × signal).
    units = part.drop_duplicates("unit")
    names = dict(zip(units["unit"].tolist(), units["unit_name"].tolist(), strict=True))
    dated = part.drop_duplicates("period")
    labels = dict(zip(dated["period"].tolist(), dated["period_label"].tolist(), strict=True))
    numbers = [_numbers(stages[c]) for c in ("probability", "hearts", "minds")]
    out: dict[Hashable, tuple[list[HealthRow], list[str]]] = {}
    for unit, period, stage, probability, hearts, minds, n, sentence in zip(
        *(stages[c].tolist() for c in ("unit", "period", "stage")),
        *numbers,
        stages["hearts_n"].astype(int).tolist(),
        stages["evidence"].tolist(),
        strict=True,
    ):
        rows, sentences = out.setdefault(unit, ([], []))
        rows.append(
            HealthRow(
                unit=str(unit),
                unit_name=str(names[unit]),
                period=period,
                period_label=str(labels[period]),
                stage=str(stage),
                probability=probability,
                alarm=False,
                hearts=hearts,
                minds=minds,
                n=n,
                evidence=sentence,
            )
        )
        sentences.append(sentence)
    return out


def as_frame(rows: list[HealthRow]) -> pd.DataFrame:
    """The rows as a DataFrame with :data:`COLUMNS` (``period`` as datetime); the signals
    as a long frame in ``.attrs["signals"]`` (:data:`SIGNAL_COLUMNS`)."""
    frame = pd.DataFrame([vars(r) for r in rows], columns=list(COLUMNS))
    frame["period"] = pd.to_datetime(frame["period"])
    frame = frame.astype({"probability": float, "hearts": float, "minds": float})
    signals = pd.DataFrame(
        [(r.unit, r.period, *vars(s).values()) for r in rows for s in r.signals],
        columns=list(SIGNAL_COLUMNS),
    )
    signals["period"] = pd.to_datetime(signals["period"])
    frame.attrs["signals"] = signals.astype({"value": float, "lower": float, "upper": float})
    return frame


def _with(evidence: str, moved: str | None) -> str:
    return evidence if not moved else f"{evidence}; signals: {moved}"


def _numbers(column: pd.Series) -> list[float | None]:
    """A float column as Python floats, None where NaN (one pass, not a call per value)."""
    values = column.to_numpy(float)
    out: list[float | None] = values.tolist()
    for i in np.flatnonzero(np.isnan(values)).tolist():
        out[i] = None
    return out
