"""What a new server process reads before anyone asks: the tables of the pages opened first.

A process starts with empty caches (``services.metrics.KEPT``: metric tables, suppression
decisions, shown rows; the stage model's rows; the learning log's effects), and at 400
units the first request of a page pays for all of it: the exact audit of an employee
survey's unit × segment tables (6–8 s of CPU), the relationship pages' whole-organisation
tables (5–9 s). :func:`warm_up` reads them once, as the organisation's own view (the system
principal: every unit, no scope), in a background thread started with the application
(``Settings.warm_up``), so the first person to open a page finds them kept.

After that, new data (a response, a case) make new keys, and the first person to open a
page after each write paid for its whole-organisation tables again (at 400 units 0.5–1.0 s
of CPU for the map, a store's page, the home page, the learning log). :class:`Refresher`
runs the same read again in the background once new data have stopped arriving for a few
seconds (``Settings.refresh_quiet_seconds``) and someone has opened a page lately
(:class:`Activity`), so the next person finds the new figures ready. It never serves an
older figure: a page asked before the refresh is done reads the new data itself, or waits
for the refresh's computation of the same page (``versioned_cache.SingleFlight``).

Nothing here decides what anyone sees: every figure is read through the same services the
pages call, with their permission checks and the one suppression point, and is kept under
the same keys (a table's content, the query, the policy), so a page asked later reads the
same table whether the warm-up or an earlier page read it. What a user may see is decided
by their own request as before; a manager's narrower tables are read on their request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM
from rapport.errors import NotFound, ValidationFailed
from rapport.services import (
    learnings,
    org_dashboard,
    overview,
    relationship_map,
    relationship_unit,
    relationships,
    surveys,
    tenure,
)
from rapport.services.learning_effects import ChangeEffect, EffectReader
from rapport.services.metric_memo import MetricMemo
from rapport.services.periodic import PeriodicWorker
from rapport.services.versioned_cache import VersionedCache
from rapport.storage.uow import Database

logger = logging.getLogger("rapport.warm_up")


@dataclass
class WarmUp:
    """What the warm-up read: each step's name and seconds (CPU of this thread); the steps
    whose page says why it shows nothing (``skipped``: a survey without the items a metric
    reads) and those that failed (logged; the page then reads on its request, as without a
    warm-up); ``version``: the analytics engine's data version when it began."""

    steps: list[tuple[str, float]] = field(default_factory=list)
    version: Hashable | None = None
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    done: bool = False

    @property
    def seconds(self) -> float:
        return sum(s for _, s in self.steps)


def warm_up(
    db: Database,
    engine: AnalyticsEngine,
    live: AnalyticsEngine,
    policy: SuppressionPolicy,
    effects: VersionedCache[list[ChangeEffect]] | None = None,
    found: WarmUp | None = None,
    draw_map: Callable[[str], object] | None = None,
    settle: Callable[[], object] | None = None,
    draw_dashboard: Callable[[org_dashboard.OrgDashboard], object] | None = None,
) -> WarmUp:
    """Read what the pages opened first read, as the system principal: each survey's
    dashboard (for an employee survey also one unit's, whose segment choices audit the unit
    × segment tables), the home page, the relationship map and one unit's relationship page
    of the default customer survey, and the learning log's effects. A step that fails is
    logged and skipped. ``found`` (filled as it goes) lets a caller watch it.

    ``draw_map(survey)``: the web layer's map page of a survey, read and drawn as the page
    keeps it (the system principal sees what an administrator does); without it, only the
    map's tables are read. ``draw_dashboard(view)``: the web layer's charts of a dashboard,
    drawn and kept as the page keeps them (at 400 units the charts were two thirds of the
    first dashboard's first request). ``settle()`` runs after the steps, before ``found``
    is done (the server's ``web.memory.Settle``)."""
    found = found if found is not None else WarmUp()
    version = live.data_version()
    found.version = engine.data_version()
    with db.unit_of_work(readonly=True) as uow:
        listed = surveys.list_surveys(uow, SYSTEM, version=version)
        units = [u for u in uow.units.all() if u.closed_on is None]
    # A unit below the root (an employee dashboard of one unit audits the unit × segment
    # tables, whichever unit it is) and a leaf (its relationship page reads the tables
    # every unit's page reads).
    parents = {u.parent_id for u in units}
    below = next((u for u in units if u.parent_id is not None), None)
    leaf = next((u for u in units if u.id not in parents), None)

    def dashboard(key: str, unit: str | None) -> Callable[[], object]:
        def read() -> object:
            with db.unit_of_work(readonly=True) as uow:
                view = org_dashboard.organisation_dashboard(
                    uow, engine, SYSTEM, policy, survey=key, unit=unit, version=version
                )
            return view if draw_dashboard is None else draw_dashboard(view)

        return read

    def home() -> object:
        memo = MetricMemo()
        with db.unit_of_work(readonly=True) as uow:
            overview.overview(uow, engine, SYSTEM, policy, memo, listed, version)
        return relationship_map.attention_now(db, engine, SYSTEM, policy, memo, listed)

    customer = relationship_map.default_survey(listed)

    def relationship_map_page() -> object:
        if customer is None:
            return None
        if draw_map is not None:
            return draw_map(customer)
        memo = MetricMemo()
        health = relationships.relationship_health(engine, SYSTEM, customer, policy, memo=memo)
        relationship_map.organisation_map(db, health)
        return tenure.tenure_curve(engine, SYSTEM, customer, policy, "hearts", memo=memo)

    def unit_page() -> object:
        if customer is None or leaf is None:
            return None
        return relationship_unit.unit_relationship(
            db, engine, SYSTEM, leaf.code, customer, policy, version=version
        )

    def learning_log() -> object:
        with db.unit_of_work(readonly=True) as uow:
            listed_learnings = learnings.find(uow, SYSTEM)
        reader = EffectReader(db, engine, SYSTEM, policy, effects)
        return [reader.effects(x) for x in listed_learnings]

    steps: list[tuple[str, Callable[[], object]]] = []
    for s in listed:
        key = str(s["key"])
        steps.append((f"dashboard {key}", dashboard(key, None)))
        if policy.protects(str(s["audience"])) and below is not None:
            steps.append((f"dashboard {key} of {below.path}", dashboard(key, below.path)))
    steps += [
        ("home page", home),
        ("relationship map", relationship_map_page),
        ("relationship unit page", unit_page),
        ("learning log", learning_log),
    ]
    for name, step in steps:
        start = time.thread_time()
        try:
            step()
        except (ValidationFailed, NotFound) as error:  # the page says why, on its request
            logger.debug("warm-up: %s: %s", name, error)
            found.skipped.append(name)
        except Exception:  # the page reads on its request, as without a warm-up
            logger.exception("warm-up: %s", name)
            found.failed.append(name)
        found.steps.append((name, time.thread_time() - start))
    if settle is not None:
        settle()
    found.done = True
    logger.info("warm-up: %d steps in %.1f s CPU", len(found.steps), found.seconds)
    return found


