"""``/learnings``: the learning log by comment theme, and for each change whether the
linked metric moved afterwards.

The page only draws: :mod:`rapport.services.learnings` decides which learnings the user
sees and :mod:`rapport.services.learning_effects` measures each change (and says which
method it used, or that the data cannot tell).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, EffectsCacheDep, PolicyDep
from rapport.api.metrics import analytics_engine
from rapport.domain.learnings import Learning
from rapport.domain.org import Principal
from rapport.services import learnings
from rapport.services.learning_effects import ChangeEffect, EffectReader
from rapport.services.versioned_cache import VersionedCache
from rapport.storage.uow import Database
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[AnalyticsEngine, Depends(analytics_engine)]
NO_THEME = "No theme"


def by_theme(
    found: list[Learning], effects: dict[int, list[ChangeEffect]]
) -> list[tuple[str, list[tuple[Learning, list[ChangeEffect]]]]]:
    """Themes in alphabetical order (learnings without a theme last); a learning with
    several themes is listed under each (its anchor under the first)."""
    groups: dict[str, list[tuple[Learning, list[ChangeEffect]]]] = {}
    for learning in found:
        for theme in learning.themes or [NO_THEME]:
            groups.setdefault(theme, []).append((learning, effects[learning.id]))
    return sorted(groups.items(), key=lambda kv: (kv[0] == NO_THEME, kv[0]))


def _measured(
    db: Database,
    engine: AnalyticsEngine,
    principal: Principal,
    policy: SuppressionPolicy,
    theme: str | None,
    cache: VersionedCache[list[ChangeEffect]] | None = None,
) -> tuple[list[Learning], dict[int, list[ChangeEffect]]]:
    with db.unit_of_work(readonly=True) as uow:
        found = learnings.find(uow, principal, theme=theme or None)
    reader = EffectReader(db, engine, principal, policy, cache)
    return found, {x.id: reader.effects(x) for x in found}


@router.get("/learnings", response_class=HTMLResponse)
async def learnings_page(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    policy: PolicyDep,
    engine: EngineDep,
    cache: EffectsCacheDep,
    theme: Annotated[str, Query(max_length=120)] = "",
) -> HTMLResponse:
    found, effects = await run_in_threadpool(_measured, db, engine, principal, policy, theme, cache)
    context = {
        "groups": by_theme(found, effects),
        "theme": theme,
        "count": len(found),
        "no_theme": NO_THEME,
    }
    return render(request, "learnings.html", context)
