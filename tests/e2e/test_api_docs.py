"""/docs works offline: Swagger UI comes from the package, under the site's strict CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}


def test_docs_render_every_operation_with_no_other_host(
    page: Page, sqlite_live_server: LiveServer
) -> None:
    blocked: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    response = page.goto(sqlite_live_server.url + "/docs")
    assert response is not None and response.ok
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "cdn" not in csp
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Rapport")
    operations = page.locator(".opblock-summary-path")
    expect(
        operations.filter(has_text="/api/v1/surveys/{survey_id}/responses/import")
    ).to_be_visible()
    assert operations.count() >= 20
    # An operation opens and shows its parameters and the problem responses it declares.
    page.locator(".opblock-summary", has_text="/api/v1/jobs/{job_id}").first.click()
    expect(page.locator(".opblock-body").first).to_contain_text("job_id")
    expect(page.locator(".opblock-body").first).to_contain_text("application/problem+json")
    assert blocked == []


def test_the_openapi_document_is_still_served(sqlite_live_server: LiveServer, page: Page) -> None:
    response = page.request.get(sqlite_live_server.url + "/openapi.json")
    assert response.ok and response.json()["info"]["title"] == "Rapport"
    assert page.request.get(sqlite_live_server.url + "/redoc").status == 404
