"""Data-subject requests (GDPR): export and erase a person, retention, e-mail opt-out.

* **Export** returns everything held about one person as plain JSON data: the directory
  row, attributes and consent, their invitations and their linked responses with answers
  and comment emotions — confidential (employee) survey answers included, because the
  confidentiality rules protect a respondent *from other people*, not from themselves;
  only admins may run it, and it is audited (docs/security.md, "Personal data"). The
  follow-up cases opened on their responses (with notes) and the learnings linked to those
  responses or cases are included: staff write about the person there.
* **Erasure** deletes the directory row and keeps the person's responses as anonymous
  data: no person link, no tenure in days, no idempotency key, only the attributes an
  anonymous response may carry, free-text answers without their text (emotions read in
  them stay), case notes replaced; the person's name, e-mail, phone and external id are
  cut out of the titles of their cases and the text of the learnings linked to them
  (:func:`rapport.text.pii.redact_identity`), and those learnings lose their links to the
  responses. Units, months and numeric answers are untouched, so every metric aggregate
  is what a rebuild gives.
* **Retention** erases people with no activity for ``RAPPORT_RETENTION_MONTHS``.
* **Unsubscribe** tokens are ``<person id>.<HMAC>``: the link in an e-mail records the
  opt-out (``consent_email`` false) without a login.

Audit entries name a person by internal id (``person:17``), never by external id, so an
erasure leaves no identity in the audit log either.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rapport.domain.audit import AuditAction
from rapport.domain.learnings import Learning
from rapport.domain.org import Permission, Person, PersonKind, Principal
from rapport.errors import NotFound
from rapport.services import audit, comments, surveys
from rapport.services.access import require, require_unit
from rapport.services.clock import utcnow
from rapport.services.responses import ANONYMOUS_ATTRIBUTES
from rapport.storage.repositories.personal_data import ErasedRows
from rapport.storage.uow import UnitOfWork
from rapport.text.pii import redact_identity

#: What an erased response keeps of its attributes: nothing that names a person.
KEPT_ATTRIBUTES = ANONYMOUS_ATTRIBUTES | {"tenure_band"}


def find(uow: UnitOfWork, principal: Principal, kind: PersonKind, external_id: str) -> Person:
    """The person, or NotFound; checks the right to handle personal data and the scope."""
    require(principal, Permission.PERSONAL_DATA)
    person = uow.people.by_key(kind, external_id.strip())
    if person is None:
        raise NotFound(f"no {kind.value} with id {external_id!r}")
    unit = uow.units.get(person.unit_id)
    if unit is not None:
        require_unit(principal, unit)
    return person


def export_person(
    uow: UnitOfWork, principal: Principal, kind: PersonKind, external_id: str
) -> dict[str, Any]:
    """Everything held about a person, as JSON-ready data (audited: ``person.export``).

    >>> # export_person(uow, SYSTEM, PersonKind.CUSTOMER, "c-1042")["person"]["email"]
    """
    person = find(uow, principal, kind, external_id)
    unit = uow.units.get(person.unit_id)
    invitations = uow.personal_data.invitations(person.id)
    response_ids = uow.personal_data.response_ids(person.id)
    held = uow.personal_data.responses(response_ids)
    cases = uow.personal_data.cases(response_ids)
    learnings = uow.learnings.many(uow.personal_data.learning_ids(response_ids))
    data = {
        "person": {
            "kind": person.kind.value,
            "external_id": person.external_id,
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "language": person.language,
            "unit": unit.code if unit else None,
            "relationship_start": (
                person.relationship_start.isoformat() if person.relationship_start else None
            ),
            "attributes": dict(person.attributes),
        },
        "consent": {"email": person.consent_email, "sms": person.consent_sms},
        "invitations": invitations,
        "responses": held,
        "cases": cases,
        "learnings": [_learning(item, response_ids) for item in learnings],
        "exported_at": utcnow().isoformat(),
    }
    audit.record(
        uow,
        principal,
        AuditAction.PERSON_EXPORT,
        f"person:{person.id}",
        {"kind": kind.value, "responses": len(held), "invitations": len(invitations)},
    )
    return data


def _learning(learning: Learning, response_ids: list[int]) -> dict[str, Any]:
    """A learning linked to the person, with the links that make it theirs."""
    mine = set(response_ids)
    return {
        "id": learning.id,
        "title": learning.title,
        "what_happened": learning.what_happened,
        "impact": learning.impact,
        "learnt": learning.learnt,
        "owner": learning.owner,
        "review_on": learning.review_on.isoformat() if learning.review_on else None,
        "created_at": learning.created_at.isoformat(),
        "changes": [
            {
                "area": c.area,
                "description": c.description,
                "changed_on": c.changed_on.isoformat() if c.changed_on else None,
            }
            for c in learning.changes
        ],
        "cases": learning.case_ids,
        "responses": [r for r in learning.response_ids if r in mine],
    }


def erase_person(
    uow: UnitOfWork, principal: Principal, kind: PersonKind, external_id: str
) -> ErasedRows:
    """Remove a person's identity and keep their responses as anonymous data (audited:
    ``person.erase``). Metric aggregates stay equal to a rebuild (nothing they count
    changes)."""
    return _erase(uow, principal, find(uow, principal, kind, external_id))


def _erase(uow: UnitOfWork, principal: Principal, person: Person) -> ErasedRows:
    texts = {}
    for version_id in uow.personal_data.version_ids(person.id):
        definition = surveys.get_version(uow, version_id).definition
        texts[version_id] = comments.text_question_ids(definition)
    # Before the erasure: it unlinks the responses that find what was written about them.
    identity = {
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "external_id": person.external_id,
    }
    learnings = uow.personal_data.scrub_linked(
        uow.personal_data.response_ids(person.id), lambda text: redact_identity(text, **identity)
    )
    erased = uow.personal_data.erase(person.id, texts, KEPT_ATTRIBUTES, utcnow())
    erased = replace(erased, learnings=learnings)
    audit.record(
        uow,
        principal,
        AuditAction.PERSON_ERASE,
        f"person:{person.id}",
        {
            "kind": person.kind.value,
            "responses": erased.responses,
            "invitations": erased.invitations,
            "comments": erased.comments,
            "case_notes": erased.case_notes,
            "learnings": erased.learnings,
        },
    )
    return erased


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when
    that month is shorter).

    >>> months_before(datetime(2026, 3, 31), 1)
    datetime.datetime(2026, 2, 28, 0, 0)
    """
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class RetentionCandidate:
    person_id: int
    kind: str
    external_id: str


