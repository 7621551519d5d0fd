"""A bounded, thread-safe LRU of values computed once per data version.

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
from typing import Generic, TypeVar

T = TypeVar("T")


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
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The kept value of ``key``, else ``compute()`` (outside the lock: two requests
        may compute the same value once each; both get equal results)."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key]
            self.misses += 1
        found = compute()
        with self._lock:
            self._kept[key] = found
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return found
