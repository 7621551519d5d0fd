"""Organisation, people and access: stdlib-only value types."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class PersonKind(enum.StrEnum):
    CUSTOMER = "customer"
    EMPLOYEE = "employee"


class UnitKind(enum.StrEnum):
    COMPANY = "company"
    REGION = "region"
    STORE = "store"
    BRANCH = "branch"
    OFFICE = "office"
    DEPARTMENT = "department"
    TEAM = "team"


class Role(enum.StrEnum):
    """What a user may do. Managers are scoped to a unit and its subtree."""

    ADMIN = "admin"
    ANALYST = "analyst"
    MANAGER = "manager"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    VIEW_RESULTS = "view_results"
    VIEW_COMMENTS = "view_comments"
    EXPORT = "export"
    MANAGE_SURVEYS = "manage_surveys"
    DISTRIBUTE = "distribute"
    IMPORT_DATA = "import_data"
    MANAGE_USERS = "manage_users"
    MANAGE_ORG = "manage_org"
    VIEW_AUDIT = "view_audit"
    SUBMIT_RESPONSES = "submit_responses"
    #: Data-subject requests: export or erase everything held about a person (admins).
    PERSONAL_DATA = "personal_data"
    #: Log fresh-experience actions for a unit (managers: in their own subtree).
    LOG_ACTIONS = "log_actions"
    #: Define alert rules that open cases on responses (closed loop).
    MANAGE_ALERTS = "manage_alerts"
    #: See, take and resolve follow-up cases (managers: in their subtree).
    WORK_CASES = "work_cases"
    #: Subscribe receivers to events (Standard Webhooks), read their delivery log (admins).
    MANAGE_WEBHOOKS = "manage_webhooks"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(
        {
            Permission.VIEW_RESULTS,
            Permission.VIEW_COMMENTS,
            Permission.EXPORT,
            Permission.MANAGE_SURVEYS,
            Permission.DISTRIBUTE,
            Permission.IMPORT_DATA,
            Permission.SUBMIT_RESPONSES,
            Permission.LOG_ACTIONS,
            Permission.MANAGE_ALERTS,
            Permission.WORK_CASES,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.VIEW_RESULTS,
            Permission.VIEW_COMMENTS,
            Permission.EXPORT,
            Permission.DISTRIBUTE,
            Permission.SUBMIT_RESPONSES,
            Permission.LOG_ACTIONS,
            Permission.WORK_CASES,
        }
    ),
    Role.VIEWER: frozenset({Permission.VIEW_RESULTS}),
}


@dataclass(frozen=True)
class Unit:
    """A node of the organisation tree; ``path`` is the slash-joined codes from the root."""

    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    path: str
    opened_on: date | None = None
    closed_on: date | None = None
    closed_by: str | None = None

    @property
    def parent_path(self) -> str | None:
        """The path of the parent unit, None for the root.

        >>> Unit(2, "s1", "Store 1", UnitKind.STORE, 1, "acme/s1").parent_path
        'acme'
        """
        return self.path.rsplit("/", 1)[0] if "/" in self.path else None

    def closed(self, on: date) -> bool:
        """True when the unit is archived on ``on`` (it closed that day or before)."""
        return self.closed_on is not None and self.closed_on <= on

    def contains(self, other_path: str) -> bool:
        """True when ``other_path`` is this unit or below it.

        >>> Unit(1, "north", "North", UnitKind.REGION, None, "acme/north").contains("acme/north/s1")
        True
        """
        return other_path == self.path or other_path.startswith(self.path + "/")


@dataclass(frozen=True)
class Person:
    id: int
    kind: PersonKind
    unit_id: int
    external_id: str
    name: str
    email: str | None
    relationship_start: date | None
    attributes: dict[str, str] = field(default_factory=dict)
    phone: str | None = None
    language: str = "en"
    consent_email: bool = True
    consent_sms: bool = False

    def tenure_days(self, on: date) -> int | None:
        """Days since the relationship started, or None when unknown."""
        if self.relationship_start is None:
            return None
        return (on - self.relationship_start).days


@dataclass(frozen=True)
class UnitMove:
    """A unit moved from one parent to another on a date (roll-ups use the current tree)."""

    unit_id: int
    old_parent_id: int | None
    new_parent_id: int | None
    moved_on: date
    moved_by: str


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user or an API token, with role and optional unit scope."""

    kind: str  # "user" | "token" | "system"
    id: int | None
    name: str
    role: Role
    unit_path: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def sees_unit(self, unit_path: str) -> bool:
        """Managers see their unit and its subtree; other roles see the whole organisation."""
        if self.role is not Role.MANAGER:
            return True
        if self.unit_path is None:
            return False
        return unit_path == self.unit_path or unit_path.startswith(self.unit_path + "/")


SYSTEM = Principal(kind="system", id=None, name="system", role=Role.ADMIN)


@dataclass(frozen=True)
class UserAccount:
    id: int
    email: str
    role: Role
    unit_id: int | None
    unit_path: str | None
    is_active: bool
    password_hash: str = field(repr=False)
    created_at: datetime | None = None
    last_login_at: datetime | None = None

    def principal(self) -> Principal:
        """The user acting (role and unit scope as stored now)."""
        return Principal("user", self.id, self.email, self.role, self.unit_path)


@dataclass(frozen=True)
class ApiToken:
    """An API token as listed (never the token itself: only its first characters)."""

    id: int
    name: str
    prefix: str
    role: Role
    unit_id: int | None
    unit_path: str | None
    revoked: bool
    created_at: datetime | None = None
    expires_at: datetime | None = None
    last_used_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """>>> from datetime import UTC
        >>> t = ApiToken(1, "etl", "rpt_ab", Role.VIEWER, None, None, False,
        ...              expires_at=datetime(2026, 1, 1, tzinfo=UTC))
        >>> t.expired(datetime(2026, 1, 2, tzinfo=UTC))
        True
        """
        return self.expires_at is not None and now >= self.expires_at
