"""The relationship pages are drawn once per data version (``web/kept_pages.py``) and a
response submitted over HTTP shows on the very next request, on SQLite (where a repeat is
served kept) and PostgreSQL (where the figures are read on every request and the map is
drawn again only when they changed): the map and a unit's page are, before and after the
response, the pages a server that keeps nothing draws."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from rapport.app import create_app
from rapport.domain.org import Role
from rapport.services import auth, demo
from rapport.storage.uow import Database
from rapport.web.kept_pages import KeptPages
from tests.conftest import LiveServer, make_settings
from tests.integration._web_login import login

SURVEY = "customer-relationship"
EMAIL = "analyst@example.com"
#: A detractor whose hearts are all at the bottom: the store's latest figures move.
ANSWERS = {
    "nps": 0,
    **dict.fromkeys(("heart_delight", "heart_special", "heart_about_me", "heart_exceeded"), 1),
    "heart_cared": 1,
}
TOKENS = re.compile(r'(name="csrf_token" value="|<meta name="csrf-token" content=")[^"]+')
MAP_ROW = re.compile(
    r"<tr><td>([^<]+)</td><td>[^<]*</td><td>([^<]+)</td>(?:<td>[^<]*</td>){5}<td>(\d+)</td>"
)


def _page(client: httpx.Client | TestClient, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return TOKENS.sub(r"\1-", r.text)


def _map_n(html: str) -> dict[tuple[str, str], int]:
    """The map's data table: (unit, period) → n."""
    return {(unit, period): int(n) for unit, period, n in MAP_ROW.findall(html)}


def test_kept_pages_are_redrawn_after_a_response(db: Database, tmp_path: Path) -> None:
    org = demo.generate(seed=7, units=12, months=4)
    demo.load(db, org)
    store = next(u for u in org.units if u.kind == "store")
    parents = {u.code: u.parent_code for u in org.units}
    counted = {store.code, *_ancestors(parents, store.code)}
    with db.unit_of_work() as uow:
        auth.create_user(uow, EMAIL, demo.DEMO_PASSWORD, Role.ANALYST)
        token = auth.create_token(uow, "responses", Role.ADMIN)
    settings = make_settings(tmp_path, db)
    paths = (
        f"/relationships?survey={SURVEY}",
        f"/relationships/unit?survey={SURVEY}&unit={store.code}",
    )

    def fresh() -> list[str]:
        """The pages as a server that has kept nothing draws them."""
        with TestClient(create_app(settings, db), follow_redirects=False) as other:
            login(other, EMAIL, demo.DEMO_PASSWORD)  # type: ignore[arg-type]
            return [_page(other, p) for p in paths]

    with (
        LiveServer(settings, db) as server,
        httpx.Client(base_url=server.url, timeout=120) as web,
    ):
        login(web, EMAIL, demo.DEMO_PASSWORD)
        maps: KeptPages[object] = server.server.config.app.state.relationship_maps
        units: KeptPages[object] = server.server.config.app.state.relationship_units
        before = [_page(web, p) for p in paths]
        assert [_page(web, p) for p in paths] == before
        # A repeat at the same data generation is served kept (SQLite and PostgreSQL).
        assert maps.hits >= 1 and units.hits >= 1
        # Kept as the UTF-8 parts the page sends, which it holds as they are.
        parts = next(iter(maps._kept.values()))[1].parts  # type: ignore[attr-defined]
        assert b"".join(parts).decode() in before[0] and "“!”" in before[0]
        assert before == fresh()

        api = {"Authorization": f"Bearer {token}"}
        listed = httpx.get(f"{server.url}/api/v1/surveys", headers=api).json()
        sid = next(s["id"] for s in listed if s["key"] == SURVEY)
        # Asked for by the survey's id, the map is the page kept for its key.
        misses = maps.misses
        assert _page(web, f"/relationships?survey={sid}") == before[0]
        assert maps.misses == misses
        r = httpx.post(
            f"{server.url}/api/v1/surveys/{sid}/responses",
            json={"answers": ANSWERS, "unit": store.code},
            headers=api,
        )
        assert r.status_code == 201, r.text

        after = [_page(web, p) for p in paths]
        assert after[0] != before[0] and after[1] != before[1]
        assert after == fresh()
        # The current period of the store and of the units above it counts the response.
        was, now = _map_n(before[0]), _map_n(after[0])
        moved = {k: (was.get(k, 0), n) for k, n in now.items() if was.get(k, 0) != n}
        assert {unit for unit, _ in moved} == counted
        assert len({period for _, period in moved}) == 1
        assert all(b + 1 == a for b, a in moved.values())


def _ancestors(parents: dict[str, str | None], code: str) -> list[str]:
    found, parent = [], parents[code]
    while parent is not None:
        found.append(parent)
        parent = parents[parent]
    return found
