"""The organisation API over real HTTP: the unit tree, its changes and CSV imports with
problem+json reports that name rows and columns."""

from __future__ import annotations

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer

PROBLEM = "application/problem+json"
TREE = "code,parent,name,kind\nacme,,Acme,company\nnorth,acme,North,region\nn1,north,N1,store\n"


def _client(server: LiveServer, db: Database, role: Role = Role.ADMIN) -> httpx.Client:
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, f"{role.value}-token", role)
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def _csv(client: httpx.Client, path: str, body: str) -> httpx.Response:
    return client.post(path, content=body.encode(), headers={"Content-Type": "text/csv"})


def test_units_import_tree_patch_and_problem_reports(live_server: LiveServer, db: Database) -> None:
    with _client(live_server, db) as api:
        r = _csv(api, "/api/v1/units/import", TREE)
        assert r.status_code == 200, r.text
        assert r.json() == {"created": 3, "updated": 0, "moved": 0, "unchanged": 0}
        r = api.post(
            "/api/v1/units",
            json={"code": "south", "name": "South", "kind": "region", "parent": "acme"},
        )
        assert r.status_code == 201, r.text
        tree = {u["code"]: u for u in api.get("/api/v1/units").json()}
        assert [tree[c]["parent"] for c in ("acme", "north", "n1", "south")] == [
            None, "acme", "north", "acme",
        ]  # fmt: skip
        assert tree["n1"]["path"] == "acme/north/n1" and tree["n1"]["depth"] == 2

        r = api.patch("/api/v1/units/n1", json={"parent": "south", "moved_on": "2026-06-01"})
        assert r.status_code == 200 and r.json()["path"] == "acme/south/n1", r.text
        r = api.patch("/api/v1/units/n1", json={"archived": True, "closed_on": "2026-11-30"})
        assert r.json()["closed_on"] == "2026-11-30"

        r = api.patch("/api/v1/units/north", json={"parent": "north"})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        assert r.json()["errors"][0]["location"] == "parent"

        bad = "code,parent,name,kind\nx,nowhere,X,store\ny,north,Y,kiosk\n"
        r = _csv(api, "/api/v1/units/import", bad)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        problem = r.json()
        assert problem["type"].endswith("/validation")
        assert [e["location"] for e in problem["errors"]] == ["row 3, column kind"]
        assert "kiosk" in problem["errors"][0]["message"]
        r = _csv(api, "/api/v1/units/import", "code,parent,name,kind\nx,nowhere,X,store\n")
        assert r.json()["errors"][0]["location"] == "row 2, column parent"
        assert "x" not in {u["code"] for u in api.get("/api/v1/units").json()}

    with _client(live_server, db, Role.ANALYST) as analyst:
        assert _csv(analyst, "/api/v1/units/import", TREE).status_code == 403
        assert analyst.get("/api/v1/units").status_code == 200


def test_the_home_page_of_a_new_organisation_says_how_to_start(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    from rapport.domain.org import SYSTEM, UnitKind
    from rapport.services import people, surveys, unit_import, units
    from tests.integration._survey_fixtures import EVERY_TYPE, PASSWORD
    from tests.integration._web_login import login

    with sqlite_db.unit_of_work() as uow:
        units.create(uow, SYSTEM, "acme", "Acme", UnitKind.COMPANY)
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.ADMIN)
    with httpx.Client(base_url=sqlite_live_server.url) as client:
        login(client, "admin@example.com")

        def steps() -> dict[str, bool]:
            html = client.get("/").text
            if 'id="getting-started"' not in html:
                return {}
            return {
                key: 'class="done"' in html.split(f'data-step="{key}"', 1)[1].split(">", 1)[0]
                for key in ("units", "people", "survey")
            }

        assert steps() == {"units": False, "people": False, "survey": False}
        with sqlite_db.unit_of_work() as uow:
            unit_import.import_units(uow, SYSTEM, TREE.encode())
        assert steps() == {"units": True, "people": False, "survey": False}
        with sqlite_db.unit_of_work() as uow:
            people.import_people(uow, SYSTEM, b"external_id,kind,unit\nc1,customer,n1\n")
            surveys.save_definition(uow, SYSTEM, surveys.parse_definition(EVERY_TYPE))
        assert steps() == {}  # all done: the section is gone


def test_an_archived_unit_refuses_responses_and_its_links_are_gone(
    live_server: LiveServer, db: Database
) -> None:
    from rapport.domain.org import SYSTEM
    from rapport.services import invitations
    from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org

    sid = seed_org(db)
    with db.unit_of_work() as uow:
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    with _client(live_server, db) as api:
        body = {"answers": GOOD_ANSWERS, "unit": "north-1"}
        assert api.post(f"/api/v1/surveys/{sid}/responses", json=body).status_code == 201
        archived = api.patch("/api/v1/units/north-1", json={"archived": True})
        assert archived.status_code == 200
        closed_on = archived.json()["closed_on"]
        r = api.post(f"/api/v1/surveys/{sid}/responses", json=body)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        assert r.json()["errors"] == [
            {
                "location": "unit",
                "message": f"unit north-1 was archived on {closed_on}; it takes no new data",
                "code": "closed_unit",
            }
        ]
        page = api.get(f"/s/{token}", headers={"Accept": "text/html"})
        assert page.status_code == 410
        listed = api.get(f"/api/v1/surveys/{sid}/responses").json()
        assert len(listed["items"]) == 1  # the response given before stays


def test_outcomes_import_and_listing_over_http(live_server: LiveServer, db: Database) -> None:
    with _client(live_server, db) as api:
        assert _csv(api, "/api/v1/units/import", TREE).status_code == 200
        body = "unit,period,revenue,customer_churn_pct\nn1,2026-03,1200.5,2.5\nn1,2026-Q1,3600,\n"
        r = _csv(api, "/api/v1/outcomes/import", body)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "rows": 2,
            "created": 3,
            "updated": 0,
            "outcomes": ["revenue", "customer_churn_pct"],
            "encoding": "utf-8-sig",
        }
        r = api.get("/api/v1/outcomes", params={"unit": "north", "grain": "month", "rollup": True})
        assert r.status_code == 200, r.text
        assert [(o["name"], o["value"], o["rollup"], o["period_label"]) for o in r.json()] == [
            ("customer_churn_pct", 2.5, "mean", "2026-03"),
            ("revenue", 1200.5, "sum", "2026-03"),
        ]
        r = api.get("/api/v1/outcomes", params={"outcome": "revenue"})
        assert [(o["unit"], o["grain"], o["period"]) for o in r.json()] == [
            ("n1", "month", "2026-03-01"), ("n1", "quarter", "2026-01-01"),
        ]  # fmt: skip
        r = _csv(api, "/api/v1/outcomes/import", "unit,period,revenue\nn1,2026-03,lots\n")
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        assert r.json()["errors"] == [
            {
                "location": "row 2, column revenue",
                "message": "expected a number such as 1234.5, got 'lots'",
                "code": "number",
            }
        ]
        r = api.get("/api/v1/outcomes", params={"grain": "year"})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
        r = api.get("/api/v1/outcomes", params={"unit": "nowhere"})
        assert r.status_code == 422 and r.json()["errors"][0]["location"] == "unit"
    with _client(live_server, db, Role.VIEWER) as viewer:
        assert _csv(viewer, "/api/v1/outcomes/import", body).status_code == 403
        assert len(viewer.get("/api/v1/outcomes").json()) == 3
