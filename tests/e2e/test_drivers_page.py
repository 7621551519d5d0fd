"""An analyst opens the key-drivers page of the demo customer survey and sees the drivers
ranked with their intervals, hearts and minds told apart (issue 16, acceptance)."""

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

INTERVAL = re.compile(r"^\[\d+\.\d\d, \d+\.\d\d\]$")


def test_analyst_sees_the_drivers_ranked_with_intervals(
    page: Page, tmp_path, sqlite_db: Database
) -> None:
    demo.load(sqlite_db, demo.generate(seed=7))
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        log_in(page, server.url, "analyst@northwind.example", demo.DEMO_PASSWORD)
        page.goto(server.url + "/surveys")
        page.locator("tr", has_text="customer").get_by_role("link").first.click()
        started = time.perf_counter()
        page.get_by_role("link", name="Key drivers").click()
        table = page.locator("#drivers-table")
        expect(table).to_be_visible()
        print(f"drivers page (13 items, 1,000 resamples): {time.perf_counter() - started:.2f} s")
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(13)
        # Ranked: the weights fall down the table, each with its interval around it.
        weights = [float(t) for t in rows.locator("td:nth-child(4)").all_inner_texts()]
        assert weights == sorted(weights, reverse=True)
        for text in rows.locator("td:nth-child(5)").all_inner_texts():
            assert INTERVAL.match(text), text
        assert rows.first.locator("td:nth-child(3)").inner_text() == "hearts"
        expect(page.locator("#chart-ranked svg")).to_be_visible()
        expect(page.locator("#chart-matrix svg")).to_be_visible()
        assert_accessible(page, True, "drivers page")
        screenshot(page, "drivers-items")

        # The two indices: hearts outweighs minds with intervals apart (planted 0.6 vs 0.4).
        page.get_by_label("Drivers", exact=True).select_option("indices")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(2)
        assert [r.get_attribute("data-driver") for r in rows.all()] == ["hearts", "minds"]
        low, high = (
            [float(x) for x in re.findall(r"\d+\.\d+", t)]
            for t in rows.locator("td:nth-child(5)").all_inner_texts()
        )
        assert low[0] > high[1]
        screenshot(page, "drivers-indices")
