"""Staff pages for surveys: list, per-survey dashboard, distribution and public links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import segno
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile  # what request.form() returns

from rapport.analytics.engines import AnalyticsEngine
from rapport.api import imports
from rapport.api.deps import MAX_ID, DbDep, SettingsDep, SurveyId, ThemesDep, get_policy
from rapport.api.imports import JobId
from rapport.api.metrics import live_engine
from rapport.domain.org import Principal
from rapport.domain.survey import fill_placeholders
from rapport.errors import Conflict, FieldError, ValidationFailed
from rapport.exporters import link_exports
from rapport.services import (
    comment_explorer,
    dashboard,
    import_jobs,
    invitations,
    org,
    surveys,
)
from rapport.settings import Settings
from rapport.storage.uow import Database
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
LiveEngine = Annotated[AnalyticsEngine, Depends(live_engine)]
LINKS_PER_PAGE = 25
EKMAN = ["joy", "surprise", "neutral", "sadness", "fear", "anger", "disgust"]
SENTIMENTS = ["positive", "negative", "ambiguous", "neutral"]
COMMENTS_PER_PAGE = 50


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
    unit: str | None = None,
    distribution: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
    public: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The survey's results, import form and links; after creating links (redirect-after-
    POST) ``unit`` keeps the selector, ``distribution`` pages its links, ``public`` shows
    the public link just made."""
    base = _link_base(request, settings)
    links: dict[str, Any] | None = None
    public_link = None
    with db.unit_of_work() as uow:
        data = dashboard.survey_dashboard(uow, live, principal, survey_id, get_policy(request))
        units = org.list_units(uow, principal)
        if distribution is not None:
            found = invitations.distribution_links(
                uow,
                principal,
                survey_id,
                distribution,
                link_secret=settings.resolved_secret_key(),
                policy=get_policy(request),
            )
            links = _links_page(found, base, page)
        if public and invitations.is_public_link_of(uow, public, survey_id):
            public_link = f"{base}/s/{public}"
    selected = unit if any(u.code == unit for u in units) else None
    context = {
        "d": data,
        "units": units,
        "selected_unit": selected,
        "links": links,
        "public_link": public_link,
        "public_token": public,
        "quiet_days": settings.quiet_days,
    }
    return render(request, "survey.html", context)


def _link_base(request: Request, settings: Settings) -> str:
    return settings.link_base(str(request.base_url))


