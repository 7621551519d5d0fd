"""Profiles in Chromium: an analyst finds a customer on /people and opens their profile,
which shows their responses with scores; a manager cannot open a profile outside their
subtree; nobody — admin included — sees an employee's confidential answers on a profile.
The pages pass axe-core and break no Content-Security-Policy rule."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible
from tests.integration._survey_fixtures import PASSWORD
from tests.integration.test_profiles import CUSTOMER_COMMENT, SECRET_COMMENT, seed

pytestmark = pytest.mark.browser


def _login(page: Page, url: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_profiles_in_the_browser(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    seed(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        for email, role, unit in (
            ("analyst@example.com", Role.ANALYST, None),
            ("north@example.com", Role.MANAGER, "north"),
            ("admin@example.com", Role.ADMIN, None),
        ):
            auth.create_user(uow, email, PASSWORD, role, unit)
    url = sqlite_live_server.url

    _login(page, url, "analyst@example.com")
    page.get_by_role("link", name="People").click()
    page.get_by_label("External id or name").fill("cara")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#people tbody tr")).to_have_count(1)
    assert_accessible(page, True, "people directory")
    page.get_by_role("link", name="cust-1").click()
    expect(page.get_by_role("heading", name="Cara Client")).to_be_visible()
    responses = page.locator("#timeline tr.response")
    expect(responses).to_have_count(2)
    expect(page.locator("#timeline tr.invitation")).to_contain_text("Invitation answered")
    recommend = page.locator('#timeline tr.response [data-score="recommend"]')
    expect(recommend.first).to_contain_text("9")  # the newest: the invitation's answer
    expect(recommend.first).to_contain_text("promoter")
    expect(recommend.nth(1)).to_contain_text("detractor")
    hearts = page.locator('#timeline tr.response [data-score="hearts"]').first
    expect(hearts).to_have_text("60")  # (75 + 25 + 75 + 50 + 75) / 5 for level 4
    expect(page.locator("#timeline")).to_contain_text(CUSTOMER_COMMENT)
    expect(page.locator("#special li").first).to_contain_text("Disagree")
    assert_accessible(page, True, "a customer's profile")

    _login(page, url, "north@example.com")
    outside = page.goto(url + "/people/customer/cust-2")
    assert outside is not None and outside.status == 404
    expect(page.locator("main")).not_to_contain_text("Sol Other")
    page.goto(url + "/people?q=cust")
    expect(page.locator("#people")).to_contain_text("cust-1")
    expect(page.locator("#people")).not_to_contain_text("cust-2")

    for email in ("north@example.com", "analyst@example.com", "admin@example.com"):
        _login(page, url, email)
        shown = page.goto(url + "/people/employee/emp-1")
        assert shown is not None and shown.status == 200
        expect(page.locator("#withheld")).to_be_visible()
        expect(page.locator("#timeline tr.response")).to_have_count(0)
        expect(page.locator("#timeline tr.invitation")).to_have_count(1)
        assert SECRET_COMMENT not in page.content()
