"""The people pages: ``/people`` (the directory, searchable, a page at a time) and
``/people/{kind}/{external_id}`` (one person's profile and timeline).

Both read through services: :func:`rapport.services.people.list_people` and
:func:`rapport.services.profiles.get_profile`, which decides what a profile shows (never
an employee's confidential answers), keeps managers to their subtree (404) and writes
the view to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from rapport.api.deps import DbDep, PolicyDep
from rapport.api.profiles import profile_out
from rapport.domain.org import PersonKind
from rapport.services import people, profiles
from rapport.web.pages import PagePrincipal
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[Literal["", "customer", "employee"], Query()] = "",
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> HTMLResponse:
    """The directory; the form sends ``kind=`` empty for everyone."""
    chosen = PersonKind(kind) if kind else None
    with db.unit_of_work(readonly=True) as uow:
        found, next_after = people.list_people(
            uow, principal, kind=chosen, after=after, limit=PAGE_SIZE, search=q
        )
        codes = {u.id: u.code for u in uow.units.all()}
    more = None
    if next_after is not None:
        params = {"q": q, "kind": kind, "after": next_after}
        more = urlencode({k: v for k, v in params.items() if v != ""})
    context = {
        "people": found,
        "codes": codes,
        "q": q,
        "kind": kind,
        "kinds": [k.value for k in PersonKind],
        "more": more,
    }
    return render(request, "people.html", context)


@router.get("/people/{kind}/{external_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    principal: PagePrincipal,
    db: DbDep,
    policy: PolicyDep,
    kind: PersonKind,
    external_id: Annotated[str, Path(min_length=1, max_length=120)],
) -> HTMLResponse:
    with db.unit_of_work() as uow:  # a write: the view is audited
        profile = profiles.get_profile(uow, principal, policy, kind, external_id)
    return render(request, "person.html", {"p": profile_out(profile)})
