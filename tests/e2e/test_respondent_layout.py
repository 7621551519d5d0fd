"""The respondent form on a desktop and on a phone (375 × 812): nothing scrolls sideways,
scales are rows of equal cells (0–10 wraps 6 + 5 on the phone), the Likert grid stacks,
emotion chips work by keyboard with and without JavaScript, and a link resumes."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from rapport.domain.org import SYSTEM
from rapport.domain.survey import EMOTIONS
from rapport.services import invitations
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, screenshot, watch_csp
from tests.integration._survey_fixtures import seed_org

pytestmark = pytest.mark.browser

STATEMENTS = [
    ("ease", "It was easy to get what I needed, even on a busy day."),
    ("fast", "Staff answered quickly."),
    ("cared", "I felt that the people I spoke to really cared about my problem."),
]
LAYOUT: dict[str, Any] = {
    "key": "layout",
    "title": "How was your visit?",
    "audience": "customer",
    "pages": [
        {
            "id": "scores",
            "title": "Scores",
            "questions": [
                {"id": "nps", "type": "nps", "required": True, "text": "Would you recommend us?"},
                {
                    "id": "worded",
                    "type": "likert",
                    "scale": {
                        "points": 5,
                        "labels": [
                            "Very dissatisfied",
                            "Dissatisfied",
                            "Neither",
                            "Satisfied",
                            "Very satisfied",
                        ],
                    },
                    "text": "How satisfied are you with the opening hours?",
                },
                {
                    "id": "grid",
                    "type": "matrix",
                    "scale": {"points": 7, "low": "Strongly disagree", "high": "Strongly agree"},
                    "text": "How far do you agree?",
                    "rows": [{"id": rid, "text": text} for rid, text in STATEMENTS],
                },
            ],
        },
        {
            "id": "feelings",
            "title": "Feelings",
            "questions": [
                {
                    "id": "felt",
                    "type": "emotion_picker",
                    "emotions": list(EMOTIONS),
                    "text": "How did you feel?",
                },
                {"id": "comment", "type": "text", "text": "Anything else?"},
            ],
        },
    ],
}
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 375, "height": 812},
    "small-phone": {"width": 320, "height": 568},
}


def _link(db: Database, server: LiveServer) -> tuple[int, str]:
    sid = seed_org(db, LAYOUT)
    with db.unit_of_work() as uow:
        issued = invitations.distribute(uow, SYSTEM, sid, unit="north-1", link_secret="k" * 32)
    return sid, f"{server.url}/s/{issued[0].token}"


def _open(browser: Browser, size: str, js: bool = True) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[size], java_script_enabled=js)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _no_sideways_scroll(page: Page) -> None:
    sizes = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"the page scrolls sideways: {sizes}"


def _boxes(page: Page, selector: str) -> list[dict[str, float]]:
    return [b for b in (el.bounding_box() for el in page.locator(selector).all()) if b]


def _rows(boxes: list[dict[str, float]]) -> list[int]:
    """How many boxes sit on each line, top to bottom."""
    tops: dict[int, int] = {}
    for b in boxes:
        tops[round(b["y"])] = tops.get(round(b["y"]), 0) + 1
    return [tops[y] for y in sorted(tops)]


def _equal_widths(boxes: list[dict[str, float]]) -> None:
    widths = [b["width"] for b in boxes]
    assert max(widths) - min(widths) < 1.0, widths


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_scales_and_grid_fit_every_screen(
    browser: Browser, sqlite_live_server: LiveServer, sqlite_db: Database, size: str
) -> None:
    _, link = _link(sqlite_db, sqlite_live_server)
    page = _open(browser, size)
    csp = watch_csp(page)
    page.goto(link)
    _no_sideways_scroll(page)
    nps = _boxes(page, '[data-qid="nps"] .opt')
    assert len(nps) == 11
    _equal_widths(nps)
    assert _rows(nps) == ([11] if size == "desktop" else [6, 5])
    assert min(b["width"] for b in nps) >= (44 if size != "small-phone" else 24)
    assert min(b["height"] for b in nps) >= 44

    worded = _boxes(page, '[data-qid="worded"] .opt')
    _equal_widths(worded)
    assert _rows(worded) == ([5] if size == "desktop" else [1, 1, 1, 1, 1])

    cells = _boxes(page, '[data-qid="grid"] .opt')
    _equal_widths(cells)  # one grid: the columns line up across statements
    assert _rows(cells) == [7, 7, 7]
    assert min(b["width"] for b in cells) >= 24  # WCAG 2.5.8 target size
    for row_id, _ in STATEMENTS:
        statement = page.locator(
            f'[data-qid="grid"] fieldset.matrix-row:has(#q-grid-{row_id}-4) > legend'
        )
        first = page.locator(f"#q-grid-{row_id}-4").locator("xpath=..").bounding_box()
        words = statement.bounding_box()
        assert words and first
        if size == "desktop":  # beside its options
            assert words["x"] + words["width"] <= first["x"]
        else:  # a block above its options
            assert words["y"] + words["height"] <= first["y"]
    assert_accessible(page, True, f"page 1, {size}")
    screenshot(page, f"respondent-layout-{size}-scores")

    page.locator("#q-nps").locator("xpath=..").click()  # the whole cell is the target
    expect(page.locator("#q-nps")).to_be_checked()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    _no_sideways_scroll(page)
    chips = _boxes(page, ".emotion > .chip")
    assert len(chips) == len(EMOTIONS)
    page.get_by_label("Frustrated").check()
    page.get_by_label("Cared for").check()
    _no_sideways_scroll(page)
    assert_accessible(page, True, f"page 2, {size}")
    screenshot(page, f"respondent-layout-{size}-feelings")
    page.context.close()
    assert csp == []


@pytest.mark.parametrize("js_enabled", [True, False], ids=["js", "no-js"])
def test_emotion_chips_work_by_keyboard(
    browser: Browser, sqlite_live_server: LiveServer, sqlite_db: Database, js_enabled: bool
) -> None:
    sid, link = _link(sqlite_db, sqlite_live_server)
    page = _open(browser, "phone", js_enabled)
    page.goto(link)
    page.get_by_role("group", name="Would you recommend us?").get_by_label("9").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()

    page.get_by_role("heading", name="Feelings").click()  # start from the page, not a field
    page.keyboard.press("Tab")
    delighted = page.get_by_role("checkbox", name="Delighted")
    expect(delighted).to_be_focused()
    chip = page.locator('label[for="q-felt"]')
    assert chip.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"  # visible focus
    strength = page.get_by_role("group", name="How strongly did you feel Delighted?")
    expect(strength).to_be_hidden()
    page.keyboard.press("Space")
    expect(delighted).to_be_checked()
    expect(strength).to_be_visible()
    page.keyboard.press("Tab")  # into the intensities
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    expect(strength.get_by_label("Quite")).to_be_checked()
    page.keyboard.press("Tab")  # on to the next emotion: on, then off again
    cared = page.get_by_role("checkbox", name="Cared for")
    expect(cared).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_role("group", name="How strongly did you feel Cared for?")).to_be_visible()
    page.keyboard.press("Space")
    expect(cared).not_to_be_checked()
    expect(page.get_by_role("group", name="How strongly did you feel Cared for?")).to_be_hidden()

    # A chip without its intensity: a plain error naming the emotion.
    page.get_by_role("checkbox", name="Angry").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Please choose how strongly you felt “Angry”."
    )
    expect(page.get_by_role("checkbox", name="Delighted")).to_be_checked()  # kept
    expect(page.get_by_role("checkbox", name="Angry")).to_be_checked()  # still to finish
    page.get_by_role("alert").get_by_role("link").click()  # to the intensities it lacks
    angry = page.get_by_role("group", name="How strongly did you feel Angry?")
    expect(angry.get_by_label("A little")).to_be_focused()
    screenshot(page, f"respondent-error-phone-{'js' if js_enabled else 'nojs'}")
    page.get_by_role("checkbox", name="Angry").uncheck()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    page.context.close()

    with sqlite_db.unit_of_work() as uow:
        stored = uow.responses.page(sid, None, since=None, until=None, after_id=0, limit=5)
    felt = {a["item"]: a["value_num"] for a in stored[0]["answers"] if a["question_id"] == "felt"}
    assert felt == {"delighted": 2}


def test_a_link_reopens_where_the_respondent_stopped(
    browser: Browser, sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    _, link = _link(sqlite_db, sqlite_live_server)
    page = _open(browser, "phone")
    page.goto(link)
    page.get_by_role("group", name="Would you recommend us?").get_by_label("3").check()
    page.get_by_role("group", name="Staff answered quickly.").get_by_label("6").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    page.context.close()

    later = _open(browser, "desktop")  # another device, days later: the same link
    later.goto(link)
    expect(later.get_by_text("Page 2 of 2")).to_be_visible()
    later.get_by_role("button", name="Back").click()
    expect(later.get_by_text("Page 1 of 2")).to_be_visible()
    nps = later.get_by_role("group", name="Would you recommend us?")
    expect(nps.get_by_label("3")).to_be_checked()
    expect(
        later.get_by_role("group", name="Staff answered quickly.").get_by_label("6")
    ).to_be_checked()
    later.context.close()
