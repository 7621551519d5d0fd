"""The public unsubscribe page every Rapport e-mail links to (``/unsubscribe/{token}``).

Opening the link only shows a button (mail scanners open links too); pressing it records
the opt-out (``consent_email`` false). The token is signed, so no login is needed.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from rapport.api.deps import DbDep, SettingsDep
from rapport.services import personal_data
from rapport.web.csrf import verify_csrf
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str, db: DbDep, settings: SettingsDep) -> Response:
    with db.unit_of_work(readonly=True) as uow:
        person = personal_data.person_of_token(uow, settings.resolved_secret_key(), token)
    valid = person is not None
    context = {"title": "Unsubscribe", "token": token, "done": False, "invalid": not valid}
    return render(request, "unsubscribe.html", context, status_code=200 if valid else 404)


@router.post(
    "/unsubscribe/{token}", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)]
)
def unsubscribe(request: Request, token: str, db: DbDep, settings: SettingsDep) -> Response:
    with db.unit_of_work() as uow:
        done = personal_data.unsubscribe(uow, settings.resolved_secret_key(), token)
    context = {"title": "Unsubscribe", "token": token, "done": done, "invalid": not done}
    return render(request, "unsubscribe.html", context, status_code=200 if done else 404)
