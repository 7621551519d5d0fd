"""The comment explorer pages through comments on the server ("showing N of M", also in the
API), names themes with phrases, says a comment can show several emotions, and for small
employee groups shows neither dates nor per-month shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role, UnitKind
from rapport.services import auth, responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.e2e.test_dashboard_truth import _login, seed_employee_org
from tests.integration._survey_fixtures import seed_org

pytestmark = pytest.mark.browser

SAID = [
    "The queue was far too long again",
    "Long queue at the till and only one till open",
    "Friendly staff who really helped me",
    "The staff were friendly and kind, thanks",
    "Prices are too high now, everything is expensive",
    "The price of coffee went up again",
]


def _comments(db: Database, sid: int, count: int, unit: str, when: datetime) -> None:
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, sid)
        where = uow.units.by_code(unit)
        assert where is not None
        for i in range(count):
            answers = {"nps": i % 11, "comment": f"{SAID[i % len(SAID)]} ({i})"}
            sub = responses.Submission(answers=answers, unit_id=where.id, submitted_at=when)
            responses.submit(uow, published, sub)


def test_customer_comments_page_through_with_phrase_themes(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_org(sqlite_db)
    _comments(sqlite_db, sid, 60, "north-1", datetime(2026, 9, 10, 12, tzinfo=UTC))
    _comments(sqlite_db, sid, 60, "south", datetime(2026, 10, 10, 12, tzinfo=UTC))
    _login(page, server)
    page.goto(f"{server.url}/surveys/{sid}/comments?sentiment=")
    pager = page.locator(".pager").first
    expect(pager).to_contain_text("Showing 1–50 of 120")
    expect(page.locator("ul.comments > li")).to_have_count(50)
    expect(page.locator("#several-emotions")).to_contain_text("several emotions")
    labels = page.locator("#themes tbody th").all_inner_texts()
    assert labels and all("/" not in label for label in labels), labels
    assert any(" " in label for label in labels), labels
    screenshot(page, "comments-customer")
    pager.get_by_role("link", name="Next 50").click()
    expect(page.locator(".pager").first).to_contain_text("Showing 51–100 of 120")
    page.locator(".pager").first.get_by_role("link", name="Next 50").click()
    expect(page.locator(".pager").first).to_contain_text("Showing 101–120 of 120")
    expect(page.locator("ul.comments > li")).to_have_count(20)
    expect(page.get_by_role("link", name="Next 50")).to_have_count(0)

    page.goto(f"{server.url}/surveys/{sid}/comments?offset=-3")
    expect(page.locator("body")).to_contain_text("offset")

    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "a", Role.ADMIN, None)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}/api/v1/surveys/{sid}/comments"
    body = httpx.get(url, params={"limit": 15, "offset": 110}, headers=headers).json()
    assert (body["matching"], body["offset"], body["limit"]) == (120, 110, 15)
    assert len(body["comments"]) == 10
    first = httpx.get(url, params={"limit": 15}, headers=headers).json()["comments"]
    assert {c["text"] for c in first}.isdisjoint(c["text"] for c in body["comments"])
    bad = httpx.get(url, params={"offset": -1}, headers=headers)
    assert bad.status_code == 422 and "offset" in bad.text


def test_small_employee_groups_show_no_dates_and_no_monthly_shares(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_employee_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        north = uow.units.by_code("north")
        assert north is not None
        uow.units.add("north-2", "North store 2", UnitKind.STORE, north)
    closed = datetime(2026, 9, 15, 12, tzinfo=UTC)
    _comments(sqlite_db, sid, 14, "north-1", closed)
    _comments(sqlite_db, sid, 4, "north-2", closed)  # a team under the comment threshold
    _comments(sqlite_db, sid, 12, "north-1", datetime(2026, 8, 3, 9, tzinfo=UTC))
    _login(page, server)
    page.goto(f"{server.url}/surveys/{sid}/comments")
    expect(page.locator("#confidential-note")).to_be_visible()
    expect(page.locator(".pager").first).to_contain_text("of 18")
    metas = page.locator("ul.comments .meta").all_inner_texts()
    assert metas and all("2026-09" in m for m in metas), metas
    day = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b|2026-09-\d\d|score")
    assert not [m for m in metas if day.search(m)], metas
    assert not [m for m in metas if "North store" in m], metas  # shown under the region
    expect(page.locator("#themes")).to_be_visible()
    expect(page.locator("#theme-trend")).to_have_count(0)
    expect(page.get_by_text("Theme share by month")).to_have_count(0)
    screenshot(page, "comments-employee")
