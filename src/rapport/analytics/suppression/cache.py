"""A process-wide cache of suppression decisions, addressed by the content they depend on.

A table level's decisions depend only on its axes, every cell's respondent count, the
threshold, the audience and the measure. The caller hashes exactly those inputs into the
key (:func:`content_key`), so a cached answer can never be stale: new data give a new key
("once per data version" by construction), and every page, role and worker that asks for
the same level gets the same cells without auditing it again.

>>> cache = DecisionCache(max_bytes=10_000)
>>> key = content_key(["unit", 12, 7])
>>> cache.get(key) is None
True
>>> cache.put(key, {"a": 1}, entries=1)
>>> cache.get(key), cache.hits, cache.misses
({'a': 1}, 1, 1)
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Final

ENTRY_BYTES: Final = 200
"""Rough memory of one cached decision (a key tuple and a reason); sizes the cap."""
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024


def content_key(parts: Iterable[object]) -> bytes:
    """A digest of ``parts`` (their types and text, in order): the key of one decision."""
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, bytes | bytearray | memoryview):
            digest.update(b"b")
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
        else:
            text = f"{type(part).__name__}:{part}".encode()
            digest.update(len(text).to_bytes(8, "little"))
            digest.update(text)
    return digest.digest()


class DecisionCache:
    """A bounded, thread-safe LRU of decisions: least recently used go first past the cap."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def peek(self, key: bytes) -> Any | None:
        """The value kept under ``key`` (None when not kept), counting no hit or miss and
        leaving its place in the order as it is."""
        with self._lock:
            found = self._items.get(key)
            return None if found is None else found[0]

    def put(self, key: bytes, value: Any, *, entries: int) -> None:
        """Keep ``value`` (holding about ``entries`` decisions) under ``key``."""
        size = ENTRY_BYTES * (entries + 1)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def discard(self, keys: Iterable[bytes]) -> None:
        """Drop ``keys`` (those not kept are ignored)."""
        with self._lock:
            for key in keys:
                old = self._items.pop(key, None)
                if old is not None:
                    self._bytes -= old[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


LEVELS = DecisionCache()
"""The decisions of table levels (:mod:`rapport.analytics.metrics.suppression`)."""
