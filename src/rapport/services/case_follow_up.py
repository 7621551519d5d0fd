"""The follow-up survey of a case: "did we put it right?" (``docs/closed-loop.md``).

A rule may name a follow-up survey. When one of its cases is **closed** and the respondent
is known (a customer with an e-mail address and e-mail consent), :func:`update` issues a
single-use invitation to the survey in the closing transaction (the ordinary distribution
machinery, :func:`rapport.services.invitations.issue`) and remembers it on the case;
:func:`send_pending` e-mails it after the transaction (at most once: each mail is claimed
by a conditional update). The answer, stored through the invitation, is linked to the case
(:func:`rapport.services.invitations.complete`) and shown on it.

Employee cases never get one: the follow-up would say who answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport.domain.alerts import CaseStatus
from rapport.domain.org import Principal
from rapport.domain.survey import text_for
from rapport.services import cases, invitations, surveys
from rapport.services.clock import utcnow
from rapport.services.notify import Notifier
from rapport.storage.repositories.cases import CaseRecord
from rapport.storage.uow import Database, UnitOfWork

logger = logging.getLogger("rapport.cases")
#: How long a follow-up link stays valid.
FOLLOW_UP_DAYS = 14


def update(
    uow: UnitOfWork,
    principal: Principal,
    case_id: int,
    change: cases.CaseChange,
    *,
    link_secret: str,
) -> int | None:
    """:func:`rapport.services.cases.update`, and the follow-up invitation when the change
    closes the case; returns the invitation's id (None when none was issued)."""
    before = uow.cases.get(case_id)
    cases.update(uow, principal, case_id, change)
    after = uow.cases.get(case_id)
    if before is None or after is None or before.status == CaseStatus.CLOSED:
        return None
    if after.status != CaseStatus.CLOSED:
        return None
    return invite(uow, after, actor=principal.name, link_secret=link_secret, now=utcnow())


def invite(
    uow: UnitOfWork, case: CaseRecord, *, actor: str, link_secret: str, now: datetime
) -> int | None:
    """Issue the follow-up invitation of a closed case, if its rule names a survey and its
    respondent can be asked; records a ``follow_up`` event. Returns the invitation id."""
    if case.follow_up_invitation_id is not None or case.response_id is None:
        return None
    if case.audience != "customer" or case.rule_id is None:
        return None
    rule = uow.alert_rules.get(case.rule_id)
    if rule is None or rule.follow_up_survey_id is None:
        return None
    person_id = uow.cases.respondent(case.response_id)
    person = uow.people.get(person_id) if person_id is not None else None
    if person is None or not person.email or not person.consent_email:
        return None
    published = surveys.get_published(uow, rule.follow_up_survey_id)
    _, issued = invitations.issue(
        uow,
        published,
        [person],
        link_secret=link_secret,
        name=f"Follow-up of case {case.id}",
        channel="email",
        expires_at=now + timedelta(days=FOLLOW_UP_DAYS),
        created_by=actor,
        now=now,
    )
    record = uow.distribution.invitation_by_hash(invitations.token_hash(issued[0].token))
    if record is None:
        raise RuntimeError("internal error: the follow-up invitation was not stored")
    uow.cases.update(case.id, follow_up_invitation_id=record.id)
    uow.cases.add_event(
        case_id=case.id, at=now, actor=actor, kind="follow_up", from_value=None,
        to_value=published.survey.key, notify_user_id=None,
    )  # fmt: skip
    return record.id


@dataclass(frozen=True)
class Mailed:
    case_id: int
    to: str


def send_pending(
    db: Database, notifier: Notifier, *, base_url: str, link_secret: str
) -> list[Mailed]:
    """E-mail every follow-up invitation not yet sent (after the closing transaction), each
    at most once; a failed delivery is logged and not retried."""
    with db.unit_of_work(readonly=True) as uow:
        pending = uow.cases.unsent_follow_ups()
    mailed = []
    for case_id, invitation_id in pending:
        with db.unit_of_work() as uow:
            if not uow.cases.claim_follow_up_mail(invitation_id, utcnow()):
                continue
            found = uow.distribution.invitation_link(invitation_id)
            if found is None:
                continue
            salt, person_id, version_id = found
            person = uow.people.get(person_id)
            published = surveys.get_version(uow, version_id)
        if person is None or not person.email:
            continue
        definition = published.definition
        title = text_for(definition.title, definition.default_language, person.language)
        token = invitations.invitation_token(link_secret, salt)
        body = (
            f"We recently followed up your feedback. Did we put it right? Please tell us in "
            f'"{title}" (two minutes).\n\nYour personal link (please do not share it): '
            f"{base_url}/s/{token}\n"
        )
        try:
            notifier.send(person.email, f"Did we put it right? {title}", body)
            mailed.append(Mailed(case_id, person.email))
        except OSError as exc:
            logger.warning("case %s: follow-up mail failed: %s", case_id, exc)
    return mailed
