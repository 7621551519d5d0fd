"""Webhooks (admins): endpoints that receive events, their delivery log and replays.

Messages are written by the use cases that cause them (:mod:`.events`, :mod:`.outbox`) and
sent by :mod:`.deliverer`; ``docs/closed-loop.md`` ("Webhooks") says what is sent and how.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Principal
from rapport.domain.webhooks import DeliveryStatus, EventType, decode_secret, new_secret
from rapport.errors import Conflict, FieldError, NotFound, ValidationFailed
from rapport.services import audit
from rapport.services.access import require
from rapport.services.clock import utcnow
from rapport.storage.repositories.webhooks import DeliveryRecord, EndpointRecord
from rapport.storage.uow import UnitOfWork

MAX_PAGE = 500


@dataclass(frozen=True)
class EndpointInput:
    url: str
    events: Sequence[str]
    secret: str | None = None
    description: str = ""


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, or ValidationFailed naming ``url``.

    >>> check_url(" https://hooks.example.com/rapport ")
    'https://hooks.example.com/rapport'
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            "not a webhook URL",
            [FieldError("url", f"expected an http:// or https:// URL with a host, got {url!r}")],
        )
    return url


def create(uow: UnitOfWork, principal: Principal, given: EndpointInput) -> EndpointRecord:
    """Subscribe a URL to event types; the secret is generated unless given (``whsec_``
    and base64 of 24–64 bytes). The caller shows the secret once."""
    require(principal, Permission.MANAGE_WEBHOOKS)
    url = check_url(given.url)
    known = {e.value for e in EventType}
    unknown = [e for e in given.events if e not in known]
    if unknown or not given.events:
        raise ValidationFailed(
            "unknown event type" if unknown else "no event types",
            [FieldError("events", f"expected some of {', '.join(sorted(known))}", "invalid")],
        )
    secret = given.secret if given.secret is not None else new_secret()
    try:
        decode_secret(secret)
    except ValueError as exc:
        raise ValidationFailed("the secret is not valid", [FieldError("secret", str(exc))]) from exc
    record = uow.webhooks.add_endpoint(
        url=url,
        events=sorted(set(given.events)),
        secret=secret,
        description=given.description.strip(),
        created_by=principal.name,
        created_at=utcnow(),
    )
    audit.record(uow, principal, AuditAction.WEBHOOK_CREATE, f"webhook:{record.id}", {"url": url})
    return record


def endpoints(uow: UnitOfWork, principal: Principal) -> list[EndpointRecord]:
    require(principal, Permission.MANAGE_WEBHOOKS)
    return uow.webhooks.endpoints()


def delete(uow: UnitOfWork, principal: Principal, endpoint_id: int) -> None:
    """Remove an endpoint with its outbox and log: nothing more is sent to it."""
    require(principal, Permission.MANAGE_WEBHOOKS)
    found = uow.webhooks.endpoint(endpoint_id)
    if found is None or not uow.webhooks.delete_endpoint(endpoint_id):
        raise NotFound(f"no webhook {endpoint_id}")
    audit.record(
        uow, principal, AuditAction.WEBHOOK_DELETE, f"webhook:{endpoint_id}", {"url": found.url}
    )


def _status(status: str | None) -> str | None:
    if status is not None and status not in set(DeliveryStatus):
        raise ValidationFailed(
            "unknown status",
            [FieldError("status", f"expected one of {', '.join(DeliveryStatus)}")],
        )
    return status


def deliveries(
    uow: UnitOfWork,
    principal: Principal,
    endpoint_id: int | None,
    *,
    status: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """An endpoint's deliveries (or every endpoint's), newest first, with their attempts."""
    require(principal, Permission.MANAGE_WEBHOOKS)
    if endpoint_id is not None and uow.webhooks.endpoint(endpoint_id) is None:
        raise NotFound(f"no webhook {endpoint_id}")
    found = uow.webhooks.deliveries(
        endpoint_id, _status(status), before, min(max(limit, 1), MAX_PAGE)
    )
    tried = uow.webhooks.attempts([d.id for d in found])
    return [_delivery(d, tried.get(d.id, [])) for d in found]


def _delivery(d: DeliveryRecord, attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": d.id,
        "endpoint_id": d.endpoint_id,
        "msg_id": d.msg_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "next_at": d.next_at,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "log": attempts,
    }


def replay(uow: UnitOfWork, principal: Principal, endpoint_id: int, delivery_id: int) -> None:
    """Send a dead letter (or a delivered message) again: same ``webhook-id`` and body, a
    fresh round of attempts from now."""
    require(principal, Permission.MANAGE_WEBHOOKS)
    found = uow.webhooks.delivery(delivery_id)
    if found is None or found.endpoint_id != endpoint_id:
        raise NotFound(f"no delivery {delivery_id} of webhook {endpoint_id}")
    if not uow.webhooks.replay(delivery_id, utcnow()):
        raise Conflict(f"delivery {delivery_id} is {found.status}: it will be sent anyway")
    audit.record(
        uow, principal, AuditAction.WEBHOOK_REPLAY, f"webhook:{endpoint_id}", {"msg": found.msg_id}
    )
