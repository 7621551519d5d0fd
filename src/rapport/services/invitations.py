"""Distribution: single-use invitation links, anonymous public links, resuming, completing.

Tokens carry 256 random bits; invitations store only the token's SHA-256, so a database
leak does not leak working links. For anonymous surveys the link from invitation to
response is never written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Permission, Person, PersonKind, Principal
from rapport.domain.survey import text_for
from rapport.errors import Conflict, FieldError, Gone, NotFound, ValidationFailed
from rapport.services import confidentiality, responses, surveys
from rapport.services.access import require, require_unit
from rapport.services.clock import as_utc, utcnow
from rapport.services.notify import Notifier
from rapport.services.org import organisation_name
from rapport.services.personal_data import unsubscribe_token
from rapport.services.surveys import PublishedSurvey
from rapport.services.units import require_open
from rapport.storage.repositories.distribution import DistributionRecord, InvitedPerson
from rapport.storage.uow import UnitOfWork


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hash(token: str) -> str:
    """What an invitation stores of its link token (SHA-256, hex)."""
    return _hash(token)


def invitation_token(link_secret: str, salt: str) -> str:
    """The link token of an invitation: ``salt-HMAC(secret, salt)``.

    Only the salt and the token's hash are stored; with the secret key the link can be
    rebuilt for a reminder, without it (a leaked database) it cannot.
    """
    mac = hmac.new(link_secret.encode(), f"invitation:{salt}".encode(), hashlib.sha256)
    return f"{salt}-{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')[:32]}"


@dataclass(frozen=True)
class IssuedInvitation:
    person: Person
    token: str


@dataclass(frozen=True)
class LinkContext:
    """What a respondent's link resolves to."""

    kind: str  # "invitation" | "public"
    token: str
    published: PublishedSurvey
    unit_id: int
    person: Person | None
    invitation_id: int | None
    partial: dict[str, Any]
    org_name: str = "us"
    partial_page: str | None = None
    """The id of the page the respondent was last on (invitations only)."""


@dataclass(frozen=True)
class Wave:
    """What one call of :func:`distribute_wave` did: who was invited, to which unit."""

    distribution_id: int | None
    unit_code: str
    unit_name: str
    audience: str
    issued: list[IssuedInvitation]
    already_invited: int  # people of the unit skipped: they hold an open or used invitation


def distribute(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    *,
    unit: str,
    attributes: Mapping[str, str] | None = None,
    external_ids: Sequence[str] | None = None,
    link_secret: str,
    name: str = "",
    channel: str = "link",
    expires_at: datetime | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
    again: bool = False,
) -> list[IssuedInvitation]:
    """The invitations :func:`distribute_wave` issued (see there)."""
    return distribute_wave(
        uow,
        principal,
        survey,
        unit=unit,
        attributes=attributes,
        external_ids=external_ids,
        link_secret=link_secret,
        name=name,
        channel=channel,
        expires_at=expires_at,
        policy=policy,
        again=again,
    ).issued


