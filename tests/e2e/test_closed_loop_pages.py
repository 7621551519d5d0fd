"""The closed loop in Chromium, as a new user tries it: an analyst adds the rule "NPS ≤ 6 or
anger in the comment" on /alert-rules (a bad condition is refused, naming where), a customer
answers the form as a detractor, the store's manager finds the case on "my cases", adds a
note and resolves it. Pages pass axe-core and break no Content-Security-Policy rule."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import SYSTEM, Role
from rapport.services import auth, invitations
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.integration._survey_fixtures import PASSWORD, seed_org

pytestmark = pytest.mark.browser

VISIT = {
    "key": "visit",
    "title": "Your visit",
    "audience": "customer",
    "pages": [
        {
            "id": "p",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Would you recommend us?"},
                {"id": "comment", "type": "text", "text": "Tell us more"},
            ],
        }
    ],
}
RULE = {
    "any": [
        {"question": "nps", "op": "<=", "value": 6},
        {"question": "emotion:anger", "op": "answered"},
    ]
}


def test_a_detractor_reaches_the_store_managers_cases_and_is_resolved(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    url = sqlite_live_server.url
    sid = seed_org(sqlite_db, VISIT)
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, "analyst@example.com", PASSWORD, Role.ANALYST)
        auth.create_user(uow, "store@example.com", PASSWORD, Role.MANAGER, "north-1")
        token = invitations.create_public_link(uow, SYSTEM, sid, "north-1")

    log_in(page, url, "analyst@example.com", PASSWORD)
    page.get_by_role("link", name="Alert rules").click()
    expect(page.get_by_role("heading", name="Alert rules")).to_be_visible()
    page.get_by_label("Name").fill("Detractor or anger")
    page.get_by_label("Survey").select_option("visit")
    page.get_by_label("Condition (JSON)").fill(
        '{"any": [{"question": "nps", "op": "=<", "value": 6}]}'
    )
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rules-report")).to_contain_text("condition.any[0].op")
    assert_accessible(page, True, "alert rules with a refused condition")
    page.get_by_label("Condition (JSON)").fill(json.dumps(RULE))
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("Added alert rule Detractor or anger")
    expect(page.locator("#rules tbody tr")).to_have_count(1)
    page.context.clear_cookies()

    page.goto(f"{url}/s/{token}")
    page.get_by_text("3", exact=True).first.click()
    page.get_by_label("Tell us more").fill("Nobody answered the phone for a week.")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Thank you")).to_be_visible()

    log_in(page, url, "store@example.com", PASSWORD)
    page.get_by_role("link", name="Cases").click()
    page.get_by_label("Only cases I own").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    rows = page.locator("#cases tbody tr[data-case]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Detractor or anger")
    assert_accessible(page, True, "my cases")
    rows.first.get_by_role("link").click()
    expect(page.locator("blockquote.comment")).to_contain_text("Nobody answered the phone")
    page.get_by_label("Note").fill("Called the customer back; apologised.")
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#case-report")).to_contain_text("resolution_code")
    page.get_by_label("Status").select_option("resolved")
    page.get_by_label("Resolution (to resolve or close)").select_option("contacted_resolved")
    page.get_by_label("Note").fill("Called the customer back; apologised.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.locator("#case-status")).to_have_text("resolved")
    expect(page.locator("#case-notes li")).to_have_count(1)
    assert_accessible(page, True, "a resolved case")
    screenshot(page, "closed-loop-case")
