"""Escalation of overdue cases and owners' mail, and the app's own scheduler for them:
:func:`sweep` every ``RAPPORT_CASE_SWEEP_SECONDS`` in a daemon thread (a
:class:`~rapport.services.periodic.PeriodicWorker`; ``0`` turns it off;
cron can run ``rapport cases escalate`` instead or as well: sweeps running at once move a
case once)."""

from __future__ import annotations

import logging
from datetime import datetime

from rapport.domain.alerts import due_at
from rapport.domain.webhooks import EventType
from rapport.services import case_follow_up
from rapport.services.cases import Owners, sla_hours
from rapport.services.clock import utcnow
from rapport.services.notify import Notifier
from rapport.services.periodic import PeriodicWorker
from rapport.services.webhooks import events as webhook_events
from rapport.storage.repositories.cases import CaseFilter
from rapport.storage.uow import Database

logger = logging.getLogger("rapport.cases")


def escalate_overdue(db: Database, now: datetime | None = None) -> int:
    """Move every overdue case to the manager one level up the tree; returns how many moved.

    Each case is escalated by a conditional UPDATE on the level it was read at, so sweeps
    running at once (two cron jobs, two app processes) move it once. A case at the root
    stays where it is. Safe to schedule: ``rapport cases escalate`` runs it.
    """
    moment = now or utcnow()
    moved: list[int] = []
    with db.unit_of_work() as uow:
        overdue = uow.cases.find(CaseFilter(overdue_at=moment, limit=10**6))
        if not overdue:
            return 0
        owners = Owners(uow)
        units = {u.id: u for u in owners.by_path.values()}
        for case in overdue:
            unit = units[case.unit_id]
            level = case.escalation_level + 1
            if level > owners.depth(unit):
                continue
            owner = owners.find(unit, level)
            due = due_at(moment, case.priority, sla_hours(uow))
            if not uow.cases.escalate(case, moment, owner_id=owner, due_at=due):
                continue
            uow.cases.add_event(
                case_id=case.id,
                at=moment,
                actor="system",
                kind="escalated",
                from_value=str(case.escalation_level),
                to_value=str(level),
                notify_user_id=owner,
            )
            moved.append(case.id)
        webhook_events.cases_changed(uow, EventType.CASE_ESCALATED, moved)
    return len(moved)


def send_notifications(db: Database, notifier: Notifier, base_url: str = "") -> int:
    """E-mail owners about cases opened for them or escalated to them, once each; mail goes
    after the transaction that opened the case, so a rollback never sends any."""
    with db.unit_of_work(readonly=True) as uow:
        pending = uow.cases.pending_notifications()
    sent = 0
    for event_id, case_id, kind, email, title in pending:
        with db.unit_of_work() as uow:
            if not uow.cases.claim_notification(event_id, utcnow()):
                continue
        verb = "escalated to you" if kind == "escalated" else "assigned to you"
        body = f"Case {case_id} ({title}) was {verb}.\n\n{base_url}/cases/{case_id}\n"
        try:
            notifier.send(email, f"Rapport case {case_id}: {title}", body)
            sent += 1
        except OSError as exc:
            logger.warning("case %s: mail to the owner failed: %s", case_id, exc)
    return sent


def sweep(
    db: Database,
    notifier: Notifier | None,
    base_url: str = "",
    now: datetime | None = None,
    *,
    link_secret: str | None = None,
) -> tuple[int, int]:
    """One scheduled run: escalate what is overdue, then send pending mail — owners', and
    (with ``link_secret``) follow-up invitations a request did not get to send."""
    moved = escalate_overdue(db, now)
    sent = send_notifications(db, notifier, base_url) if notifier is not None else 0
    if notifier is not None and link_secret:
        mailed = case_follow_up.send_pending(
            db, notifier, base_url=base_url, link_secret=link_secret
        )
        sent += len(mailed)
    return moved, sent


class CaseSweeper(PeriodicWorker):
    """Escalates overdue cases and mails owners every ``interval`` seconds until stopped.

    >>> from rapport.storage.uow import Database
    >>> sweeper = CaseSweeper(Database("sqlite:///:memory:"), None, interval=60)
    >>> sweeper.start(); sweeper.stop(); sweeper.running
    False
    """

    def __init__(
        self,
        db: Database,
        notifier: Notifier | None,
        *,
        interval: float,
        base_url: str = "",
        link_secret: str | None = None,
    ) -> None:
        super().__init__("rapport-cases", interval=interval, logger=logger)
        self.db, self.notifier, self.base_url = db, notifier, base_url
        self.link_secret = link_secret

    def run_once(self) -> str | None:
        moved, sent = sweep(self.db, self.notifier, self.base_url, link_secret=self.link_secret)
        return f"case sweep: {moved} escalated, {sent} mailed" if moved or sent else None
