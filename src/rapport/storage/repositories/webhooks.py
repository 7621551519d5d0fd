"""Webhook endpoints, the delivery outbox and the attempts log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from rapport.storage.models import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from rapport.storage.repositories.access import utc

PENDING, SENDING, DELIVERED, DEAD = "pending", "sending", "delivered", "dead"


@dataclass(frozen=True)
class EndpointRecord:
    id: int
    url: str
    events: tuple[str, ...]
    secret: str
    description: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    endpoint_id: int
    msg_id: str
    event_type: str
    status: str
    attempts: int
    next_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None


@dataclass(frozen=True)
class Claimed:
    """A delivery a deliverer holds until ``lease_until``: what to send and where."""

    id: int
    claim: str
    msg_id: str
    body: str
    attempts: int
    url: str
    secret: str


def _endpoint(row: WebhookEndpointRow) -> EndpointRecord:
    return EndpointRecord(
        row.id,
        row.url,
        tuple(row.events),
        row.secret,
        row.description,
        row.created_by,
        utc(row.created_at) or row.created_at,
    )


def _delivery(row: WebhookDeliveryRow) -> DeliveryRecord:
    return DeliveryRecord(
        row.id,
        row.endpoint_id,
        row.msg_id,
        row.event_type,
        row.status,
        row.attempts,
        utc(row.next_at) or row.next_at,
        utc(row.created_at) or row.created_at,
        utc(row.delivered_at),
        row.last_status,
        row.last_error,
    )


def _due(now: datetime) -> Any:
    """Rows a deliverer may take: pending and due, or sending with the lease over (the
    deliverer that held it stopped mid-way)."""
    d = WebhookDeliveryRow
    return or_(
        and_(d.status == PENDING, d.next_at <= now),
        and_(d.status == SENDING, d.lease_until < now),
    )


class WebhookRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # -- endpoints ---------------------------------------------------------------------------

    def add_endpoint(self, **values: Any) -> EndpointRecord:
        row = WebhookEndpointRow(**values)
        self.s.add(row)
        self.s.flush()
        return _endpoint(row)

    def endpoints(self) -> list[EndpointRecord]:
        q = select(WebhookEndpointRow).order_by(WebhookEndpointRow.id)
        return [_endpoint(r) for r in self.s.scalars(q)]

    def endpoints_for(self, event_type: str) -> list[int]:
        """Ids of the endpoints subscribed to ``event_type``."""
        q = select(WebhookEndpointRow.id, WebhookEndpointRow.events)
        return [i for i, events in self.s.execute(q).all() if event_type in events]

    def endpoint(self, endpoint_id: int) -> EndpointRecord | None:
        row = self.s.get(WebhookEndpointRow, endpoint_id)
        return _endpoint(row) if row else None

    def delete_endpoint(self, endpoint_id: int) -> bool:
        """Remove an endpoint with its deliveries and their attempts."""
        ids = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        self.s.execute(delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(ids)))
        self.s.execute(
            delete(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        )
        result = self.s.execute(
            delete(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id)
        )
        self.s.expire_all()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    # -- the outbox --------------------------------------------------------------------------

    def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert outbox rows in one statement (inside the event's transaction)."""
        if rows:
            self.s.connection().execute(insert(WebhookDeliveryRow), list(rows))

    def any_due(self, now: datetime) -> bool:
        """Whether a deliverer has anything to take (a read, before taking the write lock)."""
        q = select(WebhookDeliveryRow.id).where(_due(now)).limit(1)
        return self.s.scalar(q) is not None

    def claim(self, now: datetime, lease_until: datetime, claim: str, limit: int) -> list[Claimed]:
        """Take up to ``limit`` due deliveries for this deliverer (``claim``).

        One conditional UPDATE: a row another deliverer claimed in the meantime no longer
        satisfies the condition when the UPDATE reaches it (PostgreSQL re-checks it after
        the row lock; SQLite runs writers one at a time), so each row has one holder.
        """
        d = WebhookDeliveryRow
        due = select(d.id).where(_due(now)).order_by(d.id).limit(limit).scalar_subquery()
        self.s.execute(
            update(d)
            .where(d.id.in_(due), _due(now))
            .values(status=SENDING, claim=claim, lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        e = WebhookEndpointRow
        q = (
            select(d.id, d.msg_id, d.body, d.attempts, e.url, e.secret)
            .join(e, e.id == d.endpoint_id)
            .where(d.claim == claim, d.status == SENDING)
            .order_by(d.id)
        )
        return [Claimed(i, claim, m, b, a, u, s) for i, m, b, a, u, s in self.s.execute(q)]

    def finish(self, held: Claimed, **values: Any) -> bool:
        """Record how an attempt ended, unless the lease was lost to another deliverer."""
        d = WebhookDeliveryRow
        q = (
            update(d)
            .where(d.id == held.id, d.claim == held.claim, d.status == SENDING)
            .values(claim=None, lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(self.s.execute(q).rowcount == 1)  # type: ignore[attr-defined]

    def add_attempts(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.s.connection().execute(insert(WebhookAttemptRow), list(rows))

    def replay(self, delivery_id: int, now: datetime) -> bool:
        """Send a dead (or delivered) delivery again from its first attempt, same id and body."""
        d = WebhookDeliveryRow
        q = (
            update(d)
            .where(d.id == delivery_id, d.status.in_((DEAD, DELIVERED)))
            .values(status=PENDING, attempts=0, next_at=now, claim=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        done = bool(self.s.execute(q).rowcount == 1)  # type: ignore[attr-defined]
        self.s.expire_all()
        return done

    # -- reading -----------------------------------------------------------------------------

    def delivery(self, delivery_id: int) -> DeliveryRecord | None:
        row = self.s.get(WebhookDeliveryRow, delivery_id)
        return _delivery(row) if row else None

    def deliveries(
        self,
        endpoint_id: int | None,
        status: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[DeliveryRecord]:
        """Newest first."""
        d = WebhookDeliveryRow
        q = select(d).order_by(d.id.desc()).limit(limit)
        if endpoint_id is not None:
            q = q.where(d.endpoint_id == endpoint_id)
        if status is not None:
            q = q.where(d.status == status)
        if before_id is not None:
            q = q.where(d.id < before_id)
        return [_delivery(r) for r in self.s.scalars(q)]

    def counts(self) -> dict[tuple[int, str], int]:
        """How many deliveries each endpoint has in each status."""
        d = WebhookDeliveryRow
        q = select(d.endpoint_id, d.status, func.count()).group_by(d.endpoint_id, d.status)
        return {(e, s): int(n) for e, s, n in self.s.execute(q)}

    def attempts(self, delivery_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        if not delivery_ids:
            return {}
        a = WebhookAttemptRow
        q = select(a).where(a.delivery_id.in_(list(delivery_ids))).order_by(a.id)
        found: dict[int, list[dict[str, Any]]] = {}
        for r in self.s.scalars(q):
            found.setdefault(r.delivery_id, []).append(
                {
                    "at": utc(r.at),
                    "status_code": r.status_code,
                    "error": r.error,
                    "duration_ms": r.duration_ms,
                }
            )
        return found
