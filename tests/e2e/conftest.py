"""Browser fixtures: Debian's chromium driven by the PyPI playwright package (no downloads)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is required for browser tests (apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


CSP_SIGNS = ("Content Security Policy", "Refused to", "unsafe-eval", "unsafe-inline")


def watch_csp(page: Page) -> list[str]:
    """Collect the page's Content-Security-Policy violations (console errors, uncaught
    errors such as ``EvalError``) into the returned list, as they happen."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and any(s in message.text for s in CSP_SIGNS):
            found.append(message.text)

    def on_error(error: Error) -> None:
        if any(s in str(error) for s in CSP_SIGNS):
            found.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_error)
    return found


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser page; the test fails if any page it opened broke the CSP."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    violations = watch_csp(pg)
    yield pg
    context.close()
    if violations:
        pytest.fail(f"Content-Security-Policy violations: {violations}")


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def assert_accessible(page: Page, js_enabled: bool, where: str) -> None:
    """Run axe-core on the page; without JavaScript the check runs in a twin JS page."""
    if not js_enabled:
        return
    # Evaluated through the DevTools protocol: an injected <script> would (rightly) be
    # refused by the page's Content-Security-Policy.
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    problems = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
    assert problems == [], f"{where}: {problems}"


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under var/test-artifacts and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, url: str, email: str, password: str) -> None:
    """Log in through the login form of the server at ``url``."""
    page.goto(url + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
