"""``/admin/webhooks`` (admins): the receivers, the delivery log with every attempt, dead
letters first in view, and a replay button on each dead (or delivered) message.

The page only draws; :mod:`rapport.services.webhooks` decides. Replays are CSRF-protected
forms that redirect back (303) with a message.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rapport.api.deps import MAX_ID, DbDep
from rapport.domain.webhooks import DeliveryStatus
from rapport.errors import Conflict
from rapport.services import webhooks
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
CsrfChecked = [Depends(verify_csrf)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SHOWN = 200


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    status: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Receivers with their counts; the latest deliveries (``status`` filters them)."""
    with db.unit_of_work(readonly=True) as uow:
        endpoints = webhooks.endpoints(uow, principal)
        counts = uow.webhooks.counts()
        log = webhooks.deliveries(uow, principal, None, status=status or None, limit=SHOWN)
        dead = webhooks.deliveries(uow, principal, None, status=DeliveryStatus.DEAD, limit=SHOWN)
    context = {
        "endpoints": endpoints,
        "urls": {e.id: e.url for e in endpoints},
        "counts": counts,
        "log": log,
        "dead": dead,
        "status": status,
        "statuses": [s.value for s in DeliveryStatus],
    }
    return render(request, "admin_webhooks.html", context)


@router.post(
    "/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", dependencies=CsrfChecked
)
def replay(
    request: Request, principal: PagePrincipal, db: DbDep, webhook_id: Id, delivery_id: Id
) -> Response:
    try:
        with db.unit_of_work() as uow:
            webhooks.replay(uow, principal, webhook_id, delivery_id)
    except Conflict as exc:
        flash(request, exc.detail, "warning")
    else:
        flash(request, f"Delivery {delivery_id} will be sent again shortly.")
    return RedirectResponse("/admin/webhooks", status_code=303)
