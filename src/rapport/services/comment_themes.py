"""Comment themes and tallies, computed once per data version.

Finding themes reads every matching comment and clusters them: the costly part of the
comment explorer; its counts (a grouped tally) and the response counts behind its
suppression check scan the survey too. They change only when the survey's responses or
comments do, so :class:`CommentCache` (one per application, built by ``create_app``) keeps
them under a key that names the filter and the survey's data version (its responses'
largest id and count, the newest comment analysis and the newest erasure of a person): a new
response, a deleted one, a re-read comment or an erased person's comments losing their text
make a new key, and the old entry ages out of the bounded LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class CommentCache(Generic[T]):
    """A bounded, thread-safe LRU of computed values by key.

    >>> cache: CommentCache[str] = CommentCache(size=2)
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
        may compute the same themes once each; both get equal results)."""
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
