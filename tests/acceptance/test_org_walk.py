"""A new organisation's walk, from an empty database with the CLI only, on SQLite and on
PostgreSQL: init, a 3-level tree of 60 units, 20,000 people, a customer survey published,
distributed to one segment (a second run invites nobody twice), one invitation answered
through the respondent form over HTTP (and a second person's), the answer on the person's
profile (``GET /api/v1/people/customer/{id}``), that person exported and erased with the CLI,
and the unit's results unchanged after the erasure."""

from __future__ import annotations

import csv
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from typer.testing import CliRunner

from rapport.cli._common import console
from rapport.cli.main import app
from rapport.settings import Settings
from rapport.storage.uow import Database
from tests.conftest import PG_ADMIN_URL, LiveServer

SECRET = "walk-secret-key-not-for-production"
REGIONS, STORES_PER_REGION, PEOPLE = 5, 54 // 5 + 1, 20_000
SURVEY = {
    "key": "walk",
    "title": {"en": "How did we do?"},
    "audience": "customer",
    "languages": ["en"],
    "pages": [
        {
            "id": "p1",
            "title": {"en": "Your visit"},
            "questions": [
                {
                    "id": "nps",
                    "type": "nps",
                    "required": True,
                    "tags": ["loyalty.recommend"],
                    "text": {"en": "How likely are you to recommend us?"},
                },
                {"id": "comment", "type": "text", "text": {"en": "Anything else?"}},
            ],
        }
    ],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file not yet created, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'walk.db'}"
        return
    name = f"rapport_walk_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _units(path: Path) -> list[str]:
    """Root (made by init) + 5 regions + 54 stores = 60 units; the store codes."""
    rows, stores = ["code,parent,name,kind"], []
    for r in range(REGIONS):
        rows.append(f"r{r},acme,Region {r},region")
        for s in range(STORES_PER_REGION):
            if len(stores) < 54:
                stores.append(f"r{r}-s{s}")
                rows.append(f"r{r}-s{s},r{r},Store {r}.{s},store")
    path.write_text("\n".join(rows) + "\n")
    return stores


def _people(path: Path, stores: list[str]) -> None:
    """20,000 customers and employees; every 10th person is a premium customer (2,000), and 2,000
    premium employees who must never get the customer survey."""
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["external_id", "kind", "unit", "name", "email", "consent_email", "segment"])
        for i in range(PEOPLE):
            kind = "employee" if i % 10 == 9 else "customer"
            segment = "premium" if i % 10 in (0, 9) else "everyday"
            out.writerow(
                [f"x{i:05d}", kind, stores[i % len(stores)], f"Person {i}",
                 f"x{i}@example.com", "yes", segment]
            )  # fmt: skip


def _cli(runner: CliRunner, *args: str) -> str:
    done = runner.invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def _answer(client: httpx.Client, path: str) -> httpx.Response:
    """Fill in the respondent form as a browser would: its hidden fields and an NPS of 9."""
    form = client.get(path)
    assert form.status_code == 200, form.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
    data = {**hidden, "q.nps": "9", "q.comment": "Lovely staff", "action": "submit"}
    return client.post(path, data=data)


def test_a_new_organisation_distributes_to_a_segment_and_sees_the_answer(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RAPPORT_DATABASE_URL", database_url)
    monkeypatch.setenv("RAPPORT_SECRET_KEY", SECRET)
    monkeypatch.setattr(console, "width", 200)
    cli = CliRunner()
    timings: dict[str, float] = {}

    def timed(step: str, *args: str) -> str:
        start = time.perf_counter()
        output = _cli(cli, *args)
        timings[step] = time.perf_counter() - start
        return output

    timed("init", "init", "--org", "Acme", "--code", "acme")
    stores = _units(tmp_path / "units.csv")
    assert "59 added" in timed("units", "org", "import", str(tmp_path / "units.csv"))
    _people(tmp_path / "people.csv", stores)
    assert "20000 added" in timed("people", "people", "import", str(tmp_path / "people.csv"))
    (tmp_path / "walk.json").write_text(json.dumps(SURVEY))
    timed("survey", "survey", "import", str(tmp_path / "walk.json"))

    links = tmp_path / "links.csv"
    sent = timed(
        "distribute", "survey", "distribute", "walk", "--to", "segment=premium",
        "--channel", "link", "--out", str(links),
    )  # fmt: skip
    assert "Invited 2000 customers to walk by link; skipped 2000." in sent, sent
    assert "skipped 2000: not of the survey's audience [wrong_audience]" in sent
    rows = list(csv.DictReader(links.open()))
    assert len(rows) == 2000 and all(r["external_id"][-1] == "0" for r in rows)
    again = timed("again", "survey", "distribute", "walk", "--to", "segment=premium")
    assert "Invited 0 customers to walk by link; skipped 4000." in again
    assert "skipped 2000: invited to this survey within the quiet period (30 days)" in again

    token = _cli(cli, "token", "create", "--role", "analyst").split()[0]
    auth = {"Authorization": f"Bearer {token}"}
    who, link = rows[0]["external_id"], urlsplit(rows[0]["link"]).path
    other_link = urlsplit(rows[1]["link"]).path
    results = "/api/v1/metrics?survey=walk&metric=nps&by=unit"
    db = Database(database_url)
    settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key=SECRET)  # type: ignore[arg-type]
    try:
        with LiveServer(settings, db) as server, httpx.Client(base_url=server.url) as client:
            answered = _answer(client, link)
            assert answered.status_code in (200, 303), answered.text
            assert client.get(link).status_code == 410  # single use
            second = _answer(client, other_link)  # a second person's response through the form
            assert second.status_code in (200, 303), second.text
            profile = client.get(f"/api/v1/people/customer/{who}", headers=auth)
            assert profile.status_code == 200, profile.text
            timeline = profile.json()["timeline"]
            before = client.get(results, headers=auth)
            assert before.status_code == 200, before.text

            exported = json.loads(_cli(cli, "people", "export", "customer", who))
            assert exported["person"]["external_id"] == who
            assert len(exported["responses"]) == 1
            _cli(cli, "people", "erase", "customer", who, "--yes")

            gone = client.get(f"/api/v1/people/customer/{who}", headers=auth)
            assert gone.status_code == 404, gone.text
            after = client.get(results, headers=auth)
            assert after.status_code == 200, after.text
    finally:
        db.dispose()
    # The erased person's response stays as anonymous data: the unit's results are unchanged.
    [whole] = [r for r in before.json()["rows"] if r["unit_code"] == "acme"]
    assert whole["n"] == 2  # the rows roll up the tree: the root holds both responses
    assert after.json()["rows"] == before.json()["rows"]
    responses = [e for e in timeline if e["kind"] == "response"]
    assert len(responses) == 1, timeline
    assert responses[0]["recommend"] == 9 and responses[0]["nps_category"] == "promoter"
    assert responses[0]["survey"]["key"] == "walk"
    assert [e["state"] for e in timeline if e["kind"] == "invitation"] == ["answered"]
    print(f"walk on {make_url(database_url).get_backend_name()}: {timings}")
