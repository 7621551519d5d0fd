"""The delivery log in Chromium: a receiver that is down turns a message into a dead letter;
the admin finds it on /admin/webhooks, presses Replay, and once the receiver is back the
message is delivered with the same webhook-id. The page passes axe-core and the CSP."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rapport.domain.org import SYSTEM
from rapport.services import responses, webhooks
from rapport.services.webhooks.deliverer import DeliveryPolicy, deliver_due
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.integration._survey_fixtures import GOOD_ANSWERS, PASSWORD, seed_org
from tests.integration._webhook_receiver import receiver

pytestmark = pytest.mark.browser
FAST = DeliveryPolicy(max_attempts=2, retry_base_seconds=0.01, retry_cap_seconds=0.01)


def _settle(db: Database) -> None:
    """Deliver as cron would until no message waits for a retry."""
    for _ in range(50):
        deliver_due(db, FAST, rng=random.Random(1))
        with db.unit_of_work(readonly=True) as uow:
            if all(d.status != "pending" for d in uow.webhooks.deliveries(None)):
                return
    raise AssertionError("messages still waiting")


def test_a_dead_letter_is_replayed_from_the_delivery_log(
    page: Page, tmp_path: Path, sqlite_db: Database
) -> None:
    """The test delivers as cron would: the server's own deliverer is off."""
    settings = make_settings(tmp_path, sqlite_db, webhook_deliver_seconds=0)
    with LiveServer(settings, sqlite_db) as server:
        _replay_on_the_page(page, server.url, sqlite_db)


def _replay_on_the_page(page: Page, url: str, sqlite_db: Database) -> None:
    sid = seed_org(sqlite_db)
    with receiver(script=[500, 502]) as hook:
        with sqlite_db.unit_of_work() as uow:
            made = webhooks.create(
                uow,
                SYSTEM,
                webhooks.EndpointInput(hook.url, ["response.created"], description="CRM"),
            )
            responses.submit_as(uow, SYSTEM, sid, GOOD_ANSWERS, unit="north-1")
        hook.secret = made.secret
        _settle(sqlite_db)
        assert [r.answered for r in hook.got] == [500, 502]

        log_in(page, url, "admin@example.com", PASSWORD)
        page.goto(f"{url}/admin/users")
        page.get_by_role("link", name="Webhooks", exact=True).click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        expect(page.locator("#endpoints tbody tr")).to_contain_text(hook.url)
        dead = page.locator("#dead tbody tr[data-delivery]")
        expect(dead).to_have_count(1)
        expect(dead.first).to_contain_text("500 → 502")
        assert_accessible(page, True, "the delivery log with a dead letter")
        screenshot(page, "webhooks-dead-letter")
        dead.first.get_by_role("button", name="Replay delivery 1", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("will be sent again")
        expect(page.locator("#dead tbody tr[data-delivery]")).to_have_count(0)
        _settle(sqlite_db)
        page.reload()
        row = page.locator("#deliveries tbody tr[data-delivery]").first
        expect(row).to_contain_text("delivered")
        screenshot(page, "webhooks-replayed")
    assert [r.answered for r in hook.got] == [500, 502, 200]
    assert hook.got[-1].verified
    assert len({r.headers["webhook-id"] for r in hook.got}) == 1
