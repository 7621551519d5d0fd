"""A manager opens the dashboard: only their subtree, heatmap, PNG and CSV downloads that
agree with the REST API."""

from __future__ import annotations

import csv
import io
import re

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth, responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in, screenshot
from tests.integration._survey_fixtures import PASSWORD, seed_org

pytestmark = pytest.mark.browser


def _seed_scores(db: Database) -> int:
    """The every-type survey with 40 scored responses in each of north-1 and south."""
    sid = seed_org(db)
    rng = np.random.default_rng(3)
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        subs = []
        for code in ("north-1", "south"):
            unit = uow.units.by_code(code)
            assert unit is not None
            for i in range(40):
                nps = int(rng.integers(0, 11))
                answers = {
                    "nps": nps,
                    "csat": int(rng.integers(1, 6)),
                    "ces": int(rng.integers(1, 8)),
                    "delight": int(rng.integers(1, 6)),
                    "minds": {"ease": int(rng.integers(1, 6)), "fast": int(rng.integers(1, 6))},
                }
                segment = {"segment": "premium" if i % 4 == 0 else "everyday"}
                subs.append(
                    responses.Submission(answers=answers, unit_id=unit.id, attributes=segment)
                )
        responses.store_many(uow, published, subs, validate=True)
    return sid


def test_manager_sees_subtree_downloads_png_and_csv_matching_api(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = _seed_scores(sqlite_db)
    log_in(page, server.url, "north@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    heatmap = page.locator("#section-heatmap")
    expect(heatmap.get_by_role("heading", name="Units × metrics")).to_be_visible()
    expect(page.locator("#chart-heatmap svg")).to_be_visible()  # drawn by vega-embed
    # Expressions run in vega-interpreter (the CSP allows no eval) and the tooltip is
    # styled by rapport.css (no injected <style>): hovering a cell shows its values.
    cell = page.locator('#chart-heatmap svg path[aria-label*="North store 1"][aria-label*="value"]')
    cell.first.hover(position={"x": 4, "y": 4}, force=True)
    expect(page.locator("#vg-tooltip-element.visible")).to_contain_text("North")
    heatmap.get_by_text("Data table").click()
    table = page.locator("#table-heatmap")
    expect(table).to_contain_text("North store 1")
    expect(table).not_to_contain_text("South")
    screenshot(page, "dashboard-manager")

    with page.expect_download() as png_download:
        heatmap.get_by_role("link", name="PNG").click()
    png = png_download.value.path().read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000

    with page.expect_download() as csv_download:
        heatmap.get_by_role("link", name="CSV data").click()
    rows = list(csv.DictReader(io.StringIO(csv_download.value.path().read_text())))
    nps_csv = {r["unit"]: float(r["value"]) for r in rows if r["metric"] == "NPS" and r["value"]}
    assert set(nps_csv) == {"North", "North store 1"}

    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "m", Role.MANAGER, "north")
    api = httpx.get(
        f"{server.url}/api/v1/metrics",
        params={"survey": sid, "metric": "nps", "by": "unit"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    nps_api = {r["unit_name"]: r["value"] for r in api["rows"] if r["value"] is not None}
    assert nps_api == pytest.approx(nps_csv, abs=1e-9)
    assert not any(re.search("South", name) for name in nps_api)


def test_admin_narrows_to_an_audience_and_a_segment(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    _seed_scores(sqlite_db)
    log_in(page, server.url, "admin@example.com", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_label("Survey").select_option(label="All customer surveys")
    page.get_by_label("Segment").select_option(label="segment: premium")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "All customer surveys · segment: premium"
    )
    tile = page.locator('[data-kpi="nps"]')
    expect(tile).to_contain_text("n=20")  # every fourth of the 80 responses
    screenshot(page, "dashboard-segment")

    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "a", Role.ADMIN, None)
    api = httpx.get(
        f"{server.url}/api/v1/metrics",
        params={"audience": "customer", "metric": "nps", "segment": "segment=premium"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    [row] = api["rows"]
    assert row["n"] == 20 and row["attribute"] == "premium"
    value = tile.locator(".value").inner_text().split()[0].replace("−", "-")
    assert float(value) == pytest.approx(row["value"], abs=0.5)
