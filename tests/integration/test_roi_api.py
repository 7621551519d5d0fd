"""``GET``/``POST /api/v1/roi`` and ``client.roi`` on a small organisation (issue 16, item 6):
the linkage cannot be estimated with one store, so the ROI says so instead of a number;
bad input gets a problem naming the field; the stored revenue baseline is each unit's mean."""

from __future__ import annotations

import httpx
import pytest

from rapport.client import connect
from rapport.domain.org import SYSTEM, Principal, Role
from rapport.errors import ValidationFailed
from rapport.services import auth, outcome_import, responses, surveys
from rapport.services.survey_definitions import load_template
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

OUTCOMES = b"""unit,period,revenue
north-1,2026-01,1000
north-1,2026-02,2000
north-1,2026-03,3000
"""
SCENARIO = {
    "employee_survey": "employee-relationship",
    "customer_survey": "every-type",
    "rise": 5,
    "horizon": 12,
    "one_off_cost": 1000,
    "units": ["north"],
}


@pytest.fixture
def small(sqlite_db: Database) -> Database:
    seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        surveys.save_definition(uow, SYSTEM, load_template("employee-relationship"))
        for _ in range(3):
            responses.submit_as(uow, SYSTEM, "every-type", GOOD_ANSWERS, unit="north-1")
        outcome_import.import_outcomes(uow, Principal("system", None, "t", Role.ADMIN), OUTCOMES)
    return sqlite_db


def test_one_store_is_not_estimable_and_says_why(tmp_path, small: Database) -> None:
    with small.unit_of_work() as uow:
        token = auth.create_token(uow, "analyst", Role.ANALYST)
    with (
        LiveServer(make_settings(tmp_path, small), small) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        posted = client.post("/api/v1/roi", json=SCENARIO)
        assert posted.status_code == 200, posted.text
        body = posted.json()
        assert body["estimable"] is False and body["roi"]["value"] is None
        assert "not estimable" in body["note"] and "too few data" in body["note"]
        assert body["statement"].startswith("No ROI for north-1")
        assert body["units"] == ["north-1"] and body["revenue"] == pytest.approx(2000)
        assert body["cost"] == 1000
        got = client.get("/api/v1/roi", params=SCENARIO)
        assert got.status_code == 200, got.text
        assert got.json() == body  # the same scenario by query

        def problem(change: dict[str, object], field: str) -> None:
            r = client.post("/api/v1/roi", json={**SCENARIO, **change})
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert field in r.text, r.text

        problem({"one_off_cost": 0}, "one_off_cost")  # no cost: no ROI
        problem({"rise": 500}, "rise")
        problem({"units": ["nowhere"]}, "units")
        problem({"units": ["south"]}, "revenue")  # nothing stored there: enter it
        problem({"customer_survey": "employee-relationship"}, "customer_survey")
        entered = client.post("/api/v1/roi", json={**SCENARIO, "units": ["south"], "revenue": 5})
        assert entered.status_code == 200 and entered.json()["revenue"] == 5


def test_client_roi_and_no_revenue_outcomes(small: Database) -> None:
    with connect(str(small.engine.url)) as r:
        frame = r.roi("employee-relationship", "every-type", 5, 12, one_off_cost=1000)
        assert frame.attrs["estimable"] is False and frame["value"].isna().all()
        assert list(frame["figure"])[:2] == ["customer_rise", "revenue_pct"]
        with pytest.raises(ValidationFailed) as caught:
            r.roi("employee-relationship", "every-type", 5, 0, one_off_cost=1000)
        assert caught.value.errors[0].location == "horizon"
