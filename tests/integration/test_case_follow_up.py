"""The follow-up survey of a case, end to end over HTTP on both engines: a rule names it,
closing the case mails the customer a single-use link (local SMTP server, aiosmtpd), the
answer through the form is linked to the case, shown on it (API and page), and moves the
recovery-effect metric."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from rapport.domain.org import SYSTEM
from rapport.services import responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import GOOD_ANSWERS, seed_org
from tests.integration._web_login import login
from tests.integration.test_closed_loop import DETRACTOR, PROBLEM, _cases, _token
from tests.integration.test_invitations import Sink, smtp_sink  # noqa: F401 - a fixture

PUT_RIGHT = {
    "key": "put-right",
    "title": "Did we put it right?",
    "audience": "customer",
    "pages": [{"id": "p", "questions": [
        {"id": "nps", "type": "nps", "required": True, "text": "Would you recommend us now?"},
        {"id": "comment", "type": "text", "text": "Anything else?"},
    ]}],
}  # fmt: skip


def _respond_as(db: Database, sid: int, external_id: str) -> int:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        [person] = uow.people.by_external_ids([external_id])
        sub = responses.Submission(answers=GOOD_ANSWERS, unit_id=person.unit_id, person=person)
        return responses.submit(uow, published, sub).response_id


def _wait_for(sink: Sink, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(sink.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_closing_a_case_sends_the_follow_up_and_links_its_answer(
    tmp_path: Path, db: Database, request: pytest.FixtureRequest
) -> None:
    sink: Sink
    sink, port = request.getfixturevalue("smtp_sink")
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        surveys.save_definition(uow, SYSTEM, surveys.parse_definition(PUT_RIGHT))
    settings = make_settings(tmp_path, db, smtp_port=port, case_sweep_seconds=0,
                             base_url="https://cx.example.com")  # fmt: skip
    with LiveServer(settings, db) as server, httpx.Client(base_url=server.url) as web:
        admin = _token(db)
        api = httpx.Client(base_url=server.url, headers=admin)
        rule = {"name": "Detractor", "condition": DETRACTOR, "survey": "every-type"}
        bad = api.post("/api/v1/alert-rules", json=rule | {"follow_up_survey": "nope"})
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
        assert bad.json()["errors"][0]["location"] == "follow_up_survey"
        made = api.post("/api/v1/alert-rules", json=rule | {"follow_up_survey": "put-right"})
        assert made.status_code == 201 and made.json()["follow_up_survey_id"], made.text
        original = _respond_as(db, sid, "c0")
        [case] = _cases(db)
        assert case.response_id == original
        one = f"/api/v1/cases/{case.id}"
        r = api.patch(one, json={"status": "resolved", "resolution_code": "contacted_resolved"})
        assert r.status_code == 200 and r.json()["follow_up"] is None  # resolved: not yet
        r = api.patch(one, json={"status": "closed"})
        assert r.status_code == 200, r.text
        assert r.json()["follow_up"] == {"status": "sent", "response_id": None, "answers": []}
        _wait_for(sink, 1)
        [mail] = sink.messages
        assert mail["To"] == "c0@example.com" and "Did we put it right?" in mail["Subject"]
        link = re.search(r"https://cx\.example\.com(/s/[\w-]+)", mail.get_content())
        assert link is not None
        path = link.group(1)
        page = web.get(path)
        assert page.status_code == 200 and "Would you recommend us now?" in page.text
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        data = {"csrf_token": csrf, "page": "0", "lang": "en", "shown": "nps,comment",
                "action": "submit", "q.nps": "9", "q.comment": "Yes, sorted."}  # fmt: skip
        assert "Thank you" in web.post(path, data=data).text
        assert web.get(path).status_code == 410  # single use
        shown = api.get(one).json()["follow_up"]
        assert shown["status"] == "answered" and shown["response_id"] is not None
        assert {"question": "nps", "item": "", "value": 9.0, "text": None} in shown["answers"]
        login(web, "admin@example.com")
        case_page = web.get(f"/cases/{case.id}", headers={"Accept": "text/html"})
        assert 'id="case-follow-up"' in case_page.text and "Yes, sorted." in case_page.text
        recovery = api.get("/api/v1/metrics", params={"metric": "cases.recovery_effect",
                                                      "survey": "every-type"})  # fmt: skip
        [row] = recovery.json()["rows"]
        assert (row["n"], row["value"]) == (1, 200.0)  # a detractor (4) became a promoter (9)
        # Closing again mails nobody; a case whose respondent is unknown gets no follow-up.
        with db.unit_of_work() as uow:
            published = surveys.get_published(uow, sid)
            store = uow.units.one("north-1")
            sub = responses.Submission(answers=GOOD_ANSWERS, unit_id=store.id)
            responses.submit(uow, published, sub)
        anonymous = max(c.id for c in _cases(db))
        r = api.patch(f"/api/v1/cases/{anonymous}", json={
            "status": "closed", "resolution_code": "no_contact_possible"})  # fmt: skip
        assert r.status_code == 200 and r.json()["follow_up"] is None
        time.sleep(0.5)
        assert len(sink.messages) == 1
        api.close()
