"""Staff pages for surveys: list, per-survey dashboard, distribution and public links."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from rapport.analytics.engines import AnalyticsEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, SettingsDep, SurveyId
from rapport.api.metrics import live_engine
from rapport.domain.survey import fill_placeholders
from rapport.errors import ValidationFailed
from rapport.services import (
    comment_explorer,
    dashboard,
    invitations,
    org,
    response_import,
    surveys,
)
from rapport.web.csrf import verify_csrf
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
LiveEngine = Annotated[AnalyticsEngine, Depends(live_engine)]
EKMAN = ["joy", "surprise", "neutral", "sadness", "fear", "anger", "disgust"]
SENTIMENTS = ["positive", "negative", "ambiguous", "neutral"]


def _policy(settings: SettingsDep) -> SuppressionPolicy:
    return SuppressionPolicy(settings.anonymity_min_scores, settings.anonymity_min_comments)


@router.get("/surveys", response_class=HTMLResponse)
def survey_list(request: Request, principal: PagePrincipal, db: DbDep) -> HTMLResponse:
    with db.unit_of_work() as uow:
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
                uow, principal, survey_id, unit=unit, link_secret=settings.resolved_secret_key()
            )
            links = [(i.person.name, f"{base}/s/{i.token}") for i in issued]
            public = None
        else:
            token = invitations.create_public_link(uow, principal, survey_id, unit)
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
) -> HTMLResponse:
    """Upload a CSV of responses; the page reports every bad row or the count imported."""
    form = await request.form()
    upload = form.get("file")
    # request.form() yields Starlette's UploadFile; FastAPI's is a subclass it never is.
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    report: dict[str, object]
    try:
        with db.unit_of_work() as uow:
            result = response_import.import_responses(
                uow, principal, survey_id, data, keep_original=settings.keep_original_comments
            )
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
) -> HTMLResponse:
    """Comment explorer: filters by unit, emotion, score band and sentiment; themes."""
    filters = {
        "unit": unit or None,
        "emotion": emotion or None,
        "band": band or None,
        "sentiment": sentiment or None,
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
        },
    )
