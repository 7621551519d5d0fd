"""The home page is where a programme lead starts: headline customer KPIs with intervals,
every survey with responses, response rate and dates, links onward; a manager's figures
are their part of the organisation only. It stays cheap: a handful of metric queries."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from rapport.analytics.engines import OperationalEngine
from rapport.analytics.suppression import SuppressionPolicy
from rapport.domain.org import Principal, Role
from rapport.services import metrics, overview
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.test_dashboard_truth import _label, _login, _month, _store, seed_employee_org
from tests.integration._survey_fixtures import PASSWORD, seed_org

pytestmark = pytest.mark.browser


def test_home_shows_headline_kpis_and_surveys_with_dates_and_rates(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_org(sqlite_db)
    _store(sqlite_db, sid, {2: 30, 1: 3})  # last month: too few for a headline
    _login(page, server)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Customers, {_label(_month(2))}")).to_be_visible()
    for kpi in ("nps", "hearts", "minds"):
        tile = page.locator(f'[data-kpi="{kpi}"]')
        expect(tile).to_contain_text("95% CI [")
        expect(tile).to_contain_text("n=30")
    row = page.locator('#home-surveys tr[data-survey="every-type"]')
    expect(row).to_contain_text("33")
    expect(row).to_contain_text("no invitations sent")
    expect(row).to_contain_text(f"{_label(_month(2))}-01")  # first response, a day
    expect(row).to_contain_text(f"{_label(_month(1))}-01")  # latest response
    screenshot(page, "home")
    row.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Every question type")


def test_a_manager_counts_only_their_units(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    _store(sqlite_db, sid, {1: 12})  # all in North store 1
    _store(sqlite_db, sid, {1: 7}, unit="south")
    page.goto(sqlite_live_server.url + "/login")
    page.get_by_label("E-mail address").fill("north@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    row = page.locator('#home-surveys tr[data-survey="every-type"]')
    expect(row.locator("td.num").first).to_have_text("12")


def test_the_home_page_computes_a_handful_of_metrics(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = seed_org(sqlite_db)
    _store(sqlite_db, sid, {3: 20, 2: 20, 1: 20})
    calls: list[str] = []
    real = metrics.compute

    def counted(*args: object, **kwargs: object) -> metrics.MetricResult:
        calls.append(args[2].metric)  # type: ignore[attr-defined]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(metrics, "compute", counted)
    admin = Principal("user", 1, "admin", Role.ADMIN)
    with sqlite_db.unit_of_work(readonly=True) as uow:
        found = overview.overview(
            uow, OperationalEngine(sqlite_db.engine), admin, SuppressionPolicy()
        )
    assert [t.row.n for t in found.headline if t.row] == [20, 20, 20]
    assert sorted(calls) == ["hearts", "minds", "nps", "response_rate"]


def test_employee_surveys_show_closed_period_counts_only_and_hide_small_groups(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    sid = seed_employee_org(sqlite_db)
    _store(sqlite_db, sid, {2: 8, 1: 6, 0: 3})  # last closed month: 6 in North store 1
    _store(sqlite_db, sid, {1: 3}, unit="south")  # under the threshold of 5
    _login(page, sqlite_live_server)
    row = page.locator('#home-surveys tr[data-survey="pulse"]')
    expect(row.locator("td.num").first).to_contain_text(f"9 ({_label(_month(1))})")
    expect(row).not_to_contain_text(f"{_label(_month(0))}")  # the open month: never
    expect(row).not_to_contain_text(re.compile(r"\b20\b"))  # the all-time count
    assert not re.search(r"\d{4}-\d\d-\d\d", row.inner_text())  # no days
    # North's 6 would give away South's 3 (the total minus North), so both are hidden.
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("E-mail address").fill("north@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    row = page.locator('#home-surveys tr[data-survey="pulse"]')
    expect(row.locator("td.num").first).to_contain_text("hidden to protect anonymity")
    expect(row).not_to_contain_text(re.compile(r"\b6\b"))
    screenshot(page, "home-manager-employee")
