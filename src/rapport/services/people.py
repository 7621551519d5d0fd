"""The people directory: import customers and employees from CSV, list them.

Columns ``external_id,kind,unit`` are required (kind ``customer`` or ``employee``; unit a
code or path); ``name,email,phone,language,relationship_start,consent_email,consent_sms``
are optional, and every other column becomes an attribute (segment, role, contract, ...).
Rows are upserted by (kind, external id): a known person gets the columns the file has (a
column the file lacks keeps its stored value). E-mail addresses are trimmed and
lower-cased, external ids trimmed. All or nothing: any bad row imports nothing and the
error names each row and column. Responses given with ``person`` then link to the person
and take their tenure and allowed attributes (:mod:`rapport.services.responses`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from functools import partial
from operator import itemgetter
from typing import Any, TypeVar

from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Person, PersonKind, Principal
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_table import Table, read_table
from rapport.services import audit
from rapport.services.access import require
from rapport.services.bulk import gc_paused
from rapport.services.clock import utcnow
from rapport.storage.repositories.people import IMPORT_COLUMNS
from rapport.storage.uow import UnitOfWork

T = TypeVar("T")
REQUIRED = ("external_id", "kind", "unit")
OPTIONAL = (
    "name",
    "email",
    "phone",
    "language",
    "relationship_start",
    "consent_email",
    "consent_sms",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{2,39}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
FLAGS = {"yes": True, "y": True, "true": True, "1": True,
         "no": False, "n": False, "false": False, "0": False}  # fmt: skip
PHONE_HINT = "+44 20 7946 0000"
MAX_ERRORS = 500
MAX_PAGE = 500
LIMITS = {"external_id": 120, "name": 200, "email": 320}


@dataclass(frozen=True)
class PeopleImportResult:
    created: int
    updated: int
    encoding: str


def import_people(
    uow: UnitOfWork,
    principal: Principal,
    data: bytes,
    progress: Callable[[int], None] | None = None,
    *,
    pause_gc: bool = True,
) -> PeopleImportResult:
    """Create or update the people of a CSV file; nothing is written if any row is wrong.

    The cyclic garbage collector is paused meanwhile (:mod:`rapport.services.bulk`) unless
    ``pause_gc=False``: a server that goes on answering other requests must not pause it.

    >>> # import_people(uow, SYSTEM, b"external_id,kind,unit,segment\\nc1,customer,n1,gold\\n")
    """
    require(principal, Permission.IMPORT_DATA)
    with gc_paused() if pause_gc else nullcontext():
        return _import(uow, principal, data, progress)


def _import(
    uow: UnitOfWork,
    principal: Principal,
    data: bytes,
    progress: Callable[[int], None] | None,
) -> PeopleImportResult:
    table, errors = read_table(data, REQUIRED, strip=False)  # _check trims by column
    if table is None or errors:
        raise ValidationFailed("the file cannot be read as a people table", errors)
    today = utcnow().date()
    units: dict[str, int] = {}
    closed: set[str] = set()
    for u in uow.units.all():
        if principal.sees_unit(u.path):
            units[u.code] = units[u.path] = u.id
            if u.closed(today):
                closed.update((u.code, u.path))
    new, known, errors = _check(table, units, closed, uow.people.keys())
    if errors:
        more = f" (the first {MAX_ERRORS} are listed)" if len(errors) >= MAX_ERRORS else ""
        raise ValidationFailed(f"problems in the people file{more}; nothing imported", errors)
    present = [c for c in IMPORT_COLUMNS if c in table.columns or c in ("unit_id", "attributes")]
    has_attributes = any(c not in REQUIRED and c not in OPTIONAL for c in table.columns)
    if not has_attributes:
        present.remove("attributes")
    pick = itemgetter(*(IMPORT_COLUMNS.index(c) for c in present))  # ≥ 3 columns: a tuple
    uow.people.insert_tuples(new)
    if progress:
        progress(len(new))
    uow.people.update_tuples(present, [(*pick(row), pid) for pid, row in known])
    if progress:
        progress(len(known))
    detail = {"created": len(new), "updated": len(known), "encoding": table.encoding}
    audit.record(uow, principal, AuditAction.PEOPLE_IMPORT, "people", detail)
    return PeopleImportResult(len(new), len(known), table.encoding)


def _check(
    table: Table,
    units: dict[str, int],
    closed: set[str],
    existing: dict[tuple[str, str], int],
) -> tuple[list[tuple[Any, ...]], list[tuple[int, tuple[Any, ...]]], list[FieldError]]:
    """Rows as insert tuples (new people) and (id, tuple) pairs (known people), in
    :data:`IMPORT_COLUMNS` order, and the errors in row order.

    The table is checked column by column (one comprehension per rule over a transposed
    table) rather than row by row: this is most of an import's time, and a column-wise
    pass spends it in C loops instead of per-row branches.
    """
    columns, lines, n = table.columns, table.lines, len(table.rows)
    by_name: dict[str, list[str]] = {}
    if n:  # transpose (every row is padded to the header) and trim each column
        by_column = zip(*table.rows, strict=True)
        by_name = {c: list(map(str.strip, v)) for c, v in zip(columns, by_column, strict=True)}
    blank = [""] * n

    def col(name: str) -> list[str]:
        return by_name.get(name, blank)

    bad: list[tuple[int, int, str, str, str]] = []  # (index, rule order, column, message, code)

    def flag(
        order: int, column: str, found: Sequence[int], message: Callable[[int], str], code: str
    ) -> None:
        bad.extend((i, order, column, message(i), code) for i in found)

    ext = col("external_id")
    flag(
        0,
        "external_id",
        [i for i, e in enumerate(ext) if not e],
        lambda i: "expected an id",
        "required",
    )
    flag(
        0,
        "external_id",
        [i for i, e in enumerate(ext) if len(e) > LIMITS["external_id"]],
        lambda i: "longer than 120 characters",
        "too_long",
    )
    raw_kind = col("kind")
    kind = _per_value(str.lower, raw_kind)
    kinds = {k.value for k in PersonKind}
    flag(
        1,
        "kind",
        [i for i, k in enumerate(kind) if k not in kinds],
        lambda i: f"expected customer or employee, got {raw_kind[i]!r}",
        "kind",
    )
    unit = col("unit")
    unit_ids = list(map(units.get, unit))
    flag(
        2,
        "unit",
        [i for i, u in enumerate(unit_ids) if u is None],
        lambda i: f"no unit {unit[i]!r} in your scope",
        "unknown_unit",
    )
    if closed:
        flag(
            2,
            "unit",
            [i for i, u in enumerate(unit) if u in closed],
            lambda i: f"unit {unit[i]!r} is archived",
            "closed_unit",
        )
    keys = list(zip(kind, ext, strict=True))
    if len(set(keys)) != n:
        first: dict[tuple[str, str], int] = {}
        dups = [i for i, k in enumerate(keys) if first.setdefault(k, i) != i]
        flag(
            3,
            "external_id",
            dups,
            lambda i: f"{kind[i]} {ext[i]!r} is also on row {lines[first[keys[i]]]}",
            "duplicate",
        )
    name = col("name")
    flag(
        4,
        "name",
        [i for i, v in enumerate(name) if len(v) > LIMITS["name"]],
        lambda i: "longer than 200 characters",
        "too_long",
    )
    email = list(map(str.lower, col("email")))
    flag(
        5,
        "email",
        [i for i, e in enumerate(email) if e and (len(e) > LIMITS["email"] or not EMAIL.match(e))],
        lambda i: f"expected an e-mail address, got {email[i]!r}",
        "email",
    )
    phone = col("phone")
    flag(
        6,
        "phone",
        [i for i, v in enumerate(phone) if v and not PHONE.match(v)],
        lambda i: f"expected a phone number such as {PHONE_HINT}, got {phone[i]!r}",
        "phone",
    )
    language = [v or "en" for v in col("language")]
    languages_ok = {v for v in set(language) if LANGUAGE.match(v)}  # a few distinct values
    flag(
        7,
        "language",
        [i for i, v in enumerate(language) if v not in languages_ok],
        lambda i: f"expected a code such as en or fr-CA, got {language[i]!r}",
        "language",
    )
    raw_start = col("relationship_start")
    start = _per_value(_date, raw_start)
    flag(
        8,
        "relationship_start",
        [i for i, v in enumerate(raw_start) if v and start[i] is None],
        lambda i: f"expected a date YYYY-MM-DD, got {raw_start[i]!r}",
        "date",
    )
    consents = []
    for order, column, default in ((9, "consent_email", True), (10, "consent_sms", False)):
        raw = col(column)
        values = _per_value(partial(_consent, default), raw)
        wrong = {v for v in set(raw) if v and v.lower() not in FLAGS}
        if wrong:
            bad.extend(
                (i, order, column, f"expected yes or no, got {v!r}", "flag")
                for i, v in enumerate(raw)
                if v in wrong
            )
        consents.append(values)
    if bad:
        bad.sort()
        return (
            [],
            [],
            [
                FieldError(f"row {lines[i]}, column {column}", message, code)
                for i, _, column, message, code in bad[:MAX_ERRORS]
            ],
        )
    extra = [c for c in columns if c not in REQUIRED and c not in OPTIONAL]
    # Rows with the same attribute values share one dict (and so one JSON encoding).
    shared: dict[tuple[str, ...], dict[str, str]] = {}
    attributes: list[dict[str, str]] = []
    for row_values in zip(*(by_name[c] for c in extra), strict=True) if extra else [()] * n:
        found = shared.get(row_values)
        if found is None:
            found = shared[row_values] = {c: v for c, v in zip(extra, row_values, strict=True) if v}
        attributes.append(found)
    tuples = zip(
        kind, ext, unit_ids, name, [e or None for e in email], [p or None for p in phone],
        language, start, consents[0], consents[1], attributes, strict=True,
    )  # fmt: skip
    if not existing:
        return list(tuples), [], []
    new: list[tuple[Any, ...]] = []
    known: list[tuple[int, tuple[Any, ...]]] = []
    for key, row in zip(keys, tuples, strict=True):
        pid = existing.get(key)
        if pid is None:
            new.append(row)
        else:
            known.append((pid, row))
    return new, known, []


def _per_value(convert: Callable[[str], T], values: list[str]) -> list[T]:
    """``convert`` applied to every value, computed once per distinct value (columns such
    as dates, flags and kinds repeat a few values over thousands of rows)."""
    table = {v: convert(v) for v in set(values)}
    return list(map(table.__getitem__, values))


def _consent(default: bool, value: str) -> bool:
    return FLAGS.get(value.lower(), default) if value else default


def _date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None (also for an empty cell)."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def list_people(
    uow: UnitOfWork,
    principal: Principal,
    *,
    kind: PersonKind | None = None,
    unit: str | None = None,
    after: int = 0,
    limit: int = 100,
    search: str | None = None,
) -> tuple[list[Person], int | None]:
    """A page of the directory by id, and the ``after`` of the next page (None at the end).

    ``unit`` (code or path) includes its subtree; managers see their own subtree only.
    ``search`` keeps people whose external id starts with it or whose name contains it.
    """
    require(principal, Permission.VIEW_COMMENTS)
    limit = max(1, min(limit, MAX_PAGE))
    unit_ids: Sequence[int] | None = None
    if unit is not None or principal.unit_path is not None:
        root = uow.units.find(unit) if unit is not None else None
        if unit is not None and root is None:
            raise ValidationFailed("unknown unit", [FieldError("unit", f"no unit {unit!r}")])
        scope = uow.units.subtree(root.path) if root is not None else uow.units.all()
        unit_ids = [u.id for u in scope if principal.sees_unit(u.path)]
    found = uow.people.page(
        kind=kind,
        unit_ids=unit_ids,
        after_id=after,
        limit=limit + 1,
        search=(search or "").strip() or None,
    )
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1].id if more and found else None)
