"""A manager opens their region on the dashboard and reads its business outcomes beside the
key figures of the same month — the same numbers the REST API gives."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import SYSTEM, Role
from rapport.services import auth, outcome_import
from rapport.services.clock import utcnow
from rapport.storage.uow import Database
from rapport.web.templating import format_number
from tests.conftest import LiveServer
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.test_dashboard import _seed_scores
from tests.integration._survey_fixtures import PASSWORD

pytestmark = pytest.mark.browser


def test_a_manager_reads_outcomes_beside_nps_hearts_and_minds(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    server = sqlite_live_server
    _seed_scores(sqlite_db)  # 40 responses in north-1 this month: every tile has a figure
    month = utcnow().date().replace(day=1)
    data = (
        "unit,period,revenue,customer_churn_pct,complaints\n"
        f"north-1,{month:%Y-%m},182340.5,2.5,3\n"
        f"south,{month:%Y-%m},99999,9,9\n"
    )
    with sqlite_db.unit_of_work() as uow:
        outcome_import.import_outcomes(uow, SYSTEM, data.encode())
        token = auth.create_token(uow, "manager-token", Role.MANAGER, "north")
    log_in(page, server.url, "north@example.com", PASSWORD)
    page.goto(server.url + "/dashboard?survey=every-type&unit=north")
    section = page.locator("#section-outcomes")
    expect(section.get_by_role("heading", name="Business outcomes · North")).to_be_visible()
    row = section.locator("tbody tr").first
    expect(row.locator("th")).to_have_text(f"{month:%Y-%m}")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    headers = [h.strip() for h in section.locator("thead th").all_inner_texts()][1:]
    shown = dict(zip(headers, cells, strict=True))
    assert shown["Revenue"] == "182,340" and shown["Complaints"] == "3"
    assert shown["Customer churn pct (mean)"] == "2.50"
    expect(section).not_to_contain_text("99,999")  # south is not the manager's
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    with api:
        nps = api.get(
            "/api/v1/metrics", params={"survey": "every-type", "metric": "nps", "by": "period",
                                       "period": "month", "unit": "north"},
        ).json()  # fmt: skip
        revenue = api.get(
            "/api/v1/outcomes", params={"unit": "north", "outcome": "revenue", "rollup": True}
        ).json()
    [current] = [r for r in nps["rows"] if r["period"].startswith(f"{month:%Y-%m}")]
    assert shown["NPS"] == format_number(current["value"])  # as the NPS tile shows it
    assert revenue[0]["value"] == 182340.5 and revenue[0]["units"] == 1
    screenshot(page, "dashboard-outcomes")
