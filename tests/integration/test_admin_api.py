"""Administration over real HTTP: users (role, deactivation), API tokens (expiry,
revocation), the audit log (filters, keyset pages)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from rapport.domain.org import Role
from rapport.services import auth
from rapport.services.clock import utcnow
from rapport.storage.models import ApiTokenRow
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import login, page_csrf_token, user_id

PROBLEM = "application/problem+json"


def _bearer(db: Database, role: Role = Role.ADMIN, **kwargs: object) -> dict[str, str]:
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, f"{role.value}-token", role, **kwargs)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def test_role_change_and_deactivation_end_the_users_browser_sessions(
    live_server: LiveServer, db: Database
) -> None:
    seed_org(db)
    admin = _bearer(db)
    north = user_id(db, "north@example.com")
    with httpx.Client(base_url=live_server.url) as browser:
        login(browser, "north@example.com")
        assert browser.get("/api/v1/me").json()["role"] == "manager"
        r = httpx.patch(
            f"{live_server.url}/api/v1/users/{north}", json={"role": "viewer"}, headers=admin
        )
        assert r.status_code == 200, r.text
        assert (r.json()["role"], r.json()["active"]) == ("viewer", True)
        assert browser.get("/api/v1/me").status_code == 401  # the session was ended

        login(browser, "north@example.com")
        assert browser.get("/api/v1/me").json()["role"] == "viewer"
        r = httpx.patch(
            f"{live_server.url}/api/v1/users/{north}", json={"active": False}, headers=admin
        )
        assert r.json()["active"] is False
        assert browser.get("/api/v1/me").status_code == 401
        page = browser.get("/login")
        refused = browser.post(
            "/login",
            data={
                "email": "north@example.com",
                "password": "a-long-enough-password",
                "csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0],
            },
        )
        assert refused.status_code == 401
    listed = httpx.get(f"{live_server.url}/api/v1/users", headers=admin).json()
    assert {u["email"]: u["active"] for u in listed} == {
        "admin@example.com": True,
        "north@example.com": False,
    }
    bad = httpx.patch(
        f"{live_server.url}/api/v1/users/{north}",
        json={"role": "manager", "unit": "mars"},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == "unit"
    unknown = httpx.patch(f"{live_server.url}/api/v1/users/999", json={}, headers=admin)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


def test_revoked_and_expired_tokens_are_refused(live_server: LiveServer, db: Database) -> None:
    seed_org(db)
    admin = _bearer(db)
    etl = _bearer(db, Role.ANALYST, expires_days=30)
    me = f"{live_server.url}/api/v1/me"
    assert httpx.get(me, headers=etl).status_code == 200
    tokens = httpx.get(f"{live_server.url}/api/v1/tokens", headers=admin).json()
    target = next(t for t in tokens if t["role"] == "analyst")
    assert target["expires_at"] is not None and not target["revoked"]
    assert target["last_used_at"] is not None  # written once for the first use
    assert "token_hash" not in target
    r = httpx.delete(f"{live_server.url}/api/v1/tokens/{target['id']}", headers=admin)
    assert r.status_code == 204
    refused = httpx.get(me, headers=etl)
    assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM
    again = httpx.delete(f"{live_server.url}/api/v1/tokens/{target['id']}", headers=admin)
    assert again.status_code == 204  # idempotent

    old = _bearer(db, Role.VIEWER, expires_days=1)
    assert httpx.get(me, headers=old).status_code == 200
    with db.unit_of_work() as uow:  # a day and a second later
        uow.session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.role == "viewer")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = httpx.get(me, headers=old)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_audit_log_filters_and_pages_newest_first(live_server: LiveServer, db: Database) -> None:
    seed_org(db)
    admin = _bearer(db)
    with httpx.Client(base_url=live_server.url) as browser:
        for _ in range(3):
            login(browser, "north@example.com")
            token = page_csrf_token(browser)
            browser.post("/logout", data={"csrf_token": token})
    url = f"{live_server.url}/api/v1/audit"
    logins = httpx.get(url, params={"action": "login", "limit": 2}, headers=admin).json()
    assert [e["action"] for e in logins["items"]] == ["login", "login"]
    older = httpx.get(
        url, params={"action": "login", "before": logins["next_before"]}, headers=admin
    ).json()
    assert len(older["items"]) == 1 and older["next_before"] is None
    ids = [e["id"] for e in logins["items"] + older["items"]]
    assert ids == sorted(ids, reverse=True)
    mine = httpx.get(url, params={"actor": "north@example.com"}, headers=admin).json()
    assert {e["action"] for e in mine["items"]} == {"login", "logout"}
    family = httpx.get(url, params={"action": "token."}, headers=admin).json()
    assert {e["action"] for e in family["items"]} == {"token.create"}
    future = httpx.get(url, params={"since": "2999-01-01T00:00:00Z"}, headers=admin).json()
    assert future["items"] == []


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_only_admins_administer(live_server: LiveServer, db: Database, role: Role) -> None:
    seed_org(db)
    headers = _bearer(db, role)
    for method, path in (
        ("GET", "/api/v1/users"),
        ("PATCH", "/api/v1/users/1"),
        ("GET", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/1"),
        ("GET", "/api/v1/audit"),
    ):
        r = httpx.request(
            method,
            live_server.url + path,
            headers=headers,
            json={"active": False} if method == "PATCH" else None,
        )
        assert r.status_code == 403, (method, path, r.status_code)


def test_a_write_is_committed_before_its_2xx(
    sqlite_live_server: LiveServer, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With commits made slow, what a 2xx announced is already visible to the next request,
    including reads that never wait for the write lock (a unit of work that ended after the
    response let a deactivated user's session work on)."""
    import time

    from sqlalchemy.orm import Session

    seed_org(sqlite_db)
    admin = _bearer(sqlite_db)
    north = user_id(sqlite_db, "north@example.com")
    slow_commit = Session.commit

    def commit(self: Session) -> None:
        time.sleep(0.5)
        slow_commit(self)

    with httpx.Client(base_url=sqlite_live_server.url, timeout=30) as browser:
        login(browser, "north@example.com")
        assert browser.get("/api/v1/me").status_code == 200
        monkeypatch.setattr(Session, "commit", commit)
        r = httpx.patch(
            f"{sqlite_live_server.url}/api/v1/users/{north}",
            json={"active": False},
            headers=admin,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert browser.get("/api/v1/me").status_code == 401
