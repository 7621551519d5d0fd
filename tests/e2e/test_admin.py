"""An admin changes a manager's role on the administration page in Chromium; the pages
pass axe-core (WCAG 2.1 A/AA) and break no Content-Security-Policy rule."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, screenshot
from tests.integration._survey_fixtures import PASSWORD, seed_org

pytestmark = pytest.mark.browser


def test_admin_demotes_a_manager_and_finds_it_in_the_audit_log(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    seed_org(sqlite_db)
    page.goto(sqlite_live_server.url + "/login")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert_accessible(page, True, "users page")

    row = page.locator('tr[data-user="north@example.com"]')
    row.get_by_label("Role of north@example.com").select_option("viewer")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved north@example.com")
    expect(row.get_by_label("Role of north@example.com")).to_have_value("viewer")
    screenshot(page, "admin-users")

    page.get_by_role("link", name="API tokens").click()
    assert_accessible(page, True, "tokens page")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("user.role")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#audit")).to_contain_text("north@example.com")
    assert_accessible(page, True, "audit page")
