"""The background refresh after new data (``services/warm_up.Refresher``,
``Settings.refresh_quiet_seconds``), over HTTP on SQLite and PostgreSQL: after a response
it reads nothing until someone opens a page (``/healthz`` says ``waiting``), then reads the
warm-up's pages at the new data; the map and the dashboard's charts asked next are the ones
it drew (none drawn on the request), and they and the home page are the pages a server that
keeps nothing draws."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._web_login import login
from tests.integration.test_relationship_pages_kept import ANSWERS, SURVEY, _map_n, _page
from tests.integration.test_warm_up import _forget

EMAIL = "admin@example.com"
QUIET = 0.2


def _health_when(web: httpx.Client, done: Any, seconds: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while not done(found := web.get("/healthz").json()):
        assert time.monotonic() < deadline, f"/healthz stayed {found}"
        time.sleep(0.05)
    return found


def test_after_a_response_the_refresh_draws_the_pages_opened_next(
    db: Database, tmp_path: Path
) -> None:
    org = demo.generate(seed=7, units=12, months=4)
    demo.load(db, org)
    store = next(u for u in org.units if u.kind == "store")
    with db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.ADMIN)
        token = auth.create_token(uow, "responses", Role.ADMIN)
    paths = [f"/relationships?survey={SURVEY}", "/dashboard", "/"]
    before = _cold(tmp_path, db, paths)
    settings = make_settings(tmp_path, db, warm_up=True, refresh_quiet_seconds=QUIET)
    with LiveServer(settings, db) as server, httpx.Client(base_url=server.url, timeout=120) as web:
        state = server.server.config.app.state
        found = _health_when(web, lambda h: h["warm_up"] != "running")
        assert found["warm_up"] == "done" and state.warm_up.failed == []
        # The refresher starts at the data the warm-up read: nothing new to read.
        found = _health_when(web, lambda h: h["refresh"] != "waiting")
        assert (found["refresh"], found["refreshes"]) == ("done", 0)

        api = {"Authorization": f"Bearer {token}"}
        listed = httpx.get(f"{server.url}/api/v1/surveys", headers=api).json()
        sid = next(s["id"] for s in listed if s["key"] == SURVEY)
        r = httpx.post(
            f"{server.url}/api/v1/surveys/{sid}/responses",
            json={"answers": ANSWERS, "unit": store.code},
            headers=api,
        )
        assert r.status_code == 201, r.text
        # Many quiet spells, but nobody has opened a page (an API write is no reader).
        time.sleep(10 * QUIET)
        found = web.get("/healthz").json()
        assert (found["refresh"], found["refreshes"]) == ("waiting", 0)

        login(web, EMAIL, demo.DEMO_PASSWORD)
        assert web.get("/surveys").status_code == 200  # someone opens a page
        found = _health_when(web, lambda h: h["refresh"] == "done")
        assert found["refreshes"] == 1 and state.refresher.last.failed == []
        maps, charts = state.relationship_maps, state.chart_specs
        drawn, charted = maps.misses, charts.misses
        warmed = [_page(web, p) for p in paths]
        assert maps.misses == drawn, "the map asked next is the one the refresh drew"
        assert charts.misses == charted, "the dashboard's charts were drawn by the refresh"
        assert web.get("/healthz").json()["refreshes"] == 1, "a read is no new data"

    assert warmed == _cold(tmp_path, db, paths)
    # The map the refresh drew counts the response: the store's latest month has it.
    was, now = _map_n(before[0]), _map_n(warmed[0])
    moved = {k for k, n in now.items() if was.get(k, 0) != n}
    assert (store.code, max(p for u, p in now if u == store.code)) in moved


def _cold(tmp_path: Path, db: Database, paths: list[str]) -> list[str]:
    """The pages as a server that has kept nothing draws them."""
    _forget()
    with TestClient(create_app(make_settings(tmp_path, db), db), follow_redirects=False) as cold:
        login(cold, EMAIL, demo.DEMO_PASSWORD)  # type: ignore[arg-type]
        pages = [_page(cold, p) for p in paths]
    _forget()
    return pages
