"""The people directory: customers and employees, read one at a time or a page at a time,
written in bulk (imports) through the driver's ``executemany``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from rapport.domain.org import Person, PersonKind
from rapport.storage import bulk
from rapport.storage.models import PersonRow

#: Columns an import writes, in the order of its tuples.
IMPORT_COLUMNS = (
    "kind",
    "external_id",
    "unit_id",
    "name",
    "email",
    "phone",
    "language",
    "relationship_start",
    "consent_email",
    "consent_sms",
    "attributes",
)


_PERSON_COLUMNS = ("id", *IMPORT_COLUMNS)


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
        row.phone,
        row.language,
        row.consent_email,
        row.consent_sms,
    )


class PersonRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, rows: Iterable[dict[str, Any]]) -> None:
        """Bulk insert people given as column dicts (one executemany)."""
        batch = list(rows)
        if batch:
            self.s.execute(insert(PersonRow), batch)

    def insert_tuples(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert people as tuples in :data:`IMPORT_COLUMNS` order (one executemany)."""
        bulk.insert_tuples(self.s.connection(), PersonRow, IMPORT_COLUMNS, rows)

    def update_tuples(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Update people: tuples of ``columns`` values followed by the row id."""
        bulk.update_tuples(self.s.connection(), PersonRow, columns, "id", rows)

    def keys(self) -> dict[tuple[str, str], int]:
        """(kind, external id) → id of every person."""
        q = select(PersonRow.kind, PersonRow.external_id, PersonRow.id)
        return {(k, e): i for k, e, i in self.s.execute(q).all()}

    def by_key(self, kind: PersonKind, external_id: str) -> Person | None:
        """One person by (kind, external id) — an index lookup, not a directory scan."""
        q = select(PersonRow).where(
            PersonRow.kind == kind.value, PersonRow.external_id == external_id
        )
        row = self.s.scalars(q).one_or_none()
        return _person(row) if row else None

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

    def chosen(self, unit_ids: Sequence[int] | None) -> list[Person]:
        """Everyone (of both kinds) in ``unit_ids``, or in the whole directory when None,
        by id: the candidates of a distribution before its filters."""
        columns = [PersonRow.__table__.c[name] for name in _PERSON_COLUMNS]
        q = select(*columns)
        if unit_ids is not None:
            q = q.where(PersonRow.unit_id.in_(list(unit_ids)))
        # Plain rows, not ORM objects: a directory of 20,000 loads in a fifth of the time.
        return [
            Person(
                r.id,
                PersonKind(r.kind),
                r.unit_id,
                r.external_id,
                r.name,
                r.email,
                r.relationship_start,
                dict(r.attributes or {}),
                r.phone,
                r.language,
                r.consent_email,
                r.consent_sms,
            )
            for r in self.s.execute(q.order_by(PersonRow.id))
        ]

    def by_external_ids(self, external_ids: Iterable[str]) -> list[Person]:
        """The people (of either kind) with these external ids, a chunk of ids a query."""
        ids = sorted(set(external_ids))
        found: list[Person] = []
        for start in range(0, len(ids), 500):
            q = select(PersonRow).where(PersonRow.external_id.in_(ids[start : start + 500]))
            found.extend(_person(r) for r in self.s.scalars(q))
        return found

    def page(
        self,
        *,
        kind: PersonKind | None,
        unit_ids: Sequence[int] | None,
        after_id: int,
        limit: int,
        search: str | None = None,
    ) -> list[Person]:
        """People by id after ``after_id`` (keyset paging), optionally of one kind, in
        some units, and whose external id starts with ``search`` or whose name contains it
        (ignoring case)."""
        q = select(PersonRow).where(PersonRow.id > after_id)
        if search:
            q = q.where(
                or_(
                    PersonRow.external_id.startswith(search, autoescape=True),
                    func.lower(PersonRow.name).contains(search.lower(), autoescape=True),
                )
            )
        if kind is not None:
            q = q.where(PersonRow.kind == kind.value)
        if unit_ids is not None:
            q = q.where(PersonRow.unit_id.in_(unit_ids))
        return [_person(r) for r in self.s.scalars(q.order_by(PersonRow.id).limit(limit))]

    def count(self, kind: PersonKind | None = None) -> int:
        q = select(func.count()).select_from(PersonRow)
        if kind is not None:
            q = q.where(PersonRow.kind == kind.value)
        return self.s.scalar(q) or 0
