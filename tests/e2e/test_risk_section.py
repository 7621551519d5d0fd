"""An analyst fits the churn risk model from the key-drivers page of a customer survey and
sees the AUC with its interval, the planted driver first, units and the people at risk."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import log_in, screenshot
from tests.integration.test_risk_service import seed_risk

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password"


def test_analyst_fits_churn_risk_on_the_drivers_page(
    page: Page, tmp_path, sqlite_db: Database
) -> None:
    survey_id = seed_risk(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, "analyst@example.com", PASSWORD, Role.ANALYST)
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        log_in(page, server.url, "analyst@example.com", PASSWORD)
        page.goto(f"{server.url}/surveys/{survey_id}/drivers?show=indices")
        section = page.locator("#section-risk")
        expect(section.get_by_role("heading", name="Churn risk", exact=True)).to_be_visible()
        page.get_by_label("Outcome attribute", exact=True).fill("churned")
        page.get_by_role("button", name="Fit the risk model", exact=True).click()
        summary = page.locator("#risk-summary")
        expect(summary).to_be_visible()
        assert re.search(
            r"AUC \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] \(95%, DeLong\)", summary.inner_text()
        )
        assert "240 people with a known churned" in summary.inner_text()
        first = page.locator("#risk-drivers tbody tr").first
        assert first.get_attribute("data-driver") == "hearts"
        expect(first).to_contain_text("less risk")
        # The weight with its bootstrap interval (200 resamples), in percent of variance.
        interval = first.locator("td[data-interval]").inner_text()
        assert re.fullmatch(r"\d+\.\d{2} \[\d+\.\d{2}, \d+\.\d{2}\]", interval)
        weight, low, high = (float(v) for v in re.findall(r"\d+\.\d{2}", interval))
        assert 0 < low < weight < high
        expect(page.locator("#risk-units tbody tr")).to_have_count(6)
        expect(page.locator("#risk-people tbody tr")).to_have_count(20)
        # The risk form carries the key-driver settings above it.
        assert "show=indices" in page.url and "risk_target=churned" in page.url
        screenshot(page, "drivers-risk")
