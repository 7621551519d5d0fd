"""The survey page's "Distribute to people" form: a dry-run preview, then the confirm.

The preview (``POST .../people/preview``) decides exactly what the confirm will do,
writes nothing and shows the counts per reason and the first 20 people; the confirm
(``POST .../people/distribute``) carries the same choices, invites, e-mails (channel
email, after the invitations are committed) and redirects with a message. The decisions
are :mod:`rapport.services.distribution`'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rapport.api.deps import DbDep, SettingsDep, SurveyId, get_policy
from rapport.api.distributions import distribute_and_send
from rapport.domain.org import Principal
from rapport.errors import ValidationFailed
from rapport.services import dashboard, distribution, org
from rapport.storage.uow import Database
from rapport.web.csrf import verify_csrf
from rapport.web.flash import flash
from rapport.web.pages import PagePrincipal
from rapport.web.survey_pages import LiveEngine
from rapport.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form(max_length=500_000)]
Channel = Annotated[str, Form(pattern="^(email|sms|link)$")]


def selection_of(to: str, people: str, unit: str, channel: str) -> distribution.Selection:
    """The form's fields as a selection: ``attribute=value`` lines; people lines as a CSV
    of ``external_id[,kind]`` (errors name the line as a row, the header being row 1).

    >>> s = selection_of("segment=premium\\n", "c-1\\nc-2,customer", "", "email")
    >>> s.filters, [r.external_id for r in s.people or []], s.unit
    ({'segment': 'premium'}, ['c-1', 'c-2'], None)
    """
    filters = distribution.parse_filters([x for x in to.splitlines() if x.strip()], "to")
    refs = None
    if people.strip():
        lines = [x for x in people.splitlines() if x.strip()]
        refs = distribution.parse_people(("external_id,kind\n" + "\n".join(lines)).encode())
    return distribution.Selection(filters, refs, unit or None, channel)


def _survey_page(
    request: Request,
    db: Database,
    live: Any,
    principal: Principal,
    survey_id: int,
    quiet_days: int,
    extra: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    with db.unit_of_work(readonly=True) as uow:
        data = dashboard.survey_dashboard(uow, live, principal, survey_id, get_policy(request))
        units = org.list_units(uow, principal)
    context = {"d": data, "units": units, "quiet_days": quiet_days, **extra}
    return render(request, "survey.html", context, status_code=status_code)


@router.post(
    "/surveys/{survey_id}/people/preview",
    response_class=HTMLResponse,
    dependencies=[Depends(verify_csrf)],
)
def preview(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    live: LiveEngine,
    settings: SettingsDep,
    channel: Channel,
    to: FormText = "",
    people: FormText = "",
    unit: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """The survey page with what the distribution would do (a dry run), or its errors."""
    form = {"to": to, "people": people, "unit": unit, "channel": channel}
    try:
        selection = selection_of(to, people, unit, channel)
        outcome, _ = distribute_and_send(
            db,
            principal,
            survey_id,
            selection,
            settings,
            get_policy(request),
            base_url=settings.link_base(str(request.base_url)),
            dry_run=True,
        )
    except ValidationFailed as exc:
        error = {"message": exc.detail, "errors": [(e.location, e.message) for e in exc.errors]}
        extra = {"people_form": form, "people_error": error}
        return _survey_page(
            request, db, live, principal, survey_id, settings.quiet_days, extra, 422
        )
    shown = {"invited": outcome.invited, "skipped": outcome.skipped, "channel": channel}
    shown["reasons"] = _reasons(outcome)
    extra = {"people_form": form, "people_preview": shown}
    return _survey_page(request, db, live, principal, survey_id, settings.quiet_days, extra)


def _reasons(outcome: distribution.Outcome) -> list[tuple[str, int, str]]:
    found = []
    for code, count in outcome.skipped_counts().items():
        if count:
            text = distribution.REASON_TEXT[distribution.SkipReason(code)]
            if code == distribution.SkipReason.QUIET_PERIOD:
                text += f" ({outcome.quiet_days} days)"
            found.append((code, count, text))
    return found


@router.post("/surveys/{survey_id}/people/distribute", dependencies=[Depends(verify_csrf)])
def confirm(
    request: Request,
    survey_id: SurveyId,
    principal: PagePrincipal,
    db: DbDep,
    settings: SettingsDep,
    channel: Channel,
    to: FormText = "",
    people: FormText = "",
    unit: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Invite (and e-mail), then redirect (303) to the survey page with the counts; links
    of a link or SMS distribution are listed there."""
    outcome, delivery = distribute_and_send(
        db,
        principal,
        survey_id,
        selection_of(to, people, unit, channel),
        settings,
        get_policy(request),
        base_url=settings.link_base(str(request.base_url)),
    )
    message = f"Invited {len(outcome.invited)} {outcome.audience}s by {channel}"
    if channel == "email":
        message += f" (e-mailed {delivery.sent})"
    skipped = ", ".join(f"{count} {text}" for _, count, text in _reasons(outcome))
    flash(request, message + (f"; skipped {skipped}." if skipped else "."))
    if delivery.error:
        flash(request, delivery.error + "; `rapport survey remind` sends the rest.", "warning")
    if outcome.distribution_id is not None and channel != "email":
        target = f"/surveys/{survey_id}?distribution={outcome.distribution_id}#links"
    else:
        target = f"/surveys/{survey_id}#people"
    return RedirectResponse(target, status_code=303)
