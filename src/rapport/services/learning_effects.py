"""Did a learning's changes move the metric they were meant to? (``docs/closed-loop.md``
"Did the change work?").

Each change of a learning that names a survey and metric is measured on the unit × month
figures of that metric, read through :func:`rapport.services.metrics.compute` (so an
employee group below the anonymity threshold is a missing cell, never a value):

- **difference in differences** when the change has a date *and* the learning names units:
  the relationship-health effect estimator of actions
  (:func:`rapport.analytics.relationships.effects.did_effect`: two-way fixed effects, wild
  cluster bootstrap interval, pre-trend test), the learning's units against comparable
  units covered by no action and not in decline (:func:`rapport.services.actions.did_panel`);
- otherwise a **simple before/after difference**: the mean of the unit-month figures
  (the learning's units, or the whole organisation without units) from the change's month
  on, minus the mean before it, with a Welch interval
  (:func:`rapport.analytics.significance.mean_difference`). Without a date of its own the
  change is dated by the day the learning was written. The month holding the date counts as
  "after" only when the date is its first day; otherwise it is left out as mixed. This
  comparison has no control group: a trend already under way (a store drifting down) reads
  as an effect, which is why the page names the method.

Fewer than two months on either side (or too few units for the DiD) → the data cannot tell.

The effects of a learning are kept per data version (:class:`~rapport.services.
versioned_cache.VersionedCache`, one per application): the key names everything they are
computed from — the survey's data version (``CommentRepository.version``: responses,
comment analyses, erasures), the analytics engine and its snapshot, the unit tree, the
actions' units, who asks (role and unit), the anonymity policy, today (closed periods move
with the calendar) and the learning's metric, units, changes and day — so a cached answer
is what a new computation gives (the estimators are seeded), and new data make a new key.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from rapport.analytics.engines import AnalyticsEngine, DuckDBEngine
from rapport.analytics.relationships.effects import did_effect
from rapport.analytics.significance import mean_difference
from rapport.analytics.snapshot import snapshot_folder
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.learnings import Learning, LearningChange
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import NotFound, PermissionDenied, ValidationFailed
from rapport.services.actions import did_panel
from rapport.services.clock import utcnow
from rapport.services.metric_memo import MetricMemo
from rapport.services.metrics import MetricRequest, ResultRow, compute
from rapport.services.versioned_cache import VersionedCache
from rapport.storage.uow import Database

MIN_MONTHS = 2
DID = "difference in differences (relationship-health effect estimator)"
BEFORE_AFTER = "before/after difference of unit-month means, Welch interval (no control group)"


@dataclass(frozen=True)
class ChangeEffect:
    """How the linked metric moved after one change; ``estimate`` None: cannot tell."""

    change: LearningChange
    method: str  # did | before_after | none
    method_text: str
    start: date | None
    estimate: float | None
    lower: float | None
    upper: float | None
    verdict: str  # effect | no_detectable_effect | pre_trend_fails | insufficient_data | ...
    message: str


def _month(day: date) -> pd.Timestamp:
    return pd.Timestamp(day.replace(day=1))


def _unmeasured(change: LearningChange, verdict: str, message: str) -> ChangeEffect:
    return ChangeEffect(change, "none", "", None, None, None, None, verdict, message)


def before_after(
    change: LearningChange, rows: Sequence[ResultRow], paths: Sequence[str], start: date
) -> ChangeEffect:
    """The Welch before/after difference of the unit-month figures of ``paths`` (the root
    when empty) around ``start``."""
    if paths:
        cells = [r for r in rows if r.unit_path in set(paths)]
    else:
        cells = [r for r in rows if r.unit_depth == 0]
    shown = [
        (pd.Timestamp(r.period), float(r.value))
        for r in cells
        if r.value is not None and not r.suppressed and r.period is not None
    ]
    first = _month(start)
    before = [value for period, value in shown if period < first]
    after_from = first if start.day == 1 else first + pd.DateOffset(months=1)
    after = [value for period, value in shown if period >= after_from]
    if len(before) < MIN_MONTHS or len(after) < MIN_MONTHS:
        return ChangeEffect(
            change,
            "before_after",
            BEFORE_AFTER,
            start,
            None,
            None,
            None,
            "insufficient_data",
            f"The data cannot tell: {len(before)} unit-month figure(s) before {start} and "
            f"{len(after)} after; {MIN_MONTHS} on each side are needed.",
        )
    d = mean_difference(after, before)
    if d.estimate is None or d.lower is None or d.upper is None:
        return ChangeEffect(
            change,
            "before_after",
            BEFORE_AFTER,
            start,
            None,
            None,
            None,
            "insufficient_data",
            "The data cannot tell: the figures do not vary.",
        )
    sides = f"{len(after)} unit-month figure(s) after against {len(before)} before"
    if d.significant:
        verdict = "effect"
        message = (
            f"Moved {d.estimate:+.1f} points (95 % interval {d.lower:+.1f} to {d.upper:+.1f}), "
            f"{sides}; no comparison group, so a trend already under way would read the same."
        )
    else:
        verdict = "no_detectable_effect"
        message = (
            f"No detectable change: {d.estimate:+.1f} points, interval {d.lower:+.1f} to "
            f"{d.upper:+.1f} includes zero ({sides})."
        )
    return ChangeEffect(
        change, "before_after", BEFORE_AFTER, start, d.estimate, d.lower, d.upper, verdict, message
    )


def _did(
    change: LearningChange,
    rows: Sequence[ResultRow],
    learning: Learning,
    action_paths: Sequence[str],
    kinds: dict[str, object],
) -> ChangeEffect:
    start = change.changed_on
    assert start is not None  # noqa: S101 - the caller chose this path for dated changes
    panel, treated, _, _ = did_panel(rows, learning.unit_paths, action_paths, kinds)
    effect = did_effect(panel, treated, _month(start))
    return ChangeEffect(
        change,
        "did",
        DID,
        start,
        effect.estimate if effect.lower is not None else None,
        effect.lower,
        effect.upper,
        effect.verdict,
        effect.message,
    )


class EffectReader:
    """Measures the changes of many learnings for one principal, reading each survey's
    unit × month table once (a page of learnings costs one read per linked metric)."""

    def __init__(
        self,
        db: Database,
        engine: AnalyticsEngine,
        principal: Principal,
        policy: SuppressionPolicy,
        cache: VersionedCache[list[ChangeEffect]] | None = None,
    ) -> None:
        self.db, self.engine, self.principal, self.policy = db, engine, principal, policy
        self.cache = cache
        self.memo = MetricMemo()
        self._tables: dict[tuple[str, str], tuple[list[ResultRow], list[ResultRow]]] = {}
        self._versions: dict[str, Hashable] = {}
        with db.unit_of_work(readonly=True) as uow:
            self.kinds: dict[str, object] = dict(uow.units.kinds())
            self.action_paths = [a.unit_path for a in uow.actions.list()]
        # What every learning's effects depend on besides its survey's data and itself.
        snapshot = (
            str(snapshot_folder(engine.snapshot_dir)) if isinstance(engine, DuckDBEngine) else ""
        )
        self._common: Hashable = (
            "learning-effects", engine.name, id(engine), snapshot, principal.role,
            principal.unit_path, policy, utcnow().date(),
            tuple(sorted((path, str(kind)) for path, kind in self.kinds.items())),
            tuple(sorted(self.action_paths)),
        )  # fmt: skip

    def _version(self, survey: str) -> Hashable:
        """The survey's data version (read once per reader): the engine's data generation of
        the survey, one row, where it has one; else the survey's responses counted (at 400
        units two thirds of the learning log's request, on every request)."""
        if survey not in self._versions:
            with self.db.unit_of_work(readonly=True) as uow:
                found = uow.surveys.by_key(survey)
                version: Hashable = None
                if found is not None:
                    version = self.engine.survey_version((found.id,))
                    if version is None:
                        version = uow.comments.version(found.id)
                self._versions[survey] = version
        return self._versions[survey]

    def _rows(self, survey: str, metric: str) -> tuple[list[ResultRow], list[ResultRow]]:
        """The principal's own rows (the before/after) and the whole organisation's (the
        DiD's comparison units: only its estimate leaves, as for actions)."""
        key = (survey, metric)
        if key not in self._tables:
            request = MetricRequest(survey=survey, metric=metric, by=["unit"], period="month")
            own = compute(self.engine, self.principal, request, self.policy, memo=self.memo)
            whole = own
            if self.principal.role is Role.MANAGER:
                whole = compute(self.engine, SYSTEM, request, self.policy, memo=self.memo)
            self._tables[key] = (list(own.rows), list(whole.rows))
        return self._tables[key]

    def effects(self, learning: Learning) -> list[ChangeEffect]:
        """One :class:`ChangeEffect` per change of ``learning``, in order (kept per data
        version when the reader has a cache)."""
        if self.cache is None or not learning.survey_key or not learning.metric:
            return self._measure(learning)
        key = (
            self._common, self._version(learning.survey_key), learning.survey_key,
            learning.metric, tuple(learning.unit_paths), tuple(learning.changes),
            learning.created_at.date(),
        )  # fmt: skip
        return list(self.cache.get_or_compute(key, lambda: self._measure(learning)))

    def _measure(self, learning: Learning) -> list[ChangeEffect]:
        if not learning.survey_key or not learning.metric:
            text = "No metric linked: name a survey and metric to see whether it moved."
            return [_unmeasured(c, "no_metric", text) for c in learning.changes]
        try:
            own, whole = self._rows(learning.survey_key, learning.metric)
        except (ValidationFailed, NotFound, PermissionDenied) as exc:
            text = f"Cannot be measured: {exc}"
            return [_unmeasured(c, "not_measurable", text) for c in learning.changes]
        found = []
        for change in learning.changes:
            if change.changed_on is not None and learning.unit_paths:
                found.append(_did(change, whole, learning, self.action_paths, self.kinds))
            else:
                start = change.changed_on or learning.created_at.date()
                found.append(before_after(change, own, learning.unit_paths, start))
        return found
