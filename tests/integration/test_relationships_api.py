"""``GET /api/v1/relationships`` over real HTTP on the demo organisation, SQLite and PostgreSQL.

The demo (seed 7, ``docs/demo-data.md``) plants five stores drifting to "taken for granted"
from October 2025; ``tests/acceptance/test_relationship_health_demo.py`` holds the models to
it on three seeds through the metrics service. Here the same must come out of the API: the
drifting stores flagged in every month from June 2026, at most one other store ever alarmed,
a manager confined to their subtree with the same stages as the analyst sees, and hidden
employee groups never staged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.services.demo.models import DemoOrganisation
from rapport.storage.uow import Database
from tests.integration import _signal_oracle as oracle

PROBLEM = "application/problem+json"
PATH = "/api/v1/relationships"
DECLINE = {"taken_for_granted", "at_risk"}


@dataclass
class Demo:
    url: str
    org: DemoOrganisation
    tokens: dict[str, str]

    def get(self, who: str = "analyst", **params: str) -> httpx.Response:
        return httpx.get(
            self.url + PATH,
            params=params,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=60,
        )


@pytest.fixture
def served(request: pytest.FixtureRequest, db: Database) -> Demo:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(db, org)
    region = org.truth["programme"]["region"]
    drifting = org.truth["drift"]["stores"][0]
    with db.unit_of_work() as uow:
        tokens = {
            "analyst": auth.create_token(uow, "analyst", Role.ANALYST),
            "region": auth.create_token(uow, "west", Role.MANAGER, region),
            "store": auth.create_token(uow, "store", Role.MANAGER, drifting),
        }
    live = request.getfixturevalue("live_server")
    return Demo(live.url, org, tokens)


def _flagged(row: dict[str, object]) -> bool:
    return bool(row["alarm"]) or row["stage"] in DECLINE


def test_relationship_health_over_http(served: Demo, db: Database) -> None:
    r = served.get(survey="customer-relationship", period="month")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["survey"], body["period"], body["audience"]) == (
        "customer-relationship",
        "month",
        "customer",
    )
    rows = body["rows"]
    assert set(rows[0]) == {
        "unit", "unit_name", "period", "period_label", "stage", "probability", "alarm",
        "hearts", "minds", "n", "evidence", "signals",
    }  # fmt: skip
    assert body["counterpart"] == "employee-relationship"
    _check_signals(served, db, rows)
    stores = {u.code for u in served.org.units if u.kind == "store"}
    drifting = set(served.org.truth["drift"]["stores"])
    late = [r for r in rows if r["unit"] in drifting and r["period"] >= "2026-06-01"]
    assert {r["unit"] for r in late} == drifting
    assert all(_flagged(r) for r in late), [r for r in late if not _flagged(r)]
    last = max(r["period"] for r in rows)
    assert sum(r["stage"] == "taken_for_granted" for r in late if r["period"] == last) >= 4
    alarmed = {r["unit"] for r in rows if r["alarm"] and r["unit"] in stores - drifting}
    assert len(alarmed) <= 1, alarmed
    example = next(r for r in late if r["unit"] == "north-store-03" and r["period"] == last)
    assert example["period_label"] == last[:7]
    assert 0.5 < example["probability"] <= 1 and example["n"] >= 10
    assert "since baseline" in example["evidence"] and "alarm: hearts CUSUM" in example["evidence"]

    # A manager of the west region: their region and its stores only, read as the analyst
    # reads them (the models run on the whole organisation).
    region = served.org.truth["programme"]["region"]
    subtree = {region} | {u.code for u in served.org.units if u.parent_code == region}
    r = served.get("region", survey="customer-relationship", signals="false")
    assert r.status_code == 200, r.text
    theirs = r.json()["rows"]
    assert {row["unit"] for row in theirs} == subtree
    same = {(row["unit"], row["period"]): row for row in rows if row["unit"] in subtree}
    without = {"signals", "evidence"}  # the analyst asked for the signals, which the evidence cites
    assert {
        (row["unit"], row["period"]): {k: v for k, v in row.items() if k not in without}
        for row in theirs
    } == {key: {k: v for k, v in row.items() if k not in without} for key, row in same.items()}

    # A drifting store's manager: that store only, flagged.
    r = served.get("store", survey="customer-relationship", period="month", signals="false")
    store_rows = r.json()["rows"]
    assert {row["unit"] for row in store_rows} == {served.org.truth["drift"]["stores"][0]}
    assert _flagged(store_rows[-1])

    # Employee results: a hidden (suppressed) group is never staged nor shown.
    r = served.get(survey="employee-relationship", period="month", signals="false")
    assert r.status_code == 200, r.text
    employee = r.json()
    assert employee["anonymity_threshold"] == 5
    hidden = [row for row in employee["rows"] if row["hearts"] is None]
    assert hidden, "the demo has small employee groups"
    assert all(row["stage"] == "insufficient_data" for row in hidden)
    assert all(row["probability"] is None and row["minds"] is None for row in hidden)
    assert any(row["stage"] not in {"insufficient_data", "new"} for row in employee["rows"])

    # Bad parameters are problems naming the parameter.
    for params, status, location in [
        ({"survey": "customer-relationship", "period": "fortnight"}, 422, "period"),
        ({"period": "month"}, 422, "query.survey"),
        ({"survey": "nope"}, 404, None),
        ({"survey": "employee-relationship", "period": "quarter"}, 422, "period"),
    ]:
        r = served.get(**params)
        assert (r.status_code, r.headers["content-type"]) == (status, PROBLEM), (params, r.text)
        if location:
            assert location in [e["location"] for e in r.json()["errors"]], r.text
    r = httpx.get(served.url + PATH, params={"survey": "customer-relationship"})
    assert r.status_code == 401


def _check_signals(served: Demo, db: Database, rows: list[dict[str, Any]]) -> None:
    """Every further signal of a sample of cells (all units in one month, all months of
    the root, a region and a drifting store) equals the pandas computation from the raw
    tables to 1e-9, interval included; hidden employee cells carry no value."""
    raw = {
        "customer": oracle.RawTables(db, "customer-relationship"),
        "employee": oracle.RawTables(db, "employee-relationship"),
    }
    months = sorted({r["period"] for r in rows})
    drifting = served.org.truth["drift"]["stores"][0]
    followed = {"northwind", "north", drifting}
    sample = [r for r in rows if r["unit"] in followed or r["period"] == months[7]]
    checked = hidden = 0
    for row in sample:
        got = {(s["side"], s["name"]): s for s in row["signals"]}
        for side, tables in raw.items():
            expected = list(oracle.expected_shares(tables, row["unit"], row["period"]))
            rate = oracle.expected_rate(tables, row["unit"], row["period"])
            if rate is not None:
                expected.append(("response_rate", rate[0], rate[1]))
            if side == "customer":
                n, share = oracle.expected_repeats(tables, row["unit"], row["period"])
                expected.append(("repeat_complaints", n, share))
            for name, n, share in expected:
                signal = got.get((side, name))
                where = (row["unit"], row["period"], side, name)
                assert signal is not None and signal["n"] == n, (where, signal, n)
                if signal["suppressed"]:
                    assert signal["value"] is None and signal["lower"] is None, where
                    hidden += 1
                    continue
                if share is None:
                    assert signal["value"] is None, where
                    continue
                for field, value in zip(("value", "lower", "upper"), share, strict=True):
                    assert oracle.close(signal[field], value), (where, field, signal, share)
                checked += 1
    assert checked > 800 and hidden > 0, (checked, hidden)
    # The drifting store's customers picked "taken for granted" far more after the drift
    # began (planted in the demo), and the evidence says so.
    late = [r for r in rows if r["unit"] == drifting and r["period"] >= "2026-03-01"]
    assert any("picked taken for granted" in r["evidence"] for r in late)
    # Response-rate trends: an OLS slope over the last six months, statsmodels' interval.
    for unit in followed:
        mine = [r for r in rows if r["unit"] == unit]
        for side in raw:
            rates = [_signal(r, side, "response_rate") for r in mine]
            values = [np.nan if s is None or s["value"] is None else s["value"] for s in rates]
            series = pd.Series(values, index=[r["period"] for r in mine]).reindex(months)
            for r in mine:
                trend = _signal(r, side, "response_rate_trend")
                assert trend is not None, (unit, side, r["period"])
                if trend["suppressed"]:
                    assert trend["value"] is None, trend
                    continue
                upto = months[: months.index(r["period"]) + 1]
                want = oracle.expected_trend(series.reindex(upto))
                if want is None:
                    assert trend["value"] is None, (unit, side, r["period"], trend)
                    continue
                slope, low, high, used = want
                assert trend["n"] == used and oracle.close(trend["value"], slope), trend
                assert oracle.close(trend["lower"], low) and oracle.close(trend["upper"], high)


def _signal(row: dict[str, Any], side: str, name: str) -> dict[str, Any] | None:
    return next((s for s in row["signals"] if (s["side"], s["name"]) == (side, name)), None)
