"""``POST /api/v1/surveys/{id}/distributions``: invite people (or preview whom).

Whom and why not is decided in :mod:`rapport.services.distribution`; e-mails go out after
the invitations are committed, through the SMTP server ``RAPPORT_SMTP_*`` names.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from rapport.analytics.suppression import SuppressionPolicy
from rapport.api.deps import DbDep, PolicyDep, PrincipalDep, SettingsDep, SurveyId
from rapport.domain.org import PersonKind, Principal
from rapport.services import distribution
from rapport.services.notify import SmtpNotifier
from rapport.settings import Settings
from rapport.storage.uow import Database

router = APIRouter(prefix="/api/v1", tags=["surveys"])
PREVIEW = 20


class PersonRefIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=120)
    kind: PersonKind | None = None


class DistributionIn(BaseModel):
    """Whom to invite: attribute filters (all must hold), a list of people, a unit's
    subtree — at least one; several narrow each other."""

    filters: dict[str, str] = Field(
        default_factory=dict, max_length=20, examples=[{"segment": "premium"}]
    )
    people: list[PersonRefIn] | None = Field(None, max_length=100_000)
    unit: str | None = Field(None, min_length=1, max_length=1000)
    channel: Literal["email", "sms", "link"] = "email"
    dry_run: bool = Field(False, description="Decide and count, write and send nothing.")


class InvitedOut(BaseModel):
    external_id: str
    name: str


class SkippedOut(BaseModel):
    external_id: str
    kind: str | None
    reason: distribution.SkipReason


class DistributionOut(BaseModel):
    survey_id: int
    distribution_id: int | None = Field(description="None in a dry run or when nobody is new")
    dry_run: bool
    channel: str
    quiet_days: int
    invited: int
    sent: int = Field(description="E-mails sent (channel email)")
    send_error: str | None
    skipped: dict[str, int] = Field(description="People skipped per reason")
    preview: list[InvitedOut] = Field(description=f"The first {PREVIEW} invited")
    skipped_people: list[SkippedOut] = Field(description="The first 1,000 skipped, with why")


def distribute_and_send(
    db: Database,
    principal: Principal,
    survey_id: int,
    selection: distribution.Selection,
    settings: Settings,
    policy: SuppressionPolicy,
    *,
    base_url: str,
    dry_run: bool = False,
) -> tuple[distribution.Outcome, distribution.Delivery]:
    """Distribute in one unit of work (read-only for a dry run), then e-mail an e-mail
    distribution's invitations in another (the API and the survey page's form)."""
    with db.unit_of_work(readonly=dry_run) as uow:
        outcome = distribution.distribute(
            uow,
            principal,
            survey_id,
            selection,
            link_secret=settings.resolved_secret_key(),
            quiet_days=settings.quiet_days,
            dry_run=dry_run,
            policy=policy,
        )
    delivery = distribution.Delivery(0)
    if outcome.issued and selection.channel == "email":
        with db.unit_of_work() as uow:
            delivery = distribution.deliver(
                uow,
                outcome,
                base_url=base_url,
                notifier=SmtpNotifier.from_settings(settings),
                link_secret=settings.resolved_secret_key(),
            )
    return outcome, delivery


@router.post(
    "/surveys/{survey_id}/distributions",
    response_model=DistributionOut,
    status_code=201,
    summary="Invite people to a survey: one invitation each, consent and quiet period kept",
    responses={200: {"description": "A dry run: what a distribution would do"}},
)
def create_distribution(
    survey_id: SurveyId,
    body: DistributionIn,
    principal: PrincipalDep,
    db: DbDep,
    settings: SettingsDep,
    policy: PolicyDep,
    request: Request,
    response: Response,
) -> DistributionOut:
    refs = None
    if body.people is not None:
        refs = [distribution.PersonRef(p.external_id.strip(), p.kind) for p in body.people]
    selection = distribution.Selection(body.filters, refs, body.unit, body.channel)
    outcome, delivery = distribute_and_send(
        db,
        principal,
        survey_id,
        selection,
        settings,
        policy,
        base_url=settings.link_base(str(request.base_url)),
        dry_run=body.dry_run,
    )
    if body.dry_run:
        response.status_code = 200
    return DistributionOut(
        survey_id=outcome.survey_id,
        distribution_id=outcome.distribution_id,
        dry_run=outcome.dry_run,
        channel=outcome.channel,
        quiet_days=outcome.quiet_days,
        invited=len(outcome.invited),
        sent=delivery.sent,
        send_error=delivery.error,
        skipped=outcome.skipped_counts(),
        preview=[
            InvitedOut(external_id=p.external_id, name=p.name) for p in outcome.invited[:PREVIEW]
        ],
        skipped_people=[
            SkippedOut(external_id=s.external_id, kind=s.kind, reason=s.reason)
            for s in outcome.skipped[:1000]
        ],
    )
