"""The planted effects of the demo organisation are visible through the product's own
metrics and comment analysis (issue acceptance: drift to "taken for granted")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rapport.analytics.engines import open_engine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.comment_emotions import READ_STATUS
from rapport.domain.org import SYSTEM, UnitKind
from rapport.services import comment_explorer, demo, metrics
from rapport.services.metrics import MetricRequest
from rapport.storage import migrate
from rapport.storage.repositories.comments import CommentRecord
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


NEGATIVE = frozenset({"anger", "sadness", "disgust", "fear"})


@dataclass(frozen=True)
class Share:
    hits: int
    n: int

    @property
    def value(self) -> float:
        return self.hits / self.n

    def __add__(self, other: Share) -> Share:
        return Share(self.hits + other.hits, self.n + other.n)


def _negative_share(comments: list[CommentRecord], months: Callable[[str], bool]) -> Share:
    """Comments the model read in ``months`` (the share's denominator, as in the
    ``comment_emotions`` metric: "language not supported" and too-short comments have no
    emotions and are not counted) and how many of them show a negative Ekman emotion."""
    read = [
        c for c in comments if c.status == READ_STATUS and months(c.submitted_at.strftime("%Y-%m"))
    ]
    return Share(sum(bool(NEGATIVE & set(c.ekman)) for c in read), len(read))


def _before(month: str) -> bool:
    return month < "2025-10"  # the drift starts in October 2025


def _late(month: str) -> bool:
    return month >= "2026-06"  # nine months and more into the drift


@pytest.mark.slow
def test_comment_emotions_reproduce_the_drift(loaded: tuple[Database, dict]) -> None:
    """Each drifting store's comments turn negative (planted: tone falls from October 2025);
    the stores without a planted change, taken together, barely move."""
    db, truth = loaded
    drifting = set(truth["drift"]["stores"])
    programme = set(truth["programme"]["stores"])  # planted: tone rises from February 2026
    policy = SuppressionPolicy()
    control_early, control_late = Share(0, 0), Share(0, 0)
    with db.unit_of_work() as uow:
        stores = [u.code for u in uow.units.all() if u.kind is UnitKind.STORE]
        for store in stores:
            view = comment_explorer.explore(uow, SYSTEM, 1, policy, unit=store, limit=10_000)
            early = _negative_share(view.comments, _before)
            late = _negative_share(view.comments, _late)
            assert early.n >= 15 and late.n >= 15, (store, early, late)
            if store in drifting:
                # About 25 early and 60 late comments a store: a rise of 0.15 is 1.4 to 2
                # standard errors; the drifting stores rise by 0.17 to 0.56 (seed 7).
                assert late.value > early.value + 0.15, (store, early.value, late.value)
            elif store not in programme:
                control_early, control_late = control_early + early, control_late + late
    assert len(drifting) == 5 and control_early.n > 500 and control_late.n > 500
    # The 17 stores without a planted change, pooled: 0.263 -> 0.215 (seed 7, standard error
    # of the change 0.025). Not quite flat: the model misses some complaints phrased without
    # emotion words (long-standing customers' "new customers get better treatment than me",
    # more of them as the demo's customers age), so the measured share drifts down a little.
    # A bias of a third of the smallest planted rise would be caught.
    control_change = control_late.value - control_early.value
    assert abs(control_change) < 0.06, (control_early, control_late)
