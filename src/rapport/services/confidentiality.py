"""What of a protected (employee) survey may leave Rapport, decided in one place.

Every figure of a protected survey is still decided by the one suppression gate
(:func:`rapport.analytics.suppression.suppress`, which :mod:`rapport.services.metrics` and the
comment explorer call); this module holds the rules *around* the gate, which make sure the
figures shown can never be combined into a small group's answers
(``docs/confidentiality.md``, "The policy for protected surveys"):

1. **No raw rows.** Individual responses of a protected survey are listed and exported to
   admins only, and every read of raw rows (of any survey) is written to the audit log.
2. **No padding.** Staff do not submit answers to a protected survey (an API submission by
   a user or token is refused); only admins import into one; a protected survey has no
   public reusable link, and its invitation links are e-mailed, never shown, except to admins.
3. **Closed periods only.** Figures are per closed calendar period of one grain (the
   policy's ``period``). A time window selects whole periods and never cuts one, and the
   period still open is never shown, so no two answers to any request differ by a few people.
4. **One survey at a time.** Figures of a protected audience are never summed across its
   surveys (the sum minus one survey would be the rest).
5. **Comments without their authors' traces.** Employee comments are listed per closed
   period and unit group under the comment threshold's rules, with no score and no date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rapport.analytics.metrics import Period
from rapport.analytics.periods import next_period, period_floor
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal, Role
from rapport.errors import Confidential, FieldError, ValidationFailed
from rapport.services.clock import utcnow
from rapport.storage.uow import UnitOfWork

DEFAULT_POLICY = SuppressionPolicy()
"""Which audiences are protected when a caller passes no policy (employees always are)."""

INVITATIONS_ONLY = (
    "Employee surveys are answered through personal, single-use invitations only, so that "
    "no one can add answers to a small group and read the rest by difference."
)


def protects(policy: SuppressionPolicy, audience: str) -> bool:
    """Whether ``audience``'s surveys are protected (employees always are)."""
    return policy.protects(audience)


def may_read_raw(principal: Principal, policy: SuppressionPolicy, *, audience: str) -> bool:
    """Whether this policy lets ``principal`` read raw responses of ``audience``'s surveys
    (what :func:`read_raw_rows` enforces; pages ask it before offering a download)."""
    return not protects(policy, audience) or principal.role is Role.ADMIN


def read_raw_rows(
    uow: UnitOfWork,
    principal: Principal,
    policy: SuppressionPolicy,
    *,
    audience: str,
    survey_key: str,
    action: str,
    detail: dict[str, Any],
) -> None:
    """Allow a read of raw responses (``action`` is ``responses.list`` or
    ``responses.export``) and write it to the audit log; refuse it for a protected survey
    unless the reader is an admin."""
    if not may_read_raw(principal, policy, audience=audience):
        raise Confidential(
            f"Individual answers to {survey_key} ({audience} survey) are confidential: "
            "they are shown only as results of groups large enough to protect anonymity."
        )
    uow.audit.record(principal.name, action, survey_key, utcnow(), detail)


def refuse_staff_answers(policy: SuppressionPolicy, *, audience: str, survey_key: str) -> None:
    """A user or API token may not answer a protected survey (padding a small group)."""
    if protects(policy, audience):
        raise Confidential(
            f"{survey_key} is an {audience} survey: staff cannot submit answers to it. "
            + INVITATIONS_ONLY
        )


def check_import(principal: Principal, policy: SuppressionPolicy, *, audience: str) -> None:
    """Only admins import historical answers into a protected survey."""
    if protects(policy, audience) and principal.role is not Role.ADMIN:
        raise Confidential(
            f"Only an admin may import answers into an {audience} survey "
            "(imported answers could pad a small group)."
        )


def check_public_link(policy: SuppressionPolicy, *, audience: str) -> None:
    """A protected survey has no anonymous reusable link (anyone holding it could pad)."""
    if protects(policy, audience):
        raise Confidential(INVITATIONS_ONLY)


def check_link_handover(
    principal: Principal, policy: SuppressionPolicy, *, audience: str, channel: str
) -> None:
    """Invitation links of a protected survey go to the invitees by e-mail; only an admin
    may receive them (to send them another way)."""
    if protects(policy, audience) and channel != "email" and principal.role is not Role.ADMIN:
        raise Confidential(
            "Invitations to an employee survey are e-mailed to each employee; only an admin "
            "may see or download their links (anyone holding them could answer for others)."
        )


@dataclass(frozen=True)
class ClosedPeriods:
    """The whole closed periods a protected request is answered for.

    ``first`` (inclusive) and ``end`` (exclusive) are period starts; ``end`` is never later
    than the start of the period still open. ``latest_only`` asks for the latest closed
    period with data, when the request named no window and no period grouping.
    """

    grain: str
    first: date | None
    end: date
    latest_only: bool

    def holds(self, period: object) -> bool:
        """Whether the period starting on ``period`` is inside the window (and closed)."""
        return (
            isinstance(period, date)
            and (self.first is None or self.first <= period)
            and (period < self.end)
        )


def closed_periods(
    policy: SuppressionPolicy,
    *,
    period: str | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime | None = None,
) -> ClosedPeriods:
    """Snap a request's window outward to whole periods of the policy's grain, and stop it
    at the period still open.

    >>> from datetime import UTC
    >>> now = datetime(2026, 3, 10, tzinfo=UTC)
    >>> found = closed_periods(SuppressionPolicy(), period=None,
    ...                        since=datetime(2026, 1, 5, 9, 1, 2, tzinfo=UTC), until=None, now=now)
    >>> found.first, found.end, found.latest_only
    (datetime.date(2026, 1, 1), datetime.date(2026, 3, 1), False)
    """
    grain = policy.period
    if period is not None and period.strip().lower() != grain:
        raise ValidationFailed(
            f"employee results are reported by closed {grain}",
            [
                FieldError(
                    "period",
                    f"expected {grain} (or nothing) for an employee survey, got {period!r}",
                )
            ],
        )
    open_start = period_floor(now or utcnow(), grain)
    first = None if since is None else period_floor(since, grain)
    end = open_start
    if until is not None:
        last = period_floor(until - timedelta(microseconds=1), grain)
        end = min(end, next_period(last, Period(grain)))
    latest = period is None and since is None and until is None
    return ClosedPeriods(grain, first, end, latest)
