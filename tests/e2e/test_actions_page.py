"""The West region's manager opens the actions page on the demo: the West programme is
listed with its effect on customer hearts (interval, pre-trend check, event-study chart),
and logging a new action through the form lands it in the list; a unit outside the
region is refused with the field named."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser
EMAIL = "manager.west@example.com"


def test_manager_sees_the_programme_effect_and_logs_an_action(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(sqlite_db, org)
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.MANAGER, "west")

    log_in(page, sqlite_live_server.url, EMAIL, demo.DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Relationships").click()
    started = time.perf_counter()
    page.get_by_role("link", name="Fresh-experience actions and their effects").click()
    expect(page.locator("#chart-event svg")).to_be_visible()
    print(f"actions page (demo, manager of west): {time.perf_counter() - started:.2f} s")

    expect(page.locator("#table-actions")).to_contain_text("West programme")
    verdict = page.locator("#effect-verdict")
    expect(verdict).to_have_attribute("data-verdict", "effect")
    expect(verdict).to_contain_text("no pre-trend")
    interval = page.locator("#effect-interval").inner_text()
    low, high = (float(v) for v in interval.split(" to "))
    assert low < 4 * 8 / 9 < high, interval
    # One point per month from the start (−6 … +8), as in the data table.
    assert page.locator("#table-event tbody tr").count() == 15
    assert page.locator("#chart-event g.mark-symbol.role-mark path").count() == 15
    assert_accessible(page, True, "actions page")
    screenshot(page, "actions-manager")

    page.fill("#a-unit", "north-store-01")
    page.fill("#a-title", "Swap roles for a day")
    page.fill("#a-start", "2026-05-01")
    page.get_by_role("button", name="Log the action").click()
    expect(page.locator("#action-report")).to_contain_text("outside your part")

    page.fill("#a-unit", "west-store-02")
    page.fill("#a-title", "Swap roles for a day")
    page.fill("#a-start", "2026-05-01")
    page.fill("#a-effect", "Customers notice new ideas")
    page.get_by_role("button", name="Log the action").click()
    expect(page.locator("#table-actions")).to_contain_text("Swap roles for a day")
    expect(page.locator("#effect-title")).to_contain_text("Swap roles for a day")
    # One store cannot be told apart from noise: the page says so instead of a number.
    expect(page.locator("#effect-verdict")).to_have_attribute("data-verdict", "insufficient_data")
    expect(page.locator("#effect-verdict")).to_contain_text("1 treated unit")
