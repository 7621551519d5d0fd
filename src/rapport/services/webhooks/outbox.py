"""The outbox: webhook messages written in the transaction of their event.

Every path that stores a response or opens, changes, escalates or closes a case calls
:func:`emit` with the unit of work it writes in, so the event and its messages commit
together or not at all; deliverers send them afterwards (:mod:`.deliverer`). A message is
one row per subscribed endpoint, with the exact JSON body that will be signed and sent.

Employee (protected) surveys: no ``response.created`` is sent, and a case's payload says
only what the case API shows (no response id, the opening time kept to the day).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rapport.domain.webhooks import DeliveryStatus, EventType
from rapport.services.clock import as_utc, utcnow
from rapport.storage.uow import UnitOfWork


def new_msg_id() -> str:
    """A unique message id (the ``webhook-id`` receivers deduplicate by).

    >>> new_msg_id().startswith("msg_") and len(new_msg_id()) == 30
    True
    """
    return "msg_" + secrets.token_hex(13)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat().replace("+00:00", "Z")
    return value


def body(event: EventType, data: Mapping[str, Any], at: datetime) -> str:
    """The message body: ``{"type", "timestamp", "data"}`` as the specification suggests.

    >>> from datetime import UTC
    >>> body(EventType.CASE_CLOSED, {"id": 4}, datetime(2026, 1, 2, tzinfo=UTC))
    '{"type":"case.closed","timestamp":"2026-01-02T00:00:00Z","data":{"id":4}}'
    """
    payload = {
        "type": event.value,
        "timestamp": _jsonable(at),
        "data": {k: _jsonable(v) for k, v in data.items()},
    }
    return json.dumps(payload, separators=(",", ":"), default=str)


def emit(uow: UnitOfWork, event: EventType, items: Sequence[Mapping[str, Any]]) -> int:
    """Write one message per item and subscribed endpoint; returns how many were written."""
    if not items:
        return 0
    endpoints = uow.webhooks.endpoints_for(event.value)
    if not endpoints:
        return 0
    now = utcnow()
    rows = [
        {
            "endpoint_id": endpoint,
            "msg_id": new_msg_id(),
            "event_type": event.value,
            "body": body(event, item, now),
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_at": now,
            "created_at": now,
        }
        for item in items
        for endpoint in endpoints
    ]
    uow.webhooks.add_deliveries(rows)
    return len(rows)
