"""The dashboard says no more than the data do: one period for every KPI tile, trends that
break where a period has no figure, reasons instead of "no data", response rates only where
invitations were sent, eNPS on employee surveys; charts drawn by the vendored vega runtime
that matches the specs (no version warning), as wide as their container, clickable."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from rapport.analytics.periods import next_period, period_floor
from rapport.services import responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import screenshot
from tests.integration._survey_fixtures import EVERY_TYPE, PASSWORD, seed_org

pytestmark = pytest.mark.browser


def _month(back: int) -> date:
    """The first day of the month ``back`` months before the current one."""
    start = period_floor(datetime.now(UTC), "month")
    for _ in range(back):
        start = period_floor(
            datetime(start.year, start.month, 1, tzinfo=UTC) - timedelta(1), "month"
        )
    return start


def _store(
    db: Database, survey_id: int, per_month: dict[int, int], seed: int = 5, unit: str = "north-1"
) -> None:
    """``per_month[back]`` scored responses in ``unit``, ``back`` months ago (on the 1st)."""
    rng = np.random.default_rng(seed)
    with db.unit_of_work() as uow:
        published = surveys.get_published(uow, survey_id)
        where = uow.units.by_code(unit)
        assert where is not None
        subs = []
        for back, count in per_month.items():
            start = _month(back)
            when = datetime(start.year, start.month, 1, 12, tzinfo=UTC)
            if back == 0:
                when = min(when, datetime.now(UTC) - timedelta(minutes=5))
            for _ in range(count):
                answers = {
                    "nps": int(rng.integers(0, 11)),
                    "delight": int(rng.integers(1, 6)),
                    "minds": {"ease": int(rng.integers(1, 6)), "fast": int(rng.integers(1, 6))},
                }
                subs.append(
                    responses.Submission(
                        answers=answers, unit_id=where.id, submitted_at=when, channel="link"
                    )
                )
        responses.store_many(uow, published, subs, validate=True)


def seed_employee_org(db: Database) -> int:
    """The organisation with the every-type survey answered by employees (key ``pulse``)."""
    staff = copy.deepcopy(EVERY_TYPE)
    staff.update(key="pulse", audience="employee", title={"en": "Pulse", "es": "Pulso"})
    return seed_org(db, staff)


def _login(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _label(start: date) -> str:
    return start.strftime("%Y-%m")


def test_tiles_share_the_latest_full_period_and_trends_break_at_gaps(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_org(sqlite_db)
    # 30, 30, nothing, 30, then two new responses this month.
    _store(sqlite_db, sid, {4: 30, 3: 30, 1: 30, 0: 2})
    versions: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("warning", "error"):
            versions.append(message.text)

    page.on("console", on_console)
    _login(page, server)
    page.goto(server.url + "/dashboard?survey=every-type&period=month")
    shown = _label(_month(1))
    for kpi in ("nps", "hearts", "minds"):
        tile = page.locator(f'[data-kpi="{kpi}"]')
        expect(tile.locator(".label")).to_contain_text(shown)
        expect(tile).to_contain_text("n=30")
        expect(tile).not_to_contain_text("too few")
    # compared with the latest earlier period that has enough responses, not the empty one
    expect(page.locator('[data-kpi="nps"]')).to_contain_text(f"vs {_label(_month(3))}")
    expect(page.locator("#tiles-period")).to_contain_text(
        f"{_label(_month(0))}: too few responses, n=2"
    )

    # The data table: a gap (and its reason) for the empty month and the n=2 month.
    page.locator("#section-trend").get_by_text("Data table").click()
    rows = page.locator("#table-trend tbody tr")
    hearts = [r for r in rows.all_inner_texts() if r.startswith("Hearts")]
    assert len(hearts) == 5, hearts
    assert "no responses" in hearts[2] and "–" in hearts[2]
    assert "too few responses" in hearts[4] and "–" in hearts[4]

    # The drawing: each line is two pieces (months 4-3, then month 1 alone), never joined
    # across the empty month, and no point is drawn for the n=2 month.
    lines = page.locator("#chart-trend svg g.mark-line path")
    expect(lines).to_have_count(2)
    for d in lines.evaluate_all("els => els.map(e => e.getAttribute('d'))"):
        assert d.count("M") == 2, d
    points = page.locator("#chart-trend svg g.mark-symbol.role-mark path")
    expect(points).to_have_count(6)  # 3 months with a figure × 2 series
    # As wide as the card, not a fixed 560 px.
    box = page.locator("#chart-trend").bounding_box()
    svg = page.locator("#chart-trend svg").bounding_box()
    assert box is not None and svg is not None and svg["width"] > 0.9 * box["width"]
    screenshot(page, "dashboard-truth")
    assert not [m for m in versions if "WARN" in m or "Vega" in m], versions


def test_heatmap_and_quadrant_points_drill_down_to_the_unit(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_org(sqlite_db)
    _store(sqlite_db, sid, {1: 40})
    _login(page, server)
    page.goto(server.url + "/dashboard?survey=every-type")
    expect(page.locator("#chart-quadrant svg")).to_be_visible()
    # The unit charts say what they sum, beside tiles that show one month.
    expect(page.locator("#section-heatmap")).to_contain_text("Over all responses to date")
    corners = page.locator("#chart-quadrant svg text")
    expect(corners.filter(has_text=re.compile("^hearts and minds$"))).to_have_count(1)
    expect(corners.filter(has_text="neither")).to_have_count(1)
    point = page.locator(
        '#chart-quadrant svg g.mark-symbol.role-mark path[aria-label*="North store 1"]'
    )
    point.first.click(force=True)
    page.wait_for_url(re.compile(r"unit=north-1"))
    expect(page.get_by_label("Part of the organisation")).to_have_value("north-1")


def test_employee_survey_reads_enps_and_hides_small_periods(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_employee_org(sqlite_db)
    # the latest closed month has 3 responses (under the threshold of 5)
    _store(sqlite_db, sid, {3: 30, 2: 30, 1: 3})
    _login(page, server)
    page.goto(server.url + "/dashboard?survey=pulse")
    tile = page.locator('[data-kpi="nps"]')
    expect(tile.locator(".label")).to_contain_text(f"eNPS · {_label(_month(2))}")
    expect(page.locator("#tiles-period")).to_contain_text(
        f"{_label(_month(1))}: hidden to protect anonymity"
    )
    expect(page.locator("#tiles-period")).not_to_contain_text("n=3")
    expect(page.locator("#section-quadrant")).to_contain_text("Over the latest closed month")
    page.locator("#section-trend").get_by_text("Data table").click()
    last = page.locator("#table-trend tbody tr").filter(has_text="Hearts").last
    expect(last).to_contain_text("hidden to protect anonymity")
    screenshot(page, "dashboard-employee")


def test_response_rate_says_why_there_is_none_for_links(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = seed_org(sqlite_db)
    _store(sqlite_db, sid, {1: 12})
    _login(page, server)
    page.goto(f"{server.url}/surveys/{sid}")
    row = page.locator('#unit-results tr[data-unit="north-1"]')
    expect(row).to_contain_text("12")
    expect(row).to_contain_text("—")
    expect(row).to_contain_text("no invitations sent")
    expect(row).not_to_contain_text("0%")


def test_interval_that_rounds_to_a_point_gets_a_decimal() -> None:
    from types import SimpleNamespace

    from rapport.web.templating import digits, format_number

    narrow = SimpleNamespace(value=60.04, lower=59.8, upper=60.3)
    assert digits(narrow) == 1
    assert format_number(narrow.lower, digits(narrow)) != format_number(
        narrow.upper, digits(narrow)
    )
    assert digits(SimpleNamespace(value=60, lower=50.0, upper=70.0)) == 0
    assert next_period(_month(1), "month") == _month(0)
