"""The dashboard's Closed loop section shows the closed-loop metrics with their intervals,
the same figures the REST API gives, for a manager's region."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import Role
from rapport.services import auth
from rapport.services.clock import utcnow
from rapport.storage.uow import Database
from rapport.web.templating import digits, format_number
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_dashboard import _seed_scores
from tests.integration._survey_fixtures import GOOD_ANSWERS, PASSWORD
from tests.integration.test_case_metrics import _case

pytestmark = pytest.mark.browser


def test_a_manager_reads_closed_loop_figures_on_the_dashboard(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    sid = _seed_scores(sqlite_db)
    start = utcnow() - timedelta(days=3)
    for i, hours in enumerate([1.5, 3.0, 6.0, 12.0]):
        case_id = _case(sqlite_db, sid, "north-1", start + timedelta(hours=i), GOOD_ANSWERS)
        with sqlite_db.unit_of_work() as uow:
            uow.cases.add_note(case_id, "owner", start + timedelta(hours=i + hours), "called")
    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "manager-token", Role.MANAGER, "north")
    log_in(page, server.url, "north@example.com", PASSWORD)
    page.goto(server.url + "/dashboard?survey=every-type&unit=north")
    section = page.locator("#section-closed-loop")
    expect(section.get_by_role("heading", name="Closed loop")).to_be_visible()
    tile = section.locator('[data-closed-loop="cases.time_to_first_contact"]')
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api:
        rows = api.get("/api/v1/metrics", params={"survey": "every-type", "unit": "north",
                       "metric": "cases.time_to_first_contact"}).json()["rows"]  # fmt: skip
    [row] = rows
    assert row["n"] == 4 and abs(row["value"] - 5.625) < 1e-9
    expect(tile.locator(".value")).to_have_text(f"{format_number(row['value'], 1)} h")
    places = digits(SimpleNamespace(value=row["value"], lower=row["lower"], upper=row["upper"]))
    low, high = (format_number(row[k], places) for k in ("lower", "upper"))
    expect(tile).to_contain_text(f"95% CI [{low}, {high}]")
    expect(tile).to_contain_text("n=4")
    sla = section.locator('[data-closed-loop="cases.closed_within_sla"]')
    expect(sla).to_contain_text("no cases yet")  # none resolved or escalated
    screenshot(page, "closed-loop-dashboard")
