"""Creating invitation links on the survey page, in a real browser: redirect-after-POST
with a message naming the unit at the top, the unit kept selected, the list paged, CSV and
ZIP downloads, and a second click that does not issue duplicates."""

from __future__ import annotations

import csv
import io
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import screenshot
from tests.e2e.test_survey_import import _in_first_screen, _log_in
from tests.integration._survey_fixtures import seed_org

pytestmark = pytest.mark.browser
CUSTOMERS = 3 + 57  # seed_org's three and these


def _seed(db: Database) -> int:
    sid = seed_org(db)
    with db.unit_of_work() as uow:
        store = uow.units.by_code("north-1")
        assert store is not None
        uow.people.add_many(
            {
                "kind": "customer",
                "unit_id": store.id,
                "external_id": f"x{i:02d}",
                "name": f"Extra {i:02d}",
                "email": None,
                "language": "en",
                "relationship_start": None,
                "attributes": {},
                "consent_email": False,
            }
            for i in range(57)
        )
    return sid


def _create(page: Page, unit: str, kind: str) -> None:
    page.get_by_label("Unit", exact=True).select_option(label=unit)
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Create links").click()


def test_invitations_redirect_name_the_unit_page_the_list_and_download(
    page: Page, tmp_path, sqlite_db: Database
) -> None:
    sid = _seed(sqlite_db)
    settings = make_settings(tmp_path, sqlite_db, base_url="https://survey.example.com/")
    with LiveServer(settings, sqlite_db) as live:
        _log_in(page, live.url)
        page.goto(f"{live.url}/surveys/{sid}")
        _create(page, "North store 1", "Single-use invitations")
        # Redirect-after-POST: the browser is at a GET that keeps the unit.
        url = urlsplit(page.url)
        assert url.path == f"/surveys/{sid}"
        query = parse_qs(url.query)
        assert query["unit"] == ["north-1"] and "distribution" in query
        message = page.get_by_role("status").filter(has_text="Issued")
        expect(message).to_have_text(f"Issued {CUSTOMERS} invitation links for North store 1.")
        _in_first_screen(message)
        expect(page.get_by_label("Unit", exact=True)).to_have_value("north-1")
        rows = page.locator("#issued-links tbody tr")
        expect(rows).to_have_count(25)
        expect(rows.first).to_contain_text("https://survey.example.com/s/")
        expect(page.locator(".pager")).to_contain_text(f"1–25 of {CUSTOMERS} (page 1 of 3)")
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 4000, height  # 160 inline QR codes made a 20,000-px page
        screenshot(page, "survey-links-issued")
        page.get_by_role("link", name="Next", exact=True).click()
        expect(page.locator(".pager")).to_contain_text(f"26–50 of {CUSTOMERS} (page 2 of 3)")
        expect(page.get_by_label("Unit", exact=True)).to_have_value("north-1")

        with page.expect_download() as got_csv:
            page.get_by_role("link", name="CSV", exact=True).click()
        table = list(csv.DictReader(io.StringIO(got_csv.value.path().read_text())))
        assert len(table) == CUSTOMERS
        assert all(r["link"].startswith("https://survey.example.com/s/") for r in table)
        with page.expect_download() as got_zip:
            page.get_by_role("link", name="ZIP with a QR code (PNG) per person", exact=True).click()
        with zipfile.ZipFile(got_zip.value.path()) as archive:
            names = archive.namelist()
            assert "links.csv" in names
            pngs = [n for n in names if n.startswith("qr/") and n.endswith(".png")]
            assert len(pngs) == CUSTOMERS
            assert archive.read(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"

        # The same click again issues nothing and says so, for the same unit.
        _create(page, "North store 1", "Single-use invitations")
        warning = page.locator(".warning.flash")
        expect(warning).to_contain_text(f"All {CUSTOMERS} customers of North store 1")
        expect(warning).to_contain_text("New wave")
        _in_first_screen(warning)
        expect(page.get_by_label("Unit", exact=True)).to_have_value("north-1")
        expect(page.locator("#issued-links")).to_have_count(0)
        _create(page, "North store 1", "New wave")
        expect(page.get_by_role("status").filter(has_text="Issued")).to_contain_text(
            f"Issued {CUSTOMERS} invitation links for North store 1"
        )
    with sqlite_db.unit_of_work(readonly=True) as uow:
        assert len(uow.distribution.pending_for_survey(sid)) == 2 * CUSTOMERS


def test_public_link_redirects_and_shows_its_qr_code(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    sid = _seed(sqlite_db)
    _log_in(page, sqlite_live_server.url)
    page.goto(f"{sqlite_live_server.url}/surveys/{sid}")
    _create(page, "North", "Anonymous public link")
    expect(page.get_by_role("status").filter(has_text="public link")).to_have_text(
        "Created a public link for North."
    )
    expect(page.get_by_label("Unit", exact=True)).to_have_value("north")
    link = page.locator("#public-link")
    expect(link).to_contain_text(f"{sqlite_live_server.url}/s/")
    qr = page.get_by_role("img", name="QR code for the public link")
    expect(qr).to_be_visible()
    # Visible is not loaded: wait (5 s) until the image has loaded and has a width.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=qr.element_handle(), timeout=5000
    )
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) > 0
