"""``GET /api/v1/linkage`` and ``client.linkage`` on a small organisation: bad input gets a
problem naming the field, too few units say so (issue 16, item 4)."""

from __future__ import annotations

import httpx
import pytest

from rapport.client import connect
from rapport.domain.org import SYSTEM, Role
from rapport.errors import ValidationFailed
from rapport.services import auth, responses, surveys
from rapport.services.survey_definitions import load_template
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org


@pytest.fixture
def small(sqlite_db: Database) -> Database:
    seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        surveys.save_definition(uow, SYSTEM, load_template("employee-relationship"))
        for _ in range(3):
            responses.submit_as(uow, SYSTEM, "every-type", GOOD_ANSWERS, unit="north-1")
    return sqlite_db


def test_too_few_units_are_said_not_estimated(small: Database) -> None:
    with connect(str(small.engine.url)) as r:
        paths = r.linkage("employee-relationship", "every-type")
    assert paths["estimate"].isna().all()
    assert paths["note"].str.startswith("too few data").all()
    assert paths.attrs["statement"].startswith("No within-unit estimate")


def test_sides_swapped_is_a_field_error(small: Database) -> None:
    with connect(str(small.engine.url)) as r, pytest.raises(ValidationFailed) as caught:
        r.linkage("every-type", "employee-relationship")
    assert caught.value.errors[0].location == "employee_survey"


def test_api_problems_name_the_field(tmp_path, small: Database) -> None:
    with small.unit_of_work() as uow:
        token = auth.create_token(uow, "analyst", Role.ANALYST)
    with (
        LiveServer(make_settings(tmp_path, small), small) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        ok = client.get(
            "/api/v1/linkage",
            params={"employee_survey": "employee-relationship", "customer_survey": "every-type"},
        )
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert {p["level"] for p in body["paths"]} == {"within", "pooled", "between"}
        assert body["statement"].startswith("No within-unit estimate")
        none_stored = client.get(
            "/api/v1/linkage",
            params={
                "employee_survey": "employee-relationship",
                "customer_survey": "every-type",
                "outcome": "revenue",
            },
        )
        assert none_stored.status_code == 200  # no outcomes stored: no outcome paths
        assert {p["target"] for p in none_stored.json()["paths"]} <= {
            "customer hearts",
            "customer minds",
        }
        swapped = client.get(
            "/api/v1/linkage",
            params={"employee_survey": "every-type", "customer_survey": "every-type"},
        )
        assert swapped.status_code == 422
        assert swapped.headers["content-type"].startswith("application/problem+json")
        assert "employee_survey" in swapped.text
        missing = client.get(
            "/api/v1/linkage", params={"employee_survey": "nope", "customer_survey": "every-type"}
        )
        assert missing.status_code == 404
        lag = client.get(
            "/api/v1/linkage",
            params={
                "employee_survey": "employee-relationship",
                "customer_survey": "every-type",
                "lag": 99,
            },
        )
        assert lag.status_code == 422 and "lag" in lag.text
