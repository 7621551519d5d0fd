"""``create_app(settings)``: the only place that wires storage, services, API and pages."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from importlib.resources import files

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from threadpoolctl import threadpool_limits

from rapport._version import __version__
from rapport.analytics.engines import OperationalEngine
from rapport.api import actions as actions_api
from rapport.api import (
    admin,
    comments,
    distributions,
    health,
    imports,
    people_data,
    surveys,
    tool_imports,
    v1,
)
from rapport.api import cases as cases_api
from rapport.api import drivers as drivers_api
from rapport.api import learnings as learnings_api
from rapport.api import linkage as linkage_api
from rapport.api import metrics as metrics_api
from rapport.api import org as org_api
from rapport.api import outcomes as outcomes_api
from rapport.api import profiles as profiles_api
from rapport.api import relationships as relationships_api
from rapport.api import risk as risk_api
from rapport.api import roi as roi_api
from rapport.api import webhooks as webhooks_api
from rapport.api.access_log import AccessLogMiddleware
from rapport.api.csrf import ApiCsrfMiddleware
from rapport.api.guards import RejectNulMiddleware
from rapport.api.limits import BodyLimitMiddleware
from rapport.api.problems import document_problems, install_problem_handlers
from rapport.domain.org import SYSTEM
from rapport.errors import RapportError
from rapport.services import case_follow_up, import_jobs, metrics, warm_up
from rapport.services import cases as case_service
from rapport.services.case_sweeper import CaseSweeper
from rapport.services.comment_themes import CommentCache, ThemeFinder
from rapport.services.notify import SmtpNotifier
from rapport.services.versioned_cache import VersionedCache
from rapport.services.webhooks.deliverer import DeliveryPolicy, WebhookDeliverer
from rapport.settings import Settings, get_settings
from rapport.storage.uow import Database
from rapport.web import (
    admin_pages,
    api_docs,
    case_pages,
    dashboard_pages,
    distribution_pages,
    driver_pages,
    learning_pages,
    linkage_pages,
    memory,
    org_pages,
    pages,
    people_pages,
    relationship_pages,
    respond,
    roi_pages,
    survey_pages,
    tool_import_pages,
    unsubscribe,
    webhook_pages,
)
from rapport.web.headers import SecurityHeadersMiddleware
from rapport.web.kept_pages import KeptPages, NoteAsked
from rapport.web.memory import ReturnFreedMemory
from rapport.web.relationship_pages import router as relationship_pages_router
from rapport.web.templating import make_templates, page_error_renderer, render_error

SESSION_COOKIE = "rapport_session"
logger = logging.getLogger("rapport")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, report import jobs left running by a stopped process as interrupted;
    at shutdown, stop the import worker and close what :func:`create_app` opened."""
    folder = imports.spool_folder(app.state.settings)
    try:
        await run_in_threadpool(import_jobs.recover, app.state.db, folder)
    except RapportError as exc:  # the database may be down at start; jobs wait till next time
        logger.warning("could not check for interrupted import jobs: %s", exc)
    settings = app.state.settings
    sweeper = None
    if settings.case_sweep_seconds > 0:
        sweeper = CaseSweeper(
            app.state.db,
            SmtpNotifier.from_settings(settings),
            interval=settings.case_sweep_seconds,
            base_url=settings.link_base(),
            link_secret=settings.resolved_secret_key(),
        )
        sweeper.start()
    deliverer = None
    if settings.webhook_deliver_seconds > 0:
        deliverer = WebhookDeliverer(
            app.state.db,
            DeliveryPolicy.from_settings(settings),
            interval=settings.webhook_deliver_seconds,
        )
        deliverer.start()
    if app.state.warm_up is not None and not _keeps(app):  # DuckDB: nothing would be kept
        app.state.warm_up = None
    if app.state.warm_up is not None:
        threading.Thread(target=_warm_up, args=(app,), name="rapport-warm-up", daemon=True).start()
    yield
    app.state.closing = True  # a warm-up still running starts no refresher
    if app.state.refresher is not None:
        app.state.refresher.stop()
    if sweeper is not None:
        sweeper.stop()
    if deliverer is not None:
        deliverer.stop()
    app.state.import_runner.shutdown(wait=False, cancel_futures=True)
    app.state.comment_themes.finder.close()
    app.state.analytics_engine.dispose()
    app.state.live_engine.dispose()
    if app.state.owns_db:
        app.state.db.dispose()


