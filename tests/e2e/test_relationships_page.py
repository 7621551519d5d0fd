"""Managers on the demo (seed 7; one demo load for both, it is the slow part).

A region manager opens the relationships page: their units only, the stage map drawn, the
drifting store of their region listed as needing attention, with why, and the honeymoon
curve of their region (the planted fall in the first year).

A store manager (issue 15 item 7's acceptance) logs in: the home page lists their drifting
store as needing attention and why; they open its relationship page and see the stage with
its probability, the evidence, the stage chart, employees next to customers, suggestions
with intervals and their action. Only their subtree: another region's unit page is refused
and the map's download holds their rows only."""

from __future__ import annotations

import csv
import io
import re
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
EMAIL = "manager.north@example.com"
STORE = "north-store-03"  # planted drifting to taken for granted (demo truth)
STORE_EMAIL = "manager.store@example.com"


def test_managers_see_their_units_who_needs_attention_and_their_unit_page(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    org = demo.generate(seed=7, units=40, months=15)
    demo.load(sqlite_db, org)
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.MANAGER, "north")
    north = {"north"} | {u.code for u in org.units if u.parent_code == "north"}
    drifting = set(org.truth["drift"]["stores"]) & north
    assert drifting == {STORE}
    with sqlite_db.unit_of_work() as uow:
        auth.create_user(uow, STORE_EMAIL, demo.DEMO_PASSWORD, Role.MANAGER, STORE)
        title = "Breakfast with the team and a new rota chosen by staff"
        new = actions.NewAction(STORE, title, date(2026, 6, 1), "", "warmer service")
        actions.log_action(uow, SYSTEM, new)

    log_in(page, sqlite_live_server.url, EMAIL, demo.DEMO_PASSWORD)
    home = page.locator("#home-attention-list li")
    expect(home.first).to_be_visible()
    on_home = {home.nth(i).get_attribute("data-unit") for i in range(home.count())}
    assert drifting <= on_home <= north, on_home
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
    page.get_by_role("button", name="Log out").click()
    _store_manager(page, sqlite_live_server, title)


def _store_manager(page: Page, server: LiveServer, title: str) -> None:
    log_in(page, server.url, STORE_EMAIL, demo.DEMO_PASSWORD)
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
    # The further signals of both sides: the planted "taken for granted" picks of this
    # drifting store's customers (over half of them by then), and employee-side rows.
    extra = page.locator("#table-extra-signals")
    neglect = extra.locator('tr[data-signal="picked.taken_for_granted"][data-side="customer"]')
    expect(neglect).to_contain_text("95% CI [")
    assert float(neglect.locator("td.num").inner_text()) > 40
    assert extra.locator('tr[data-side="employee"]').count() > 0
    # What to try next: the weakest employee items with intervals and a documented text.
    suggestions = page.locator("#suggestion-list li")
    expect(suggestions).to_have_count(3)
    expect(suggestions.first).to_contain_text("95% CI [")
    expect(page.locator("#section-suggestions")).to_contain_text("within noise")
    # Their action, with the honest verdict: one treated store cannot be compared.
    action = page.locator("#action-list li").first
    expect(action).to_contain_text(title)
    expect(action.locator(".effect")).to_have_count(0)  # estimated when asked: it is dear
    assert_accessible(page, True, "unit relationship page")
    screenshot(page, "relationship-unit-store-manager")
    action.get_by_role("link", name="Estimate its effect on customer hearts", exact=True).click()
    action = page.locator("#action-list li").first
    expect(action.locator(".effect")).to_have_attribute("data-verdict", "insufficient_data")
    expect(action).to_contain_text("need 2")  # one treated store cannot be compared
    expect(page.locator("#chart-tenure svg")).to_be_visible()

    # Scope: another region's store is refused; the map and its CSV hold their store only.
    refused = page.request.get(server.url + "/relationships/unit?unit=west-store-01")
    assert refused.status == 403
    exported = page.request.get(server.url + "/relationships/map.csv")
    assert exported.ok
    rows = list(csv.DictReader(io.StringIO(exported.text())))
    assert {r["unit"] for r in rows} == {STORE} and len(rows) == 15
    assert {r["region"] for r in rows} == {"North region"}
    png = page.request.get(server.url + "/relationships/map.png")
    assert png.body()[:4] == b"\x89PNG"
