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

from collections.abc import Hashable

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal
from rapport.services.clock import utcnow
from rapport.services.versioned_cache import SlotCache

#: The latest value of each slot with the version it was computed at; at most ``size``
#: slots, the least recently asked for dropped first (``get_or_compute``: kept unless the
#: version is None).
KeptPages = SlotCache


def page_version(engine: AnalyticsEngine) -> Hashable | None:
    """The version a page's kept value is valid at: the engine's data version and today's
    date (UTC); None when the engine has no data version (nothing is kept)."""
    version = engine.data_version()
    return None if version is None else (version, engine.name, utcnow().date())


def asker(principal: Principal, policy: SuppressionPolicy) -> Hashable:
    """The part of a slot that says who asks: the role (what may be seen and done) and the
    unit scope, and the anonymity policy the figures were decided under."""
    return (principal.role, principal.unit_path, policy)
