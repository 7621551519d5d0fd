"""Settings read from the environment (prefix ``RAPPORT_``) by pydantic-settings.

Nothing is read at import time: call :func:`get_settings` (or build :class:`Settings`
yourself in tests) and pass the object to :func:`rapport.app.create_app`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rapport.domain.alerts import DEFAULT_SLA_HOURS

#: No anonymity threshold may be configured below this many responses.
MIN_ALLOWED_THRESHOLD = 3


DEFAULT_BASE_URL = "http://127.0.0.1:8000"
BASE_URL_UNSET = (
    "RAPPORT_BASE_URL is not set: links point at {base}, which only works on this machine. "
    "Set it to the address respondents reach the server at, e.g. https://survey.example.com."
)


class Settings(BaseSettings):
    """Runtime configuration; every field maps to ``RAPPORT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Where the SQLite file and secrets live."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite in data_dir."
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""), description="Signs sessions and CSRF tokens; generated if empty."
    )
    anonymity_min_scores: int = 5
    anonymity_min_comments: int = 10
    confidential_period: Literal["month", "quarter", "year"] = Field(
        default="month",
        description="Employee results are shown per closed period of this length; choose "
        "your survey's cycle, so each employee answers at most once per period.",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, ge=60, description="A browser session ends this long after login."
    )
    session_idle_seconds: int = Field(
        default=3600, ge=1, description="A browser session ends after this long unused."
    )
    token_default_days: int = Field(
        default=90, ge=0, description="API tokens expire after this many days (0: never)."
    )
    login_attempts_per_minute: int = 5
    public_submit_per_minute: int = 30
    cookie_secure: bool = False
    analytics_engine: Literal["operational", "duckdb"] = Field(
        default="operational", description="Where metrics run: the database or a DuckDB snapshot."
    )
    snapshot_dir: Path | None = Field(
        default=None,
        description="Parquet snapshot for the DuckDB engine (default data_dir/snapshot).",
    )
    keep_original_comments: bool = Field(
        default=False, description="Keep unredacted comments (personal data) beside redacted ones."
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "rapport@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    base_url: str | None = Field(
        default=None,
        description="The address respondents reach the server at (https://survey.example.com): "
        "the start of every survey link in e-mails, the CLI's links and the pages' links.",
    )
    quiet_days: int = Field(
        default=30,
        ge=1,
        description="A distribution skips people invited to the same survey within this "
        "many days (so running it twice never invites anyone twice).",
    )
    retention_months: int | None = Field(
        default=None,
        ge=1,
        description="Erase the identity of people with no invitation or response activity "
        "for this many months (`rapport people retention --apply`); unset: off.",
    )
    db_busy_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="How long a write waits for SQLite's lock before answering 503.",
    )
    db_connect_timeout_seconds: int = Field(
        default=5, ge=1, description="PostgreSQL connect timeout; then the request gets 503."
    )
    max_request_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body (413 above it)."
    )
    max_import_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="Largest CSV import body (413 above)."
    )
    import_sync_max_bytes: int = Field(
        default=256 * 1024,
        ge=0,
        description="CSV imports up to this size answer at once (201); larger ones run as "
        "background jobs (202).",
    )
    case_sla_hours: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_SLA_HOURS),
        description="Hours to resolve a case, per priority (JSON, e.g. "
        '{"urgent": 4, "high": 24, "normal": 72, "low": 168}); an overdue case escalates.',
    )
    case_sweep_seconds: int = Field(
        default=300,
        ge=0,
        description="The app escalates overdue cases and mails owners this often (0: off; "
        "cron can run `rapport cases escalate` instead).",
    )
    warm_up: bool = Field(
        default=True,
        description="At start-up the app reads, in a background thread, the tables of the "
        "pages opened first (dashboards, home, relationship pages, learning log), so the "
        "first person to open them does not wait for them (False: off).",
    )
    refresh_quiet_seconds: float = Field(
        default=2,
        ge=0,
        description="With the warm-up on: once new data have stopped arriving for this "
        "many seconds, and someone has opened a page in the last 15 minutes, the app reads "
        "the warm-up's pages again in the background, so the next person to open them "
        "finds the new figures ready (0: off; pages then read new data on their request).",
    )
    freeze_kept: bool = Field(
        default=True,
        description="After the warm-up and after each slow request, the app collects its "
        "cyclic garbage and freezes what is left (gc.freeze), so later collections do not "
        "walk every table it keeps (False: off; for a process hosting several apps).",
    )
    webhook_deliver_seconds: float = Field(
        default=5,
        ge=0,
        description="The app sends due webhook messages this often (0: off; cron can run "
        "`rapport webhooks deliver` instead or as well).",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Attempts before a message becomes a dead letter."
    )
    webhook_retry_base_seconds: float = Field(
        default=30,
        gt=0,
        description="The wait after the first failed attempt; it doubles after each further "
        "one (with jitter), up to webhook_retry_cap_seconds.",
    )
    webhook_retry_cap_seconds: float = Field(default=6 * 3600, gt=0)
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, description="How long a receiver may take to answer one POST."
    )
    webhook_lease_seconds: float = Field(
        default=300,
        gt=0,
        description="How long a deliverer holds the messages it claimed; a process that dies "
        "mid-send leaves them to be sent again after this. Keep it above the time a batch of "
        "200 takes to send (4 at a time, each up to webhook_timeout_seconds).",
    )
    debug: bool = False

    @field_validator("case_sla_hours")
    @classmethod
    def _every_priority_has_an_sla(cls, value: dict[str, int]) -> dict[str, int]:
        missing = [p for p in DEFAULT_SLA_HOURS if p not in value]
        unknown = [p for p in value if p not in DEFAULT_SLA_HOURS]
        if missing or unknown or any(h <= 0 for h in value.values()):
            raise ValueError(
                f"expected positive hours for each of {', '.join(DEFAULT_SLA_HOURS)}; "
                f"missing {missing or 'none'}, unknown {unknown or 'none'}"
            )
        return value

    @field_validator("anonymity_min_scores", "anonymity_min_comments")
    @classmethod
    def _threshold_not_too_low(cls, value: int) -> int:
        if value < MIN_ALLOWED_THRESHOLD:
            raise ValueError(f"must be at least {MIN_ALLOWED_THRESHOLD} responses, got {value}")
        return value

    def link_base(self, fallback: str = DEFAULT_BASE_URL) -> str:
        """Where survey links point: ``RAPPORT_BASE_URL``, else ``fallback`` (the address a
        page was requested at, or the default host and port), without a trailing slash."""
        return (self.base_url or fallback).rstrip("/")

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/rapport.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rapport.db').as_posix()}"

    def resolved_secret_key(self) -> str:
        """The secret key; when unset, one is generated once and stored in ``data_dir``.

        The file is created with mode 0600 so only the service account can read it.
        """
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def get_settings() -> Settings:
    """Read settings from the environment now (not at import time)."""
    return Settings()
