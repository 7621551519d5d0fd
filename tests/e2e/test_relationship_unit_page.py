"""Browser acceptance of issue 15 item 7 on the demo (seed 7): a store manager logs in, the
home page lists their drifting store as needing attention and why; they open its
relationship page and see the stage with its probability, the evidence, the stage chart,
employees next to customers, suggestions with intervals and their action. A manager sees
only their subtree: another region's unit page is refused and the map's download holds
their rows only."""

from __future__ import annotations

import csv
import io
import time
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import SYSTEM, Role
from rapport.services import actions, auth, demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser
STORE = "north-store-03"  # planted drifting to taken for granted (demo truth)
EMAIL = "manager.store@example.com"


def test_store_manager_is_led_from_home_to_their_unit_page(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(sqlite_db, org)
    assert STORE in org.truth["drift"]["stores"]
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.MANAGER, STORE)
        title = "Breakfast with the team and a new rota chosen by staff"
        new = actions.NewAction(STORE, title, date(2026, 6, 1), "", "warmer service")
        actions.log_action(uow, SYSTEM, new)

    log_in(page, sqlite_live_server.url, EMAIL, demo.DEMO_PASSWORD)
    listed = page.locator("#home-attention-list li")
    expect(listed).to_have_count(1)  # only their own store, never another's
    item = page.locator(f'#home-attention-list li[data-unit="{STORE}"]')
    expect(item).to_contain_text("taken for granted")
    expect(item).to_contain_text("probability 0.")
    expect(item).to_contain_text("since baseline")  # the evidence: why
    screenshot(page, "home-store-manager")

    started = time.perf_counter()
    item.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwind Newcastle")
    expect(page.locator("#chart-history svg")).to_be_visible()
    print(f"unit page (demo, store manager): {time.perf_counter() - started:.2f} s to a chart")
    current = page.locator("#current-stage")
    assert current.get_attribute("data-stage") in ("taken_for_granted", "at_risk")
    expect(current).to_contain_text("probability 0.")
    expect(page.locator("#current-evidence")).to_contain_text("hearts")
    expect(page.locator("#current-evidence")).to_contain_text("since baseline")
    # The stage chart draws one bar per row of its table, each labelled with its probability.
    periods = page.locator("#table-history tbody tr")
    bars = page.locator("#chart-history g.mark-rect path")
    assert bars.count() == periods.count() == 15
    assert "probability" in (bars.last.get_attribute("aria-label") or "")
    expect(page.locator("#alarm-list")).to_contain_text("hearts CUSUM")
    # Employees next to customers, each with an interval and n (10 employees: shown).
    hearts = page.locator('#table-signals tr[data-signal="hearts"]')
    expect(hearts).to_contain_text("95% CI [")
    assert hearts.locator("td.num").count() == 2
    # What to try next: the weakest employee items with intervals and a documented text.
    suggestions = page.locator("#suggestion-list li")
    expect(suggestions).to_have_count(3)
    expect(suggestions.first).to_contain_text("95% CI [")
    expect(page.locator("#section-suggestions")).to_contain_text("within noise")
    # Their action, with the honest verdict: one treated store cannot be compared.
    action = page.locator("#action-list li").first
    expect(action).to_contain_text(title)
    expect(action.locator(".effect")).to_have_attribute("data-verdict", "insufficient_data")
    expect(page.locator("#chart-tenure svg")).to_be_visible()
    assert_accessible(page, True, "unit relationship page")
    screenshot(page, "relationship-unit-store-manager")

    # Scope: another region's store is refused; the map and its CSV hold their store only.
    refused = page.request.get(sqlite_live_server.url + "/relationships/unit?unit=west-store-01")
    assert refused.status == 403
    exported = page.request.get(sqlite_live_server.url + "/relationships/map.csv")
    assert exported.ok
    rows = list(csv.DictReader(io.StringIO(exported.text())))
    assert {r["unit"] for r in rows} == {STORE} and len(rows) == 15
    assert {r["region"] for r in rows} == {"North region"}
    png = page.request.get(sqlite_live_server.url + "/relationships/map.png")
    assert png.body()[:4] == b"\x89PNG"
