"""The respondent form over real HTTP: plain-language errors for every question type (while
the API keeps its precise messages), emotion chips, and resuming on the page last left."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.domain.org import SYSTEM
from rapport.services import invitations
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org

CHECKS: dict[str, Any] = {
    "key": "checks",
    "title": "Checks",
    "audience": "customer",
    "languages": ["en", "es"],
    "pages": [
        {
            "id": "only",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Recommend us?"},
                {
                    "id": "minds",
                    "type": "matrix",
                    "required": True,
                    "text": "How do we do?",
                    "rows": [{"id": "ease", "text": "Easy"}, {"id": "fast", "text": "Fast"}],
                },
                {
                    "id": "channel",
                    "type": "single_choice",
                    "required": True,
                    "text": "Main channel",
                    "options": [{"id": "store", "text": "Store"}, {"id": "web", "text": "Web"}],
                },
                {
                    "id": "channels",
                    "type": "multi_choice",
                    "required": True,
                    "text": "All channels",
                    "options": [{"id": "store", "text": "Store"}, {"id": "web", "text": "Web"}],
                },
                {
                    "id": "feelings",
                    "type": "emotion_picker",
                    "required": True,
                    "emotions": ["delighted", "frustrated"],
                    "text": "How did you feel?",
                },
                {
                    "id": "comment",
                    "type": "text",
                    "required": True,
                    "max_length": 10,
                    "text": "Comment",
                },
                {
                    "id": "visits",
                    "type": "number",
                    "required": True,
                    "integer": True,
                    "min": 0,
                    "max": 100,
                    "text": "Visits",
                },
                {
                    "id": "when",
                    "type": "date",
                    "required": True,
                    "min": "2026-01-01",
                    "max": "2026-12-31",
                    "text": "When",
                },
            ],
        }
    ],
}
SHOWN = "nps,minds,channel,channels,feelings,comment,visits,when"
GOOD_FORM = {
    "q.nps": "9",
    "q.minds.ease": "4",
    "q.minds.fast": "5",
    "q.channel": "web",
    "q.channels": "store",
    "felt.feelings": "delighted",
    "q.feelings.delighted": "2",
    "q.comment": "Fine",
    "q.visits": "3",
    "q.when": "2026-10-01",
}
REQUIRED = {
    "nps": "Please choose a number from 0 to 10.",
    "minds": "Please answer every statement.",
    "channel": "Please choose one of the options.",
    "channels": "Please choose at least one option.",
    "feelings": "Please choose at least one feeling.",
    "comment": "Please write an answer.",
    "visits": "Please enter a number from 0 to 100.",
    "when": "Please enter a date from 2026-01-01 to 2026-12-31.",
}


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _post(client: httpx.Client, token: str, fields: dict[str, str], **extra: str) -> httpx.Response:
    page = client.get(f"/s/{token}", params={"page": extra.get("page", "0")})
    data = {"csrf_token": _csrf(page), "page": "0", "lang": "en", "shown": SHOWN}
    data |= {"action": "submit"} | extra | fields
    return client.post(f"/s/{token}", data=data)


def _error_texts(html: str) -> list[str]:
    return re.findall(r'<p class="field-error" id="err-[^"]+">.*?</span> ([^<]+)</p>', html)


@pytest.fixture
def kiosk(tmp_path: Path, sqlite_db: Database) -> Any:
    sid = seed_org(sqlite_db, CHECKS)
    with sqlite_db.unit_of_work() as uow:
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    with (
        LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        yield client, token, sid, sqlite_db


def test_every_required_question_left_out_gets_plain_words(kiosk: Any) -> None:
    client, token, sid, db = kiosk
    r = _post(client, token, {})
    assert r.status_code == 422
    assert _error_texts(r.text) == list(REQUIRED.values())
    assert "expected" not in r.text and "required;" not in r.text
    summary = r.text[r.text.index('id="error-summary"') : r.text.index("</ul>")]
    assert 'href="#q-visits"><span class="summary-question">Visits</span>' in summary
    with db.unit_of_work() as uow:
        assert uow.responses.count(sid) == 0


@pytest.mark.parametrize(
    ("field", "value", "plain"),
    [
        ("q.nps", "11", "Please choose a number from 0 to 10."),
        ("q.nps", "ten", "Please choose a number from 0 to 10."),
        ("q.minds.fast", "9", "Please choose a number from 1 to 5 for “Fast”."),
        ("q.minds.fast", "", "Please choose a number from 1 to 5 for “Fast”."),
        ("q.channel", "fax", "Please choose from the options shown."),
        ("q.channels", "fax", "Please choose from the options shown."),
        ("q.comment", "x" * 11, "Please shorten your answer to 10 characters or fewer."),
        ("q.visits", "101", "Please enter a number from 0 to 100."),
        ("q.visits", "2.5", "Please enter a whole number, such as 12."),
        ("q.when", "2025-05-05", "Please enter a date from 2026-01-01 to 2026-12-31."),
        ("q.when", "yesterday", "Please enter a date, such as 2026-12-31."),
        ("q.feelings.delighted", "", "Please choose how strongly you felt “Delighted”."),
        ("q.feelings.delighted", "7", "Please choose how strongly you felt “Delighted”."),
    ],
    ids=lambda v: v if len(v) < 20 else v[:20],
)
def test_one_bad_answer_gets_one_plain_error(
    kiosk: Any, field: str, value: str, plain: str
) -> None:
    client, token, sid, db = kiosk
    r = _post(client, token, {**GOOD_FORM, field: value})
    assert r.status_code == 422, r.text
    assert _error_texts(r.text) == [plain]
    assert "expected" not in r.text
    [anchor] = re.findall(r'<li><a href="#([^"]+)">', r.text)
    assert f'id="{anchor}"' in r.text  # the summary links to the row or emotion at fault
    with db.unit_of_work() as uow:
        assert uow.responses.count(sid) == 0


def test_good_form_is_stored_and_an_emotion_chip_turned_off_is_not(kiosk: Any) -> None:
    client, token, sid, db = kiosk
    # "frustrated" keeps a checked intensity from before its chip was turned off.
    r = _post(client, token, {**GOOD_FORM, "q.feelings.frustrated": "3"})
    assert r.status_code == 200, r.text
    assert "Thank you" in r.text
    with db.unit_of_work() as uow:
        rows = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=5)
    felt = {a["item"]: a["value_num"] for a in rows[0]["answers"] if a["question_id"] == "feelings"}
    assert felt == {"delighted": 2}


def test_the_api_keeps_its_precise_messages(tmp_path: Path, sqlite_db: Database) -> None:
    from rapport.domain.org import Role
    from rapport.services import auth

    sid = seed_org(sqlite_db, CHECKS)
    with sqlite_db.unit_of_work() as uow:
        headers = {"Authorization": f"Bearer {auth.create_token(uow, 't', Role.ANALYST)}"}
    answers = {"nps": 11, "comment": "x" * 11, "visits": 2.5}
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        r = httpx.post(
            f"{server.url}/api/v1/surveys/{sid}/responses",
            json={"answers": answers, "unit": "north-1"},
            headers=headers,
        )
    assert r.status_code == 422
    details = {e["location"]: e["message"] for e in r.json()["errors"]}
    assert details["nps"] == "nps: expected an integer 0–10, got 11"
    assert details["comment"] == "comment: expected at most 10 characters, got 11"
    assert details["visits"] == "visits: expected an integer from 0 to 100, got 2.5"


def test_spanish_form_gets_spanish_errors(kiosk: Any) -> None:
    client, token, _, _ = kiosk
    r = _post(client, token, {**GOOD_FORM, "q.nps": "11"}, lang="es")
    assert _error_texts(r.text) == ["Elija un número del 0 al 10."]


PAGE_ONE = {"q.nps": "4", "q.csat": "4", "shown": "intro,nps,csat,ces,delight,minds"}


def _next(client: httpx.Client, token: str, fields: dict[str, str]) -> httpx.Response:
    page = client.get(f"/s/{token}", params={"page": "0"})
    data = {"csrf_token": _csrf(page), "page": "0", "lang": "en", "action": "next"} | fields
    return client.post(f"/s/{token}", data=data)


def test_an_invitation_reopens_on_the_page_last_left_on_any_device(
    tmp_path: Path, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        token = invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret="k" * 32)[
            0
        ].token
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        with httpx.Client(base_url=server.url) as phone:
            assert _next(phone, token, PAGE_ONE).status_code == 303
        with httpx.Client(base_url=server.url) as laptop:  # no cookie: the server remembers
            again = laptop.get(f"/s/{token}")
            assert "Page 2 of 2" in again.text
            assert "What went wrong?" in again.text  # display logic from page 1's answers
            back = laptop.get(f"/s/{token}", params={"page": "0"})
            assert re.search(r'name="q.nps" value="4" checked', back.text)
            # Going back is where the respondent stopped now.
            data = {"csrf_token": _csrf(again), "page": "1", "lang": "en", "action": "back"}
            assert laptop.post(f"/s/{token}", data=data).status_code == 303
            assert "Page 1 of 2" in laptop.get(f"/s/{token}").text


def test_an_anonymous_link_resumes_from_its_signed_cookie_only(kiosk_two_pages: Any) -> None:
    server, token = kiosk_two_pages
    with httpx.Client(base_url=server.url) as client:
        assert _next(client, token, PAGE_ONE).status_code == 303
        assert "Page 2 of 2" in client.get(f"/s/{token}").text
    with httpx.Client(base_url=server.url) as stranger:  # the link is shared: no one's state
        assert "Page 1 of 2" in stranger.get(f"/s/{token}").text


@pytest.fixture
def kiosk_two_pages(tmp_path: Path, sqlite_db: Database) -> Any:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        yield server, token
