"""Distribution to people: choose them, check consent and the quiet period, invite once.

People are chosen by attribute equality (``segment=premium``; several filters all hold), a
list of external ids (optionally with their kind), and/or a unit's subtree; several
selectors narrow each other. Every person chosen is either invited (one single-use
invitation) or skipped for one reason (:class:`SkipReason`): not a person of the survey's
audience (never an employee to a customer survey), no consent or no address for the
channel, a closed unit, or an invitation to the same survey within the quiet period
(``RAPPORT_QUIET_DAYS``). An erased person is no longer in the directory: their id is
unknown. Distributions of one survey take a lock (:meth:`DistributionRepository.lock_survey`)
before reading who was invited, so two at once never invite anyone twice.
"""

from __future__ import annotations

import enum
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Person, PersonKind, Principal
from rapport.domain.survey import text_for
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_table import read_table
from rapport.services import confidentiality, surveys
from rapport.services.access import require, require_unit
from rapport.services.clock import utcnow
from rapport.services.invitations import IssuedInvitation, issue, send_invitations
from rapport.services.notify import Notifier
from rapport.storage.uow import UnitOfWork

CHANNELS = ("email", "sms", "link")
DEFAULT_QUIET_DAYS = 30


class SkipReason(enum.StrEnum):
    UNKNOWN_ID = "unknown_id"
    WRONG_AUDIENCE = "wrong_audience"
    NOT_MATCHED = "not_matched"
    UNIT_CLOSED = "unit_closed"
    NO_CONSENT = "no_consent"
    NO_ADDRESS = "no_address"
    QUIET_PERIOD = "quiet_period"


#: Each reason in plain words (CLI, page).
REASON_TEXT = {
    SkipReason.UNKNOWN_ID: "unknown id (not in the directory, erased, or outside your units)",
    SkipReason.WRONG_AUDIENCE: "not of the survey's audience",
    SkipReason.NOT_MATCHED: "listed, but outside the unit or filters chosen",
    SkipReason.UNIT_CLOSED: "their unit is closed",
    SkipReason.NO_CONSENT: "no consent for the channel",
    SkipReason.NO_ADDRESS: "no address for the channel (e-mail or phone)",
    SkipReason.QUIET_PERIOD: "invited to this survey within the quiet period",
}


@dataclass(frozen=True)
class PersonRef:
    """One line of a people list: an external id and, optionally, the person's kind."""

    external_id: str
    kind: PersonKind | None = None


@dataclass(frozen=True)
class Selection:
    """Whom to invite and how. Give at least one of ``filters``, ``people``, ``unit``."""

    filters: Mapping[str, str] = field(default_factory=dict)
    people: Sequence[PersonRef] | None = None
    unit: str | None = None
    channel: str = "email"


@dataclass(frozen=True)
class Skipped:
    external_id: str
    kind: str | None
    reason: SkipReason


@dataclass(frozen=True)
class Outcome:
    """What a distribution did (or, in a dry run, would do)."""

    survey_id: int
    survey_key: str
    audience: str
    channel: str
    dry_run: bool
    quiet_days: int
    invited: list[Person]
    skipped: list[Skipped]
    distribution_id: int | None = None
    issued: list[IssuedInvitation] = field(default_factory=list)

    def skipped_counts(self) -> dict[str, int]:
        """Skipped people per reason, every reason present (zero when none)."""
        counts = {r.value: 0 for r in SkipReason}
        for s in self.skipped:
            counts[s.reason.value] += 1
        return counts


def parse_people(data: bytes) -> list[PersonRef]:
    """A people list: CSV with an ``external_id`` column and optionally ``kind``.

    >>> refs = parse_people(b"external_id,kind\\nc-1,customer\\nc-2,\\n")
    >>> [(r.external_id, r.kind) for r in refs]
    [('c-1', <PersonKind.CUSTOMER: 'customer'>), ('c-2', None)]
    """
    table, errors = read_table(data, ["external_id"])
    if table is None or errors:
        raise ValidationFailed("The people list cannot be read.", errors)
    refs: list[PersonRef] = []
    kinds = {k.value for k in PersonKind}
    for line, record in table.records():
        external_id, kind = record["external_id"], record.get("kind", "").lower()
        if not external_id:
            errors.append(FieldError(f"row {line}, external_id", "is empty", "required"))
        if kind and kind not in kinds:
            errors.append(
                FieldError(
                    f"row {line}, kind", f"expected customer or employee, got {kind!r}", "kind"
                )
            )
        if not errors:
            refs.append(PersonRef(external_id, PersonKind(kind) if kind else None))
    if errors:
        raise ValidationFailed("The people list has errors; nobody was invited.", errors)
    return refs


