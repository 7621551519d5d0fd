"""Liveness and readiness: ``GET /healthz``."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rapport.api.deps import DbDep

router = APIRouter(tags=["health"])
#: Health checks get threads of their own: they must not queue behind busy requests.
_HEALTH_THREADS = anyio.CapacityLimiter(4)
HEALTH_TIMEOUT_S = 3.0


@router.get("/healthz", summary="Service and database health")
async def healthz(request: Request, db: DbDep) -> JSONResponse:
    """200 when the database answers within 3 s, 503 otherwise (load balancers take the
    unit out). The check never waits for SQLite's write lock nor for a free request thread.
    ``warm_up`` says whether the start-up read of the first pages' tables is ``running``,
    ``done`` or ``off`` (the app answers meanwhile, more slowly); ``refresh`` where the
    background read of the same pages after new data stands: ``running``, ``waiting`` (new
    data not read yet; also while the warm-up runs), ``done`` (read at the current data) or
    ``off``, and ``refreshes`` how many reads it has made."""
    again = request.app.state.refresher
    refresh = "off"
    try:
        with anyio.fail_after(HEALTH_TIMEOUT_S):
            await anyio.to_thread.run_sync(db.ping, limiter=_HEALTH_THREADS, abandon_on_cancel=True)
            if again is not None:  # one row read: the data version
                refresh = await anyio.to_thread.run_sync(
                    again.state, limiter=_HEALTH_THREADS, abandon_on_cancel=True
                )
    except Exception:
        return JSONResponse(
            {"status": "degraded", "database": "unreachable"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    found = request.app.state.warm_up
    warm = "off" if found is None else "done" if found.done else "running"
    if again is None and found is not None and request.app.state.settings.refresh_quiet_seconds:
        refresh = "waiting"  # the refresher starts once the warm-up is done
    return JSONResponse(
        {
            "status": "ok",
            "database": "ok",
            "warm_up": warm,
            "refresh": refresh,
            "refreshes": 0 if again is None else again.runs,
        }
    )
