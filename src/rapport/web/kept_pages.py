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

from starlette.types import ASGIApp, Receive, Scope, Send

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal
from rapport.services.clock import utcnow
from rapport.services.versioned_cache import SlotCache
from rapport.services.warm_up import Activity

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


class NoteAsked:
    """Tells ``activity`` of each page or API read by a signed-in person (a GET carrying
    the session cookie, not ``/static`` nor ``/healthz``): the background refresh
    (``services/warm_up.Refresher``) reads pages again only while people open them. A pure
    ASGI middleware: it reads the request's headers and passes everything on untouched."""

    def __init__(self, app: ASGIApp, activity: Activity, cookie: str) -> None:
        self.app, self.activity = app, activity
        self._cookie = cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["path"].startswith(("/static/", "/healthz"))
            and any(k == b"cookie" and self._cookie in v for k, v in scope["headers"])
        ):
            self.activity.asked()
        await self.app(scope, receive, send)
