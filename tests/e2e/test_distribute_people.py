"""The survey page's "Distribute to people" form in a real browser: a segment previewed
(counts per reason, the people), confirmed, e-mailed through a real SMTP sink; a second
preview finds everyone in the quiet period."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import assert_accessible, screenshot
from tests.e2e.test_survey_import import _log_in
from tests.integration.test_distribution import seed
from tests.integration.test_invitations import Sink, smtp_sink  # noqa: F401 - a fixture

pytestmark = pytest.mark.browser


def _preview(page: Page, attributes: str, channel: str) -> None:
    section = page.locator("#people")
    section.get_by_label("Attributes").fill(attributes)
    section.get_by_label(channel).check()
    section.get_by_role("button", name="Preview").click()


def test_a_segment_is_previewed_confirmed_and_e_mailed(
    page: Page,
    tmp_path: Path,
    sqlite_db: Database,
    smtp_sink: tuple[Sink, int],  # noqa: F811 - the fixture imported above
) -> None:
    sink, port = smtp_sink
    sid = seed(sqlite_db)
    settings = make_settings(
        tmp_path, sqlite_db, smtp_port=port, base_url="https://survey.example.com"
    )
    with LiveServer(settings, sqlite_db) as live:
        _log_in(page, live.url)
        page.goto(f"{live.url}/surveys/{sid}")
        _preview(page, "segment=premium", "E-mail")
        expect(page.locator("#people-invite-count")).to_have_text("3")
        rows = page.locator("#people-preview-list tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text("p1")
        skipped = page.locator("#people-skipped li")
        expect(skipped).to_have_text(
            [
                "1 skipped: not of the survey's audience",
                "2 skipped: no consent for the channel",
                "1 skipped: no address for the channel (e-mail or phone)",
            ]
        )
        expect(page.locator("#people").get_by_label("Attributes")).to_have_value("segment=premium")
        assert sink.messages == []  # a preview sends nothing
        assert_accessible(page, True, "distribution preview")
        screenshot(page, "distribute-people-preview")

        page.get_by_role("button", name="Invite 3 customers").click()
        message = page.get_by_role("status").filter(has_text="Invited")
        expect(message).to_contain_text("Invited 3 customers by email (e-mailed 3); skipped")
        assert len(sink.messages) == 3
        assert "https://survey.example.com/unsubscribe/" in sink.messages[0].get_content()

        _preview(page, "segment=premium", "E-mail")
        expect(page.locator("#people-invite-count")).to_have_text("0")
        expect(page.locator("#people-skipped li[data-reason=quiet_period]")).to_have_text(
            "3 skipped: invited to this survey within the quiet period (30 days)"
        )
        expect(page.locator("#people-none")).to_be_visible()
        expect(page.get_by_role("button", name="Invite")).to_have_count(0)
