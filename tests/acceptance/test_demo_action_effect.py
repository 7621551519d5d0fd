"""The West programme's effect recovered through the product (issue 15, item 6).

The demo (``docs/demo-data.md``, effect 4) logs one action, "West programme", on the
``west`` region from January 2026: employee hearts +8 in the five west stores from that
month, customer hearts +4 from the month after. :func:`rapport.services.actions
.action_effect` compares the west stores with the other stores by difference in
differences (the five stores planted as drifting are left out by their own decline alarm)
and must, on seeds 7 and 11:

- cover the planted average effect over the months after the start (customers: 4 from the
  second month on, so 4 · 8/9 over 9 months; employees: 8) with its 95 % interval, say
  ``effect`` and pass the pre-trend check (p ≥ 0.05);
- exclude exactly the drifting stores from the comparison;
- find no effect on customer minds (negative control: the interval covers 0).

Measured (planted customer average 3.56): seed 7 customers +3.7 [1.7, 6.7], pre-trend
p = 0.77; employees +9.3 [6.8, 11.8]; minds +0.1 [−1.3, 1.3]. Seed 11 customers +2.0
[0.1, 3.7], p = 0.62; employees +6.5 [3.7, 8.9]; minds −0.8 [−2.8, 0.6].
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rapport.analytics.engines import AnalyticsEngine, open_engine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM
from rapport.services import actions, demo
from rapport.services.demo.models import DemoOrganisation
from rapport.storage import migrate
from rapport.storage.uow import Database


@dataclass(frozen=True)
class Loaded:
    org: DemoOrganisation
    db: Database
    engine: AnalyticsEngine
    action_id: int

    def effect(self, survey: str, metric: str) -> actions.ActionEffect:
        policy = SuppressionPolicy(period="month")
        return actions.action_effect(
            self.db, self.engine, SYSTEM, self.action_id, survey, policy, metric
        )


@pytest.fixture(scope="module", params=[7, 11], ids=lambda s: f"seed{s}")
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    path: Path = tmp_path_factory.mktemp(f"actions{request.param}") / "demo.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    org = demo.generate(seed=request.param, units=40, months=15)
    demo.load(db, org)
    with db.unit_of_work(readonly=True) as uow:
        [programme] = actions.list_actions(uow, SYSTEM)
    assert programme.unit_code == org.truth["programme"]["region"]
    yield Loaded(org, db, open_engine("operational", engine=db.engine), programme.id)
    db.dispose()


@pytest.mark.slow
def test_customer_hearts_effect_is_recovered(loaded: Loaded) -> None:
    truth = loaded.org.truth["programme"]
    found = loaded.effect("customer-relationship", "hearts")
    e = found.effect
    post = e.post_periods
    planted = truth["customer_hearts"] * (post - truth["customer_lag_months"]) / post
    print(found.treated_units, e.estimate, e.lower, e.upper, e.pre_trend_p, planted)
    assert sorted(found.treated_units) == sorted(truth["units"])
    assert sorted(found.excluded_units) == sorted(loaded.org.truth["drift"]["stores"])
    assert e.n_control == 17
    assert e.lower is not None and e.upper is not None and e.pre_trend_p is not None
    assert e.lower <= planted <= e.upper
    assert e.pre_trend_p >= 0.05 and e.verdict == "effect"
    lags = [p for p in e.event_study if p.relative_period >= 0]
    assert len(lags) == post and e.pre_periods == 6


@pytest.mark.slow
def test_employee_hearts_effect_is_recovered(loaded: Loaded) -> None:
    truth = loaded.org.truth["programme"]
    e = loaded.effect("employee-relationship", "hearts").effect
    print(e.estimate, e.lower, e.upper, e.pre_trend_p)
    assert e.lower is not None and e.upper is not None
    assert e.lower <= truth["employee_hearts"] <= e.upper
    assert e.verdict == "effect"


@pytest.mark.slow
def test_customer_minds_show_no_effect(loaded: Loaded) -> None:
    e = loaded.effect("customer-relationship", "minds").effect
    print(e.estimate, e.lower, e.upper, e.pre_trend_p)
    assert e.lower is not None and e.upper is not None
    assert e.lower <= 0 <= e.upper and e.verdict == "no_detectable_effect"