def distribute_wave(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    *,
    unit: str,
    attributes: Mapping[str, str] | None = None,
    external_ids: Sequence[str] | None = None,
    link_secret: str,
    name: str = "",
    channel: str = "link",
    expires_at: datetime | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
    again: bool = False,
) -> Wave:
    """Invite the people of ``unit``'s subtree (optionally filtered) to the published version.

    People are chosen by unit, by attribute equality, and/or by a list of external ids
    (e.g. from an uploaded CSV). Idempotent per survey and person: people who already hold
    an invitation to the survey (answered, or unused and not expired) are skipped, and when
    that is everyone, nothing is issued and :class:`Conflict` says so. ``again=True`` starts
    a new wave that invites everyone chosen once more. Returns the raw tokens: show or send
    them once.
    """
    require(principal, Permission.DISTRIBUTE)
    published = surveys.get_published(uow, survey)
    confidentiality.check_link_handover(
        principal, policy, audience=published.survey.audience, channel=channel
    )
    root = uow.units.find(unit)
    if root is None:
        raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {unit!r}")])
    require_unit(principal, root)
    require_open(root)
    uow.distribution.lock_survey(published.survey.id)
    kind = PersonKind(published.survey.audience)
    today = utcnow().date()
    open_units = [u.id for u in uow.units.subtree(root.path) if not u.closed(today)]
    people = uow.people.in_units(open_units, kind)
    if attributes:
        people = [p for p in people if all(p.attributes.get(k) == v for k, v in attributes.items())]
    if external_ids is not None:
        wanted = set(external_ids)
        missing = wanted - {p.external_id for p in people}
        if missing:
            raise ValidationFailed(
                "unknown people",
                [
                    FieldError("external_ids", f"{m!r} is not a {kind.value} of {root.code}")
                    for m in sorted(missing)
                ],
            )
        people = [p for p in people if p.external_id in wanted]
    now = utcnow()
    skipped = 0
    if not again:
        invited = uow.distribution.invited_people(published.survey.id, [p.id for p in people], now)
        skipped = sum(p.id in invited for p in people)
        if people and skipped == len(people):
            raise Conflict(
                f"All {len(people)} {kind.value}s of {root.name} chosen already have an "
                f"invitation to this survey; none was issued. To invite them once more, "
                f"start a new wave (--again).",
                [FieldError("unit", f"everyone in {root.code} is invited already", "invited")],
            )
        people = [p for p in people if p.id not in invited]
    wave = Wave(None, root.code, root.name, kind.value, [], skipped)
    if not people:
        return wave
    dist_id, issued = issue(
        uow,
        published,
        people,
        link_secret=link_secret,
        name=name or f"{published.survey.key} to {root.code}",
        channel=channel,
        expires_at=expires_at,
        created_by=principal.name,
        now=now,
    )
    uow.audit.record(
        principal.name,
        "survey.distribute",
        published.survey.key,
        now,
        {"unit": root.code, "invitations": len(issued), "skipped": skipped, "again": again},
    )
    return replace(wave, distribution_id=dist_id, issued=issued)


def issue(
    uow: UnitOfWork,
    published: PublishedSurvey,
    people: Sequence[Person],
    *,
    link_secret: str,
    name: str,
    channel: str,
    expires_at: datetime | None,
    created_by: str,
    now: datetime,
) -> tuple[int, list[IssuedInvitation]]:
    """Write one distribution of the published version and a single-use invitation per
    person (who were chosen and checked by the caller); returns its id and the raw tokens."""
    dist_id = uow.distribution.add_distribution(
        published.version.id, name, channel, now, expires_at, created_by
    )
    salts = [secrets.token_urlsafe(16) for _ in people]
    issued = [
        IssuedInvitation(p, invitation_token(link_secret, salt))
        for p, salt in zip(people, salts, strict=True)
    ]
    uow.distribution.add_invitations(
        [
            {
                "distribution_id": dist_id,
                "person_id": i.person.id,
                "unit_id": i.person.unit_id,
                "token_hash": _hash(i.token),
                "salt": salt,
                "status": "pending",
                "created_at": now,
            }
            for i, salt in zip(issued, salts, strict=True)
        ]
    )
    return dist_id, issued


@dataclass(frozen=True)
class DistributionLinks:
    """A distribution's invitation links as the caller may see them (rebuilt from salts)."""

    distribution: DistributionRecord
    links: list[tuple[InvitedPerson, str]]  # (who, token)