def _links_page(found: invitations.DistributionLinks, base: str, page: int) -> dict[str, Any]:
    total = len(found.links)
    pages = max(1, -(-total // LINKS_PER_PAGE))
    page = min(page, pages)
    shown = found.links[(page - 1) * LINKS_PER_PAGE : page * LINKS_PER_PAGE]
    return {
        "distribution": found.distribution,
        "rows": [(who.name, who.external_id, f"{base}/s/{token}", token) for who, token in shown],
        "total": total,
        "page": page,
        "pages": pages,
        "first": (page - 1) * LINKS_PER_PAGE + 1,
        "last": (page - 1) * LINKS_PER_PAGE + len(shown),
    }


@router.post("/surveys/{survey_id}/links", dependencies=[Depends(verify_csrf)])
def create_links(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    settings: SettingsDep,
    unit: Annotated[str, Form(max_length=400)],
    kind: Annotated[str, Form(pattern="^(public|invitations|again)$")] = "public",
) -> Response:
    """Create a public link or invitations, then redirect (303) to the survey page, which
    names the unit at its top, keeps it selected and lists the links a page at a time."""
    back = f"/surveys/{survey_id}?unit={quote(unit)}"
    try:
        with db.unit_of_work() as uow:
            unit_name = next(
                (u.name for u in org.list_units(uow, principal) if u.code == unit), unit
            )
            if kind == "public":
                token = invitations.create_public_link(
                    uow, principal, survey_id, unit, policy=get_policy(request)
                )
            else:
                wave = invitations.distribute_wave(
                    uow,
                    principal,
                    survey_id,
                    unit=unit,
                    link_secret=settings.resolved_secret_key(),
                    policy=get_policy(request),
                    again=kind == "again",
                )
    except Conflict as exc:  # everyone is invited already: say so where they are looking
        flash(request, exc.detail.replace("(--again)", "(New wave)"), "warning")
        return RedirectResponse(back + "#links", status_code=303)
    if kind == "public":
        flash(request, f"Created a public link for {unit_name}.")
        return RedirectResponse(f"{back}&public={quote(token)}#links", status_code=303)
    message = f"Issued {len(wave.issued)} invitation links for {wave.unit_name}"
    if wave.already_invited:
        message += f"; {wave.already_invited} already invited were skipped"
    flash(request, message + ".")
    if wave.distribution_id is None:
        return RedirectResponse(back + "#links", status_code=303)
    return RedirectResponse(f"{back}&distribution={wave.distribution_id}#links", status_code=303)


@router.get("/surveys/{survey_id}/distributions/{distribution_id}/links.{fmt}")
def download_links(
    request: Request,
    survey_id: SurveyId,
    distribution_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    fmt: Annotated[str, PathParam(pattern="^(csv|zip)$")],
    principal: PagePrincipal,
    db: DbDep,
    settings: SettingsDep,
) -> Response:
    """A distribution's links as CSV, or as a ZIP of the CSV and one QR code PNG per link."""
    with db.unit_of_work(readonly=True) as uow:
        found = invitations.distribution_links(
            uow,
            principal,
            survey_id,
            distribution_id,
            link_secret=settings.resolved_secret_key(),
            policy=get_policy(request),
        )
    base = _link_base(request, settings)
    rows = [(who, f"{base}/s/{token}") for who, token in found.links]
    table = link_exports.links_csv([(w.external_id, w.name, w.email, url) for w, url in rows])
    stem = f"invitations-{distribution_id}"
    if fmt == "csv":
        body, media = table.encode("utf-8"), "text/csv; charset=utf-8"
    else:
        body, media = link_exports.links_zip(table, [(w.external_id, url) for w, url in rows])
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/qr/{token}.{fmt}")
def public_link_qr(
    token: str, fmt: str, db: DbDep, request: Request, settings: SettingsDep
) -> Response:
    """QR code (PNG or SVG) of a public or invitation link (it shows only the link)."""
    with db.unit_of_work() as uow:
        invitations.resolve(uow, token)
    url = f"{_link_base(request, settings)}/s/{token}"
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
    """Upload a CSV of responses: success redirects to the survey page with a message at
    its top; a refused file shows the page again with every bad row at the top (422)."""
    policy = get_policy(request)
    await run_in_threadpool(imports.check_allowed, db, principal, survey_id, policy)
    form = await request.form()  # files are spooled to disk by the form parser
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed(
                "No file was chosen.", [FieldError("file", "choose a CSV file to import")]
            )
        if (upload.size or 0) > settings.import_sync_max_bytes:
            return await _import_as_job(request, survey_id, principal, db, settings, upload)
        data = await upload.read()
        keep = settings.keep_original_comments
        # In a worker thread: an import must never hold up the event loop.
        result = await run_in_threadpool(imports.import_now, db, principal, survey_id, data, keep)
    except ValidationFailed as exc:
        report = {"message": exc.detail, "errors": [(e.location, e.message) for e in exc.errors]}
        with db.unit_of_work() as uow:
            data_ = dashboard.survey_dashboard(uow, live, principal, survey_id, policy)
            units = org.list_units(uow, principal)
        context = {
            "d": data_,
            "units": units,
            "report": report,
            "filename": _name(upload),
            "quiet_days": settings.quiet_days,
        }
        return render(request, "survey.html", context, status_code=422)
    flash(
        request,
        f"Imported {result.rows} responses from {_name(upload)} (file encoding {result.encoding}).",
    )
    return RedirectResponse(f"/surveys/{survey_id}", status_code=303)


def _name(upload: object) -> str:
    if isinstance(upload, UploadFile) and upload.filename:
        return upload.filename
    return "the file"


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
    themes: ThemesDep,
    live: LiveEngine,
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
    generation = live.survey_version((survey_id,))  # before the unit of work's first read
    with db.unit_of_work() as uow:
        view = comment_explorer.explore(
            uow,
            principal,
            survey_id,
            get_policy(request),
            unit=filters["unit"],
            emotion=filters["emotion"],
            band=filters["band"],
            sentiment=filters["sentiment"],
            period=filters["period"],
            offset=_offset(offset),
            limit=COMMENTS_PER_PAGE,
            cache=themes,
            generation=generation,
        )
        published = view.published or surveys.get_published(uow, survey_id)
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
            "grain": get_policy(request).period,
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
