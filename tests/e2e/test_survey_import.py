"""The survey page's CSV upload in a real browser: a valid file, bad rows, a binary file,
an oversized file, and a large file that runs as a background job. Every answer is a page
(never problem+json text), and its message is at the top, in view without scrolling."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import screenshot
from tests.integration._survey_fixtures import PASSWORD, seed_org

pytestmark = pytest.mark.browser
VIEWPORT_HEIGHT = 900  # tests/e2e/conftest.py's page fixture


def _log_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Surveys")).to_be_visible()


def _upload(page: Page, url: str, sid: int, file: Path) -> None:
    page.goto(f"{url}/surveys/{sid}")
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Import").click()


def _in_first_screen(locator: Locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["y"] + min(box["height"], 60) < VIEWPORT_HEIGHT, box


def _csv(tmp_path: Path, rows: int, bad_row: int | None = None) -> Path:
    lines = ["unit,nps,csat,comment"]
    for i in range(rows):
        nps = 12 if bad_row is not None and i + 2 == bad_row else i % 11
        lines.append(f"north-1,{nps},{1 + i % 5},Fine {i % 97}")
    path = tmp_path / f"answers-{rows}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _count(db: Database, sid: int) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return uow.responses.count(sid)


def _binary(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "answers.xlsx"
    path.write_bytes((b"PK\x03\x04\x14\x00\x06\x00\x08\x00" * (size // 10 + 1))[:size])
    return path


def test_valid_file_redirects_with_the_count_at_the_top(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database, tmp_path: Path
) -> None:
    sid = seed_org(sqlite_db)
    _log_in(page, sqlite_live_server.url)
    _upload(page, sqlite_live_server.url, sid, _csv(tmp_path, 12))
    message = page.get_by_role("status").filter(has_text="Imported 12 responses")
    expect(message).to_contain_text("from answers-12.csv")
    _in_first_screen(message)
    # Redirect-after-POST: reloading the page does not post the file again.
    assert page.url == f"{sqlite_live_server.url}/surveys/{sid}"
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Imported")).to_have_count(0)
    assert _count(sqlite_db, sid) == 12


def test_bad_rows_are_listed_at_the_top_and_nothing_is_imported(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database, tmp_path: Path
) -> None:
    sid = seed_org(sqlite_db)
    _log_in(page, sqlite_live_server.url)
    _upload(page, sqlite_live_server.url, sid, _csv(tmp_path, 12, bad_row=5))
    report = page.locator("#import-report")
    expect(report).to_contain_text("answers-12.csv was not imported")
    expect(report.get_by_role("listitem")).to_contain_text(["row 5"])
    expect(report).to_contain_text("nps")
    _in_first_screen(report)
    screenshot(page, "survey-import-bad-rows")
    assert _count(sqlite_db, sid) == 0


def test_binary_file_gets_a_page_that_names_the_problem(
    page: Page, sqlite_live_server: LiveServer, sqlite_db: Database, tmp_path: Path
) -> None:
    sid = seed_org(sqlite_db)
    _log_in(page, sqlite_live_server.url)
    with page.expect_response(lambda r: r.url.endswith("/import")) as posted:
        _upload(page, sqlite_live_server.url, sid, _binary(tmp_path, 3000))
    assert posted.value.headers["content-type"].startswith("text/html")
    report = page.locator("#import-report")
    expect(report).to_contain_text("not CSV text")
    expect(report).to_contain_text("save the sheet as CSV")
    expect(page.locator("body")).not_to_contain_text('"type"')
    assert _count(sqlite_db, sid) == 0


def test_oversized_file_gets_an_html_page_from_the_edge(
    page: Page, tmp_path: Path, sqlite_db: Database
) -> None:
    sid = seed_org(sqlite_db)
    settings = make_settings(tmp_path, sqlite_db, max_import_bytes=4096)
    with LiveServer(settings, sqlite_db) as live:
        _log_in(page, live.url)
        with page.expect_response(lambda r: r.url.endswith("/import")) as posted:
            _upload(page, live.url, sid, _csv(tmp_path, 400))
        assert posted.value.status == 413
        assert posted.value.headers["content-type"].startswith("text/html")
        expect(page.get_by_role("heading", level=1)).to_have_text("The request body is too large")
        expect(page.locator("main")).to_contain_text("at most 4096 bytes")
    assert _count(sqlite_db, sid) == 0


@pytest.fixture
def job_server(tmp_path: Path, sqlite_db: Database) -> LiveServer:
    """Every upload above 1 KiB runs as a background job."""
    return LiveServer(make_settings(tmp_path, sqlite_db, import_sync_max_bytes=1024), sqlite_db)


def test_large_file_runs_as_a_job_with_a_progress_page(
    page: Page, job_server: LiveServer, sqlite_db: Database, tmp_path: Path
) -> None:
    sid = seed_org(sqlite_db)
    with job_server as live:
        _log_in(page, live.url)
        _upload(page, live.url, sid, _csv(tmp_path, 2000))
        expect(page).to_have_url(f"{live.url}/jobs/1")
        done = page.locator("#import-job").get_by_role("status")
        expect(done).to_contain_text("Imported 2000 responses", timeout=120_000)
        expect(page.get_by_role("heading", level=1)).to_have_text("Import 1: done")
    assert _count(sqlite_db, sid) == 2000


def test_large_bad_files_through_the_job_path_report_on_a_page(
    page: Page, job_server: LiveServer, sqlite_db: Database, tmp_path: Path
) -> None:
    sid = seed_org(sqlite_db)
    with job_server as live:
        _log_in(page, live.url)
        _upload(page, live.url, sid, _csv(tmp_path, 2000, bad_row=1500))
        alert = page.locator("#import-job").get_by_role("alert")
        expect(alert).to_contain_text("row 1500", timeout=120_000)
        _upload(page, live.url, sid, _binary(tmp_path, 5000))
        expect(page.locator("#import-report")).to_contain_text("NUL")
        expect(page.locator("body")).not_to_contain_text('"type"')
    assert _count(sqlite_db, sid) == 0
