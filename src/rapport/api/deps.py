"""FastAPI dependencies shared by the API and the pages: database, principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.csrf import SESSION_KEY
from rapport.domain.org import Principal
from rapport.errors import AuthenticationFailed
from rapport.services import auth, sessions
from rapport.services.comment_themes import CommentCache
from rapport.services.versioned_cache import VersionedCache
from rapport.settings import Settings
from rapport.storage.uow import Database, UnitOfWork


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_policy(request: Request) -> SuppressionPolicy:
    """The anonymity policy, built once by ``create_app`` from the settings."""
    policy: SuppressionPolicy = request.app.state.policy
    return policy


def get_comment_themes(request: Request) -> CommentCache[Any]:
    """The comment theme cache ``create_app`` built (one per application)."""
    cache: CommentCache[Any] = request.app.state.comment_themes
    return cache


def get_learning_effects(request: Request) -> VersionedCache[Any]:
    """The learning log's effect cache ``create_app`` built (one per application)."""
    cache: VersionedCache[Any] = request.app.state.learning_effects
    return cache


def get_uow(db: Annotated[Database, Depends(get_db)]) -> Iterator[UnitOfWork]:
    """A unit of work per request, committed before the response is sent (``UowDep``)."""
    with db.unit_of_work() as uow:
        yield uow


def session_policy(settings: Settings) -> sessions.SessionPolicy:
    return sessions.SessionPolicy.from_seconds(
        settings.session_max_age_seconds, settings.session_idle_seconds
    )


def get_read_uow(db: Annotated[Database, Depends(get_db)]) -> Iterator[UnitOfWork]:
    """A read-only unit of work per request (never takes SQLite's write lock)."""
    with db.unit_of_work(readonly=True) as uow:
        yield uow


def optional_principal(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Principal | None:
    """The caller: a bearer token (API) or the server-side session the cookie names."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with db.unit_of_work(readonly=True) as uow:
            return auth.principal_for_token(uow, header[7:].strip())
    sid = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if not isinstance(sid, str):
        return None
    with db.unit_of_work(readonly=True) as uow:
        principal = sessions.resolve(uow, sid, session_policy(settings))
    if principal is None:  # ended, expired or unknown: forget it so the cookie is reset
        request.session.pop(SESSION_KEY, None)
    return principal


def require_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise AuthenticationFailed("Log in or send an API token (Authorization: Bearer ...).")
    return principal


DbDep = Annotated[Database, Depends(get_db)]
# scope="function": the unit of work ends (commits) when the route returns, *before* the
# response is sent. FastAPI's default for dependencies with ``yield`` ends them after the
# response, which answered 2xx for a write (a user deactivated, a token revoked) that a
# client's next request could not see yet, or that a failed commit would then undo.
UowDep = Annotated[UnitOfWork, Depends(get_uow, scope="function")]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow, scope="function")]
PrincipalDep = Annotated[Principal, Depends(require_principal)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PolicyDep = Annotated[SuppressionPolicy, Depends(get_policy)]
ThemesDep = Annotated[CommentCache[Any], Depends(get_comment_themes)]
EffectsCacheDep = Annotated[VersionedCache[Any], Depends(get_learning_effects)]

#: Database ids are signed 64-bit integers; anything else is a 422, not a driver overflow.
MAX_ID = 2**63 - 1
SurveyId = Annotated[int, Path(ge=1, le=MAX_ID, description="Survey id")]