def parse_filters(pairs: Sequence[str], where: str = "to") -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; a malformed one is an error naming it.

    >>> parse_filters(["segment=premium", "tier = gold"])
    {'segment': 'premium', 'tier': 'gold'}
    """
    filters: dict[str, str] = {}
    errors = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            errors.append(FieldError(where, f"expected ATTRIBUTE=VALUE, got {pair!r}", "filter"))
        else:
            filters[key.strip()] = value.strip()
    if errors:
        raise ValidationFailed("bad filter", errors)
    return filters


def distribute(
    uow: UnitOfWork,
    principal: Principal,
    survey: int | str,
    selection: Selection,
    *,
    link_secret: str,
    quiet_days: int = DEFAULT_QUIET_DAYS,
    dry_run: bool = False,
    expires_at: datetime | None = None,
    policy: SuppressionPolicy = confidentiality.DEFAULT_POLICY,
    now: datetime | None = None,
) -> Outcome:
    """Invite the people ``selection`` chooses to the published survey, once each.

    A dry run decides the same (without the lock) and writes nothing. Returns who was
    invited and who was skipped why; ``issued`` holds the raw tokens (show or send once).

    >>> # distribute(uow, admin, "customer-relationship",
    >>> #            Selection(filters={"segment": "premium"}), link_secret=key)
    """
    require(principal, Permission.DISTRIBUTE)
    _check_selection(selection)
    published = surveys.get_published(uow, survey)
    audience = PersonKind(published.survey.audience)
    confidentiality.check_link_handover(
        principal, policy, audience=audience.value, channel=selection.channel
    )
    if not dry_run:
        uow.distribution.lock_survey(published.survey.id)
    now = now or utcnow()
    chosen, skipped = _choose(uow, principal, selection, audience)
    today = now.date()
    closed = {u.id for u in uow.units.all() if u.closed(today)}
    reachable: list[Person] = []
    for person in chosen:
        reason = _unreachable(person, selection.channel, closed)
        if reason is None:
            reachable.append(person)
        else:
            skipped.append(Skipped(person.external_id, person.kind.value, reason))
    quiet = uow.distribution.invited_since(
        published.survey.id, [p.id for p in reachable], now - timedelta(days=quiet_days)
    )
    invited = [p for p in reachable if p.id not in quiet]
    skipped += [
        Skipped(p.external_id, p.kind.value, SkipReason.QUIET_PERIOD)
        for p in reachable
        if p.id in quiet
    ]
    outcome = Outcome(
        published.survey.id,
        published.survey.key,
        audience.value,
        selection.channel,
        dry_run,
        quiet_days,
        invited,
        skipped,
    )
    if dry_run or not invited:
        return outcome
    dist_id, issued = issue(
        uow,
        published,
        invited,
        link_secret=link_secret,
        name=_name(published.survey.key, selection),
        channel=selection.channel,
        expires_at=expires_at,
        created_by=principal.name,
        now=now,
    )
    uow.audit.record(
        principal.name,
        AuditAction.SURVEY_DISTRIBUTE,
        published.survey.key,
        now,
        {
            "channel": selection.channel,
            "filters": dict(selection.filters),
            "unit": selection.unit,
            "listed": None if selection.people is None else len(selection.people),
            "invitations": len(issued),
            "skipped": outcome.skipped_counts(),
        },
    )
    return replace(outcome, distribution_id=dist_id, issued=issued)


@dataclass(frozen=True)
class Delivery:
    sent: int
    error: str | None = None


def deliver(
    uow: UnitOfWork,
    outcome: Outcome,
    *,
    base_url: str,
    notifier: Notifier,
    link_secret: str,
) -> Delivery:
    """E-mail the invitations of an e-mail distribution, each with its unsubscribe link.

    Call it in a unit of work after the distribution's has committed, so a slow mail server
    never holds the survey's lock. A mail server that fails stops the sending; what was sent
    stays marked sent and the error is returned (``rapport survey remind`` sends later).
    """
    if outcome.channel != "email" or not outcome.issued:
        return Delivery(0)
    definition = surveys.get_published(uow, outcome.survey_id).definition
    title = text_for(definition.title, definition.default_language, definition.default_language)
    sent = 0
    for one in outcome.issued:
        try:
            sent += send_invitations(uow, [one], title, base_url, notifier, link_secret=link_secret)
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery(sent, f"the mail server failed after {sent} e-mails: {exc}")
    return Delivery(sent)


def _check_selection(selection: Selection) -> None:
    errors = []
    if selection.channel not in CHANNELS:
        errors.append(
            FieldError(
                "channel", f"expected one of {', '.join(CHANNELS)}, got {selection.channel!r}"
            )
        )
    if not selection.filters and selection.people is None and not selection.unit:
        errors.append(
            FieldError(
                "selection",
                "choose people by attribute filters, a people list or a unit (or several)",
                "required",
            )
        )
    if errors:
        raise ValidationFailed("nobody to distribute to", errors)


def _choose(
    uow: UnitOfWork, principal: Principal, selection: Selection, audience: PersonKind
) -> tuple[list[Person], list[Skipped]]:
    """The people of the audience chosen (in the principal's units), and those listed or
    matched but skipped before consent is looked at."""
    scope: set[int] | None = None
    if principal.unit_path is not None:
        scope = {u.id for u in uow.units.subtree(principal.unit_path)}
    within = scope
    if selection.unit:
        root = uow.units.find(selection.unit)
        if root is None:
            raise ValidationFailed(
                "unknown unit", [FieldError("unit", f"no unit {selection.unit!r}")]
            )
        require_unit(principal, root)
        within = {u.id for u in uow.units.subtree(root.path)}

    def matches(p: Person) -> bool:
        in_units = within is None or p.unit_id in within
        return in_units and all(p.attributes.get(k) == v for k, v in selection.filters.items())

    skipped: list[Skipped] = []
    if selection.people is None:
        candidates = uow.people.chosen(None if within is None else sorted(within))
        chosen = []
        for p in candidates:
            if not matches(p):
                continue
            if p.kind is audience:
                chosen.append(p)
            else:
                skipped.append(Skipped(p.external_id, p.kind.value, SkipReason.WRONG_AUDIENCE))
        return chosen, skipped
    known: dict[tuple[str, str], Person] = {
        (p.kind.value, p.external_id): p
        for p in uow.people.by_external_ids(r.external_id for r in selection.people)
        if scope is None or p.unit_id in scope
    }
    other = next(k for k in PersonKind if k is not audience)
    chosen, seen = [], set()
    for ref in selection.people:
        kind = ref.kind.value if ref.kind else None
        person = known.get((kind or audience.value, ref.external_id))
        if kind not in (None, audience.value) or (
            kind is None and person is None and (other.value, ref.external_id) in known
        ):
            skipped.append(Skipped(ref.external_id, kind or other.value, SkipReason.WRONG_AUDIENCE))
        elif person is None:
            skipped.append(Skipped(ref.external_id, kind, SkipReason.UNKNOWN_ID))
        elif person.id in seen:
            continue  # a repeated line counts once
        elif not matches(person):
            skipped.append(Skipped(ref.external_id, kind, SkipReason.NOT_MATCHED))
        else:
            chosen.append(person)
        if person is not None:
            seen.add(person.id)
    return chosen, skipped


def _unreachable(person: Person, channel: str, closed: set[int]) -> SkipReason | None:
    if person.unit_id in closed:
        return SkipReason.UNIT_CLOSED
    if channel == "email":
        if not person.consent_email:
            return SkipReason.NO_CONSENT
        if not person.email:
            return SkipReason.NO_ADDRESS
    if channel == "sms":
        if not person.consent_sms:
            return SkipReason.NO_CONSENT
        if not person.phone:
            return SkipReason.NO_ADDRESS
    return None


def _name(key: str, selection: Selection) -> str:
    parts = [f"{k}={v}" for k, v in selection.filters.items()]
    if selection.unit:
        parts.append(f"unit {selection.unit}")
    if selection.people is not None:
        parts.append(f"{len(selection.people)} listed")
    return f"{key} by {selection.channel} to {', '.join(parts)}"[:200]
