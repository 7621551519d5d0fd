"""What the default dashboard reads through its unit of work is kept until the next commit,
and every change shows at once.

On a SQLite file a read-only unit of work carries the file's commit counter
(``UnitOfWork.data_version``, read before its first statement); the dashboard's recent
outcomes are kept under it. Proved over real HTTP with the writes a user makes: a new
figure imported, a parent's own figure, and a moved unit each show in the very next
request, and a repeat reads nothing. On PostgreSQL (no counter) the figures are read on
every request and the same pages show.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rapport.services import auth, outcomes
from rapport.services.clock import utcnow
from rapport.storage.uow import Database
from tests.conftest import LiveServer, make_settings
from tests.integration._survey_fixtures import seed_org
from tests.integration._web_login import login


class Reads:
    """How many times the recent outcomes were read (``outcomes._recent`` calls)."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = outcomes._recent

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        patch.setattr(outcomes, "_recent", counted)


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
    reads = Reads(monkeypatch)
    cached = db.dialect == "sqlite"
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
        assert reads.count == done + (0 if cached else 1), "a repeat reads no figure"

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
