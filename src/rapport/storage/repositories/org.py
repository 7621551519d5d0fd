"""Units, people, outcomes and actions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from rapport.domain.org import Person, PersonKind, Unit, UnitKind
from rapport.storage.models import ActionRow, OutcomeRow, PersonRow, UnitRow


def _unit(row: UnitRow) -> Unit:
    return Unit(row.id, row.code, row.name, UnitKind(row.kind), row.parent_id, row.path)


def _person(row: PersonRow) -> Person:
    return Person(
        row.id,
        PersonKind(row.kind),
        row.unit_id,
        row.external_id,
        row.name,
        row.email,
        row.relationship_start,
        dict(row.attributes or {}),
    )


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.s = session
        self._all: list[Unit] | None = None  # the tree as this unit of work read it

    def add(self, code: str, name: str, kind: UnitKind, parent: Unit | None = None) -> Unit:
        path = f"{parent.path}/{code}" if parent else code
        row = UnitRow(
            code=code,
            name=name,
            kind=kind.value,
            parent_id=parent.id if parent else None,
            path=path,
            depth=path.count("/"),
        )
        self.s.add(row)
        self.s.flush()
        self._all = None
        return _unit(row)

    def get(self, unit_id: int) -> Unit | None:
        row = self.s.get(UnitRow, unit_id)
        return _unit(row) if row else None

    def by_code(self, code: str) -> Unit | None:
        row = self.s.scalars(select(UnitRow).where(UnitRow.code == code)).one_or_none()
        return _unit(row) if row else None

    def by_path(self, path: str) -> Unit | None:
        row = self.s.scalars(select(UnitRow).where(UnitRow.path == path)).one_or_none()
        return _unit(row) if row else None

    def find(self, code_or_path: str) -> Unit | None:
        """Look a unit up by its code or its full path."""
        return self.by_path(code_or_path) or self.by_code(code_or_path)

    def all(self) -> list[Unit]:
        """Every unit in tree order, read once per unit of work (one transaction; a page
        asks for the tree from several services; :meth:`add` is the only writer)."""
        if self._all is None:
            self._all = [_unit(r) for r in self.s.scalars(select(UnitRow).order_by(UnitRow.path))]
        return list(self._all)

    def subtree(self, path: str) -> list[Unit]:
        rows = self.s.scalars(
            select(UnitRow)
            .where(or_(UnitRow.path == path, UnitRow.path.startswith(path + "/")))
            .order_by(UnitRow.path)
        )
        return [_unit(r) for r in rows]

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(UnitRow)) or 0


class PersonRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, rows: Iterable[dict[str, Any]]) -> None:
        """Bulk insert people given as column dicts (one executemany)."""
        batch = list(rows)
        if batch:
            self.s.execute(insert(PersonRow), batch)

    def ids_by_external(self, kind: PersonKind) -> dict[str, int]:
        q = select(PersonRow.external_id, PersonRow.id).where(PersonRow.kind == kind.value)
        return {ext: pid for ext, pid in self.s.execute(q).all()}  # noqa: C416

    def by_external_id(self, kind: PersonKind) -> dict[str, Person]:
        rows = self.s.scalars(select(PersonRow).where(PersonRow.kind == kind.value))
        return {r.external_id: _person(r) for r in rows}

    def get(self, person_id: int) -> Person | None:
        row = self.s.get(PersonRow, person_id)
        return _person(row) if row else None

    def in_units(self, unit_ids: Sequence[int], kind: PersonKind | None = None) -> list[Person]:
        q = select(PersonRow).where(PersonRow.unit_id.in_(unit_ids))
        if kind is not None:
            q = q.where(PersonRow.kind == kind.value)
        return [_person(r) for r in self.s.scalars(q.order_by(PersonRow.id))]

    def count(self, kind: PersonKind | None = None) -> int:
        q = select(func.count()).select_from(PersonRow)
        if kind is not None:
            q = q.where(PersonRow.kind == kind.value)
        return self.s.scalar(q) or 0


class OutcomeRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, rows: Iterable[dict[str, Any]]) -> None:
        batch = list(rows)
        if batch:
            self.s.execute(insert(OutcomeRow), batch)

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(OutcomeRow)) or 0


class ActionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self, unit_id: int, kind: str, title: str, started_on: date, description: str = ""
    ) -> int:
        row = ActionRow(
            unit_id=unit_id, kind=kind, title=title, started_on=started_on, description=description
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(ActionRow)) or 0
