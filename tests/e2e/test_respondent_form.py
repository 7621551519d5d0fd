"""A respondent answers every question type through an invitation link, with and without
JavaScript; every page state is checked with axe-core for WCAG 2.1 A/AA violations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from rapport.domain.org import SYSTEM
from rapport.services import invitations
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, screenshot
from tests.integration._survey_fixtures import PASSWORD, seed_org

pytestmark = pytest.mark.browser


def _dashboard_total(page: Page, server: LiveServer, sid: int) -> int:
    page.goto(f"{server.url}/surveys/{sid}")
    return int(page.locator("#total-responses").inner_text())


def _login(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
def test_invitation_answer_every_type_then_link_is_used(
    browser: Browser, sqlite_live_server: LiveServer, sqlite_db: Database, js_enabled: bool
) -> None:
    server = sqlite_live_server
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret="k" * 32)
    link = f"{server.url}/s/{issued[0].token}"

    staff = browser.new_context().new_page()
    _login(staff, server)
    before = _dashboard_total(staff, server, sid)

    ctx = browser.new_context(
        java_script_enabled=js_enabled, viewport={"width": 390, "height": 844}
    )
    page = ctx.new_page()
    page.goto(link)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    assert_accessible(page, js_enabled, "page 1")

    # Required question left out: an error summary linked to the field.
    page.get_by_role("button", name="Next").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please choose a number from 0 to 10.")
    expect(summary).not_to_contain_text("expected")
    assert_accessible(page, js_enabled, "page 1 with errors")
    summary.get_by_role("link").first.click()
    expect(page.locator("#q-nps")).to_be_focused()

    # Language switch keeps the page.
    page.get_by_role("link", name="Español").click()
    expect(page.get_by_text("¿Nos recomendaría?")).to_be_visible()
    page.get_by_role("link", name="English").click()

    nps = page.get_by_role("group", name=re.compile("How likely are you to recommend us"))
    nps.get_by_label("4", exact=True).check()
    page.get_by_role("group", name=re.compile("How satisfied")).get_by_label(
        "1", exact=True
    ).check()
    csat_low = page.get_by_label("Sorry to hear that. What happened?")
    if js_enabled:  # display logic on the same page, applied in the browser
        expect(csat_low).to_be_visible()
    else:  # applied by the server: the page comes back with the new question shown
        page.get_by_role("button", name="Next").click()
        expect(csat_low).to_be_visible()
    csat_low.fill("The queue was long")
    page.get_by_role("group", name="It was easy.").get_by_label("6", exact=True).check()
    page.get_by_role("group", name="You delight me.").get_by_label("5", exact=True).check()
    page.get_by_role("group", name="Easy", exact=True).get_by_label("4", exact=True).check()
    page.get_by_role("group", name="Fast", exact=True).get_by_label("2", exact=True).check()
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert_accessible(page, js_enabled, "page 2")
    page.get_by_label("What went wrong?").fill("Slow checkout")  # shown because NPS ≤ 6
    page.get_by_role("group", name="Main channel").get_by_label("Web").check()
    all_channels = page.get_by_role("group", name="All channels")
    all_channels.get_by_label("Store").check()
    all_channels.get_by_label("Phone").check()
    page.get_by_label("Ignored").check()  # an emotion chip, then its intensity
    page.get_by_role("group", name="How strongly did you feel Ignored?").get_by_label(
        "Quite"
    ).check()
    page.get_by_label("Frustrated").check()
    page.get_by_role("group", name="How strongly did you feel Frustrated?").get_by_label(
        "Very"
    ).check()
    page.get_by_label("Visits this year").fill("12")
    page.get_by_label("Last visit").fill("2026-10-01")
    page.get_by_label("Anything else?").fill("Lovely staff, my e-mail is a@example.com")
    screenshot(page, f"respondent-page2-{'js' if js_enabled else 'nojs'}")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert_accessible(page, js_enabled, "thank you")

    assert _dashboard_total(staff, server, sid) == before + 1
    # One of the unit's invitations answered: its response rate, from the metrics engine.
    rate = staff.locator('tr[data-unit="north-1"] td').nth(1).inner_text()
    assert rate == f"{100 / len(issued):.0f}% of {len(issued)} invited"
    page.goto(link)
    expect(page.get_by_text("already been used")).to_be_visible()

    with sqlite_db.unit_of_work() as uow:
        stored = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=10)
    answers = {(a["question_id"], a["item"]): a for a in stored[0]["answers"]}
    assert answers[("nps", "")]["value_num"] == 4
    assert answers[("feelings", "frustrated")]["value_num"] == 3
    assert answers[("channels", "phone")]["value_num"] == 1
    assert answers[("csat_low", "")]["value_text"] == "The queue was long"
    assert stored[0]["person_id"] is not None  # a customer survey keeps the link
    ctx.close()
