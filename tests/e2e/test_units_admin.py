"""A new organisation in Chromium: the home page says how to start, and an admin builds the
unit tree on /admin/units (add, upload a CSV, a refused file, rename, move, archive); the
pages pass axe-core and break no Content-Security-Policy rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import SYSTEM, Role, UnitKind
from rapport.services import auth, units
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, screenshot
from tests.integration._survey_fixtures import PASSWORD

pytestmark = pytest.mark.browser


def test_an_admin_builds_the_tree_of_a_new_organisation(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database, tmp_path: Path
) -> None:
    with sqlite_db.unit_of_work() as uow:
        units.create(uow, SYSTEM, "acme", "Acme", UnitKind.COMPANY)
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.ADMIN)
    page.goto(sqlite_live_server.url + "/login")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    steps = page.locator("#getting-started")
    expect(steps.get_by_role("heading", name="Getting started")).to_be_visible()
    expect(steps.locator("li")).to_have_count(3)
    expect(steps).to_contain_text("rapport org import units.csv")
    assert_accessible(page, True, "home of a new organisation")
    steps.get_by_role("link", name="add and upload units").click()

    expect(page.get_by_role("heading", name="Units", exact=True)).to_be_visible()
    page.get_by_label("Code").fill("north")
    page.get_by_label("Name", exact=True).fill("North")
    page.get_by_label("Kind").select_option("region")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("status")).to_contain_text("Added North (north)")

    good = tmp_path / "units.csv"
    good.write_text("code,parent,name,kind\nsouth,acme,South,region\nn1,north,North 1,store\n")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 added")
    expect(page.locator('tr[data-unit="n1"] th')).to_have_class("depth-2")

    bad = tmp_path / "bad.csv"
    bad.write_text("code,parent,name,kind\nx1,nowhere,X,store\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#units-report")).to_contain_text("row 2, column parent: no unit 'nowhere'")
    assert_accessible(page, True, "units page with an import report")

    row = page.locator('tr[data-unit="n1"]')
    row.get_by_label("New name of n1").fill("Northgate")
    row.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("status")).to_contain_text("Renamed n1 to Northgate")
    row = page.locator('tr[data-unit="n1"]')
    row.get_by_label("New parent of n1").fill("south")
    row.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text("Moved n1 to acme/south")
    page.locator('tr[data-unit="n1"]').get_by_role("button", name="Archive").click()
    expect(page.get_by_role("status")).to_contain_text("Archived n1")
    expect(page.locator('tr[data-unit="n1"]')).to_contain_text("archived")
    expect(page.locator('tr[data-unit="n1"]').get_by_role("button", name="Reopen")).to_be_visible()
    screenshot(page, "admin-units")
    assert_accessible(page, True, "units page")
