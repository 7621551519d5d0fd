"""Units and actions (people: :mod:`rapport.storage.repositories.people`; outcomes:
:mod:`rapport.storage.repositories.outcomes`, re-exported here)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from rapport.domain.actions import Action
from rapport.domain.org import Unit, UnitKind, UnitMove
from rapport.storage.models import ActionRow, UnitMoveRow, UnitRow
from rapport.storage.repositories.outcomes import OutcomeRepository

__all__ = ["ActionRepository", "OutcomeRepository", "UnitRepository"]


def _unit(row: UnitRow) -> Unit:
    return Unit(
        row.id,
        row.code,
        row.name,
        UnitKind(row.kind),
        row.parent_id,
        row.path,
        row.opened_on,
        row.closed_on,
        row.closed_by,
    )


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.s = session
        self._all: list[Unit] | None = None  # the tree as this unit of work read it

    def add(
        self,
        code: str,
        name: str,
        kind: UnitKind,
        parent: Unit | None = None,
        opened_on: date | None = None,
    ) -> Unit:
        path = f"{parent.path}/{code}" if parent else code
        row = UnitRow(
            code=code,
            name=name,
            kind=kind.value,
            parent_id=parent.id if parent else None,
            path=path,
            depth=path.count("/"),
            opened_on=opened_on,
        )
        self.s.add(row)
        self.s.flush()
        self._all = None
        return _unit(row)

    def update(self, unit_id: int, **values: Any) -> Unit:
        """Set plain columns (name, kind, closed_on, closed_by) of one unit."""
        self.s.execute(update(UnitRow).where(UnitRow.id == unit_id).values(**values))
        self._all = None
        return _unit(self.s.get_one(UnitRow, unit_id, populate_existing=True))

    def reparent(self, unit: Unit, parent: Unit) -> Unit:
        """Hang ``unit`` (and its subtree) under ``parent``: every path below it is rewritten
        in one statement (paths are codes from the root, so only the prefix changes)."""
        new_path = f"{parent.path}/{unit.code}"
        shift = new_path.count("/") - unit.path.count("/")
        under = or_(UnitRow.path == unit.path, UnitRow.path.startswith(unit.path + "/"))
        self.s.execute(
            update(UnitRow)
            .where(under)
            .values(
                path=literal(new_path) + func.substr(UnitRow.path, len(unit.path) + 1),
                depth=UnitRow.depth + shift,
            )
            .execution_options(synchronize_session=False)
        )
        self.s.execute(update(UnitRow).where(UnitRow.id == unit.id).values(parent_id=parent.id))
        self.s.expire_all()
        self._all = None
        return _unit(self.s.get_one(UnitRow, unit.id))

    def add_move(self, move: UnitMove) -> None:
        self.s.execute(
            insert(UnitMoveRow).values(
                unit_id=move.unit_id,
                old_parent_id=move.old_parent_id,
                new_parent_id=move.new_parent_id,
                moved_on=move.moved_on,
                moved_by=move.moved_by,
            )
        )

    def moves(self, unit_id: int | None = None) -> list[UnitMove]:
        q = select(UnitMoveRow).order_by(UnitMoveRow.moved_on, UnitMoveRow.id)
        if unit_id is not None:
            q = q.where(UnitMoveRow.unit_id == unit_id)
        return [
            UnitMove(r.unit_id, r.old_parent_id, r.new_parent_id, r.moved_on, r.moved_by)
            for r in self.s.scalars(q)
        ]

    def get(self, unit_id: int) -> Unit | None:
        row = self.s.get(UnitRow, unit_id)
        return _unit(row) if row else None

    def by_code(self, code: str) -> Unit | None:
        row = self.s.scalars(select(UnitRow).where(UnitRow.code == code)).one_or_none()
        return _unit(row) if row else None

    def one(self, code: str) -> Unit:
        """The unit with this code; it must exist."""
        return _unit(self.s.scalars(select(UnitRow).where(UnitRow.code == code)).one())

    def by_path(self, path: str) -> Unit | None:
        row = self.s.scalars(select(UnitRow).where(UnitRow.path == path)).one_or_none()
        return _unit(row) if row else None

    def find(self, code_or_path: str) -> Unit | None:
        """Look a unit up by its code or its full path."""
        return self.by_path(code_or_path) or self.by_code(code_or_path)

    def all(self) -> list[Unit]:
        """Every unit in tree order, read once per unit of work (one transaction; a page
        asks for the tree from several services); :meth:`add`, :meth:`update` and
        :meth:`reparent`, the only writers of units, forget it."""
        if self._all is None:
            self._all = [_unit(r) for r in self.s.scalars(select(UnitRow).order_by(UnitRow.path))]
        return list(self._all)

    def kinds(self) -> dict[str, UnitKind]:
        """Every unit's kind by its path, read as plain rows: a page that needs no more
        does not build the whole tree (at 400 units a tenth of the learning log's request)."""
        if self._all is not None:
            return {u.path: u.kind for u in self._all}
        rows = self.s.execute(select(UnitRow.path, UnitRow.kind)).tuples()
        return {path: UnitKind(kind) for path, kind in rows}

    def subtree(self, path: str) -> list[Unit]:
        rows = self.s.scalars(
            select(UnitRow)
            .where(or_(UnitRow.path == path, UnitRow.path.startswith(path + "/")))
            .order_by(UnitRow.path)
        )
        return [_unit(r) for r in rows]

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(UnitRow)) or 0


class ActionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self,
        unit_id: int,
        kind: str,
        title: str,
        started_on: date,
        description: str = "",
        *,
        intended_effect: str = "",
        ended_on: date | None = None,
        created_by: str | None = None,
        created_at: datetime | None = None,
    ) -> int:
        row = ActionRow(
            unit_id=unit_id,
            kind=kind,
            title=title,
            started_on=started_on,
            description=description,
            intended_effect=intended_effect,
            ended_on=ended_on,
            created_by=created_by,
        )
        if created_at is not None:
            row.created_at = created_at
        self.s.add(row)
        self.s.flush()
        return row.id

    def _select(self) -> Select[ActionRow, UnitRow]:
        return select(ActionRow, UnitRow).join(UnitRow, UnitRow.id == ActionRow.unit_id)

    def get(self, action_id: int) -> Action | None:
        found = self.s.execute(self._select().where(ActionRow.id == action_id)).one_or_none()
        return _action(found[0], found[1]) if found else None

    def list(self, within: str | None = None) -> list[Action]:
        """Every action, newest start first; ``within``: only units in that path's subtree."""
        query = self._select()
        if within is not None:
            query = query.where(or_(UnitRow.path == within, UnitRow.path.startswith(within + "/")))
        query = query.order_by(ActionRow.started_on.desc(), ActionRow.id.desc())
        return [_action(row[0], row[1]) for row in self.s.execute(query).all()]

    def count(self) -> int:
        return self.s.scalar(select(func.count()).select_from(ActionRow)) or 0


def _action(row: ActionRow, unit: UnitRow) -> Action:
    return Action(
        row.id,
        row.unit_id,
        unit.code,
        unit.name,
        unit.path,
        row.kind,
        row.title,
        row.description,
        row.intended_effect,
        row.started_on,
        row.ended_on,
        row.created_by,
        row.created_at,
    )
