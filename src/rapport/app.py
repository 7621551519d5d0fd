"""``create_app(settings)``: the only place that wires storage, services, API and pages."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from rapport._version import __version__
from rapport.api import health, surveys, v1
from rapport.api import metrics as metrics_api
from rapport.api.guards import RejectNulMiddleware
from rapport.api.problems import install_problem_handlers
from rapport.settings import Settings, get_settings
from rapport.storage.uow import Database
from rapport.web import dashboard_pages, pages, respond, survey_pages
from rapport.web.templating import make_templates, render_error


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Build the ASGI app. The database must already be migrated (``rapport init``)."""
    app = FastAPI(
        title="Rapport",
        version=__version__,
        summary="Customer and employee experience: surveys, hearts and minds, honest metrics.",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or database_for(settings)
    app.state.templates = make_templates()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="rapport_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(RejectNulMiddleware)
    install_problem_handlers(app, render_error)
    app.add_exception_handler(pages.LoginRequired, pages.login_redirect)
    app.mount("/static", StaticFiles(directory=str(files("rapport.web") / "static")), "static")
    app.include_router(health.router)
    app.include_router(v1.router)
    app.include_router(surveys.router)
    app.include_router(metrics_api.router)
    app.include_router(pages.router)
    app.include_router(survey_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(respond.router)
    return app


def database_for(settings: Settings) -> Database:
    """The configured database with the configured timeouts (migrations are not run)."""
    return Database(
        settings.resolved_database_url(),
        busy_timeout_ms=settings.db_busy_timeout_ms,
        connect_timeout_s=settings.db_connect_timeout_seconds,
    )


def app_from_environment() -> FastAPI:
    """The app built from ``RAPPORT_*`` variables: the factory each worker process of
    ``rapport serve --workers N`` (``uvicorn --factory``) calls. The schema must be migrated."""
    return create_app(get_settings())
