"""Relationship health on the demo organisation: the drifting stores are found, others not.

The demo (``docs/demo-data.md``) plants five stores drifting to "taken for granted" from
October 2025 (customer hearts −2 points a month, minds flat) and a fresh-experience
programme in the five west stores (customers +4 hearts from February 2026). Customer
hearts, minds and NPS by store × month come from the product's metrics service (as the API
will fetch them) and go through the decline alarms and the stage model unchanged.

A store is *flagged* in a month when it is alarmed (hearts or NPS) or its stage is
``taken_for_granted`` or ``at_risk``. Stated in docs/relationship-health.md and held here on
seeds 7, 11 and 23:

- every drifting store is flagged by June 2026 (month 11, after 9 months of drift) and in
  every month after; in September 2026 at least 4 of the 5 read ``taken_for_granted``
  (hearts fell, minds held) rather than ``at_risk``;
- of the 22 other stores at most one (the 5 % documented false-alarm share of 22, rounded
  up) is ever alarmed, and at most one is flagged by its stage two months running; no west
  (programme) store is ever alarmed;
- the five lowest empirical-Bayes hearts estimates of 2026-Q3 are the drifting stores.

Measured (seeds 7/11/23): drifting stores first alarmed 2026-01…2026-07, staged
``taken_for_granted`` from 2025-11…2026-06; no other store alarmed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from rapport.analytics.engines import AnalyticsEngine, open_engine
from rapport.analytics.relationships import (
    decline_alarms,
    relationship_stages,
    shrunk_estimates,
)
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import SYSTEM
from rapport.services import demo, metrics
from rapport.services.demo.models import DemoOrganisation
from rapport.services.metrics import MetricRequest
from rapport.storage import migrate
from rapport.storage.uow import Database

CUSTOMER = "customer-relationship"
FLAGGED_BY = date(2026, 6, 1)
DECLINE_STAGES = ("taken_for_granted", "at_risk")


@dataclass(frozen=True)
class Health:
    org: DemoOrganisation
    monthly: pd.DataFrame  # the signal frame, stores × months
    quarterly: pd.DataFrame
    flags: pd.DataFrame  # unit, period, alarm, stage, flagged


def signal_frame(engine: AnalyticsEngine, period: str, stores: set[str]) -> pd.DataFrame:
    rows = []
    for signal in ("hearts", "minds", "nps"):
        request = MetricRequest(survey=CUSTOMER, metric=signal, by=["unit"], period=period)
        result = metrics.compute(engine, SYSTEM, request, SuppressionPolicy(period=period))
        for r in result.rows:
            if r.unit_code in stores:
                rows.append((r.unit_code, r.period, signal, r.value, r.lower, r.upper, r.n))
    columns = ["unit", "period", "signal", "estimate", "lower", "upper", "n"]
    return pd.DataFrame(rows, columns=columns).astype(
        {"estimate": float, "lower": float, "upper": float}
    )


@pytest.fixture(scope="module", params=[7, 11, 23], ids=lambda s: f"seed{s}")
def health(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Health]:
    path: Path = tmp_path_factory.mktemp(f"health{request.param}") / "demo.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    org = demo.generate(seed=request.param, units=40, months=15)
    demo.load(db, org)
    engine = open_engine("operational", engine=db.engine)
    stores = {u.code for u in org.units if u.kind == "store"}
    monthly = signal_frame(engine, "month", stores)
    alarms = decline_alarms(monthly)
    alarmed = alarms.groupby(["unit", "period"])["alarm"].any()
    stages = relationship_stages(monthly).set_index(["unit", "period"])["stage"]
    flags = pd.concat([alarmed, stages], axis=1).reset_index()
    flags["flagged"] = flags["alarm"] | flags["stage"].isin(DECLINE_STAGES)
    yield Health(org, monthly, signal_frame(engine, "quarter", stores), flags)
    db.dispose()


@pytest.mark.slow
def test_drifting_stores_are_flagged_by_june_2026(health: Health) -> None:
    drifting = set(health.org.truth["drift"]["stores"])
    late = health.flags[
        health.flags["unit"].isin(drifting) & (health.flags["period"] >= FLAGGED_BY)
    ]
    assert late["unit"].nunique() == 5
    missed = late[~late["flagged"]]
    assert missed.empty, missed
    last = late[late["period"] == late["period"].max()]
    assert (last["stage"] == "taken_for_granted").sum() >= 4, last


@pytest.mark.slow
def test_other_stores_are_rarely_flagged(health: Health) -> None:
    drifting = set(health.org.truth["drift"]["stores"])
    others = health.flags[~health.flags["unit"].isin(drifting)].sort_values(["unit", "period"])
    assert others["unit"].nunique() == 22
    ever_alarmed = others.groupby("unit")["alarm"].any()
    assert ever_alarmed.sum() <= 1, ever_alarmed[ever_alarmed]
    staged = others["stage"].isin(DECLINE_STAGES)
    running = staged & staged.groupby(others["unit"]).shift(fill_value=False)
    assert others.loc[running, "unit"].nunique() <= 1, others[running]
    west = set(health.org.truth["programme"]["stores"])
    assert not ever_alarmed[ever_alarmed.index.isin(west)].any()


@pytest.mark.slow
def test_lowest_shrunk_hearts_of_the_last_quarter_are_the_drifting_stores(health: Health) -> None:
    q = health.quarterly
    last = q[(q["signal"] == "hearts") & (q["period"] == q["period"].max())]
    shrunk = shrunk_estimates(last).sort_values("shrunk")
    assert set(shrunk["unit"].head(5)) == set(health.org.truth["drift"]["stores"])
