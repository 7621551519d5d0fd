"""One computation per page: what a request has already asked the metrics engine.

A page draws tiles, trends, comparisons and unit charts, and several of them ask the same
question: the trend of a KPI by month is also the table its tile's comparison tests, and
every metric reads the unit tree and the survey's items. A :class:`MetricMemo`, made once
per request and passed to :func:`rapport.services.metrics.compute` (``memo=``), keeps each
distinct metric table, its suppression decisions and the catalog reads, so each is computed
once per request. A table (key ``"table", ...``) and its decisions (key ``"decisions", ...,
strata``: the closed periods decided, None for all) are kept apart: a request shown for its
latest period decides that period only, and a later request for every period of the same
table must decide them all, never be served that subset.

What it keeps does not depend on who asks: the table and its decisions are taken over the
whole organisation before :func:`~rapport.services.metrics.compute` narrows the rows to a
principal's scope, so a key is the full metric query (metric, grouping, filters, question,
item, confidence), the closed-period window and the anonymity policy. Never keep one
beyond a request: responses arrive between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from rapport.analytics.metrics.catalog import CatalogReads

T = TypeVar("T")


class MetricMemo:
    """The metric tables and catalog reads of one request.

    >>> memo = MetricMemo()
    >>> memo.kept(("q",), lambda: [1]) is memo.kept(("q",), lambda: [2])
    True
    >>> memo.computed, memo.reused
    (1, 1)
    """

    def __init__(self) -> None:
        self.reads = CatalogReads()
        self._kept: dict[Hashable, Any] = {}
        self.computed = 0
        self.reused = 0

    def kept(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for, the same result afterwards
        (an exception is not kept: the next ask raises it again)."""
        if key in self._kept:
            self.reused += 1
        else:
            self._kept[key] = compute()
            self.computed += 1
        found: T = self._kept[key]
        return found