def _keeps(app: FastAPI) -> bool:
    """Whether the analytics engine keeps what is read (a data version); False when it has
    none or the database does not answer at start (the pages read on their requests)."""
    try:
        return app.state.analytics_engine.data_version() is not None
    except Exception:  # a database down at start: no warm-up, the app still answers
        logger.warning("no warm-up: the database did not answer")
        return False


def _warm_up(app: FastAPI) -> None:
    """The warm-up thread: what it read is in ``app.state.warm_up`` (``GET /healthz``
    says whether it is done); then the refresher starts (``Settings.refresh_quiet_seconds``),
    from the data version the warm-up read."""
    try:
        # Templates compile on first use (0.1–0.2 s a page): compile them first.
        templates = app.state.templates.env
        for name in templates.list_templates(filter_func=lambda n: n.endswith(".html")):
            templates.get_template(name)
        _read_first_pages(app, app.state.warm_up, app.state.settle)
    except Exception:  # the pages read on their requests, as without a warm-up
        logger.exception("warm-up")
        app.state.warm_up.done = True
    quiet = app.state.settings.refresh_quiet_seconds
    if quiet > 0 and not app.state.closing:
        app.state.refresher = warm_up.Refresher(
            # Then the frozen objects are collected too: the tables the refresh replaced
            # were frozen, and their cycles would wait for the 64th settle.
            lambda: _read_first_pages(app, warm_up.WarmUp(), partial(app.state.settle, full=True)),
            app.state.analytics_engine.data_version,
            app.state.activity,
            quiet=quiet,
            start=app.state.warm_up.version,
        )
        app.state.refresher.start()


