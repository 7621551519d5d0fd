"""Bounded, thread-safe LRUs of values computed once per data version, each computed by one
thread at a time.

Keys name what a value was computed from, including a cheap *data version* of the data
it read (for a survey: its responses' largest id and count, the newest comment analysis
and the newest erasure, ``CommentRepository.version``), so new data make a new key and
a stale entry is never served: it ages out of the LRU. One per application, built by
``create_app``: the comment explorer's themes and tallies
(:mod:`rapport.services.comment_themes`) and the learning log's effects
(:mod:`rapport.services.learning_effects`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SingleFlight:
    """One computation per key at a time: a caller that finds its key's computation under
    way waits for that result instead of computing it again beside it (the app's background
    refresh and a request asking for the same page, two people opening the map after a new
    response). A computation that raises gives its waiters nothing: each computes for
    itself, as does one that waited ``wait`` seconds (so keys computed inside each other in
    two orders cannot block each other for good).

    >>> flights = SingleFlight()
    >>> flights.run("map", lambda: 1), flights.run("map", lambda: 2)
    (1, 2)
    """

    def __init__(self, wait: float = 120.0) -> None:
        self.wait = wait
        self._lock = threading.Lock()
        self._under_way: dict[Hashable, _Flight] = {}
        self.joined = 0

    def run(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            flight = self._under_way.get(key)
            if flight is None:
                flight = self._under_way[key] = _Flight()
                mine = True
            else:
                mine = False
                self.joined += 1
        if not mine:
            if flight.done.wait(self.wait) and flight.ok:
                return flight.value  # type: ignore[no-any-return]
            return compute()
        try:
            value = compute()
            flight.value, flight.ok = value, True
            return value
        finally:
            with self._lock:
                del self._under_way[key]
            flight.done.set()


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class VersionedCache(Generic[T]):
    """A bounded, thread-safe LRU of computed values by key.

    >>> cache: VersionedCache[str] = VersionedCache(size=2)
    >>> cache.get_or_compute(("survey", 1), lambda: "themes")
    'themes'
    >>> cache.get_or_compute(("survey", 1), lambda: "again")
    'themes'
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        self._flights = SingleFlight()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept value of ``key``, else ``compute()`` (outside the lock; a second caller
        meanwhile waits for it: :class:`SingleFlight`)."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key]

        def make() -> T:  # a caller that waits for another's computation missed nothing
            with self._lock:
                self.misses += 1
            return compute()

        found = self._flights.run(key, make)
        with self._lock:
            self._kept[key] = found
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return found


class SlotCache(Generic[T]):
    """A bounded, thread-safe LRU of one value per slot with the data version it was
    computed at: a newer version replaces the slot's value, so no stale copy is held beside
    it (the relationship pages, ``web/kept_pages``; the comment counts, which an older
    version's value can extend, ``services/comment_themes``).

    >>> cache: SlotCache[int] = SlotCache(size=2)
    >>> cache.get_or_extend(("survey", 1), 1, lambda: 10, lambda before, kept: None)
    10
    >>> cache.get_or_extend(("survey", 1), 2, lambda: 99, lambda before, kept: kept + 1)
    11
    >>> cache.get_or_compute("map", 2, lambda: 0), cache.get_or_compute("map", None, lambda: 5)
    (0, 5)
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[Hashable, T]] = OrderedDict()
        self._lock = threading.Lock()
        self._flights = SingleFlight()
        self.hits = 0
        self.extended = 0
        self.misses = 0

    def get_or_compute(
        self, slot: Hashable, version: Hashable | None, compute: Callable[[], T]
    ) -> T:
        """The value kept in ``slot`` at ``version``, else ``compute()`` (kept unless
        ``version`` is None; an exception keeps nothing)."""
        if version is None:
            return compute()
        return self.get_or_extend(slot, version, compute, lambda _version, _value: None)

    def get_or_extend(
        self,
        key: Hashable,
        version: Hashable,
        compute: Callable[[], T],
        extend: Callable[[Any, T], T | None],
    ) -> T:
        """The value of ``key`` at ``version``: kept, else ``extend(kept version, kept
        value)`` of an older one (None when it cannot), else ``compute()``. Computed outside
        the lock; a second caller for the same version meanwhile waits for it
        (:class:`SingleFlight`)."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                if kept[0] == version:
                    self.hits += 1
                    return kept[1]

        def make() -> T:
            found = extend(*kept) if kept is not None else None
            with self._lock:
                if found is None:
                    self.misses += 1
                else:
                    self.extended += 1
            return compute() if found is None else found

        found = self._flights.run((key, version), make)
        with self._lock:
            self._kept[key] = (version, found)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return found
