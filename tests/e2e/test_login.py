"""A person logs in through the real login page in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role, UnitKind
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "a-long-enough-password"


def _admin(db: Database) -> None:
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
        uow.units.add("north", "North region", UnitKind.REGION, root)
        auth.create_user(uow, "admin@example.com", PASSWORD, Role.ADMIN)


def test_login_logout_and_screenshot(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    _admin(sqlite_db)
    page.goto(sqlite_live_server.url + "/")
    expect(page).to_have_url(sqlite_live_server.url + "/login?next=/")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill("wrong-password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("e-mail address or password is not correct")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text("Your part of the organisation: 2 units")).to_be_visible()
    expect(page.locator("#home-surveys")).to_contain_text("No surveys yet")
    shot = screenshot(page, "login-overview")
    assert shot.stat().st_size > 5_000

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(sqlite_live_server.url + "/login")


def test_login_form_without_csrf_token_is_refused(sqlite_live_server: LiveServer) -> None:
    import httpx

    r = httpx.post(
        sqlite_live_server.url + "/login",
        data={"email": "a@example.com", "password": "x"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 403
    assert "expired" in r.text
