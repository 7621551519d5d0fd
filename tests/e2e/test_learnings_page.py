"""The demo's closed loop in Chromium: its rule opened more cases per response in the
drifting stores than in the stable ones; the learning log lists the demo's learnings by
theme, the west programme's change is measured by difference in differences and holds the
planted +4 hearts, the organisation-wide policy change by a before/after difference; and a
case closed with a learning on its page joins the log."""

from __future__ import annotations

import math
import time
from collections import Counter

import pytest
from playwright.sync_api import Page, expect

from rapport.services import demo
from rapport.services.demo.closed_loop import RULE_NAME
from rapport.storage.repositories.cases import CaseFilter
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser


def _rates(db: Database, org: demo.DemoOrganisation) -> tuple[int, int, int, int]:
    """(cases, responses) of the drifting stores, then of the stable ones."""
    with db.unit_of_work(readonly=True) as uow:
        codes = {u.id: u.code for u in uow.units.all()}
        found = uow.cases.find(CaseFilter(limit=100_000))
        [rule] = uow.alert_rules.all()
    assert rule.name == RULE_NAME and {c.rule_id for c in found} == {rule.id}
    cases = Counter(codes[c.unit_id] for c in found)
    answered = Counter(
        r.unit_code for r in org.responses if r.survey_key == "customer-relationship"
    )
    drifting = set(org.truth["drift"]["stores"])
    d = [u for u in answered if u in drifting]
    s = [u for u in answered if u not in drifting]
    return (
        sum(cases[u] for u in d),
        sum(answered[u] for u in d),
        sum(cases[u] for u in s),
        sum(answered[u] for u in s),
    )


def test_the_demo_learning_log_and_closing_a_case_with_a_learning(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    org = demo.generate(seed=7)
    demo.load(sqlite_db, org)

    # More cases per response in the drifting stores (two-proportion z test).
    cd, nd, cs, ns = _rates(sqlite_db, org)
    pd_, ps = cd / nd, cs / ns
    pooled = (cd + cs) / (nd + ns)
    z = (pd_ - ps) / math.sqrt(pooled * (1 - pooled) * (1 / nd + 1 / ns))
    print(
        f"cases per response: drifting {cd}/{nd} = {pd_:.3f}, stable {cs}/{ns} = {ps:.3f}, z {z:.1f}"
    )
    assert pd_ > ps and z > 5
    # Every detractor response opened a case (anger opens more): the rule path, not a copy.
    detractors = sum(
        1
        for r in org.responses
        if r.survey_key == "customer-relationship" and r.answers["nps"] <= 6
    )
    assert cd + cs >= detractors

    log_in(page, sqlite_live_server.url, demo.DEMO_ADMIN, demo.DEMO_PASSWORD)
    started = time.perf_counter()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Learnings", exact=True
    ).click()
    expect(page.locator("#learning-count")).to_have_text("3 learning(s).")
    print(f"learnings page (demo, admin): {time.perf_counter() - started:.2f} s")
    west = page.locator("article.learning", has_text="West stores").first
    row = west.locator("tr[data-method='did']")
    expect(row).to_have_attribute("data-verdict", "effect")
    text = row.locator(".verdict").inner_text()
    low, high = (float(v) for v in text.split("interval ")[1].split(")")[0].split(" to "))
    assert low < 4.0 < high, text  # planted: +8 employee hearts × β 0.5 on customers
    drift = page.locator("article.learning", has_text="taken for granted").first
    dated = drift.locator("tr[data-method='did']")
    expect(dated).not_to_have_attribute("data-verdict", "effect")  # no recovery was planted
    undated = drift.locator("tr[data-method='before_after']")
    expect(undated).to_have_count(1)
    policy = page.locator("article.learning", has_text="Returns policy").first
    expect(policy.locator("tr[data-method='before_after']")).to_have_count(1)
    expect(policy).to_contain_text("the whole organisation")
    assert_accessible(page, True, "learnings page")
    screenshot(page, "learnings-demo")

    # Close an open case from its page with a learning: it joins the log, linked both ways.
    with sqlite_db.unit_of_work(readonly=True) as uow:
        case = uow.cases.find(CaseFilter(status="open", limit=1))[0]
    page.goto(f"{sqlite_live_server.url}/cases/{case.id}")
    page.select_option("#c-code", "contacted_resolved")
    page.fill("#c-title", "Card machine offline at lunch")
    page.select_option("#c-area", "technology")
    page.fill("#c-change", "A spare card reader in every store")
    page.get_by_role("button", name="Close case").click()  # what happened is missing
    expect(page.locator("#case-report")).to_contain_text("what_happened")
    expect(page.locator("#case-status")).to_have_text("open")  # nothing was saved
    page.fill("#c-happened", "The only card machine failed; the queue reached the door.")
    page.fill("#c-changed-on", "2026-05-01")
    page.fill("#c-themes", "Queues, payments")
    page.get_by_role("button", name="Close case").click()
    expect(page.locator("#case-status")).to_have_text("closed")
    page.get_by_role("link", name="Learning 4", exact=True).click()
    expect(page.locator("#learning-count")).to_have_text("4 learning(s).")
    expect(page.locator("#learning-4")).to_contain_text("Card machine offline at lunch")
    screenshot(page, "learnings-after-close")
