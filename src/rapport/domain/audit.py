"""The audit log's vocabulary: every action name Rapport records, and one entry.

Action names are stable strings (``noun.verb``); filters, exports and docs/security.md use
them. Add a name here before recording it, so the list stays the one place to look.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class AuditAction(enum.StrEnum):
    """What was done. Reads of personal or response data are recorded as well as changes."""

    LOGIN = "login"
    LOGIN_FAILED = "login.failed"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session.expired"
    USER_CREATE = "user.create"
    USER_ROLE = "user.role"
    USER_DEACTIVATE = "user.deactivate"
    USER_ACTIVATE = "user.activate"
    USER_PASSWORD = "user.password"  # noqa: S105 - an action name, not a password
    TOKEN_CREATE = "token.create"  # noqa: S105
    TOKEN_REVOKE = "token.revoke"  # noqa: S105
    RESPONSES_LIST = "responses.list"
    RESPONSES_EXPORT = "responses.export"
    RESPONSES_IMPORT = "responses.import"
    CHART_EXPORT = "chart.export"
    PERSON_VIEW = "person.view"
    PERSON_EXPORT = "person.export"
    PERSON_ERASE = "person.erase"
    SURVEY_VERSION = "survey.version"
    SURVEY_PUBLISH = "survey.publish"
    SURVEY_DISTRIBUTE = "survey.distribute"
    SURVEY_REMIND = "survey.remind"
    UNIT_CREATE = "unit.create"
    UNIT_RENAME = "unit.rename"
    UNIT_MOVE = "unit.move"
    UNIT_ARCHIVE = "unit.archive"
    UNIT_REOPEN = "unit.reopen"
    UNITS_IMPORT = "units.import"
    PEOPLE_IMPORT = "people.import"
    OUTCOMES_IMPORT = "outcomes.import"
    ACTION_CREATE = "action.create"
    ALERT_RULE_CREATE = "alert_rule.create"
    CASE_CREATE = "case.create"
    ALERT_RULE_UPDATE = "alert_rule.update"
    LEARNING_CREATE = "learning.create"
    LEARNING_UPDATE = "learning.update"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DELETE = "webhook.delete"
    WEBHOOK_REPLAY = "webhook.replay"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
