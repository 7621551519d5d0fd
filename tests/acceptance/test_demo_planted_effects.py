"""The planted effects of the demo organisation are visible through the product's own
metrics and comment analysis (issue acceptance: drift to "taken for granted")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rapport.analytics.engines import open_engine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM
from rapport.services import comment_explorer, demo, metrics
from rapport.services.metrics import MetricRequest
from rapport.storage import migrate
from rapport.storage.uow import Database

SURVEY = "customer-relationship"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict]]:
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(db, org)
    yield db, org.truth
    db.dispose()


def _quarter_change(db: Database, metric: str, store: str) -> metrics.Comparison:
    engine = open_engine("operational", engine=db.engine)
    policy = SuppressionPolicy()
    return metrics.compare(
        engine,
        SYSTEM,
        MetricRequest(survey=SURVEY, metric=metric, period="quarter", unit=store),
        {"period": "2026-Q3"},
        {"period": "2025-Q3"},
        policy,
    )


@pytest.mark.slow
def test_drifting_stores_lose_hearts_not_minds(loaded: tuple[Database, dict]) -> None:
    db, truth = loaded
    stores = truth["drift"]["stores"]
    for store in stores:
        hearts = _quarter_change(db, "hearts", store)
        minds = _quarter_change(db, "minds", store)
        assert hearts.difference is not None and minds.difference is not None
        # Hearts fall significantly (planted −2 points a month from October 2025) ...
        assert hearts.difference.significant, store
        assert hearts.difference.estimate is not None and hearts.difference.estimate < -8, store
        # ... while minds hold: a change well inside ±4 points (planted 0).
        assert minds.difference.estimate is not None
        assert abs(minds.difference.estimate) < 4, (store, minds.difference)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="model 1.2.0 reads the drift in 4 of the 5 drifting stores, but in north-store-03 "
    "(early comments already half negative in tone) only 0.42 -> 0.55: indirect complaints "
    "('Nobody listens when I complain') and Spanish comments are not read as negative; open "
    "in the emotion-model issue",
)
def test_comment_emotions_reproduce_the_drift(loaded: tuple[Database, dict]) -> None:
    db, truth = loaded
    policy = SuppressionPolicy()
    negative = {"anger", "sadness", "disgust", "fear"}
    with db.unit_of_work() as uow:
        for store in truth["drift"]["stores"]:
            view = comment_explorer.explore(uow, SYSTEM, 1, policy, unit=store, limit=10_000)
            early = [c for c in view.comments if c.submitted_at.strftime("%Y-%m") < "2025-10"]
            late = [c for c in view.comments if c.submitted_at.strftime("%Y-%m") >= "2026-06"]
            share_early = sum(bool(negative & set(c.ekman)) for c in early) / max(len(early), 1)
            share_late = sum(bool(negative & set(c.ekman)) for c in late) / max(len(late), 1)
            assert share_late > share_early + 0.15, (store, share_early, share_late)
