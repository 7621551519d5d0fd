"""``GET /api/v1/metrics`` over real HTTP, on SQLite and PostgreSQL.

Until ``create_app`` mounts :data:`rapport.api.metrics.router`, the fixture mounts it on the
app the live server builds (and leaves it alone once it is there).
"""

from __future__ import annotations

import httpx
import pytest

import tests.conftest
from rapport.api import metrics as metrics_api
from rapport.domain.org import Role
from rapport.services import auth
from tests.integration.test_metrics_data import seed

PROBLEM = "application/problem+json"


@pytest.fixture
def server(request, monkeypatch, db):
    original = tests.conftest.create_app

    def create_app_with_metrics(settings, database):
        app = original(settings, database)
        if not any(getattr(r, "path", "") == "/api/v1/metrics" for r in app.routes):
            app.include_router(metrics_api.router)
        return app

    monkeypatch.setattr(tests.conftest, "create_app", create_app_with_metrics)
    # The seeded employees answer in January and February: by closed quarter, all count.
    monkeypatch.setenv("RAPPORT_CONFIDENTIAL_PERIOD", "quarter")
    seed(db)
    with db.unit_of_work() as uow:
        tokens = {
            "admin": auth.create_token(uow, "admin", Role.ADMIN),
            "manager": auth.create_token(uow, "north", Role.MANAGER, "north"),
        }
    live = request.getfixturevalue("live_server")
    return live, tokens


def get(server, path: str, who: str = "admin", **params) -> httpx.Response:
    live, tokens = server
    return httpx.get(
        live.url + path, params=params, headers={"Authorization": f"Bearer {tokens[who]}"}
    )


def test_metrics_by_unit_with_suppression(server) -> None:
    r = get(server, "/api/v1/metrics", survey="employee-relationship", metric="enps", by="unit")
    assert r.status_code == 200, r.text
    body = r.json()
    # Employee figures always carry their closed period (here the latest: 2026-Q1).
    assert (body["metric"]["name"], body["anonymity_threshold"], body["by"]) == (
        "nps",
        5,
        ["unit", "period"],
    )
    assert {row["period_label"] for row in body["rows"]} == {"2026-Q1"}
    rows = {row["unit_code"]: row for row in body["rows"]}
    assert (rows["north-3"]["suppressed"], rows["north-3"]["reason"]) == (True, "below_threshold")
    assert rows["north-3"]["value"] is None and rows["north-3"]["n"] == 2
    assert rows["north-2"]["reason"] == "complementary"
    shown = rows["north-1"]
    assert shown["lower"] <= shown["value"] <= shown["upper"]
    assert set(shown["detail"]) == {"promoters", "passives", "detractors"}


def test_manager_sees_only_their_subtree(server) -> None:
    r = get(server, "/api/v1/metrics", "manager", survey="1", metric="hearts", by="unit,period",
            period="quarter")  # fmt: skip
    assert r.status_code == 200, r.text
    assert {row["unit_code"] for row in r.json()["rows"]} == {
        "north",
        "north-1",
        "north-2",
        "north-3",
    }


def test_emotions_by_attribute(server) -> None:
    r = get(server, "/api/v1/metrics", survey="customer-relationship", metric="emotions",
            attribute="role")  # fmt: skip
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert {row["emotion"] for row in rows} == {"calm", "grateful"}
    assert {row["attribute"] for row in rows} == {"advisor", "cashier"}


@pytest.mark.parametrize(
    "params",
    [
        {"survey": "employee-relationship", "metric": "enps", "by": "unit"},  # hidden rows
        {"survey": "customer-relationship", "metric": "hearts", "by": "unit", "period": "month"},
        {"survey": "customer-relationship", "metric": "emotions", "attribute": "role"},
        {"survey": "customer-relationship", "metric": "csat_top2", "by": "survey_version"},
    ],
)
def test_rows_are_sent_as_the_documented_schema_writes_them(server, params) -> None:
    """The rows are written from the service's own rows, not validated into the documented
    model first (``api.metrics._WIRE``): the body is byte for byte what the documented model
    writes of it — no field more (``survey_version_id``), none missing, each of its type (a
    float written as a float)."""
    for who in ("admin", "manager"):
        r = get(server, "/api/v1/metrics", who, **params)
        assert (r.status_code, r.headers["content-type"]) == (200, "application/json"), r.text
        assert r.json()["rows"], "no rows to check"
        documented = metrics_api.MetricsOut.model_validate_json(r.content)
        assert documented.model_dump_json().encode() == r.content


def test_compare_and_definitions(server) -> None:
    r = get(server, "/api/v1/metrics/compare", survey="customer-relationship", metric="csat_top2",
            unit_a="north-1", unit_b="south-1")  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["p_value"] is not None
    names = {m["name"] for m in get(server, "/api/v1/metrics/definitions").json()}
    assert {"nps", "hearts", "minds", "emotions"} <= names


@pytest.mark.parametrize(
    ("params", "status", "location"),
    [
        ({"survey": "nope"}, 404, None),
        ({"survey": "customer-relationship", "metric": "sales"}, 422, "metric"),
        ({"survey": "customer-relationship", "by": "colour"}, 422, "by"),
        ({"survey": "customer-relationship", "period": "fortnight"}, 422, "period"),
        ({"survey": "customer-relationship", "metric": "top_box"}, 422, "question"),
        ({"survey": "customer-relationship", "confidence": "2"}, 422, "query.confidence"),
    ],
)
def test_errors_are_problems(server, params, status, location) -> None:
    r = get(server, "/api/v1/metrics", **params)
    assert (r.status_code, r.headers["content-type"]) == (status, PROBLEM), r.text
    if location:
        assert location in [e["location"] for e in r.json()["errors"]]


def test_manager_outside_scope_is_forbidden(server) -> None:
    r = get(server, "/api/v1/metrics", "manager", survey="employee-relationship", unit="south")
    assert (r.status_code, r.headers["content-type"]) == (403, PROBLEM)


def test_unauthenticated_is_401(server) -> None:
    live, _ = server
    r = httpx.get(live.url + "/api/v1/metrics", params={"survey": "1"})
    assert r.status_code == 401
