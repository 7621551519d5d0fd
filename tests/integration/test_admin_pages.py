"""The administration pages: CSRF-protected forms that end sessions, revoke tokens, and
show the audit log; only admins see them."""

from __future__ import annotations

import re

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import form_token, login, user_id


def test_admin_deactivates_a_user_and_revokes_a_token_through_the_forms(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    seed_org(sqlite_db)
    north = user_id(sqlite_db, "north@example.com")
    with sqlite_db.unit_of_work() as uow:
        token = auth.create_token(uow, "etl", Role.ANALYST)
    base = sqlite_live_server.url
    with httpx.Client(base_url=base) as admin, httpx.Client(base_url=base) as manager:
        login(admin, "admin@example.com")
        login(manager, "north@example.com")
        page = admin.get("/admin/users")
        assert page.status_code == 200 and "north@example.com" in page.text
        form = {"role": "manager", "unit": "", "active": "no"}
        forged = admin.post(f"/admin/users/{north}", data=form)
        assert forged.status_code == 403  # no CSRF token
        r = admin.post(f"/admin/users/{north}", data={**form, "csrf_token": form_token(page.text)})
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/users?saved=")
        assert manager.get("/", headers={"Accept": "text/html"}).status_code == 303  # logged out
        listing = admin.get("/admin/users").text
        assert re.search(r'data-user="north@example.com" class="inactive"', listing)

        bad = admin.post(
            f"/admin/users/{north}",
            data={
                "role": "manager",
                "unit": "mars",
                "active": "yes",
                "csrf_token": form_token(listing),
            },
        )
        assert bad.status_code == 422 and "no unit &#39;mars&#39;" in bad.text

        tokens = admin.get("/admin/tokens")
        assert token[:10] in tokens.text and token not in tokens.text
        token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', tokens.text)
        assert token_id
        r = admin.post(
            f"/admin/tokens/{token_id.group(1)}/revoke",
            data={"csrf_token": form_token(tokens.text)},
        )
        assert r.status_code == 303
        me = httpx.get(base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401

        log = admin.get("/admin/audit", params={"action": "user.deactivate"})
        assert log.status_code == 200
        table = log.text.split('id="audit"')[1]
        assert "<code>user.deactivate</code>" in table and "north@example.com" in table
        assert "token.revoke" not in table
        bad_time = admin.get("/admin/audit", params={"since": "yesterday"})
        assert bad_time.status_code == 422 and "since: expected a date and time" in bad_time.text


def test_admin_pages_are_for_admins_only(
    sqlite_live_server: LiveServer, sqlite_db: Database
) -> None:
    seed_org(sqlite_db)
    with httpx.Client(base_url=sqlite_live_server.url, headers={"Accept": "text/html"}) as c:
        for path in ("/admin/users", "/admin/tokens", "/admin/audit"):
            assert c.get(path).status_code == 303  # to the login page
        login(c, "north@example.com")
        for path in ("/admin/users", "/admin/tokens", "/admin/audit"):
            assert c.get(path).status_code == 403, path
        assert 'href="/admin/users"' not in c.get("/").text
