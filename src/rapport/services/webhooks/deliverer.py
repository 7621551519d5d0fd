"""Sending the outbox: claim due messages, POST them signed, retry with backoff, dead-letter.

:func:`deliver_due` is one run; the app runs it every ``RAPPORT_WEBHOOK_DELIVER_SECONDS`` in
a daemon thread of each worker process (:class:`WebhookDeliverer`) and cron may run
``rapport webhooks deliver`` as well: each run claims rows by a conditional UPDATE with its
own claim token and a lease, so runs at once never send a message twice. A run that dies
mid-way leaves its rows claimed until the lease ends; then another run sends them (at least
once: receivers deduplicate by ``webhook-id``, which never changes for a message).
"""

from __future__ import annotations

import logging
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapport.domain.webhooks import DeliveryStatus, headers, retry_delay
from rapport.errors import Unavailable
from rapport.services.clock import utcnow
from rapport.services.periodic import PeriodicWorker
from rapport.settings import Settings
from rapport.storage.repositories.webhooks import Claimed
from rapport.storage.uow import Database

logger = logging.getLogger("rapport.webhooks")


@dataclass(frozen=True)
class Outcome:
    """How one POST ended: the HTTP status (None when none came back) or the error."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Sender = Callable[[str, bytes, Mapping[str, str], float], Outcome]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver that redirects has not received: the message is retried, not re-posted
    somewhere else with its signature."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, sent_headers: Mapping[str, str], timeout: float) -> Outcome:
    """POST ``body`` to ``url``; never raises for what the network or receiver does."""
    start = time.perf_counter()
    if not url.startswith(("http://", "https://")):  # checked when subscribed; never file:
        return Outcome(None, "not an http(s) URL", 0)
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url, data=body, headers=dict(sent_headers), method="POST"
    )
    status: int | None = None
    error: str | None = None
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            status = int(answer.status)
            answer.read(65536)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:  # refused, reset, timed out, DNS, bad URL
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(status, error, int((time.perf_counter() - start) * 1000))


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try (``RAPPORT_WEBHOOK_*`` settings)."""

    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 6 * 3600.0
    timeout_seconds: float = 10.0
    lease_seconds: float = 300.0
    batch: int = 200
    workers: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            max_attempts=settings.webhook_max_attempts,
            retry_base_seconds=settings.webhook_retry_base_seconds,
            retry_cap_seconds=settings.webhook_retry_cap_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
            lease_seconds=settings.webhook_lease_seconds,
        )


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    lost_leases: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        return self.delivered + self.retrying + self.dead

    def add(self, other: DeliveryReport) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.dead += other.dead
        self.lost_leases += other.lost_leases
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count


def _send_one(held: Claimed, sender: Sender, timeout: float) -> Outcome:
    body = held.body.encode()
    sent = headers(held.secret, held.msg_id, int(time.time()), body)
    return sender(held.url, body, sent, timeout)


def _result(
    held: Claimed, outcome: Outcome, policy: DeliveryPolicy, now: datetime, rng: random.Random
) -> dict[str, Any]:
    attempts = held.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status": outcome.status,
        "last_error": outcome.error,
        "next_at": now,
        "delivered_at": None,
    }
    if outcome.ok:
        values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
    elif attempts >= policy.max_attempts:
        values.update(status=DeliveryStatus.DEAD.value)
    else:
        wait = retry_delay(attempts, policy.retry_base_seconds, policy.retry_cap_seconds, rng)
        values.update(status=DeliveryStatus.PENDING.value, next_at=now + timedelta(seconds=wait))
    return values


