"""Staff pages for surveys: list, per-survey dashboard, distribution and public links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile  # what request.form() returns

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api import imports
from rapport.api.deps import DbDep, SettingsDep, SurveyId
from rapport.api.imports import JobId
from rapport.api.metrics import live_engine
from rapport.domain.org import Principal
from rapport.domain.survey import fill_placeholders
from rapport.errors import FieldError, ValidationFailed
from rapport.services import (
    comment_explorer,
    dashboard,
    import_jobs,
    invitations,
    metrics,
    org,
    surveys,
)
from rapport.settings import Settings
from rapport.storage.uow import Database
from rapport.web.csrf import verify_csrf
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
LiveEngine = Annotated[AnalyticsEngine, Depends(live_engine)]
EKMAN = ["joy", "surprise", "neutral", "sadness", "fear", "anger", "disgust"]
SENTIMENTS = ["positive", "negative", "ambiguous", "neutral"]
COMMENTS_PER_PAGE = 50


def _policy(settings: SettingsDep) -> SuppressionPolicy:
    return metrics.policy_from_settings(settings)


@router.get("/surveys", response_class=HTMLResponse)
def survey_list(request: Request, principal: PagePrincipal, db: DbDep) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        items = surveys.list_surveys(uow, principal)
    return render(request, "surveys.html", {"surveys": items})


@router.get("/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    live: LiveEngine,
    settings: SettingsDep,
) -> HTMLResponse:
    with db.unit_of_work() as uow:
        data = dashboard.survey_dashboard(uow, live, principal, survey_id, _policy(settings))
        units = org.list_units(uow, principal)
    return render(
        request, "survey.html", {"d": data, "units": units, "issued": None, "public_link": None}
    )


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=3)


@router.post(
    "/surveys/{survey_id}/links", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)]
)
def create_links(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    live: LiveEngine,
    settings: SettingsDep,
    unit: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "public",
) -> HTMLResponse:
    base = str(request.base_url).rstrip("/")
    with db.unit_of_work() as uow:
        if kind == "invitations":
            issued = invitations.distribute(
                uow,
                principal,
                survey_id,
                unit=unit,
                link_secret=settings.resolved_secret_key(),
                policy=_policy(settings),
            )
            links = [(i.person.name, f"{base}/s/{i.token}") for i in issued]
            public = None
        else:
            token = invitations.create_public_link(
                uow, principal, survey_id, unit, policy=_policy(settings)
            )
            links, public = [], f"{base}/s/{token}"
    with db.unit_of_work() as uow:
        data = dashboard.survey_dashboard(uow, live, principal, survey_id, _policy(settings))
        units = org.list_units(uow, principal)
    return render(
        request,
        "survey.html",
        {
            "d": data,
            "units": units,
            "issued": [(name, url, _qr_svg(url)) for name, url in links]
            if kind == "invitations"
            else None,
            "public_link": (public, _qr_svg(public)) if public else None,
        },
    )


@router.get("/qr/{token}.{fmt}")
def public_link_qr(token: str, fmt: str, db: DbDep, request: Request) -> Response:
    """QR code (PNG or SVG) of a public link; invitation links are shown once, inline."""
    with db.unit_of_work() as uow:
        invitations.resolve(uow, token)
    url = f"{str(request.base_url).rstrip('/')}/s/{token}"
    qr = segno.make(url, error="m")
    import io

    buf = io.BytesIO()
    if fmt == "svg":
        qr.save(buf, kind="svg", scale=4)
        return Response(buf.getvalue(), media_type="image/svg+xml")
    qr.save(buf, kind="png", scale=6)
    return Response(buf.getvalue(), media_type="image/png")


@router.post(
    "/surveys/{survey_id}/import", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)]
)
async def import_csv_page(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    live: LiveEngine,
    settings: SettingsDep,
) -> Response:
    """Upload a CSV of responses; the page reports every bad row or the count imported."""
    policy = _policy(settings)
    await run_in_threadpool(imports.check_allowed, db, principal, survey_id, policy)
    form = await request.form()  # files are spooled to disk by the form parser
    upload = form.get("file")
    if isinstance(upload, UploadFile) and (upload.size or 0) > settings.import_sync_max_bytes:
        return await _import_as_job(request, survey_id, principal, db, settings, upload)
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    report: dict[str, object]
    keep = settings.keep_original_comments
    try:
        # In a worker thread: an import must never hold up the event loop.
        result = await run_in_threadpool(imports.import_now, db, principal, survey_id, data, keep)
        report = {
            "ok": True,
            "message": f"Imported {result.rows} responses (file encoding {result.encoding}).",
        }
    except ValidationFailed as exc:
        report = {
            "ok": False,
            "message": exc.detail,
            "errors": [(e.location, e.message) for e in exc.errors],
        }
    with db.unit_of_work() as uow:
        data_ = dashboard.survey_dashboard(uow, live, principal, survey_id, _policy(settings))
        units = org.list_units(uow, principal)
    return render(
        request,
        "survey.html",
        {"d": data_, "units": units, "issued": None, "public_link": None, "report": report},
        status_code=200 if report["ok"] else 422,
    )


async def _import_as_job(
    request: Request,
    survey_id: int,
    principal: Principal,
    db: Database,
    settings: Settings,
    upload: UploadFile,
) -> Response:
    """Copy a large upload to the import folder, start its job, show its progress page
    (the caller checked that this principal may import into this survey)."""
    path, size = await imports.spool(
        _chunks(upload), imports.spool_folder(settings), settings.max_import_bytes
    )
    job = await run_in_threadpool(imports.start_job, request, db, principal, survey_id, path, size)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1024 * 1024):
        yield chunk


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, job_id: JobId, principal: PagePrincipal, db: DbDep, settings: SettingsDep
) -> HTMLResponse:
    """An import job's progress; the page refreshes itself until the job has finished."""
    with db.unit_of_work(readonly=True) as uow:
        job = import_jobs.get(uow, principal, job_id, imports.spool_folder(settings))
    return render(request, "job.html", {"job": job, "finished": job.status.finished})


