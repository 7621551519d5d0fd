"""The learning log and rule edits over real HTTP on both engines: a deactivated rule opens
no cases, learnings are written, edited, listed by theme and scoped to a manager's units,
closing a case writes its learning in the same transaction, and an employee's response is
never named by a learning."""

from __future__ import annotations

from typing import Any

import httpx

from rapport.domain.org import Role
from rapport.storage.repositories.cases import CaseFilter
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration._web_login import form_token, login
from tests.integration.test_closed_loop import DETRACTOR, PROBLEM, PULSE, _submit, _token

LEARNING: dict[str, Any] = {
    "title": "Queues at the tills on Saturdays",
    "what_happened": "Two tills were closed at the Saturday peak; customers waited 15 minutes.",
    "impact": "Detractor scores and three complaints in a week.",
    "learnt": "The rota is made before the footfall forecast is known.",
    "changes": [
        {"area": "processes", "description": "Rota after the forecast", "changed_on": "2026-03-01"},
        {"area": "technology", "description": "Queue alerts on the tills"},
    ],
    "units": ["north-1"],
    "themes": ["Queues", "queues ", "staffing"],
    "owner": "Store operations lead",
    "review_on": "2026-06-01",
    "survey": "every-type",
    "metric": "nps",
}


def _case_count(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return len(uow.cases.find(CaseFilter(limit=1000)))


def test_a_deactivated_rule_opens_no_cases_until_activated_again(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    admin = _token(db)
    base = live_server.url
    rule = httpx.post(
        f"{base}/api/v1/alert-rules",
        json={"name": "Detractor", "condition": DETRACTOR, "survey": "every-type"},
        headers=admin,
    ).json()
    one = f"{base}/api/v1/alert-rules/{rule['id']}"
    url = f"{base}/api/v1/surveys/{sid}/responses"
    off = httpx.patch(one, json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    r = httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=admin)
    assert r.status_code == 201 and _case_count(db) == 0
    on = httpx.patch(one, json={"active": True, "priority": "urgent"}, headers=admin)
    assert on.json()["active"] is True and on.json()["priority"] == "urgent"
    httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=admin)
    assert _case_count(db) == 1
    # a new condition is checked as on creation, naming the place
    bad = httpx.patch(
        one, json={"condition": {"question": "nope", "op": "<", "value": 1}}, headers=admin
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert bad.json()["errors"][0]["location"].startswith("condition")
    higher = {"question": "nps", "op": "<=", "value": 2}
    assert httpx.patch(one, json={"condition": higher}, headers=admin).status_code == 200
    httpx.post(url, json={"answers": GOOD_ANSWERS, "unit": "north-1"}, headers=admin)
    assert _case_count(db) == 1  # GOOD_ANSWERS' NPS is above 2: the edited rule is silent
    assert httpx.patch(one, json={}, headers=admin).status_code == 422
    assert (
        httpx.patch(
            f"{base}/api/v1/alert-rules/999", json={"active": False}, headers=admin
        ).status_code
        == 404
    )
    manager = _token(db, Role.MANAGER, "north")
    assert httpx.patch(one, json={"active": False}, headers=manager).status_code == 403
    # the page's button deactivates it (through the form, CSRF and all)
    with httpx.Client(base_url=base) as page:
        login(page, "admin@example.com")
        token = form_token(page.get("/alert-rules").text)
        r = page.post(
            f"/alert-rules/{rule['id']}/active", data={"active": "false", "csrf_token": token}
        )
        assert r.status_code == 303
        assert "Activate Detractor" in page.get("/alert-rules").text
    httpx.post(url, json={"answers": {**GOOD_ANSWERS, "nps": 0}, "unit": "north-1"}, headers=admin)
    assert _case_count(db) == 1


def test_learnings_are_written_edited_listed_and_scoped(
    live_server: LiveServer, db: Database
) -> None:
    seed_org(db)
    admin = _token(db)
    url = f"{live_server.url}/api/v1/learnings"
    made = httpx.post(url, json=LEARNING, headers=admin)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["themes"] == ["queues", "staffing"]  # normalised, once each
    assert [c["area"] for c in body["changes"]] == ["processes", "technology"]
    assert body["changes"][0]["changed_on"] == "2026-03-01" and body["units"] == ["north-1"]
    one = f"{url}/{body['id']}"
    edited = httpx.patch(one, json={"learnt": "Forecast first.", "units": ["north"]}, headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["learnt"] == "Forecast first." and edited.json()["units"] == ["north"]
    assert edited.json()["title"] == LEARNING["title"]  # untouched fields stay
    wide = httpx.post(url, json={**LEARNING, "units": [], "themes": ["pricing"]}, headers=admin)
    assert wide.status_code == 201
    assert [x["id"] for x in httpx.get(url, params={"theme": "Queues"}, headers=admin).json()] == [
        body["id"]
    ]
    # bad input: each problem names its field
    bad = httpx.post(
        url,
        json={
            **LEARNING,
            "units": ["mars"],
            "survey": "nope",
            "changes": [{"area": "processes", "description": " "}],
        },
        headers=admin,
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    places = {e["location"] for e in bad.json()["errors"]}
    assert {"units[0]", "survey", "changes[0].description"} <= places
    area = httpx.post(
        url, json={**LEARNING, "changes": [{"area": "luck", "description": "x"}]}, headers=admin
    )
    assert area.status_code == 422
    # a manager of north sees north's learning, not the organisation-wide one, and may not
    # write one without a unit of their own
    manager = _token(db, Role.MANAGER, "north")
    assert [x["id"] for x in httpx.get(url, headers=manager).json()] == [body["id"]]
    assert httpx.get(f"{url}/{wide.json()['id']}", headers=manager).status_code == 404
    assert httpx.post(url, json={**LEARNING, "units": []}, headers=manager).status_code == 403
    assert (
        httpx.post(url, json={**LEARNING, "units": ["south"]}, headers=manager).status_code == 403
    )
    assert httpx.get(url, headers=_token(db, Role.VIEWER)).status_code == 403


def test_closing_a_case_writes_its_learning_in_the_same_transaction(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db)
    admin = _token(db)
    base = live_server.url
    httpx.post(
        f"{base}/api/v1/alert-rules",
        json={"name": "Detractor", "condition": DETRACTOR, "survey": "every-type"},
        headers=admin,
    )
    r = httpx.post(
        f"{base}/api/v1/surveys/{sid}/responses",
        json={"answers": GOOD_ANSWERS, "unit": "north-1"},
        headers=admin,
    )
    response_id = r.json()["id"]
    [case] = httpx.get(f"{base}/api/v1/cases", headers=admin).json()
    close = f"{base}/api/v1/cases/{case['id']}/close"
    refused = httpx.post(
        close,
        json={"resolution_code": "contacted_resolved", "learning": {**LEARNING, "units": ["mars"]}},
        headers=admin,
    )
    assert refused.status_code == 422
    assert httpx.get(f"{base}/api/v1/cases/{case['id']}", headers=admin).json()["status"] == "open"
    done = httpx.post(
        close,
        json={"resolution_code": "contacted_resolved", "note": "Apologised", "learning": LEARNING},
        headers=admin,
    )
    assert done.status_code == 200, done.text
    assert done.json()["case"]["status"] == "closed"
    learning = done.json()["learning"]
    assert learning["cases"] == [case["id"]] and learning["responses"] == [response_id]
    assert learning["units"] == ["north-1"]
    assert (
        httpx.post(close, json={"resolution_code": "duplicate"}, headers=admin).status_code == 422
    )
    # the case page links its learning
    with httpx.Client(base_url=base) as page:
        login(page, "admin@example.com")
        assert f"/learnings#learning-{learning['id']}" in page.get(f"/cases/{case['id']}").text


def test_an_employee_response_is_never_named_by_a_learning(
    live_server: LiveServer, db: Database
) -> None:
    sid = seed_org(db, PULSE)
    admin = _token(db)
    response_id = _submit(db, sid, {"enps": 2, "comment": "My manager never listens."})
    url = f"{live_server.url}/api/v1/learnings"
    r = httpx.post(
        url, json={**LEARNING, "survey": None, "responses": [response_id]}, headers=admin
    )
    assert r.status_code == 422 and r.json()["errors"][0]["location"] == "responses[0]"
    assert "never named" in r.json()["errors"][0]["message"]
    case = httpx.post(
        f"{live_server.url}/api/v1/cases", json={"unit": "north-1", "title": "Pulse"}, headers=admin
    ).json()
    with db.unit_of_work() as uow:  # an employee case, as a pulse rule would open it
        uow.cases.update(case["id"], audience="employee", response_id=response_id)
    closed = httpx.post(
        f"{live_server.url}/api/v1/cases/{case['id']}/close",
        json={"resolution_code": "no_action_needed", "learning": {**LEARNING, "survey": None}},
        headers=admin,
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["learning"]["responses"] == []  # the case is linked, never its response
    assert closed.json()["case"]["response_id"] is None
