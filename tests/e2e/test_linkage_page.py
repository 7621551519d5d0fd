"""An analyst opens the linkage page from the navigation on the demo and sees the planted
EX → next-month CX hearts effect with its interval, the statement and the path diagram
(issue 16, acceptance)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from rapport.services import demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

INTERVAL = re.compile(r"^\[(-?\d+\.\d+), (-?\d+\.\d+)\]$")


def test_analyst_sees_the_planted_ex_to_cx_effect(
    page: Page, tmp_path, sqlite_db: Database
) -> None:
    organisation = demo.generate(seed=7)
    demo.load(sqlite_db, organisation)
    beta = organisation.truth["ex_to_cx"]["beta_hearts"]
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        log_in(page, server.url, "analyst@northwind.example", demo.DEMO_PASSWORD)
        started = time.perf_counter()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Linkage").click()
        statement = page.locator("#linkage-statement")
        expect(statement).to_be_visible()
        print(f"linkage page (demo, 27 stores × 15 months): {time.perf_counter() - started:.2f} s")
        # The headline says the within-store estimate cannot be bounded, then gives the pooled
        # one with its interval.
        expect(statement).to_contain_text("No within-unit estimate")
        expect(statement).to_contain_text("95% CI")
        row = page.locator('tr[data-path="employee hearts → customer hearts"][data-level="pooled"]')
        estimate = float(row.locator("td:nth-child(3)").inner_text())
        bounds = INTERVAL.match(row.locator("td:nth-child(4)").inner_text())
        assert bounds, row.inner_text()
        lower, upper = float(bounds.group(1)), float(bounds.group(2))
        assert 0 < lower <= beta <= upper and lower <= estimate <= upper
        within = page.locator(
            'tr[data-path="employee hearts → customer hearts"][data-level="within"]'
        )
        expect(within).to_contain_text("sampling error")
        revenue = page.locator('tr[data-path="customer hearts → revenue"][data-level="within"]')
        found = INTERVAL.match(revenue.locator("td:nth-child(4)").inner_text())
        gamma = organisation.truth["outcomes"]["revenue_gamma"]  # %/point, stored outcomes
        assert found and float(found.group(1)) <= gamma <= float(found.group(2))
        diagram = page.locator("#path-diagram li").first
        expect(diagram).to_contain_text("employee hearts (t − 1)")
        expect(diagram).to_contain_text("customer hearts (t)")
        expect(page.locator("#chart-effects svg")).to_be_visible()
        expect(page.locator("#confidential-note")).to_contain_text("left out")
        assert_accessible(page, True, "linkage page")
        screenshot(page, "linkage")

        # No lag: the same month's employees and customers, said so in the statement.
        page.get_by_label("Customers lag employees by").select_option("0")
        page.get_by_role("button", name="Show").click()
        expect(statement).to_contain_text("the same month")
