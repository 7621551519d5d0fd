"""Distribution to people over real HTTP: ``POST /api/v1/surveys/{id}/distributions``
(counts, e-mails through a real SMTP sink, problem+json errors) and the survey page's
preview-then-confirm form."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx

from rapport.domain.org import Role
from rapport.services import auth
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._web_login import form_token, login
from tests.integration.test_distribution import seed
from tests.integration.test_invitations import Sink, smtp_sink  # noqa: F401 - a fixture

PROBLEM = "application/problem+json"


def _api(server: LiveServer, db: Database, role: Role = Role.ADMIN) -> httpx.Client:
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, f"{role.value}-token", role)
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_the_api_previews_invites_e_mails_and_never_twice(
    tmp_path: Path,
    db: Database,
    smtp_sink: tuple[Sink, int],  # noqa: F811 - the fixture imported above
) -> None:
    sink, port = smtp_sink
    sid = seed(db)
    settings = make_settings(tmp_path, db, smtp_port=port, base_url="https://survey.example.com")
    body = {"filters": {"segment": "premium"}, "channel": "email"}
    with LiveServer(settings, db) as server, _api(server, db) as api:
        url = f"/api/v1/surveys/{sid}/distributions"
        r = api.post(url, json={**body, "dry_run": True})
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["invited"] == 3 and preview["distribution_id"] is None
        assert [p["external_id"] for p in preview["preview"]] == ["p1", "p2", "p5"]
        assert preview["skipped"]["no_consent"] == 2 and preview["skipped"]["wrong_audience"] == 1
        assert sink.messages == []

        r = api.post(url, json=body)
        assert r.status_code == 201, r.text
        done = r.json()
        assert done["invited"] == 3 and done["sent"] == 3 and done["send_error"] is None
        assert done["distribution_id"] is not None
        assert len(sink.messages) == 3
        text = sink.messages[0].get_content()
        assert "https://survey.example.com/s/" in text
        assert "https://survey.example.com/unsubscribe/" in text

        again = api.post(url, json=body).json()
        assert again["invited"] == 0 and again["skipped"]["quiet_period"] == 3
        assert {"external_id": "p1", "kind": "customer", "reason": "quiet_period"} in again[
            "skipped_people"
        ]

        listed = {"people": [{"external_id": "p1"}, {"external_id": "ghost"}], "dry_run": True}
        r = api.post(url, json=listed).json()
        assert r["skipped"]["unknown_id"] == 1 and r["skipped"]["quiet_period"] == 1

        for bad, where in (
            ({"channel": "email"}, "selection"),
            ({"unit": "atlantis"}, "unit"),
            ({"unit": "north", "channel": "fax"}, "channel"),
        ):
            r = api.post(url, json=bad)
            assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
            assert [e["location"] for e in r.json()["errors"]] == [where], r.text
        assert api.post("/api/v1/surveys/999/distributions", json=body).status_code == 404
    with LiveServer(settings, db) as server, _api(server, db, Role.VIEWER) as viewer:
        r = viewer.post(f"/api/v1/surveys/{sid}/distributions", json=body)
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM


def test_the_page_previews_then_confirms(tmp_path: Path, sqlite_db: Database) -> None:
    sid = seed(sqlite_db)
    settings = make_settings(tmp_path, sqlite_db)
    with LiveServer(settings, sqlite_db) as server, httpx.Client(base_url=server.url) as web:
        login(web, "admin@example.com")
        page = web.get(f"/surveys/{sid}")
        assert 'id="people"' in page.text and "last 30 days" in page.text
        form = {"to": "segment=premium", "people": "", "unit": "", "channel": "link"}
        r = web.post(
            f"/surveys/{sid}/people/preview", data={**form, "csrf_token": form_token(page.text)}
        )
        assert r.status_code == 200, r.text
        count = re.search(r'id="people-invite-count">(\d+)<', r.text)
        assert count and count.group(1) == "6"  # link: p1-p6 need no e-mail consent
        assert 'data-reason="wrong_audience">1 skipped' in r.text
        confirm = r.text[r.text.index(f'action="/surveys/{sid}/people/distribute"') :]
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm))
        fields = {k: html.unescape(v) for k, v in fields.items()}
        assert fields["to"] == "segment=premium" and fields["channel"] == "link"
        with sqlite_db.unit_of_work() as uow:
            assert uow.distribution.distribution(1) is None  # the preview wrote nothing
        r = web.post(f"/surveys/{sid}/people/distribute", data=fields)
        assert r.status_code == 303 and "distribution=" in r.headers["location"], r.text
        shown = web.get(r.headers["location"])
        assert "Invited 6 customers by link; skipped 1 not of the survey" in shown.text
        assert "6 invitation links" in shown.text

        bad = {**form, "to": "segment", "csrf_token": form_token(shown.text)}
        r = web.post(f"/surveys/{sid}/people/preview", data=bad)
        assert r.status_code == 422 and 'id="people-error"' in r.text
        assert "expected ATTRIBUTE=VALUE, got &#39;segment&#39;" in r.text
        missing = {**form, "csrf_token": "nope"}
        assert web.post(f"/surveys/{sid}/people/distribute", data=missing).status_code == 403