@router.get("/surveys/{survey_id}/comments", response_class=HTMLResponse)
def comments_page(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    settings: SettingsDep,
    unit: str | None = None,
    emotion: str | None = None,
    band: str | None = None,
    sentiment: str | None = None,
    period: str | None = None,
    offset: str = "0",
) -> HTMLResponse:
    """Comment explorer: filters by unit, emotion, score band (customers) or closed period
    (employees) and sentiment; themes; :data:`COMMENTS_PER_PAGE` comments a page."""
    filters = {
        "unit": unit or None,
        "emotion": emotion or None,
        "band": band or None,
        "sentiment": sentiment or None,
        "period": period or None,
    }
    with db.unit_of_work() as uow:
        view = comment_explorer.explore(
            uow,
            principal,
            survey_id,
            _policy(settings),
            unit=filters["unit"],
            emotion=filters["emotion"],
            band=filters["band"],
            sentiment=filters["sentiment"],
            period=filters["period"],
            offset=_offset(offset),
            limit=COMMENTS_PER_PAGE,
        )
        published = surveys.get_published(uow, survey_id)
        units = org.list_units(uow, principal)
        title = fill_placeholders(published.survey.title, {"org": org.organisation_name(uow)})
    return render(
        request,
        "comments.html",
        {
            "v": view,
            "survey": published.survey,
            "title": title,
            "units": units,
            "filters": filters,
            "emotions": EKMAN,
            "bands": list(comment_explorer.BANDS),
            "sentiments": SENTIMENTS,
            "grain": _policy(settings).period,
            "not_read": view.not_read,
            "pages": _pages(request, view),
        },
    )


def _offset(text: str) -> int:
    """The ``offset`` of a comments page, or a message naming the field."""
    if not text.strip().isdigit():
        raise ValidationFailed(
            "bad offset", [FieldError("offset", f"expected a whole number from 0, got {text!r}")]
        )
    return int(text)


def _pages(request: Request, view: comment_explorer.CommentView) -> dict[str, str | None]:
    """Links to the previous and next page of comments, with the same filters."""

    def link(offset: int) -> str:
        query = dict(request.query_params)
        query["offset"] = str(offset)
        return f"{request.url.path}?{urlencode(query)}"

    before = view.offset > 0
    after = view.offset + view.limit < view.matching
    return {
        "previous": link(max(view.offset - view.limit, 0)) if before else None,
        "next": link(view.offset + view.limit) if after else None,
    }
