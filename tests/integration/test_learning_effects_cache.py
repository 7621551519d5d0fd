"""The learning log's effects are kept once per data version (SQLite and PostgreSQL): a
second reader is served from the cache with what a computation without it gives; a new
response, or a manager asking instead of an admin, is a new key and is computed again."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.learnings import LearningChange
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.services import learnings, responses, surveys
from rapport.services.learning_effects import ChangeEffect, EffectReader
from rapport.services.versioned_cache import VersionedCache
from rapport.storage.uow import Database
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

POLICY = SuppressionPolicy(5, 10)


def _submit(db: Database, sid: int, unit: str, at: datetime, nps: int) -> None:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        found = uow.units.by_code(unit)
        assert found is not None
        answers: dict[str, Any] = {**GOOD_ANSWERS, "nps": nps}
        if nps > 6:
            answers.pop("why")  # asked of detractors and passives only
        responses.submit(
            uow, published, responses.Submission(answers=answers, unit_id=found.id, submitted_at=at)
        )


def test_effects_are_kept_per_data_version(db: Database) -> None:
    sid = seed_org(db)
    for month in range(1, 7):  # a planted rise from April, at two stores
        for i in range(8):
            for unit in ("north-1", "north"):
                nps = (9 if i % 3 else 2) if month >= 4 else (5 if i % 2 else 8)
                _submit(db, sid, unit, datetime(2026, month, 2 + i, 10, tzinfo=UTC), nps)
    with db.unit_of_work() as uow:
        key = surveys.get_published(uow, sid).survey.key
        given = learnings.LearningInput(
            title="Queues",
            what_happened="Tills closed",
            survey=key,
            metric="nps",
            changes=[LearningChange("processes", "Rota after the forecast", date(2026, 4, 1))],
        )
        learning = learnings.create(uow, SYSTEM, given)
    engine = OperationalEngine(db.engine)
    cache: VersionedCache[list[ChangeEffect]] = VersionedCache()

    def effects(principal: Principal = SYSTEM, *, cached: bool = True) -> list[ChangeEffect]:
        reader = EffectReader(db, engine, principal, POLICY, cache if cached else None)
        return reader.effects(learning)

    first = effects()
    assert first[0].method == "before_after" and first[0].estimate is not None
    assert (cache.hits, cache.misses) == (0, 1)
    assert effects() == first == effects(cached=False)
    assert (cache.hits, cache.misses) == (1, 1)
    # A new response is a new data version: computed again, as without the cache.
    _submit(db, sid, "north-1", datetime(2026, 6, 20, 10, tzinfo=UTC), 0)
    later = effects()
    assert cache.misses == 2 and later == effects(cached=False) and later != first
    # Who asks is part of the key: a manager's figures are their units'.
    manager = Principal("user", 9, "m", Role.MANAGER, "northwind/north")
    effects(manager)
    assert cache.misses == 3
