"""``GET /api/v1/drivers`` over real HTTP, on SQLite and PostgreSQL, and ``client.drivers``."""

from __future__ import annotations

import httpx
import pytest

from rapport.analytics.drivers import relative_weights
from rapport.client import connect
from rapport.domain.org import Role
from rapport.services import auth
from tests.integration.test_drivers_service import seeded_customers
from tests.integration.test_metrics_data import seed

PROBLEM = "application/problem+json"


@pytest.fixture
def server(request, monkeypatch, db):
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


def get(server, who: str = "admin", **params) -> httpx.Response:
    live, tokens = server
    return httpx.get(
        live.url + "/api/v1/drivers",
        params=params,
        headers={"Authorization": f"Bearer {tokens[who]}"},
        timeout=60,
    )


def test_drivers_are_ranked_with_intervals_and_means(server) -> None:
    r = get(server, survey="customer-relationship", outcome="nps", drivers="hearts,ces,minds:ease")
    assert r.status_code == 200, r.text
    body = r.json()
    expected = relative_weights(seeded_customers(), "nps", ["hearts", "ces", "minds:ease"])
    assert body["n"] == 33 and body["method"] == "relative_weights"
    assert body["survey"]["key"] == "customer-relationship"
    rows = body["drivers"]
    assert [d["driver"] for d in rows] == list(expected.sort_values(ascending=False).index)
    for d in rows:
        assert d["weight"] == pytest.approx(expected[d["driver"]], abs=1e-9)
        assert d["lower"] < d["upper"] and d["mean_lower"] < d["mean"] < d["mean_upper"]
    assert {d["driver"]: d["construct"] for d in rows} == {
        "hearts": "hearts", "ces": "minds", "minds:ease": "minds"
    }  # fmt: skip


def test_employee_drivers_are_weights_only_and_small_groups_refused(server) -> None:
    r = get(server, survey="employee-relationship", outcome="enps", drivers="hearts,minds")
    assert r.status_code == 200, r.text
    assert r.json()["anonymity_threshold"] == 5
    assert all(d["mean"] is None for d in r.json()["drivers"])
    small = get(server, survey="employee-relationship", outcome="enps", unit="north-3")
    assert (small.status_code, small.headers["content-type"]) == (403, PROBLEM)
    assert "anonymity" in small.json()["detail"]


@pytest.mark.parametrize(
    ("params", "status", "location"),
    [
        ({"survey": "nope"}, 404, None),
        ({"survey": "customer-relationship", "outcome": "sales"}, 422, "outcome"),
        ({"survey": "customer-relationship", "drivers": "hearts,colour"}, 422, "drivers"),
        ({"survey": "customer-relationship", "method": "shapley"}, 422, "method"),
        ({"survey": "customer-relationship", "confidence": "2"}, 422, "query.confidence"),
        ({"outcome": "nps"}, 422, "query.survey"),
    ],
)
def test_errors_are_problems_naming_the_parameter(server, params, status, location) -> None:
    r = get(server, **params)
    assert (r.status_code, r.headers["content-type"]) == (status, PROBLEM), r.text
    if location:
        assert location in [e["location"] for e in r.json()["errors"]]


def test_manager_outside_scope_is_forbidden(server) -> None:
    r = get(server, "manager", survey="customer-relationship", unit="south")
    assert (r.status_code, r.headers["content-type"]) == (403, PROBLEM)


def test_the_openapi_declares_the_route_and_its_problems(server) -> None:
    live, _ = server
    spec = httpx.get(live.url + "/openapi.json").json()
    operation = spec["paths"]["/api/v1/drivers"]["get"]
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"survey", "outcome", "drivers"}


def test_the_client_returns_the_same_drivers_as_a_frame(db) -> None:
    seed(db)
    with connect(db.engine.url.render_as_string(hide_password=False)) as client:
        frame = client.drivers("customer-relationship", "nps", drivers=["hearts", "ces"])
    assert list(frame.columns) == [
        "driver", "construct", "weight", "lower", "upper", "share", "mean", "mean_lower",
        "mean_upper",
    ]  # fmt: skip
    expected = relative_weights(seeded_customers(), "nps", ["hearts", "ces"])
    assert frame.set_index("driver")["weight"].to_dict() == pytest.approx(expected.to_dict())
    assert frame.attrs["n"] == 33 and frame.attrs["method"] == "relative_weights"
