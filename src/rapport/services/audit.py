"""The audit log as services use it: record an action, read the log (admins only).

Record with :func:`record` from any service (the action names are
:class:`rapport.domain.audit.AuditAction`)::

    audit.record(uow, principal, AuditAction.RESPONSES_EXPORT, f"survey:{survey_id}",
                 {"format": "csv", "rows": len(rows)})
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.domain.audit import AuditAction, AuditEntry
from rapport.domain.org import Permission, Principal
from rapport.services.access import require
from rapport.services.clock import as_utc, utcnow
from rapport.storage.uow import UnitOfWork

MAX_PAGE = 500


def record(
    uow: UnitOfWork,
    principal: Principal | str,
    action: AuditAction,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry now, with the principal's name as the actor (or a plain actor name).

    It is written in the caller's transaction: an action that rolls back leaves no entry.
    """
    actor = principal if isinstance(principal, str) else principal.name
    uow.audit.record(actor, action, target, utcnow(), detail)


def entries(
    uow: UnitOfWork,
    principal: Principal,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 100,
) -> tuple[list[AuditEntry], int | None]:
    """A page of the log, newest first, and the ``before`` id of the next (older) page.

    ``action`` is one name (``login``) or a family ending in a dot (``user.``).
    """
    require(principal, Permission.VIEW_AUDIT)
    limit = max(1, min(limit, MAX_PAGE))
    rows = uow.audit.page(
        actor=actor or None,
        action=action or None,
        since=as_utc(since) if since else None,
        until=as_utc(until) if until else None,
        before_id=before,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)
