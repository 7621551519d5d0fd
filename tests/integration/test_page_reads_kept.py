"""What the default dashboard and the home page read is kept until data change, and every
change shows at once.

The pages read the operational database's data version (``AnalyticsEngine.data_version``
of the live engine) before their unit of work's first statement and keep under it what
they read there: the dashboard's recent outcomes, the survey list with its response
counts, the home page's response activity; the home page's units needing attention are
kept under the analytics engine's version. Proved over real HTTP with the writes a user
makes: a new figure imported, a parent's own figure, a moved unit, a renamed unit and a
new response each show in the very next request, and a repeat reads nothing (SQLite and
PostgreSQL: the version is the database's data generation, ``storage.generation``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rapport.services import auth, demo, outcomes, relationship_map, surveys
from rapport.services.clock import utcnow
from rapport.storage.repositories.surveys import ResponseRepository
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import login


class Reads:
    """How many times ``owner.name`` was called."""

    def __init__(self, patch: pytest.MonkeyPatch, owner: object, name: str) -> None:
        self.count = 0
        real = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        patch.setattr(owner, name, counted)


def _outcome_cells(page: httpx.Response) -> list[list[str]]:
    """The recent outcomes table's rows as shown: [period, key figures..., outcomes...]."""
    assert page.status_code == 200, page.text[:500]
    section = page.text[page.text.index('id="section-outcomes"') :]
    table = section[: section.index("</table>")]
    return [
        [label, *re.findall(r"<td>([^<]*)</td>", row)]
        for label, row in re.findall(
            r'<th scope="row">([^<]+)</th>(.*?)</tr>', table, flags=re.DOTALL
        )
    ]


def test_recent_outcomes_are_read_once_per_commit_and_every_write_shows_at_once(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_org(db)
    reads = Reads(monkeypatch, outcomes, "_recent")
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "kept-outcomes", auth.Role.ADMIN)
    month = utcnow().date().replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url) as page,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api,
    ):
        login(page, "admin@example.com")

        def upload(csv: str) -> None:
            r = api.post(
                "/api/v1/outcomes/import", content=csv, headers={"Content-Type": "text/csv"}
            )
            assert r.status_code == 200, r.text

        def north() -> list[list[str]]:
            found = page.get("/dashboard", params={"survey": "every-type", "unit": "north"})
            return [[row[0], row[-1]] for row in _outcome_cells(found)]  # revenue last

        upload(f"unit,period,revenue\nnorth-1,{before:%Y-%m},900\n")
        assert north() == [[f"{before:%Y-%m}", "900"]]
        done = reads.count
        assert north() == [[f"{before:%Y-%m}", "900"]]
        assert reads.count == done, "a repeat reads no figure"

        # A new figure of a store, and a new month.
        upload(f"unit,period,revenue\nnorth-1,{month:%Y-%m},1000\n")
        assert north() == [[f"{month:%Y-%m}", "1,000"], [f"{before:%Y-%m}", "900"]]

        # A figure replaced in place (no new row anywhere).
        upload(f"unit,period,revenue\nnorth-1,{month:%Y-%m},1200\n")
        assert north()[0] == [f"{month:%Y-%m}", "1,200"]

        # The region's own figure wins over its store's.
        upload(f"unit,period,revenue\nnorth,{month:%Y-%m},5000\n")
        assert north()[0] == [f"{month:%Y-%m}", "5,000"]

        # The store moved to another region: its figures go with it.
        r = api.patch("/api/v1/units/north-1", json={"parent": "south"})
        assert r.status_code == 200, r.text
        assert north() == [[f"{month:%Y-%m}", "5,000"]]
        south = page.get("/dashboard", params={"survey": "every-type", "unit": "south"})
        assert [[row[0], row[-1]] for row in _outcome_cells(south)] == [
            [f"{month:%Y-%m}", "1,200"],
            [f"{before:%Y-%m}", "900"],
        ]


def _attention(page: httpx.Response) -> list[tuple[str, str]]:
    """The home page's units needing attention: (unit code, name shown)."""
    assert page.status_code == 200, page.text[:500]
    return re.findall(r'<li data-unit="([^"]+)"><a [^>]*><strong>([^<]+)</strong>', page.text)


def _responses(page: httpx.Response, survey: str) -> str:
    row = page.text[page.text.index(f'<tr data-survey="{survey}">') :]
    found = re.search(r'<td class="num">([^<]*)', row)
    assert found is not None
    return found.group(1)


def test_the_home_page_is_read_once_per_commit_and_every_write_shows_at_once(
    db: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = demo.generate(seed=7, units=12, months=12)  # drifting stores: units need attention
    demo.load(db, org)
    reads = [
        Reads(monkeypatch, relationship_map, "_attention"),
        Reads(monkeypatch, surveys, "_surveys"),
        Reads(monkeypatch, ResponseRepository, "activity"),
    ]
    with db.unit_of_work() as uow:
        token = auth.create_token(uow, "kept-home", auth.Role.ADMIN)
        survey = next(s for s in uow.surveys.all() if s.key == "customer-relationship")
    answers = next(r.answers for r in org.responses if r.survey_key == survey.key)
    with (
        LiveServer(make_settings(tmp_path, db), db) as server,
        httpx.Client(base_url=server.url, timeout=60) as page,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as api,
    ):
        login(page, demo.DEMO_ADMIN, demo.DEMO_PASSWORD)
        first = page.get("/")
        flagged = _attention(first)
        assert flagged, "the demo's drifting stores need attention"
        counted = int(_responses(first, survey.key))
        done = [r.count for r in reads]
        again = page.get("/")
        assert _attention(again) == flagged
        assert _responses(again, survey.key) == _responses(first, survey.key)
        assert [r.count for r in reads] == list(done), "a repeat reads nothing"

        # A unit renamed: the list names it at once.
        code, _ = flagged[0]
        r = api.patch(f"/api/v1/units/{code}", json={"name": "Renamed unit"})
        assert r.status_code == 200, r.text
        renamed = _attention(page.get("/"))
        assert (code, "Renamed unit") in renamed
        assert [c for c, _ in renamed] == [c for c, _ in flagged]

        # A new response: counted at once.
        body = {"answers": answers, "unit": code}
        r = api.post(
            f"/api/v1/surveys/{survey.id}/responses", json=body, headers={"Idempotency-Key": "k1"}
        )
        assert r.status_code == 201, r.text
        assert _responses(page.get("/"), survey.key) == str(counted + 1)
