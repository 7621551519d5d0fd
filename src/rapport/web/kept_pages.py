"""What a page computed, kept until the data it read change.

A page of the whole organisation (the relationship map, a unit's relationship page) reads
dozens of metric tables, runs the stage model and draws charts of thousands of cells; its
figures change only when the database does. :class:`KeptPages` keeps what such a page
computed under a *slot* (what was asked: the page, its parameters, who asks) and the
*version* it was computed at: the analytics engine's data version
(:meth:`~rapport.analytics.engines.AnalyticsEngine.data_version`, the database's data
generation, which moves on every commit that writes data: a response, a case, a moved
unit, an erasure — not a session's last-seen time) and today's date (closed periods and
tenure move with the calendar). A request at another version computes again and replaces
the slot's value, so a kept value is never served after a data write and a stale one is
not held beside the new one. An engine without a version (DuckDB, an in-memory database)
keeps nothing under it: every request computes. A version may
also be a digest of what a value is drawn from (the map's drawing,
``web/relationship_pages.py``), which needs no data version at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal
from rapport.services.clock import utcnow

T = TypeVar("T")


class KeptPages(Generic[T]):
    """The latest value of each slot with the version it was computed at; at most
    ``size`` slots, the least recently asked for dropped first.

    >>> kept: KeptPages[str] = KeptPages(size=2)
    >>> kept.get_or_compute("map", 1, lambda: "drawn at 1")
    'drawn at 1'
    >>> kept.get_or_compute("map", 1, lambda: "again")
    'drawn at 1'
    >>> kept.get_or_compute("map", 2, lambda: "drawn at 2")
    'drawn at 2'
    >>> kept.get_or_compute("map", None, lambda: "no version: never kept")
    'no version: never kept'
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[Hashable, T]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(
        self, slot: Hashable, version: Hashable | None, compute: Callable[[], T]
    ) -> T:
        """The value kept in ``slot`` at ``version``, else ``compute()`` (kept unless
        ``version`` is None; an exception keeps nothing). Computed outside the lock: two
        requests may compute the same value once each."""
        if version is None:
            return compute()
        with self._lock:
            found = self._kept.get(slot)
            if found is not None and found[0] == version:
                self._kept.move_to_end(slot)
                self.hits += 1
                return found[1]
            self.misses += 1
        value = compute()
        with self._lock:
            self._kept[slot] = (version, value)
            self._kept.move_to_end(slot)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value


def page_version(engine: AnalyticsEngine) -> Hashable | None:
    """The version a page's kept value is valid at: the engine's data version and today's
    date (UTC); None when the engine has no data version (nothing is kept)."""
    version = engine.data_version()
    return None if version is None else (version, engine.name, utcnow().date())


def asker(principal: Principal, policy: SuppressionPolicy) -> Hashable:
    """The part of a slot that says who asks: the role (what may be seen and done) and the
    unit scope, and the anonymity policy the figures were decided under."""
    return (principal.role, principal.unit_path, policy)
