"""Liveness and readiness: ``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from rapport.api.deps import DbDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Service and database health")
def healthz(db: DbDep) -> JSONResponse:
    """200 when the database answers, 503 otherwise (load balancers take the unit out)."""
    try:
        db.ping()
    except Exception:
        return JSONResponse({"status": "degraded", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
