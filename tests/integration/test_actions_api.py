"""``/api/v1/actions`` over real HTTP on the demo organisation, SQLite and PostgreSQL.

A manager logs actions in their own subtree only; bad input is a 422 problem naming the
field; lists and reads are narrowed to the caller's subtree; the West programme's effect
on customer hearts comes back with its interval, method, pre-trend p-value and event study
(``tests/acceptance/test_demo_action_effect.py`` holds the figures to the truth on two
seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.services.demo.models import DemoOrganisation
from rapport.storage.uow import Database

PROBLEM = "application/problem+json"


@dataclass
class Served:
    url: str
    org: DemoOrganisation
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str = "analyst", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=120, **kw)


@pytest.fixture
def served(request: pytest.FixtureRequest, db: Database) -> Served:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(db, org)
    with db.unit_of_work() as uow:
        tokens = {
            "analyst": auth.create_token(uow, "analyst", Role.ANALYST),
            "west": auth.create_token(uow, "west", Role.MANAGER, "west"),
            "north": auth.create_token(uow, "north", Role.MANAGER, "north"),
            "viewer": auth.create_token(uow, "viewer", Role.VIEWER),
        }
    return Served(request.getfixturevalue("live_server").url, org, tokens)


def test_managers_log_actions_in_their_subtree_only(served: Served) -> None:
    body = {
        "unit": "west-store-02",
        "title": "Mystery-shop a competitor",
        "started_on": "2026-05-01",
        "intended_effect": "Customers feel special again",
    }
    r = served.call("POST", "/api/v1/actions", "west", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["unit"], made["created_by"], made["intended_effect"]) == (
        "west-store-02",
        "west",
        "Customers feel special again",
    )
    assert made["created_at"].endswith("Z") or "+00:00" in made["created_at"]
    denied = served.call("POST", "/api/v1/actions", "north", json=body)
    assert denied.status_code == 403 and denied.headers["content-type"] == PROBLEM
    assert served.call("POST", "/api/v1/actions", "viewer", json=body).status_code == 403
    bad = served.call(
        "POST", "/api/v1/actions", json={**body, "unit": "nowhere", "ended_on": "2026-01-01"}
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    fields = {e["location"] for e in bad.json()["errors"]}
    assert fields == {"unit", "ended_on"}, bad.json()

    west = served.call("GET", "/api/v1/actions", "west").json()
    assert {a["unit"] for a in west} == {"west", "west-store-02"}
    assert served.call("GET", "/api/v1/actions", "north").json() == []
    assert [a["unit"] for a in served.call("GET", "/api/v1/actions?unit=west-store-02").json()] == [
        "west-store-02"
    ]
    assert served.call("GET", f"/api/v1/actions/{made['id']}", "north").status_code == 404
    assert served.call("GET", "/api/v1/actions?unit=west", "north").status_code == 403


def test_the_west_programme_effect_over_http(served: Served) -> None:
    [programme] = [a for a in served.call("GET", "/api/v1/actions").json() if a["unit"] == "west"]
    path = f"/api/v1/actions/{programme['id']}/effect"
    r = served.call("GET", path, "west", params={"survey": "customer-relationship"})
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["metric"] == "hearts" and e["verdict"] == "effect"
    assert e["lower"] < 4 * 8 / 9 < e["upper"] and e["pre_trend_p"] >= 0.05
    assert (e["n_treated"], e["n_control"]) == (5, 17)
    assert "wild cluster" in e["method"]
    assert [p["relative_period"] for p in e["event_study"]] == list(range(-6, 9))
    analyst = served.call("GET", path, params={"survey": "customer-relationship"}).json()
    assert analyst["estimate"] == pytest.approx(e["estimate"])  # the same grid for both
    unknown = served.call("GET", path, params={"survey": "customer-relationship", "metric": "x"})
    assert unknown.status_code == 422 and unknown.headers["content-type"] == PROBLEM
    missing = served.call("GET", "/api/v1/actions/999/effect", params={"survey": "x"})
    assert missing.status_code == 404
