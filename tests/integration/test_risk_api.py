"""``GET /api/v1/risk`` over real HTTP on SQLite and PostgreSQL, and ``client.risk``."""

from __future__ import annotations

import httpx
import pytest

from rapport.client import connect
from rapport.domain.org import Role
from rapport.services import auth
from tests.integration.test_risk_service import engine as seeded_engine  # noqa: F401

PROBLEM = "application/problem+json"


@pytest.fixture
def server(request, seeded_engine):  # noqa: F811
    db = request.getfixturevalue("db")
    with db.unit_of_work() as uow:
        tokens = {
            "admin": auth.create_token(uow, "admin", Role.ADMIN),
            "viewer": auth.create_token(uow, "viewer", Role.VIEWER),
        }
    return request.getfixturevalue("live_server"), tokens, db


def get(server, who: str = "admin", **params) -> httpx.Response:
    live, tokens, _ = server
    return httpx.get(
        live.url + "/api/v1/risk",
        params=params,
        headers={"Authorization": f"Bearer {tokens[who]}"},
        timeout=120,
    )


def test_customer_risk_over_http_and_who_sees_people(server) -> None:
    r = get(server, kind="customer", target="churned", survey="customer-relationship", top=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["n"] == 240 and body["drivers"][0]["driver"] == "hearts"
    top = body["drivers"][0]
    assert 0 < top["lower"] < top["weight"] < top["upper"] and body["level"] == "person"
    assert body["auc_lower"] < body["auc"] < body["auc_upper"]
    assert sum(p["n"] for p in body["calibration"]) == 240
    assert len(body["people"]) == 5 and body["people_withheld"] is None
    viewer = get(server, "viewer", kind="customer", target="churned").json()
    assert viewer["people"] is None and viewer["auc"] != body["auc"]  # no survey: other model


def test_employee_units_hidden_below_the_threshold_and_bad_input_is_a_problem(server) -> None:
    body = get(server).json()
    assert body["people"] is None
    hidden = {u["unit"] for u in body["units"] if u["suppressed"]}
    # s1 (4 people) is below the threshold, south is the same 4; acme − north would give
    # them away, so north goes too, and then acme − n1 − n2 would: n2, the smaller, goes.
    assert hidden == {"s1", "south", "north", "n2"}
    assert all(u["mean_risk"] is None for u in body["units"] if u["suppressed"])
    bad = get(server, target="resigned")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert "target" in [e["location"] for e in bad.json()["errors"]]


def test_client_risk_is_the_same_path(server) -> None:
    _, _, db = server
    with connect(db.engine.url.render_as_string(hide_password=False)) as r:
        units = r.risk("customer", "churned", survey="customer-relationship")
    assert units.attrs["drivers"]["driver"].iloc[0] == "hearts"
    assert units.attrs["people"] is not None and len(units.attrs["people"]) == 50
    assert units.attrs["n"] == 240 and set(units["unit"]) == {
        "acme",
        "north",
        "n1",
        "n2",
        "south",
        "s1",
    }
