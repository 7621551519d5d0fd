"""Every role against every guarded route: allowed or denied, as docs/architecture.md says."""

from __future__ import annotations

import re

import httpx
import pytest

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer
from tests.integration._survey_fixtures import EVERY_TYPE, GOOD_ANSWERS, PASSWORD, seed_org

ROLES = ["admin", "analyst", "manager", "viewer", None]  # None: not logged in
# route → the roles that may use it (managers act inside their unit "north")
API_MATRIX = {
    ("GET", "/api/v1/me"): {"admin", "analyst", "manager", "viewer"},
    ("GET", "/api/v1/units"): {"admin", "analyst", "manager", "viewer"},
    ("GET", "/api/v1/surveys"): {"admin", "analyst", "manager", "viewer"},
    ("GET", "/api/v1/surveys/{sid}"): {"admin", "analyst", "manager", "viewer"},
    ("POST", "/api/v1/surveys"): {"admin", "analyst"},
    ("POST", "/api/v1/surveys/{sid}/responses"): {"admin", "analyst", "manager"},
    ("GET", "/api/v1/surveys/{sid}/responses"): {"admin", "analyst", "manager"},
    ("GET", "/api/v1/users"): {"admin"},
    ("PATCH", "/api/v1/users/{uid}"): {"admin"},
    ("GET", "/api/v1/tokens"): {"admin"},
    ("DELETE", "/api/v1/tokens/{tid}"): {"admin"},
    ("GET", "/api/v1/audit"): {"admin"},
}
PAGE_MATRIX = {
    ("GET", "/"): {"admin", "analyst", "manager", "viewer"},
    ("GET", "/surveys"): {"admin", "analyst", "manager", "viewer"},
    ("GET", "/surveys/{sid}"): {"admin", "analyst", "manager", "viewer"},
    ("POST", "/surveys/{sid}/links"): {"admin", "analyst", "manager"},
    ("GET", "/admin/users"): {"admin"},
    ("GET", "/admin/tokens"): {"admin"},
    ("GET", "/admin/audit"): {"admin"},
    ("POST", "/admin/tokens/{tid}/revoke"): {"admin"},
}


def _body(method: str, path: str) -> dict[str, object] | None:
    if method == "PATCH":
        return {"active": True}  # the viewer stays active: allowed, changes nothing
    if method != "POST":
        return None
    if path.endswith("/responses"):
        return {"answers": GOOD_ANSWERS, "unit": "north-1"}
    return {**EVERY_TYPE, "key": "another-survey"}


@pytest.fixture
def seeded(sqlite_live_server: LiveServer, sqlite_db: Database) -> tuple[LiveServer, int]:
    sid = seed_org(sqlite_db)
    with sqlite_db.unit_of_work() as uow:
        for role in ("analyst", "viewer"):
            auth.create_user(uow, f"{role}@example.com", PASSWORD, Role(role))
        auth.create_token(uow, "to-revoke", Role.VIEWER)
    return sqlite_live_server, sid


def _ids(db: Database) -> dict[str, int]:
    """Targets of the administration routes: a viewer user and a spare token."""
    with db.unit_of_work() as uow:
        viewer = uow.users.by_email("viewer@example.com")
        [spare] = uow.tokens.by_prefix("rpt_")[:1]
    assert viewer is not None
    return {"uid": viewer.id, "tid": spare.id}


def _api_headers(db: Database, role: str | None) -> dict[str, str]:
    if role is None:
        return {}
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, role, Role(role), "north" if role == "manager" else None)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", ROLES)
def test_api_role_matrix(
    seeded: tuple[LiveServer, int], sqlite_db: Database, role: str | None
) -> None:
    server, sid = seeded
    ids = _ids(sqlite_db)
    headers = _api_headers(sqlite_db, role)
    for (method, path), allowed in API_MATRIX.items():
        r = httpx.request(
            method,
            server.url + path.format(sid=sid, **ids),
            headers=headers,
            json=_body(method, path),
        )
        if role is None:
            assert r.status_code == 401, (method, path)
        elif role in allowed:
            assert r.status_code < 400, (role, method, path, r.text)
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)


def _login(client: httpx.Client, email: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
    )
    assert r.status_code == 303, r.text


@pytest.mark.parametrize("role", ROLES)
def test_page_role_matrix(
    seeded: tuple[LiveServer, int], sqlite_db: Database, role: str | None
) -> None:
    server, sid = seeded
    ids = _ids(sqlite_db)
    emails = {"admin": "admin@example.com", "manager": "north@example.com"}
    with httpx.Client(base_url=server.url, headers={"Accept": "text/html"}) as client:
        if role is not None:
            _login(client, emails.get(role, f"{role}@example.com"))
        for (method, path), allowed in PAGE_MATRIX.items():
            url = path.format(sid=sid, **ids)
            if method == "POST":
                form = client.get(f"/surveys/{sid}") if role else client.get("/login")
                m = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                data = {"csrf_token": m.group(1) if m else "", "unit": "north-1", "kind": "public"}
                r = client.post(url, data=data)
            else:
                r = client.get(url)
            if role is None:
                assert r.status_code in (303, 403), (method, path, r.status_code)
            elif role in allowed:
                ok = (200, 303) if method == "POST" else (200,)  # a form may redirect back
                assert r.status_code in ok, (role, method, path, r.status_code)
            else:
                assert r.status_code == 403, (role, method, path, r.status_code)