def _read_first_pages(
    app: FastAPI, found: warm_up.WarmUp, settle: Callable[[], object]
) -> warm_up.WarmUp:
    """The warm-up's read, as the first pages keep it; ``found`` is filled as it goes;
    ``settle()`` after it."""
    return warm_up.warm_up(
        app.state.db,
        app.state.analytics_engine,
        app.state.live_engine,
        app.state.policy,
        app.state.learning_effects,
        found,
        # The organisation's map drawn as the page keeps it, for an administrator.
        draw_map=lambda survey: relationship_pages.map_page(
            app.state,
            app.state.analytics_engine,
            SYSTEM,
            app.state.policy,
            app.state.db,
            survey,
            "month",
        ),
        settle=settle,  # what was built on the way and dropped; freeze the rest
        # Each dashboard's charts drawn as the page keeps them.
        draw_dashboard=lambda view: dashboard_pages.chart_specs(app.state.chart_specs, view),
    )


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Build the ASGI app. The database must already be migrated (``rapport init``)."""
    app = FastAPI(
        lifespan=_lifespan,
        title="Rapport",
        version=__version__,
        summary="Customer and employee experience: surveys, hearts and minds, honest metrics.",
        docs_url=None,  # rapport.web.api_docs serves /docs from vendored assets
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    # One BLAS thread per process: request threads already share the cores, and numpy's
    # default of one BLAS thread per core made concurrent audits fight (a page took 11.7 s
    # with default threads and 3.7 s with one, on 2 cores with one busy).
    threadpool_limits(limits=1)
    memory.limit_arenas()  # two malloc arenas for the request threads (web/memory.py)
    memory.map_large_blocks()  # large temporaries returned when freed (web/memory.py)
    memory.arrow_on_malloc()  # pandas' text columns allocated with malloc (web/memory.py)
    app.state.settings = settings
    app.state.owns_db = db is None
    app.state.db = db or database_for(settings)
    # Built once here, not lazily per request: the anonymity policy, the analytics engine
    # RAPPORT_ANALYTICS_ENGINE names (a missing DuckDB snapshot fails now, clearly), the
    # operational database read as an engine (pages that must count a response at once),
    # and the import worker (one thread, so imports queue instead of competing).
    app.state.policy = metrics.policy_from_settings(settings)
    case_service.configure(app.state.db, settings.case_sla_hours)
    case_follow_up.configure(app.state.db, settings.resolved_secret_key())
    app.state.analytics_engine = metrics.engine_from_settings(settings, app.state.db)
    app.state.live_engine = OperationalEngine(app.state.db.engine)
    app.state.import_runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rapport-import")
    app.state.templates = make_templates()
    app.state.learning_effects = VersionedCache(size=512)  # effects once per data version
    app.state.warm_up = warm_up.WarmUp() if settings.warm_up else None
    app.state.refresher = None  # started after the warm-up (_warm_up)
    app.state.closing = False
    app.state.activity = warm_up.Activity()  # when someone last opened a page
    app.state.settle = memory.Settle(freeze=settings.freeze_kept)  # after slow requests
    app.state.chart_specs = VersionedCache(size=128)  # dashboard charts by their data's digest
    # Relationship pages drawn once per data version: the map (a few MB of HTML at 400
    # units, so few slots) and units' pages.
    app.state.relationship_maps = KeptPages(size=8)
    app.state.relationship_map_drawings = KeptPages(size=8)  # the same, by their figures
    app.state.relationship_units = KeptPages(size=64)
    # Comment counts per data version; themes found in the background, kept in the database.
    app.state.comment_themes = CommentCache(finder=ThemeFinder(app.state.db))
    # Middleware added later runs first: access log (outermost), headers, body limits, NUL
    # guard, session, CSRF.
    app.add_middleware(ApiCsrfMiddleware)  # inside SessionMiddleware: reads the session
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    page_error = page_error_renderer(app.state.templates)
    app.add_middleware(RejectNulMiddleware, page_error=page_error)
    # Outside the NUL guard (which reads bodies): 401/413 before a body is read.
    app.add_middleware(
        BodyLimitMiddleware,
        max_request_bytes=settings.max_request_bytes,
        max_import_bytes=settings.max_import_bytes,
        session_cookie=SESSION_COOKIE,
        page_error=page_error,
    )
    app.add_middleware(SecurityHeadersMiddleware)  # every answer gets them
    app.add_middleware(AccessLogMiddleware)  # times and logs every answer
    # Someone opening pages keeps the background refresh on (services/warm_up.Refresher).
    app.add_middleware(NoteAsked, activity=app.state.activity, cookie=SESSION_COOKIE)
    # Outermost: once a slow request's answer is sent (and logged), its freed memory goes
    # back to the operating system (web/memory.py).
    app.add_middleware(ReturnFreedMemory, settle=app.state.settle.soon)
    install_problem_handlers(app, render_error)
    document_problems(app)
    app.add_exception_handler(pages.LoginRequired, pages.login_redirect)
    app.mount("/static", StaticFiles(directory=str(files("rapport.web") / "static")), "static")
    app.include_router(health.router)
    app.include_router(v1.router)
    app.include_router(org_api.router)
    app.include_router(outcomes_api.router)
    app.include_router(profiles_api.router)
    app.include_router(people_data.router)
    app.include_router(surveys.router)
    app.include_router(distributions.router)
    app.include_router(comments.router)
    app.include_router(imports.router)
    app.include_router(tool_imports.router)
    app.include_router(metrics_api.router)
    app.include_router(relationships_api.router)
    app.include_router(actions_api.router)
    app.include_router(drivers_api.router)
    app.include_router(risk_api.router)
    app.include_router(cases_api.router)
    app.include_router(learnings_api.router)
    app.include_router(linkage_api.router)
    app.include_router(roi_api.router)
    app.include_router(webhooks_api.router)
    webhooks_api.document(app)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(survey_pages.router)
    app.include_router(tool_import_pages.router)
    app.include_router(distribution_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(relationship_pages_router)
    app.include_router(driver_pages.router)
    app.include_router(linkage_pages.router)
    app.include_router(roi_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(org_pages.router)
    app.include_router(people_pages.router)
    app.include_router(case_pages.router)
    app.include_router(learning_pages.router)
    app.include_router(webhook_pages.router)
    app.include_router(respond.router)
    app.include_router(unsubscribe.router)
    app.include_router(api_docs.router)
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
