"""A region manager opens the relationships page on the demo: their units only, the stage map
drawn, the drifting store of their region listed as needing attention, with why, and the
honeymoon curve of their region (the planted fall in the first year)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser
EMAIL = "manager.north@example.com"


def test_manager_sees_their_units_and_who_needs_attention(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(sqlite_db, org)
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.MANAGER, "north")
    north = {"north"} | {u.code for u in org.units if u.parent_code == "north"}
    drifting = set(org.truth["drift"]["stores"]) & north
    assert drifting == {"north-store-03"}

    log_in(page, sqlite_live_server.url, EMAIL, demo.DEMO_PASSWORD)
    started = time.perf_counter()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Relationships").click()
    expect(page.get_by_role("heading", name="Needs attention now")).to_be_visible()
    expect(page.locator("#chart-map svg")).to_be_visible()
    opened = time.perf_counter() - started
    print(f"relationships page (demo, manager of north): {opened:.2f} s to a drawn map")

    attention = page.locator("#table-attention tbody tr")
    listed = {attention.nth(i).get_attribute("data-unit") for i in range(attention.count())}
    assert drifting <= listed <= north, listed
    row = page.locator('#table-attention tr[data-unit="north-store-03"]')
    expect(row).to_contain_text("taken for granted")
    expect(row).to_contain_text("since baseline")
    mapped = page.eval_on_selector_all(
        "#table-map tbody tr td:first-child", "cells => cells.map(c => c.textContent)"
    )
    assert set(mapped) == north
    # The map draws one labelled cell per row of the table (unit × month).
    cells = page.locator("#chart-map g.mark-rect path")
    assert cells.count() == len(mapped)
    label = cells.first.get_attribute("aria-label") or ""
    assert any(label.startswith(code) for code in north), label
    # The honeymoon curve of the manager's region: four bands, the fall named, drawn.
    expect(page.locator("#chart-tenure svg")).to_be_visible()
    bands = page.locator("#table-tenure tbody tr")
    assert [bands.nth(i).get_attribute("data-band") for i in range(4)] == [
        "0-3m", "3-12m", "1-3y", "3y+",
    ]  # fmt: skip
    # The planted honeymoon (τ = 6 months) falls within or at the end of the first year;
    # in the north region alone the largest significant fall is 3-12m → 1-3y.
    expect(page.locator("#tenure-fall")).to_have_text(
        re.compile(r"Hearts fall from (0-3m to 3-12m|3-12m to 1-3y) by \d+\.\d points")
    )
    expect(page.locator("#section-tenure")).to_contain_text("Hearts of north")
    points = page.locator("#chart-tenure g.mark-symbol path")
    assert points.count() == 4
    assert (points.first.get_attribute("aria-label") or "").startswith("0-3m")
    expect(page.locator("#tenure-fresher-none")).to_be_visible()  # none planted
    assert_accessible(page, True, "relationships page")
    screenshot(page, "relationships-manager")
