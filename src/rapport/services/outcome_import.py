"""Import business outcomes from CSV: ``unit,period`` and one numeric column per outcome.

``unit`` is a unit's code or path; ``period`` is ``YYYY-MM``, ``YYYY-Www`` (ISO week) or
``YYYY-Qn``, and rows of one file may mix grains. Every other column is an outcome named
by its header (``revenue``, ``customer_churn_pct``, any ``[a-z][a-z0-9_]*``); an empty
cell is no figure (nothing is written for it, a stored figure stays). Figures are upserted
by (unit, grain, period, outcome). All or nothing: any bad cell imports nothing and the
error names each row and column (unknown unit, bad period, not a number, the same unit
and period on two rows).

>>> # import_outcomes(uow, SYSTEM, b"unit,period,revenue\\nn1,2026-03,1200.5\\n")
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import cast

from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Principal
from rapport.domain.outcomes import MAX_NAME, NAME, PERIOD_HINT, parse_period
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_table import read_table
from rapport.services import audit
from rapport.services.access import require
from rapport.services.bulk import gc_paused
from rapport.storage.repositories.outcomes import Stored
from rapport.storage.uow import UnitOfWork

REQUIRED = ("unit", "period")
MAX_ERRORS = 500


@dataclass(frozen=True)
class OutcomeImportResult:
    rows: int
    """Rows of the file."""
    created: int
    """Figures stored for the first time."""
    updated: int
    """Figures that replaced a stored one (with the same value or not)."""
    outcomes: tuple[str, ...]
    encoding: str


def import_outcomes(
    uow: UnitOfWork, principal: Principal, data: bytes, *, pause_gc: bool = True
) -> OutcomeImportResult:
    """Create or replace the figures of a CSV file; nothing is written if any cell is
    wrong. Needs the import permission (admins and analysts); units outside a principal's
    scope are unknown to them. Audited as ``outcomes.import``."""
    require(principal, Permission.IMPORT_DATA)
    with gc_paused() if pause_gc else nullcontext():
        table, errors = read_table(data, REQUIRED)
        if table is None or errors:
            raise ValidationFailed("the file cannot be read as an outcomes table", errors)
        names = [c for c in table.columns if c not in REQUIRED]
        errors = _check_names(names)
        if errors:
            raise ValidationFailed("the file's outcome columns are wrong", errors)
        units: dict[str, int] = {}
        for u in uow.units.all():
            if principal.sees_unit(u.path):
                units[u.code] = units[u.path] = u.id
        by_name = dict(zip(table.columns, zip(*table.rows, strict=True), strict=True))
        if not table.rows:
            by_name = dict.fromkeys(table.columns, ())
        stored, errors = _check(by_name, names, table.lines, units)
        if errors:
            more = f" (the first {MAX_ERRORS} are listed)" if len(errors) >= MAX_ERRORS else ""
            raise ValidationFailed(
                f"problems in the outcomes file{more}; nothing imported", errors[:MAX_ERRORS]
            )
        before = uow.outcomes.count()
        uow.outcomes.upsert_tuples(stored)
        created = uow.outcomes.count() - before
    result = OutcomeImportResult(
        len(table.rows), created, len(stored) - created, tuple(names), table.encoding
    )
    detail = {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "outcomes": list(result.outcomes),
    }
    audit.record(uow, principal, AuditAction.OUTCOMES_IMPORT, "outcomes", detail)
    return result


def _check_names(names: list[str]) -> list[FieldError]:
    if not names:
        message = "expected at least one outcome column (revenue, complaints, ...)"
        return [FieldError("columns", message, "no_outcomes")]
    return [
        FieldError(
            f"column {name or '(blank)'}",
            f"expected an outcome name of lower-case letters, digits and _ "
            f"(starting with a letter, at most {MAX_NAME} characters), got {name!r}",
            "outcome_name",
        )
        for name in names
        if len(name) > MAX_NAME or not NAME.match(name)
    ]


def _check(
    by_name: Mapping[str, Sequence[str]],
    names: list[str],
    lines: list[int],
    units: dict[str, int],
) -> tuple[list[Stored], list[FieldError]]:
    """The figures to store, or the errors in row order. Checked column by column (one
    pass per rule), as the people import is: most of an import's time is here."""
    bad: list[tuple[int, int, str, str, str]] = []  # (row index, column order, ...)

    def flag(order: int, column: str, found: Sequence[int], message: Callable[[int], str],
             code: str) -> None:  # fmt: skip
        bad.extend((i, order, column, message(i), code) for i in found)

    unit = by_name["unit"]
    unit_ids = [units.get(u) for u in unit]
    flag(
        0,
        "unit",
        [i for i, u in enumerate(unit_ids) if u is None],
        lambda i: f"no unit {unit[i]!r} in your scope" if unit[i] else "expected a unit code",
        "unknown_unit",
    )
    period = by_name["period"]
    parsed = {p: parse_period(p) for p in set(period)}  # a few dozen distinct periods
    periods = [parsed[p] for p in period]
    flag(
        1,
        "period",
        [i for i, p in enumerate(periods) if p is None],
        lambda i: f"expected a period {PERIOD_HINT}, got {period[i]!r}",
        "period",
    )
    keys = list(zip(unit_ids, periods, strict=True))
    if len(set(keys)) != len(keys):
        first: dict[object, int] = {}
        flag(
            1,
            "period",
            [
                i
                for i, k in enumerate(keys)
                if k[0] is not None and k[1] is not None and first.setdefault(k, i) != i
            ],
            lambda i: (
                f"unit {unit[i]!r} and period {period[i]!r} are also on row {lines[first[keys[i]]]}"
            ),
            "duplicate",
        )
    values: list[list[float | None]] = []
    for order, name in enumerate(names, start=2):
        column = by_name[name]
        numbers = _numbers(column)
        if numbers is None:  # some cell is not a plain number: find which, cell by cell
            numbers = [_number(v) if v else None for v in column]
            bad.extend(
                (i, order, name, f"expected a number such as 1234.5, got {v!r}", "number")
                for i, (v, n) in enumerate(zip(column, numbers, strict=True))
                if v and n is None
            )
        values.append(numbers)
    if bad:
        bad.sort()
        return [], [
            FieldError(f"row {lines[i]}, column {column}", message, code)
            for i, _, column, message, code in bad[:MAX_ERRORS]
        ]
    grains = {p: (str(found[0]), found[1]) for p, found in parsed.items() if found is not None}
    ids = cast(list[int], unit_ids)  # no error: every unit is known
    cells = [(uid, *grains[p]) for uid, p in zip(ids, period, strict=True)]
    stored: list[Stored] = []
    for name, numbers in zip(names, values, strict=True):
        stored.extend(
            (uid, grain, start, name, value)
            for (uid, grain, start), value in zip(cells, numbers, strict=True)
            if value is not None
        )
    return stored, []


def _numbers(column: Sequence[str]) -> list[float | None] | None:
    """Every cell as a number (None for an empty one), or None when any cell is not a
    plain finite decimal — the fast path: one ``float`` per cell and no per-cell checks,
    since Python's ``nan``, ``inf`` and ``1_000`` all hold an ``n`` or a ``_``."""
    text = "".join(column).lower()
    if "_" in text or "n" in text:
        return None
    try:
        return [float(v) if v else None for v in column]
    except ValueError:
        return None


def _number(text: str) -> float | None:
    """A finite decimal number (``-3``, ``1234.5``, ``1.2e3``), else None; Python's
    ``1_000``, ``nan`` and ``inf`` are not numbers in a spreadsheet."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and "_" not in text else None