def deliver_due(
    db: Database,
    policy: DeliveryPolicy = DeliveryPolicy(),
    *,
    sender: Sender = post,
    rng: random.Random | None = None,
    max_batches: int = 10**6,
) -> DeliveryReport:
    """Send every message that is due now, batch by batch, until none is left.

    >>> report = deliver_due(Database("sqlite:///:memory:"), max_batches=0)
    >>> report.attempts
    0
    """
    report = DeliveryReport()
    rng = rng or random.Random()
    claim = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=policy.workers, thread_name_prefix="rapport-wh") as pool:
        for _ in range(max_batches):
            now = utcnow()
            with db.unit_of_work(readonly=True) as uow:
                if not uow.webhooks.any_due(now):
                    break
            with db.unit_of_work() as uow:
                held = uow.webhooks.claim(
                    now, now + timedelta(seconds=policy.lease_seconds), claim, policy.batch
                )
            if not held:
                break
            lease_end = time.monotonic() + policy.lease_seconds
            outcomes = list(pool.map(lambda h: _send_one(h, sender, policy.timeout_seconds), held))
            _record_while_held(db, held, outcomes, policy, rng, report, lease_end)
    return report


def _record_while_held(
    db: Database,
    held: list[Claimed],
    outcomes: list[Outcome],
    policy: DeliveryPolicy,
    rng: random.Random,
    report: DeliveryReport,
    lease_end: float,
) -> None:
    """Record the batch's results; while the database is away, try again until the lease
    ends. The POSTs are made: an unrecorded result would send every message of the batch
    again when the lease is over (a PostgreSQL restart mid-batch redelivered 40 of 2,000
    messages so, in tests/acceptance/test_fault_load.py)."""
    wait = 0.25
    while True:
        batch = DeliveryReport()
        try:
            _record(db, held, outcomes, policy, rng, batch)
        except Unavailable:
            if time.monotonic() + wait >= lease_end:
                raise
            time.sleep(wait)
            wait = min(2 * wait, 5.0)
            continue
        report.add(batch)
        return


def _record(
    db: Database,
    held: list[Claimed],
    outcomes: list[Outcome],
    policy: DeliveryPolicy,
    rng: random.Random,
    report: DeliveryReport,
) -> None:
    now = utcnow()
    results = {h.id: _result(h, o, policy, now, rng) for h, o in zip(held, outcomes, strict=True)}
    with db.unit_of_work() as uow:
        kept = uow.webhooks.finish(held[0].claim, results)
        report.lost_leases += len(results) - len(kept)
        for h in held:
            if h.id not in kept:
                continue
            values = results[h.id]
            status = values["status"]
            report.statuses[status] = report.statuses.get(status, 0) + 1
            if status == DeliveryStatus.DELIVERED:
                report.delivered += 1
            elif status == DeliveryStatus.DEAD:
                report.dead += 1
                logger.warning("webhook %s: dead after %d attempts", h.msg_id, values["attempts"])
            else:
                report.retrying += 1
        uow.webhooks.add_attempts(
            [
                {
                    "delivery_id": h.id,
                    "at": now,
                    "status_code": o.status,
                    "error": o.error,
                    "duration_ms": o.duration_ms,
                }
                for h, o in zip(held, outcomes, strict=True)
            ]
        )


class WebhookDeliverer(PeriodicWorker):
    """Runs :func:`deliver_due` every ``interval`` seconds in a daemon thread until stopped.

    >>> deliverer = WebhookDeliverer(Database("sqlite:///:memory:"), interval=60)
    >>> deliverer.start(); deliverer.stop(); deliverer.running
    False
    """

    def __init__(
        self, db: Database, policy: DeliveryPolicy = DeliveryPolicy(), *, interval: float
    ) -> None:
        super().__init__(
            "rapport-webhooks",
            interval=interval,
            logger=logger,
            join_timeout=policy.timeout_seconds + 5,  # a POST under way may finish
        )
        self.db, self.policy = db, policy

    def run_once(self) -> str | None:
        report = deliver_due(self.db, self.policy)
        if not report.attempts:
            return None
        return (
            f"webhooks: {report.delivered} delivered, {report.retrying} to retry, "
            f"{report.dead} dead"
        )