class Activity:
    """When someone last opened a page (``web/kept_pages.NoteAsked``), by ``clock``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.at: float | None = None

    def asked(self) -> None:
        self.at = self._clock()

    def within(self, seconds: float) -> bool:
        """Whether a page was opened in the last ``seconds``."""
        return self.at is not None and self._clock() - self.at <= seconds


class Refresher(PeriodicWorker):
    """The warm-up's read again after new data: every ``quiet`` seconds it looks at the data
    version (``version()``, one row); a version neither read yet nor changed since the last
    look (the data have been quiet for at least ``quiet`` seconds) is read with ``read()``
    (:func:`warm_up` with the app's arguments) if someone opened a page in the last
    :attr:`ACTIVE_SECONDS` (``activity``): an idle server reads nothing. A burst of writes
    (an import, a busy hour) is read once, after it.

    >>> versions = iter([1, 2, 2, 2])
    >>> seen = Activity(clock=lambda: 0.0)
    >>> refresh = Refresher(lambda: WarmUp(done=True), lambda: next(versions), seen,
    ...                     quiet=1, start=1)
    >>> refresh.run_once(), refresh.run_once()  # the same data; new data, not yet quiet
    (None, None)
    >>> refresh.run_once()  # quiet, but nobody has opened a page
    >>> seen.asked(); refresh.run_once(), refresh.refreshed
    ('refresh: 0 steps in 0.0 s CPU', 2)
    """

    ACTIVE_SECONDS = 15 * 60

    def __init__(
        self,
        read: Callable[[], WarmUp],
        version: Callable[[], Hashable | None],
        activity: Activity,
        *,
        quiet: float,
        start: Hashable | None = None,
    ) -> None:
        super().__init__("rapport-refresh", interval=quiet, logger=logger)
        self._read, self._version, self._activity = read, version, activity
        self.refreshed = start  # the version the warm-up's pages were last read at
        self._seen = start
        self.runs = 0
        self.last: WarmUp | None = None
        self._busy = threading.Event()

    def state(self) -> str:
        """``running`` (a read is under way), ``waiting`` (new data not read yet: they are
        still arriving, or nobody has opened a page lately) or ``done``."""
        if self._busy.is_set():
            return "running"
        return "done" if self._version() == self.refreshed else "waiting"

    def run_once(self) -> str | None:
        now = self._version()
        if now is None or now == self.refreshed:
            return None
        if now != self._seen:  # new since the last look: wait till the writes pause
            self._seen = now
            return None
        if not self._activity.within(self.ACTIVE_SECONDS):
            return None
        self._busy.set()
        try:
            found = self._read()
        finally:
            self._busy.clear()
        self.refreshed, self.last = now, found
        self.runs += 1
        return f"refresh: {len(found.steps)} steps in {found.seconds:.1f} s CPU"
