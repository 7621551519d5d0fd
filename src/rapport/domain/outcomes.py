"""Business outcomes per unit and period: grains, period labels and the roll-up rule.

A period is written as a spreadsheet user writes it — ``2026-03`` (a month), ``2026-W11``
(an ISO week) or ``2026-Q1`` (a quarter) — and stored as its first day with its grain.

Rolling a figure up the unit tree (a region from its stores) depends on what it counts:
money and counts add up (:data:`ADDITIVE`), rates and percentages do not and are averaged,
each child unit counting once (:func:`rollup_rule`).

>>> parse_period("2026-W01")
(<Grain.WEEK: 'week'>, datetime.date(2025, 12, 29))
>>> period_label(Grain.QUARTER, date(2026, 4, 1))
'2026-Q2'
>>> rollup_rule("revenue"), rollup_rule("customer_churn_pct")
('sum', 'mean')
"""

from __future__ import annotations

import enum
import re
from datetime import date

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""An outcome's name: a lower-case identifier (it becomes a CSV column and a frame column)."""
MAX_NAME = 60

#: Outcomes that add up over units (money and counts): a region's revenue is its stores'
#: sum. ``staff_turnover`` and ``absence`` are counts (leavers, days absent); send rates
#: as ``*_pct`` or ``*_rate``, which are averaged.
ADDITIVE = frozenset({"revenue", "sales", "complaints", "staff_turnover", "absence", "orders"})
ADDITIVE_SUFFIXES = ("_count", "_total", "_amount")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class Grain(enum.StrEnum):
    """How long an outcome's period is."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


PERIOD_HINT = "YYYY-MM, YYYY-Www (ISO week) or YYYY-Qn"


def parse_period(text: str) -> tuple[Grain, date] | None:
    """The grain and first day of a period label, or None if it is not one.

    >>> parse_period("2026-Q3")
    (<Grain.QUARTER: 'quarter'>, datetime.date(2026, 7, 1))
    >>> parse_period("2026-13") is None, parse_period("2026-W54") is None
    (True, True)
    """
    value = text.strip().upper()
    try:
        if found := _MONTH.match(value):
            return Grain.MONTH, date(int(found[1]), int(found[2]), 1)
        if found := _QUARTER.match(value):
            return Grain.QUARTER, date(int(found[1]), 3 * int(found[2]) - 2, 1)
        if found := _WEEK.match(value):
            return Grain.WEEK, date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:  # month 13, week 53 of a 52-week year, year 0
        return None
    return None


def period_label(grain: Grain | str, start: date) -> str:
    """The label of the period of ``grain`` starting on ``start`` (inverse of
    :func:`parse_period`).

    >>> period_label("week", date(2025, 12, 29))
    '2026-W01'
    """
    kind = Grain(grain)
    if kind is Grain.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    if kind is Grain.QUARTER:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    year, week, _ = start.isocalendar()
    return f"{year:04d}-W{week:02d}"


def rollup_rule(name: str) -> str:
    """``sum`` for money and counts (:data:`ADDITIVE`, names ending ``_count``, ``_total``
    or ``_amount``), ``mean`` for everything else (rates, percentages, scores)."""
    return "sum" if name in ADDITIVE or name.endswith(ADDITIVE_SUFFIXES) else "mean"
