"""An analyst opens the ROI simulator for the demo, enters costs, sees the result with its
interval, downloads the one-page PDF, and the PDF's numbers are the page's (issue 16,
item 6 and acceptance)."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from rapport.services import demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import ARTIFACTS, assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser

ROI = re.compile(r"the ROI is (−?\d+)% \(95% CI (−?\d+)% to (−?\d+)%\)")


def test_analyst_simulates_roi_and_the_pdf_matches_the_page(
    page: Page, tmp_path, sqlite_db: Database
) -> None:
    demo.load(sqlite_db, demo.generate(seed=7, months=8))  # 8 months: half the load time
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as server:
        log_in(page, server.url, "analyst@northwind.example", demo.DEMO_PASSWORD)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="ROI").click()
        page.get_by_label("Units that invest").select_option(["north"])
        page.get_by_label("Rise (index points)").fill("5")
        page.get_by_label("One-off cost", exact=True).fill("200000")
        page.get_by_label("Cost per month", exact=True).fill("10000")
        page.get_by_role("button", name="Simulate").click()
        statement = page.locator("#roi-statement")
        expect(statement).to_contain_text("the ROI is")
        text = statement.inner_text()
        found = ROI.search(text)
        assert found, text
        value, lower, upper = (int(g.replace("−", "-")) for g in found.groups())
        assert lower < value < upper  # an interval, not a bare number
        assert "6 units" in text  # north's six stores
        table = page.locator("#roi-table")
        rows = {
            tr.locator("th").inner_text(): [td.inner_text() for td in tr.locator("td").all()]
            for tr in table.locator("tbody tr").all()
        }
        assert rows["ROI"][0] == f"{found.group(1)}%"
        assert rows["ROI"][1] == f"{found.group(2)}% to {found.group(3)}%"
        assert "P(ROI > 0)" in rows and "Payback (months)" in rows
        # The demo's within-store EX → CX path has no bounded interval: the page says the
        # pooled one is used, and why.
        expect(page.locator("#roi-notes")).to_contain_text("pooled estimate is used")
        expect(page.locator("#chart-payback svg")).to_be_visible()
        assert_accessible(page, True, "ROI page")
        screenshot(page, "roi")

        with page.expect_download() as download:
            page.get_by_role("link", name="Download the one-page PDF", exact=True).click()
        data = download.value.path().read_bytes()
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        pdf_text = " ".join(reader.pages[0].extract_text().split())
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "roi.pdf").write_bytes(data)
        assert " ".join(text.split()) in pdf_text  # the statement, every number of it
        for label, (shown, interval) in rows.items():
            line = " ".join(f"{label} {shown} {interval}".split())
            assert line in pdf_text, (line, pdf_text)
