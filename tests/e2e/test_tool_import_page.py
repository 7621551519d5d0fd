"""The import page for other tools (``/imports``) in a real browser, as an analyst: upload a
Qualtrics survey with its responses, read the mapping preview (which writes nothing), change
a tag, import, and find on the survey's dashboard the NPS computed by hand from the CSV; a
file that is not what the tool exports is named on the page."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from rapport.domain.org import Role, UnitKind
from rapport.services import auth, surveys
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.browser
QT = Path(__file__).parents[1] / "data" / "formats" / "qualtrics"
QSF = QT / "qt_nps_store_visit.qsf"
CSV = QT / "qt_nps_store_visit.csv"
PASSWORD = "correct horse battery staple"


def _seed(db: Database) -> None:
    with db.unit_of_work() as uow:
        root = uow.units.add("acme", "Acme Retail", UnitKind.COMPANY)
        uow.units.add("north", "North", UnitKind.REGION, root)
        auth.create_user(uow, "analyst@example.com", PASSWORD, Role.ANALYST)


def _row_counts(db: Database) -> dict[str, int]:
    """Rows of every table: what a dry run must leave as it found it."""
    with db.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def _hand_nps(path: Path) -> tuple[float, int]:
    """NPS of the CSV's Q5 column, independently of Rapport: pandas over the file with its
    two extra header rows (question texts, ImportIds) skipped."""
    frame = pd.read_csv(path, skiprows=[1, 2])
    scores = frame["Q5"].dropna().astype(int)
    promoters, detractors = (scores >= 9).mean(), (scores <= 6).mean()
    return 100 * (promoters - detractors), len(scores)


def _preview(page: Page, url: str, definition: Path, responses: Path | None) -> None:
    page.goto(url + "/surveys")
    page.get_by_role("link", name="Import a survey from another tool", exact=True).click()
    page.get_by_label("Tool").select_option("qualtrics")
    page.get_by_label("Survey file").set_input_files(str(definition))
    if responses is not None:
        page.get_by_label("Responses file (optional)").set_input_files(str(responses))
    page.get_by_role("button", name="Preview", exact=True).click()


@pytest.fixture
def url(page: Page, sqlite_live_server: LiveServer, sqlite_db: Database) -> str:
    """The server's address, with an organisation and the analyst logged in."""
    _seed(sqlite_db)
    log_in(page, sqlite_live_server.url, "analyst@example.com", PASSWORD)
    return sqlite_live_server.url


def test_analyst_previews_edits_a_tag_imports_and_sees_the_hand_nps(
    page: Page, url: str, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    before = _row_counts(sqlite_db)
    _preview(page, url, QSF, CSV)
    expect(page).to_have_url(re.compile(r"/imports/[A-Za-z0-9_-]{32}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: Store Visit NPS")
    expect(page.locator("#import-responses")).to_have_text("26")
    expect(page.locator("#import-languages")).to_have_text("en")
    nps_row = page.locator('#import-mapping tr[data-question="q5"]')
    expect(nps_row).to_contain_text("nps")
    expect(nps_row.get_by_label("Tags of q5")).to_have_value("loyalty.recommend")
    expect(page.locator("#import-unsupported")).to_contain_text("text entry beside a choice")
    expect(page.locator("#import-warnings")).to_contain_text("current layout (3 header rows)")
    screenshot(page, "tool-import-preview")
    assert_accessible(page, True, "the import preview")
    # The preview (upload, dry run, page) wrote nothing to the database.
    assert _row_counts(sqlite_db) == before
    page.get_by_label("Tags of q2").fill("satisfaction.overall")
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(
        "Imported survey store-visit-nps (version 1) from qt_nps_store_visit.qsf: "
        "26 responses added, 0 already there."
    )
    expect(page).to_have_url(re.compile(r"/surveys/\d+$"))
    shown = page.locator('#unit-results tr[data-unit="acme"] td').nth(2).inner_text()
    hand, n = _hand_nps(CSV)
    assert (n, round(hand, 2)) == (26, 23.08)  # 13 promoters, 7 detractors of 26
    # The dashboard shows whole numbers: within 0.5 of the hand figure.
    value = float(shown.split("[")[0].replace("−", "-").strip())
    assert abs(value - hand) <= 0.5, (shown, hand)
    expect(page.locator('#unit-results tr[data-unit="acme"] td').first).to_have_text("26")
    with sqlite_db.unit_of_work(readonly=True) as uow:
        definition = surveys.get_published(uow, "store-visit-nps").definition
    assert definition.question("q2").tags == ("satisfaction.overall",)
    assert definition.question("q5").tags == ("loyalty.recommend",)
    # The kept upload is gone once imported.
    assert not any((sqlite_live_server.settings.data_dir / "tool-imports").iterdir())


def test_a_bad_file_or_tag_is_named_on_the_page_and_nothing_is_written(
    page: Page, url: str, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    before = _row_counts(sqlite_db)
    _preview(page, url, CSV, None)  # the responses CSV given as the survey file
    report = page.locator("#import-report")
    expect(report).to_contain_text("qt_nps_store_visit.csv could not be imported")
    expect(report.get_by_role("listitem").first).to_contain_text("definition")
    screenshot(page, "tool-import-bad-file")
    assert_accessible(page, True, "the import form with an error")
    # A tag that is not a construct tag: the question is named, nothing is imported.
    _preview(page, url, QSF, CSV)
    page.get_by_label("Tags of q2").fill("satisfaction.overal")
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("Nothing was imported")
    expect(report).to_contain_text("tags.q2: unknown construct tag 'satisfaction.overal' for q2")
    expect(page.get_by_label("Tags of q2")).to_have_value("satisfaction.overal")
    assert _row_counts(sqlite_db) == before
    page.get_by_role("button", name="Discard", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("nothing was imported")
    assert not any((sqlite_live_server.settings.data_dir / "tool-imports").iterdir())
