"""Calendar periods (UTC) as the metrics engine cuts time: the first day of a period and the
first day of the next one.

>>> from datetime import datetime
>>> period_floor(datetime(2026, 2, 15, 13, 5), "quarter")
datetime.date(2026, 1, 1)
>>> next_period(period_floor(datetime(2026, 12, 31), "month"), "month")
datetime.date(2027, 1, 1)
>>> period_floor(datetime(2026, 1, 1), "week")  # ISO weeks start on Monday
datetime.date(2025, 12, 29)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from rapport.analytics.metrics import Period


def period_floor(moment: datetime | date, period: Period | str) -> date:
    """The first day of the ``period`` (UTC) that ``moment`` falls in."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        moment = moment.date()
    grain = Period(period)
    if grain is Period.YEAR:
        return date(moment.year, 1, 1)
    if grain is Period.QUARTER:
        return date(moment.year, 3 * ((moment.month - 1) // 3) + 1, 1)
    if grain is Period.MONTH:
        return date(moment.year, moment.month, 1)
    return moment - timedelta(days=moment.weekday())


def next_period(start: date, period: Period | str) -> date:
    """The first day of the period after the one starting on ``start``."""
    grain = Period(period)
    if grain is Period.WEEK:
        return start + timedelta(days=7)
    months = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def as_moment(day: date) -> datetime:
    """Midnight UTC at the start of ``day``, as the engines compare timestamps."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
