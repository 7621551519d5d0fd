"""Bulk work (imports, the demo load): the cyclic garbage collector paused meanwhile.

A bulk load allocates millions of small containers (CSV rows, answer tuples) that live
until it ends and hold no reference cycles. Each full collection walks all of them, so
on a 100,000-response import the collector took about a third of the time (measured with
``benchmarks/import_csv.py``). Reference counting still frees everything as usual; the
collector resumes, and catches up, when the last bulk job in the process ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block (nested and concurrent use is safe).

    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    global _active, _was_enabled
    with _lock:
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:
                gc.enable()