def retention_candidates(
    uow: UnitOfWork, principal: Principal, months: int, now: datetime | None = None
) -> list[RetentionCandidate]:
    """People added more than ``months`` ago with no invitation or response since."""
    require(principal, Permission.PERSONAL_DATA)
    cutoff = months_before(now or utcnow(), months)
    found = []
    for pid in uow.personal_data.inactive_since(cutoff):
        person = uow.people.get(pid)
        if person is not None:
            found.append(RetentionCandidate(pid, person.kind.value, person.external_id))
    return found


def apply_retention(
    uow: UnitOfWork, principal: Principal, months: int, now: datetime | None = None
) -> int:
    """Erase every retention candidate (each erasure audited); returns how many."""
    candidates = retention_candidates(uow, principal, months, now)
    for c in candidates:
        person = uow.people.get(c.person_id)
        if person is not None:
            _erase(uow, principal, person)
    return len(candidates)


def unsubscribe_token(link_secret: str, person_id: int, external_id: str) -> str:
    """The token of a person's unsubscribe link: ``<id>.<HMAC(secret, id, external id)>``.

    The external id is signed but not shown: should an erased person's row id be given to
    someone else (SQLite may reuse the highest id), the old link does not fit them.

    >>> unsubscribe_token("k", 7, "c-7").startswith("7.")
    True
    """
    message = f"unsubscribe:{person_id}:{external_id}".encode()
    mac = hmac.new(link_secret.encode(), message, hashlib.sha256)
    return f"{person_id}.{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')[:32]}"


def person_of_token(uow: UnitOfWork, link_secret: str, token: str) -> Person | None:
    """The person a well-signed unsubscribe token names, else None (also once erased)."""
    head, _, _ = token.partition(".")
    if not head.isdigit() or len(head) > 18:
        return None
    person = uow.people.get(int(head))
    if person is None:
        return None
    expected = unsubscribe_token(link_secret, person.id, person.external_id)
    return person if hmac.compare_digest(expected, token) else None


def unsubscribe(uow: UnitOfWork, link_secret: str, token: str) -> bool:
    """Record the e-mail opt-out of the token's person; False when the token names no one
    (not valid, or the person was erased). Opting out twice is fine."""
    person = person_of_token(uow, link_secret, token)
    if person is None:
        return False
    uow.personal_data.set_consent_email(person.id, False)
    return True
