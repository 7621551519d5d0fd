"""The server's start-up read (``services/warm_up.py``, ``Settings.warm_up``), over HTTP on
SQLite and PostgreSQL: ``/healthz`` says when it is done, it fails no step, the pages an
admin then opens run no suppression audit (the warm-up ran them, for another unit than the
one asked for too), and every page is the page a server without a warm-up draws."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from rapport.analytics.suppression import cache
from rapport.app import create_app
from rapport.domain.org import Role
from rapport.services import auth, demo, metrics, relationships
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._web_login import login
from tests.integration.test_relationship_pages_kept import _page

EMAIL = "admin@example.com"


def _forget() -> None:
    """A new process's caches: nothing kept."""
    metrics.KEPT.clear()
    cache.LEVELS.clear()
    relationships.STAGED.clear()


def _pages(client: httpx.Client | TestClient, paths: list[str]) -> list[str]:
    return [_page(client, path) for path in paths]


def test_the_warm_up_runs_the_first_pages_audits_and_changes_no_page(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = demo.generate(seed=7, units=12, months=4)
    demo.load(db, org)
    with db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.ADMIN)
    regions = [u for u in org.units if u.kind == "region"]
    store = [u for u in org.units if u.kind == "store"][-1]
    # The warm-up reads the employee dashboard of the first unit below the root; ask for
    # another (whose segment choices read the same unit × segment tables).
    other = f"{org.units[0].code}/{regions[-1].code}"
    paths = [
        "/",
        "/dashboard",
        "/dashboard?survey=employee-relationship",
        f"/dashboard?survey=employee-relationship&unit={other}",
        "/relationships?survey=customer-relationship",
        f"/relationships/unit?survey=customer-relationship&unit={store.code}",
        "/learnings",
    ]
    audits: list[object] = []
    real: Callable[..., Any] = metrics.decide_table

    def counted(*args: Any, **kwargs: Any) -> Any:
        audits.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(metrics, "decide_table", counted)

    _forget()
    with TestClient(create_app(make_settings(tmp_path, db), db), follow_redirects=False) as cold:
        login(cold, EMAIL, demo.DEMO_PASSWORD)  # type: ignore[arg-type]
        without = _pages(cold, paths)
    assert audits, "the employee pages audit their tables"

    _forget()
    audits.clear()
    settings = make_settings(tmp_path, db, warm_up=True)
    with LiveServer(settings, db) as server, httpx.Client(base_url=server.url) as web:
        deadline = time.monotonic() + 300
        while (state := web.get("/healthz").json()["warm_up"]) == "running":
            assert time.monotonic() < deadline, "the warm-up did not finish"
            time.sleep(0.1)
        assert state == "done"
        found = server.server.config.app.state.warm_up
        assert found.failed == []
        names = [name for name, _ in found.steps]
        assert "home page" in names and "relationship unit page" in names
        assert any(n.startswith("dashboard employee-relationship of ") for n in names)
        assert audits, "the warm-up ran the audits"
        audits.clear()
        maps = server.server.config.app.state.relationship_maps
        drawn = maps.misses
        assert drawn == 1, "the warm-up drew the organisation's map"
        charts = server.server.config.app.state.chart_specs
        charted = charts.misses
        assert charted >= 3, "the warm-up drew the dashboards' charts"
        login(web, EMAIL, demo.DEMO_PASSWORD)
        warmed = _pages(web, paths[:3])  # the home page and each survey's dashboard
        assert charts.misses == charted, "an administrator's dashboards' charts were drawn"
        warmed += _pages(web, paths[3:])
        assert maps.misses == drawn, "an administrator's map page was the one drawn"
    assert audits == [], "the pages found every decision kept"
    assert warmed == without


def test_healthz_says_the_warm_up_is_off_when_turned_off(
    sqlite_db: Database, tmp_path: Path
) -> None:
    with TestClient(create_app(make_settings(tmp_path, sqlite_db), sqlite_db)) as client:
        assert client.get("/healthz").json()["warm_up"] == "off"
