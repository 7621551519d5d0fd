"""``GET /api/v1/relationships/tenure`` over real HTTP on the demo (seed 7), SQLite and
PostgreSQL, and ``client.tenure_curve`` (operational database and a DuckDB snapshot).

The demo plants a honeymoon on customer hearts (+15·exp(−tenure months / 6),
``docs/demo-data.md``); the curve must show it — bands checked against an independent pandas
computation from the raw answers (each response's mean of its ``heart`` items rescaled to
0–100, grouped by the band of its ``tenure_days``), to 1e-9 — and name the fall at 3-12m.
No fresher store is planted, so none may be flagged. A manager reads their own unit's
curve; an employee curve hides small bands; bad parameters are problems naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from rapport.analytics.relationships.tenure import BAND_LABELS, band_of
from rapport.client import connect
from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.services.demo.models import DemoOrganisation
from rapport.storage.uow import Database

PROBLEM = "application/problem+json"
PATH = "/api/v1/relationships/tenure"


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
    with db.unit_of_work() as uow:
        tokens = {
            "analyst": auth.create_token(uow, "analyst", Role.ANALYST),
            "region": auth.create_token(uow, "west", Role.MANAGER, region),
        }
    live = request.getfixturevalue("live_server")
    return Demo(live.url, org, tokens)


def independent_hearts(
    db: Database, survey: str, unit_prefix: str | None = None, segment: str | None = None
) -> pd.DataFrame:
    """Mean hearts by band straight from the answers (pandas, not the metrics SQL)."""
    query = text(
        "SELECT r.id, r.tenure_days, r.attributes, u.path, a.value_num, i.scale_min, i.scale_max, "
        "i.reverse_keyed, i.tags FROM responses r JOIN surveys s ON s.id = r.survey_id "
        "JOIN units u ON u.id = r.unit_id JOIN answers a ON a.response_id = r.id "
        "JOIN survey_items i ON i.survey_version_id = r.survey_version_id "
        "AND i.question_id = a.question_id AND i.item = a.item "
        "WHERE s.key = :key AND a.value_num IS NOT NULL"
    )
    with db.engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(query, {"key": survey}).mappings().all())
    rows = rows[rows["tags"].str.split().map(lambda t: any(x.split(".")[0] == "heart" for x in t))]
    if unit_prefix is not None:
        rows = rows[rows["path"].str.startswith(unit_prefix)]
    if segment is not None:  # JSON text on SQLite, a dict on PostgreSQL
        attributes = [a if isinstance(a, dict) else json.loads(a) for a in rows["attributes"]]
        rows = rows[[a.get("segment") == segment for a in attributes]]
    score = (rows["value_num"] - rows["scale_min"]) / (rows["scale_max"] - rows["scale_min"])
    rows = rows.assign(score=100 * np.where(rows["reverse_keyed"].astype(bool), 1 - score, score))
    per_response = rows.groupby("id").agg(score=("score", "mean"), days=("tenure_days", "first"))
    per_response = per_response[per_response["days"].notna()]
    per_response["band"] = [band_of(int(d)) for d in per_response["days"]]
    return per_response.groupby("band")["score"].agg(["mean", "size"]).reindex(BAND_LABELS)


def test_tenure_curve_over_http(served: Demo, db: Database) -> None:
    r = served.get(survey="customer-relationship", metric="hearts")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["survey"], body["metric"], body["unit"], body["period_label"]) == (
        "customer-relationship", "hearts", None, None,
    )  # fmt: skip
    bands = pd.DataFrame(body["bands"])
    assert list(bands.columns) == [
        "band", "lower_days", "upper_days", "estimate", "lower", "upper", "n", "suppressed",
    ]  # fmt: skip
    assert bands["band"].tolist() == list(BAND_LABELS)
    assert bands["lower_days"].tolist() == [0, 90, 365, 1095]
    expected = independent_hearts(db, "customer-relationship")
    assert bands["estimate"].to_numpy() == pytest.approx(expected["mean"].to_numpy(), abs=1e-9)
    assert bands["n"].tolist() == expected["size"].tolist()
    assert (bands["lower"] < bands["estimate"]).all() and (bands["estimate"] < bands["upper"]).all()
    assert bands["estimate"].round(1).tolist() == [69.4, 63.5, 58.3, 57.7]
    assert (body["fall"]["from_band"], body["fall"]["band"]) == ("0-3m", "3-12m")
    assert body["fall"]["upper"] < 0 and body["fall"]["comparisons"] == 3
    assert body["fresher_units"] == []  # none planted

    nps = served.get(survey="customer-relationship", metric="nps").json()
    assert nps["fall"]["band"] == "3-12m"
    premium = served.get(survey="customer-relationship", segment="segment=premium").json()
    assert 0 < sum(b["n"] for b in premium["bands"]) < bands["n"].sum()
    expected = independent_hearts(db, "customer-relationship", segment="premium")
    assert [b["estimate"] for b in premium["bands"]] == pytest.approx(
        expected["mean"].to_numpy(), abs=1e-9
    )
    assert [b["n"] for b in premium["bands"]] == expected["size"].tolist()

    # A region manager: their region's curve, the same as the analyst asking for that unit.
    region = served.org.truth["programme"]["region"]
    theirs = served.get("region", survey="customer-relationship")
    assert theirs.status_code == 200, theirs.text
    asked = served.get(survey="customer-relationship", unit=region).json()
    assert theirs.json()["bands"] == asked["bands"] and asked["unit"] == region
    path = next(u.code for u in served.org.units if u.kind == "company") + "/" + region
    mine = independent_hearts(db, "customer-relationship", path)
    got = [b["estimate"] for b in asked["bands"]]
    assert got == pytest.approx(mine["mean"].to_numpy(), abs=1e-9)
    outside = next(u.code for u in served.org.units if u.kind == "region" and u.code != region)
    assert served.get("region", survey="customer-relationship", unit=outside).status_code == 403

    # Employees: the latest closed month, small bands hidden (never read).
    employee = served.get(survey="employee-relationship", metric="hearts").json()
    assert employee["anonymity_threshold"] == 5 and employee["period_label"] is not None
    for band in employee["bands"]:
        if band["n"] < 5:
            assert band["suppressed"] and band["estimate"] is None and band["lower"] is None
    assert any(b["estimate"] is not None for b in employee["bands"])

    for params, status, location in [
        ({"survey": "customer-relationship", "metric": "csat"}, 422, "metric"),
        ({"metric": "hearts"}, 422, "query.survey"),
        ({"survey": "nope"}, 404, None),
        ({"survey": "customer-relationship", "unit": "nowhere"}, 404, None),
        ({"survey": "customer-relationship", "segment": "premium"}, 422, "segment"),
        ({"survey": "employee-relationship", "segment": "role=cashier"}, 422, "segment"),
    ]:
        r = served.get(**params)
        assert (r.status_code, r.headers["content-type"]) == (status, PROBLEM), (params, r.text)
        if location:
            assert location in [e["location"] for e in r.json()["errors"]], r.text
    assert (
        httpx.get(served.url + PATH, params={"survey": "customer-relationship"}).status_code == 401
    )


def test_client_tenure_curve(sqlite_db: Database, tmp_path: Path) -> None:
    demo.load(sqlite_db, demo.generate(seed=7, units=40, months=15))
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    with connect(url) as r:
        frame = r.tenure_curve("customer-relationship", metric="hearts")
        minds = r.tenure_curve("customer-relationship", metric="minds")
        r.snapshot(tmp_path / "snapshot")
    with connect(url, engine="duckdb", snapshot_dir=tmp_path / "snapshot") as r:
        duck = r.tenure_curve("customer-relationship", metric="hearts")
        duck_premium = r.tenure_curve("customer-relationship", segment="segment=premium")
    with connect(url) as r:
        premium = r.tenure_curve("customer-relationship", segment="segment=premium")
    assert list(frame.columns[:7]) == [
        "band", "lower_days", "upper_days", "estimate", "lower", "upper", "n",
    ]  # fmt: skip
    assert frame["estimate"].round(1).tolist() == [69.4, 63.5, 58.3, 57.7]
    assert frame.attrs["fall"]["band"] == "3-12m"
    assert frame.attrs["fresher_units"].empty
    assert list(frame.attrs["fresher_units"].columns)[:2] == ["unit", "unit_name"]
    # The same on a DuckDB snapshot (the engine of large data), segment included.
    pd.testing.assert_frame_equal(duck, frame, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(duck_premium, premium, check_exact=False, rtol=1e-9)
    assert duck.attrs["fall"]["band"] == frame.attrs["fall"]["band"]
    # The honeymoon is planted on hearts only: minds fall far less than hearts.
    hearts_drop = frame["estimate"].iloc[0] - frame["estimate"].iloc[3]
    minds_drop = minds["estimate"].iloc[0] - minds["estimate"].iloc[3]
    assert minds_drop < hearts_drop / 2
