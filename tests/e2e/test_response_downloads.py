"""The survey page offers the responses in every export format to those who may export
them, in a real browser: the downloads open in pyreadstat and JSON; a manager is offered
none on an employee survey (raw rows are admins' only there)."""

from __future__ import annotations

import copy
import json

import pyreadstat
import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import SYSTEM
from rapport.services import responses, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import log_in
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, PASSWORD, seed_org

pytestmark = pytest.mark.browser
LINKS = (
    "Responses as CSV",
    "Responses as Parquet",
    "Responses as JSON",
    "Responses as SPSS (.sav)",
)


def _seed(db: Database) -> tuple[int, int]:
    sid = seed_org(db)
    employee = copy.deepcopy(EVERY_TYPE) | {"key": "staff-pulse", "audience": "employee"}
    with db.unit_of_work() as uow:
        eid = surveys.save_definition(uow, SYSTEM, surveys.parse_definition(employee)).survey_id
        store = uow.units.by_code("north-1")
        assert store is not None
        published = surveys.get_published(uow, sid)
        for nps in (3, 9):
            given = {**GOOD_ANSWERS, "nps": nps}
            if nps > 6:
                del given["why"]
            sub = responses.Submission(answers=given, unit_id=store.id)
            responses.submit(uow, published, sub)
    return sid, eid


def test_downloads_on_the_survey_page(page: Page, tmp_path, sqlite_db: Database) -> None:
    sid, eid = _seed(sqlite_db)
    with LiveServer(make_settings(tmp_path, sqlite_db), sqlite_db) as live:
        log_in(page, live.url, "admin@example.com", PASSWORD)
        page.goto(f"{live.url}/surveys/{sid}")
        for name in LINKS:
            expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
        with page.expect_download() as got_sav:
            page.get_by_role("link", name="Responses as SPSS (.sav)", exact=True).click()
        assert got_sav.value.suggested_filename == f"survey-{sid}.sav"
        frame, meta = pyreadstat.read_sav(str(got_sav.value.path()))
        assert frame["nps"].tolist() == [3.0, 9.0]
        assert meta.column_names_to_labels["nps"] == "How likely are you to recommend us?"
        with page.expect_download() as got_json:
            page.get_by_role("link", name="Responses as JSON", exact=True).click()
        records = json.loads(got_json.value.path().read_text("utf-8"))
        assert [r["answers"]["nps"] for r in records] == [3, 9]
        page.goto(f"{live.url}/surveys/{eid}")  # an admin may export an employee survey
        expect(page.locator("#response-downloads")).to_be_visible()

        page.context.clear_cookies()
        log_in(page, live.url, "north@example.com", PASSWORD)
        page.goto(f"{live.url}/surveys/{sid}")  # a manager: their part of a customer survey
        expect(page.get_by_role("link", name="Responses as CSV", exact=True)).to_be_visible()
        page.goto(f"{live.url}/surveys/{eid}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Every question type")
        expect(page.locator("#response-downloads")).to_have_count(0)
