"""Import the organisation tree from CSV: ``code,parent,name,kind`` (parent empty for the
root), upsert by code, all or nothing.

Every row is checked before anything is written; a bad file raises
:class:`ValidationFailed` listing each row and column with what was expected (bad or
duplicate codes, unknown kinds, unknown or archived parents, a second root, cycles). A
known code whose parent changes is a move dated ``moved_on`` (today by default), recorded
like ``rapport org move``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapport.domain.audit import AuditAction
from rapport.domain.org import Permission, Principal, Unit, UnitKind, UnitMove
from rapport.errors import FieldError, ValidationFailed
from rapport.importers.csv_table import read_table
from rapport.services import audit
from rapport.services.access import require
from rapport.services.units import check_code, parse_kind, today
from rapport.storage.uow import UnitOfWork

COLUMNS = ("code", "parent", "name", "kind")


@dataclass(frozen=True)
class UnitImportResult:
    created: int
    updated: int
    moved: int
    unchanged: int


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    parent: str
    name: str
    kind: UnitKind


def import_units(
    uow: UnitOfWork, principal: Principal, data: bytes, moved_on: date | None = None
) -> UnitImportResult:
    """Create or update the units of a CSV file; nothing is written if any row is wrong.

    >>> # import_units(uow, SYSTEM, b"code,parent,name,kind\\nacme,,Acme,company\\n")
    """
    require(principal, Permission.MANAGE_ORG)
    table, errors = read_table(data, COLUMNS)
    if table is None or errors:
        raise ValidationFailed("the file cannot be read as a units table", errors)
    existing = {u.code: u for u in uow.units.all()}
    rows, errors = _check_rows(table.records(), existing)
    if errors:
        raise ValidationFailed(
            f"{len(errors)} problems in the units file; nothing imported", errors
        )
    result = _apply(uow, principal, rows, existing, moved_on or today())
    detail = {
        "created": result.created,
        "updated": result.updated,
        "moved": result.moved,
        "rows": len(rows),
    }
    audit.record(uow, principal, AuditAction.UNITS_IMPORT, "units", detail)
    return result


def _check_rows(
    raw: list[tuple[int, dict[str, str]]], existing: dict[str, Unit]
) -> tuple[list[_Row], list[FieldError]]:
    errors: list[FieldError] = []
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for line, cells in raw:
        where = f"row {line}"
        code, parent, name = (cells.get(c, "") for c in ("code", "parent", "name"))
        bad = [check_code(code, f"{where}, column code")] if code else []
        if not code:
            bad.append(FieldError(f"{where}, column code", "expected a code", "required"))
        if code in first_line:
            message = f"code {code!r} is also on row {first_line[code]}"
            bad.append(FieldError(f"{where}, column code", message, "duplicate_code"))
        if not name:
            bad.append(FieldError(f"{where}, column name", "expected a name", "required"))
        kind = parse_kind(cells.get("kind", ""), f"{where}, column kind")
        if isinstance(kind, FieldError):
            bad.append(kind)
        errors.extend(e for e in bad if e is not None)
        first_line.setdefault(code, line)
        if not isinstance(kind, FieldError) and not any(e is not None for e in bad):
            rows.append(_Row(line, code, parent, name, kind))
    if errors:
        return rows, errors
    return rows, _check_tree(rows, existing)


def _check_tree(rows: list[_Row], existing: dict[str, Unit]) -> list[FieldError]:
    """Parents known and open, one root, no cycles — in the tree as it would be after."""
    errors: list[FieldError] = []
    parent_of = _parents(rows, existing)
    in_file = {r.code: r for r in rows}
    for r in rows:
        where = f"row {r.line}, column parent"
        if not r.parent:
            continue
        if r.parent not in parent_of:
            message = f"no unit {r.parent!r} in the file or the organisation"
            errors.append(FieldError(where, message, "unknown_parent"))
        elif r.parent not in in_file and existing[r.parent].closed_on is not None:
            message = f"unit {r.parent!r} is archived; reopen it or choose another parent"
            errors.append(FieldError(where, message, "closed_unit"))
    roots = sorted(code for code, parent in parent_of.items() if not parent)
    if len(roots) > 1:
        for r in rows:
            if not r.parent:
                message = f"the organisation would have {len(roots)} roots ({', '.join(roots[:5])})"
                errors.append(FieldError(f"row {r.line}, column parent", message, "second_root"))
    if errors:
        return errors
    for r in rows:
        seen = {r.code}
        up = parent_of.get(r.code, "")
        while up:
            if up in seen:
                message = f"{r.code} would be below itself ({' → '.join([*seen, up])})"
                errors.append(FieldError(f"row {r.line}, column parent", message, "cycle"))
                break
            seen.add(up)
            up = parent_of.get(up, "")
    return errors


def _parents(rows: list[_Row], existing: dict[str, Unit]) -> dict[str, str]:
    """Each code → its parent's code ("" for the root) in the tree as it would be after."""
    by_id = {u.id: u for u in existing.values()}
    parent_of = {
        code: (by_id[u.parent_id].code if u.parent_id is not None else "")
        for code, u in existing.items()
    }
    parent_of.update({r.code: r.parent for r in rows})
    return parent_of


def _depths(rows: list[_Row], parent_of: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        depth, up = 0, r.parent
        while up:
            depth, up = depth + 1, parent_of.get(up, "")
        out[r.code] = depth
    return out


def _apply(
    uow: UnitOfWork,
    principal: Principal,
    rows: list[_Row],
    existing: dict[str, Unit],
    moved_on: date,
) -> UnitImportResult:
    created = updated = moved = unchanged = 0
    depth = _depths(rows, _parents(rows, existing))
    for r in sorted(rows, key=lambda r: (depth[r.code], r.line)):  # parents before children
        parent = uow.units.by_code(r.parent) if r.parent else None
        old = existing.get(r.code)
        if old is None:
            uow.units.add(r.code, r.name, r.kind, parent, moved_on)
            created += 1
            continue
        current = uow.units.one(r.code)  # afresh: a move above it changes its path
        changed = (current.name, current.kind) != (r.name, r.kind)
        if changed:
            uow.units.update(current.id, name=r.name, kind=r.kind.value)
            updated += 1
        if parent is not None and current.parent_id != parent.id:
            uow.units.reparent(current, parent)
            move = UnitMove(current.id, current.parent_id, parent.id, moved_on, principal.name)
            uow.units.add_move(move)
            moved += 1
            changed = True
        unchanged += not changed
    return UnitImportResult(created, updated, moved, unchanged)
