"""Staff pages: login, logout, home. Respondent forms and dashboards live beside it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rapport.analytics.engines import AnalyticsEngine
from rapport.api.csrf import SESSION_KEY
from rapport.api.deps import DbDep, SettingsDep, get_policy, optional_principal, session_policy
from rapport.api.metrics import analytics_engine, live_engine
from rapport.domain.org import Principal
from rapport.errors import AuthenticationFailed, Throttled
from rapport.services import auth, overview, relationship_map, sessions, surveys
from rapport.services.metric_memo import MetricMemo
from rapport.web.csrf import verify_csrf
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths, so the login form cannot be used as an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def page_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    if principal is None:
        raise LoginRequired(request.url.path)
    request.state.principal = principal
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "email": ""})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ctx = {"next": _safe_next(next), "email": email}
    client = _client(request)
    try:
        with db.unit_of_work() as uow:
            principal = auth.authenticate(
                uow, email, password, client, settings.login_attempts_per_minute
            )
            if principal.id is None:
                raise RuntimeError("internal error: expected principal.id is not None")
            sid = sessions.start(uow, principal.id, client, session_policy(settings))
    except Throttled as exc:
        return render(request, "login.html", {**ctx, "error": exc.detail}, status_code=429)
    except AuthenticationFailed as exc:
        return render(request, "login.html", {**ctx, "error": exc.detail}, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) on login: no fixation
    request.session[SESSION_KEY] = sid
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, db: DbDep) -> Response:
    """End the session on the server too: a copy of the cookie stops working."""
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        with db.unit_of_work() as uow:
            sessions.end(uow, sid)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    settings: SettingsDep,
    engine: Annotated[AnalyticsEngine, Depends(analytics_engine)],
    live: Annotated[AnalyticsEngine, Depends(live_engine)],
) -> HTMLResponse:
    """Where a programme lead or manager starts: the units needing attention now and why,
    headline KPIs, surveys with responses and rates."""
    policy = get_policy(request)
    memo = MetricMemo()  # one computation per page: both parts share the metric reads
    version = live.data_version()  # before the unit of work's first statement: keeps its reads
    with db.unit_of_work(readonly=True) as uow:
        listed = surveys.list_surveys(uow, principal, version=version)
        found = overview.overview(uow, engine, principal, policy, memo, listed, version)
    attention = relationship_map.attention_now(db, engine, principal, policy, memo, listed)
    return render(request, "home.html", {"o": found, "attention": attention})


def login_redirect(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, LoginRequired):
        raise RuntimeError("internal error: expected isinstance(exc, LoginRequired)")
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)