def distribution_links(
    uow: UnitOfWork,
    principal: Principal,
    survey_id: int,
    distribution_id: int,
    *,
    link_secret: str,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> DistributionLinks:
    """The links of one distribution of ``survey_id``, for the page's list and downloads:
    the same permission and handover rule as issuing them, and only the caller's units."""
    require(principal, Permission.DISTRIBUTE)
    published = surveys.get_published(uow, survey_id)
    confidentiality.check_link_handover(
        principal, policy, audience=published.survey.audience, channel="link"
    )
    dist = uow.distribution.distribution(distribution_id)
    if dist is None or dist.survey_id != published.survey.id:
        raise NotFound(f"No distribution {distribution_id} of this survey.")
    scope = None
    if principal.unit_path is not None:
        scope = [u.id for u in uow.units.subtree(principal.unit_path)]
    rows = uow.distribution.invited(distribution_id, scope, 0, None)
    links = [(r, invitation_token(link_secret, r.salt)) for r in rows if r.salt is not None]
    return DistributionLinks(dist, links)


def create_public_link(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    unit: str,
    expires_at: datetime | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
) -> str:
    """An anonymous, reusable link for one unit (kiosk, receipt QR code); never for a
    protected (employee) survey, whose answers come from personal invitations only."""
    require(principal, Permission.DISTRIBUTE)
    published = surveys.get_published(uow, survey)
    confidentiality.check_public_link(policy, audience=published.survey.audience)
    target = uow.units.find(unit)
    if target is None:
        raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {unit!r}")])
    require_unit(principal, target)
    require_open(target)
    token = secrets.token_urlsafe(16)
    uow.distribution.add_public_link(published.version.id, target.id, token, utcnow(), expires_at)
    return token


def is_public_link_of(uow: UnitOfWork, token: str, survey_id: int) -> bool:
    """Whether ``token`` is a public link to (a version of) the survey."""
    link = uow.distribution.public_link(token)
    return link is not None and surveys.get_version(uow, link.survey_version_id).survey.id == (
        survey_id
    )


def resolve(uow: UnitOfWork, token: str, *, for_update: bool = False) -> LinkContext:
    """Resolve a respondent link; Gone when used or expired, NotFound when unknown."""
    now = utcnow()
    inv = uow.distribution.invitation_by_hash(_hash(token), for_update=for_update)
    if inv is not None:
        if inv.used_at is not None:
            raise Gone("This survey link has already been used. Thank you for your answers.")
        if inv.expires_at is not None and as_utc(inv.expires_at) < now:
            raise Gone("This survey link has expired.")
        _require_open_link(uow, inv.unit_id)
        person = uow.people.get(inv.person_id) if inv.person_id else None
        return LinkContext(
            "invitation",
            token,
            surveys.get_version(uow, inv.survey_version_id),
            inv.unit_id,
            person,
            inv.id,
            inv.partial_answers or {},
            organisation_name(uow),
            inv.partial_page,
        )
    link = uow.distribution.public_link(token)
    if link is None or not link.active:
        raise NotFound("This survey link does not exist.")
    if link.expires_at is not None and as_utc(link.expires_at) < now:
        raise Gone("This survey link has expired.")
    _require_open_link(uow, link.unit_id)
    version = surveys.get_version(uow, link.survey_version_id)
    if confidentiality.protects(confidentiality.DEFAULT_POLICY, version.survey.audience):
        raise Gone("This survey is answered through personal invitations only.")
    return LinkContext(
        "public",
        token,
        version,
        link.unit_id,
        None,
        None,
        {},
        organisation_name(uow),
    )


def _require_open_link(uow: UnitOfWork, unit_id: int) -> None:
    unit = uow.units.get(unit_id)
    if unit is not None and unit.closed(utcnow().date()):
        raise Gone("This survey link is for a place that has closed. Thank you all the same.")


def save_partial(
    uow: UnitOfWork, ctx: LinkContext, answers: Mapping[str, Any], *, page: str | None = None
) -> None:
    """Keep a partial response, and the id of the page to reopen, so the same link
    resumes where the respondent left."""
    if ctx.invitation_id is not None:
        with uow.for_surveys([ctx.published.survey.id]):  # the survey's own invitation
            uow.distribution.save_partial(ctx.invitation_id, dict(answers), page)


def complete(
    uow: UnitOfWork,
    ctx: LinkContext,
    answers: Mapping[str, Any],
    *,
    language: str,
    started_at: datetime | None = None,
    keep_original: bool = False,
) -> int:
    """Validate and store the response, and use up the invitation, in one transaction."""
    if ctx.invitation_id is not None:
        ctx = resolve(uow, ctx.token, for_update=True)  # re-check under lock
    sub = responses.Submission(
        answers=answers,
        unit_id=ctx.unit_id,
        person=ctx.person,
        channel="email" if ctx.kind == "invitation" else "link",
        language=language,
        started_at=started_at,
    )
    result = responses.submit(uow, ctx.published, sub, keep_original=keep_original)
    if ctx.invitation_id is not None:
        keep_link = None if ctx.published.survey.anonymous else result.response_id
        with uow.for_surveys([ctx.published.survey.id]):  # the survey's own invitation
            used = uow.distribution.mark_used(ctx.invitation_id, utcnow(), keep_link)
        if not used:
            raise Conflict("This survey link has already been used.")
        if keep_link is not None:  # a case's follow-up survey ("did we put it right?")
            uow.cases.link_follow_up(ctx.invitation_id, keep_link)
    return result.response_id


def _email_body(title: str, url: str, reminder: bool, unsubscribe_url: str) -> str:
    opening = "A reminder: we would still" if reminder else "We would"
    return (
        f'{opening} love to hear from you in our survey "{title}".\n\n'
        f"Your personal link (please do not share it): {url}\n\n"
        "It takes a few minutes. If you have started already, the link takes you back to "
        "where you left off.\n\n"
        f"To receive no more survey e-mails from us: {unsubscribe_url}\n"
    )


def _unsubscribe_url(base_url: str, link_secret: str, person: Person) -> str:
    return f"{base_url}/unsubscribe/{unsubscribe_token(link_secret, person.id, person.external_id)}"


def send_invitations(
    uow: UnitOfWork,
    issued: Sequence[IssuedInvitation],
    title: str,
    base_url: str,
    notifier: Notifier,
    *,
    link_secret: str,
) -> int:
    """E-mail each invited person their link, with an unsubscribe link (people without
    e-mail or without e-mail consent are skipped)."""
    sent = 0
    for inv in issued:
        if not inv.person.email or not inv.person.consent_email:
            continue
        unsubscribe = _unsubscribe_url(base_url, link_secret, inv.person)
        body = _email_body(title, f"{base_url}/s/{inv.token}", False, unsubscribe)
        notifier.send(inv.person.email, title, body)
        record = uow.distribution.invitation_by_hash(_hash(inv.token))
        if record is not None:
            uow.distribution.mark_sent(record.id, utcnow())
        sent += 1
    return sent


def remind(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    *,
    link_secret: str,
    base_url: str,
    notifier: Notifier,
    max_reminders: int = 2,
) -> int:
    """Send a reminder to everyone invited to ``survey`` who has not answered yet (and
    still consents to e-mail)."""
    require(principal, Permission.DISTRIBUTE)
    published = surveys.get_published(uow, survey)
    title = text_for(
        published.definition.title,
        published.definition.default_language,
        published.definition.default_language,
    )
    sent = 0
    for inv in uow.distribution.pending_for_survey(published.survey.id):
        if inv.salt is None or inv.person_id is None or inv.reminders >= max_reminders:
            continue
        if inv.expires_at is not None and as_utc(inv.expires_at) < utcnow():
            continue
        person = uow.people.get(inv.person_id)
        if person is None or not person.email or not person.consent_email:
            continue
        if not principal.sees_unit(_unit_path(uow, inv.unit_id)):
            continue
        url = f"{base_url}/s/{invitation_token(link_secret, inv.salt)}"
        unsubscribe = _unsubscribe_url(base_url, link_secret, person)
        notifier.send(
            person.email, f"Reminder: {title}", _email_body(title, url, True, unsubscribe)
        )
        uow.distribution.mark_reminded(inv.id, utcnow())
        sent += 1
    uow.audit.record(
        principal.name, "survey.remind", published.survey.key, utcnow(), {"sent": sent}
    )
    return sent


def _unit_path(uow: UnitOfWork, unit_id: int) -> str:
    unit = uow.units.get(unit_id)
    return unit.path if unit else ""
