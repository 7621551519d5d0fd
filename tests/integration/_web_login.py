"""Log in through the real login form with an httpx client (cookie jar kept by the client),
and look up the users the survey fixtures create."""

from __future__ import annotations

import re

import httpx

from rapport.storage.uow import Database
from tests.integration._survey_fixtures import PASSWORD

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _FORM_TOKEN.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> None:
    """Log ``client`` in; raises AssertionError unless the form redirects (303)."""
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": form_token(page.text)},
    )
    assert r.status_code == 303, r.text


def page_csrf_token(client: httpx.Client, path: str = "/") -> str:
    """The token page JavaScript sends as ``X-CSRF-Token`` (from ``<meta name=csrf-token>``)."""
    found = _META_TOKEN.search(client.get(path).text)
    assert found, "no csrf-token meta tag on the page"
    return found.group(1)


def user_id(db: Database, email: str = "north@example.com") -> int:
    """The id of a user (by default the manager of ``north`` that ``seed_org`` creates)."""
    with db.unit_of_work() as uow:
        user = uow.users.by_email(email)
        assert user is not None, email
        return user.id
