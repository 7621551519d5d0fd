"""A unit's relationship page reads its employee side through the anonymity rules, on
SQLite and PostgreSQL: shown figures are the metrics service's own, the weakest items are
the lowest of every item index in order, and with a threshold above the unit's group every
employee figure is hidden and no hidden item is ranked or suggested. Scope: a manager of
another region cannot open the unit."""

from __future__ import annotations

import pytest

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal, Role
from rapport.errors import PermissionDenied
from rapport.services import demo, relationship_unit
from rapport.services.metrics import MetricRequest, compute
from rapport.services.suggestions import suggestion_for
from rapport.storage.uow import Database

SURVEY, EMPLOYEE = "customer-relationship", "employee-relationship"


def _manager(path: str) -> Principal:
    return Principal("user", 999, f"manager of {path}", Role.MANAGER, path)


def test_employee_side_obeys_the_anonymity_threshold(db: Database) -> None:
    org = demo.generate(seed=7, units=12, months=4)
    demo.load(db, org)
    store = next(u for u in org.units if u.kind == "store")
    with db.unit_of_work(readonly=True) as uow:
        path = uow.units.find(store.code).path  # type: ignore[union-attr]
    engine, policy, manager = OperationalEngine(db.engine), SuppressionPolicy(), _manager(path)

    shown = relationship_unit.unit_relationship(db, engine, manager, store.code, SURVEY, policy)
    assert shown.current is not None and shown.history[-1] is shown.current
    employee = {s.name: s for s in shown.signals if s.side == "employee"}
    hearts = employee["hearts"]
    assert hearts.value is not None and hearts.lower < hearts.value < hearts.upper  # type: ignore[operator]
    own = compute(engine, manager, MetricRequest(EMPLOYEE, "hearts", unit=store.code), policy)
    assert (hearts.value, hearts.n) == (own.rows[-1].value, own.rows[-1].n)
    # The weakest items: every item index of the employee survey, lowest first.
    scores = {}
    for tag in sorted(t for t in _tags(db) if suggestion_for(t)):
        rows = compute(engine, manager, MetricRequest(EMPLOYEE, f"index:{tag}", unit=store.code), policy).rows  # fmt: skip
        scores[tag] = rows[-1].value
    lowest = sorted(scores, key=lambda t: scores[t])[: relationship_unit.WEAKEST]
    assert [w.tag for w in shown.weakest] == lowest
    assert all(w.lower < w.value < w.upper for w in shown.weakest)  # type: ignore[operator]
    assert shown.items_hidden == 0

    strict = SuppressionPolicy(min_scores=hearts.n + 1)  # the store's group is now too small
    hidden = relationship_unit.unit_relationship(db, engine, manager, store.code, SURVEY, strict)
    for signal in (s for s in hidden.signals if s.side == "employee"):
        assert signal.suppressed and signal.value is None and signal.lower is None, signal
    assert hidden.weakest == [] and hidden.items_hidden == len(scores)
    customer = [s for s in hidden.signals if s.side == "customer"]
    assert all(s.value is not None for s in customer)  # customers are not hidden

    with db.unit_of_work(readonly=True) as uow:
        regions = [u.path for u in uow.units.all() if u.kind == "region"]
    other = next(r for r in regions if not path.startswith(f"{r}/"))
    with pytest.raises(PermissionDenied):
        relationship_unit.unit_relationship(db, engine, _manager(other), store.code, SURVEY, policy)


def _tags(db: Database) -> set[str]:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.tags FROM survey_items i JOIN survey_versions v ON v.id = i.survey_version_id"
                " JOIN surveys s ON s.id = v.survey_id WHERE s.key = :key"
            ),
            {"key": EMPLOYEE},
        ).all()
    return {t for (tags,) in rows for t in str(tags).split()}
