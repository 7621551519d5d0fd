"""Types at the API edge that keep the OpenAPI schema honest.

- :data:`UtcDateTime` — every datetime the API returns carries its time zone (UTC).
  SQLite hands stored times back without an offset; they were stored as UTC.
- :data:`IsoDateTime` — a datetime the API accepts must be ISO 8601 text. Pydantic alone
  would also take numbers as Unix times (``until=0.5`` meant 1970); a time without an
  offset is read as UTC.
- :data:`ApiDate` — a date the API accepts must be ``YYYY-MM-DD`` text (learnings, actions,
  units' opening, move and closing days).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are UTC; aware ones are converted to UTC.

    >>> as_utc(datetime(2026, 1, 5, 10)).isoformat()
    '2026-01-05T10:00:00+00:00'
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_8601_only(value: Any) -> Any:
    """Refuse anything but ISO 8601 text (or a datetime already parsed).

    >>> iso_8601_only("2026-01-05T10:00:00Z")
    '2026-01-05T10:00:00Z'
    >>> iso_8601_only("0.5")
    Traceback (most recent call last):
    ...
    ValueError: expected an ISO 8601 date or date-time such as 2026-01-31T12:00:00Z
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_8601.match(value.strip()):
        return value.strip()
    raise ValueError("expected an ISO 8601 date or date-time such as 2026-01-31T12:00:00Z")


UtcDateTime = Annotated[datetime, AfterValidator(as_utc)]
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(iso_8601_only),
    AfterValidator(as_utc),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date_only(value: object) -> object:
    """A date field takes "YYYY-MM-DD" text (or a date), nothing else: pydantic alone would
    read 0 as 1970-01-01 and "2026-01-31T00:00" as a date, which the schema (``format:
    date``, a string) does not allow.

    >>> iso_date_only(" 2026-01-31 ")
    '2026-01-31'
    >>> iso_date_only(0)
    Traceback (most recent call last):
    ...
    ValueError: expected a date as text YYYY-MM-DD such as 2026-01-31, not a number
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("expected a date as text YYYY-MM-DD such as 2026-01-31, not a number")
    raise ValueError("expected a date YYYY-MM-DD such as 2026-01-31")


ApiDate = Annotated[
    date,
    BeforeValidator(iso_date_only),
    WithJsonSchema({"type": "string", "format": "date"}),
]
"""Every date the API accepts: ISO ``YYYY-MM-DD`` text only (numbers are a 422)."""
