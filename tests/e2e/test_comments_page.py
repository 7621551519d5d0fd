"""The comment explorer says how many comments the emotion model skipped (a language it does
not read), on the page and in the REST API, and keeps saying it under an emotion filter."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth, responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in, screenshot
from tests.integration._survey_fixtures import GOOD_ANSWERS, PASSWORD, seed_org

pytestmark = pytest.mark.browser

COMMENTS = (
    "The staff were rude and nobody helped me with the return",
    "Lovely shop and the assistant found my size straight away",
    "El personal fue muy amable, gracias por todo.",
    "La tienda estaba sucia y nadie me ayudó con la devolución.",
    "Muy caro para lo que es, no volveré a comprar aquí.",
)


def _seed_comments(db: Database) -> int:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        unit = uow.units.by_code("north-1")
        assert unit is not None
        for text in COMMENTS:
            answers = {**GOOD_ANSWERS, "why": text, "comment": text}
            responses.submit(uow, published, responses.Submission(answers=answers, unit_id=unit.id))
    return sid


def test_explorer_says_how_many_comments_were_skipped_for_their_language(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = _seed_comments(sqlite_db)
    log_in(page, server.url, "admin@example.com", PASSWORD)
    page.goto(f"{server.url}/surveys/{sid}/comments")
    note = page.locator("#not-read")
    # Three Spanish answers to each of the two text questions.
    expect(note).to_contain_text("6 comments in a language it does not read")
    expect(note).not_to_contain_text("too short")
    screenshot(page, "comments-not-read")
    page.get_by_label("Emotion").select_option("anger")
    page.get_by_role("button", name="Filter").click()
    expect(note).to_contain_text("6 comments in a language it does not read")
    expect(note).to_contain_text("counted without the emotion and sentiment filters")
    expect(page.locator("ul.comments")).not_to_contain_text("El personal")

    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "a", Role.ADMIN, None)
    body = httpx.get(
        f"{server.url}/api/v1/surveys/{sid}/comments",
        params={"emotion": "anger"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert body["not_read"] == {"language_not_supported": 6, "too_short": 0}
    assert all(c["text"] not in COMMENTS[2:] for c in body["comments"])
