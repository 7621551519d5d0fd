"""``rapport learnings add | list``, in-process on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli._common import console
from rapport.cli.main import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 160)
    return CliRunner()


def test_add_and_list_learnings(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    entry = tmp_path / "learning.json"
    body = {
        "title": "Parcel lockers full",
        "what_happened": "Click-and-collect parcels waited a week.",
        "changes": [
            {"area": "channels", "description": "Second locker", "changed_on": "2026-04-01"}
        ],
        "units": ["acme"],
        "themes": ["Collection"],
    }
    entry.write_text(json.dumps(body))
    done = cli.invoke(app, ["learnings", "add", str(entry)])
    assert done.exit_code == 0, done.output
    assert "Learning 1 written: Parcel lockers full (1 change(s))." in done.output
    listed = cli.invoke(app, ["learnings", "list", "--theme", "collection"]).output
    assert "Parcel lockers full  [collection; acme]" in listed
    assert "channels: Second locker from 2026-04-01" in listed
    assert "No learnings." in cli.invoke(app, ["learnings", "list", "--theme", "pricing"]).output
    entry.write_text(json.dumps({**body, "changes": [{"area": "luck", "description": "x"}]}))
    bad = cli.invoke(app, ["learnings", "add", str(entry)])
    assert bad.exit_code != 0 and "changes[0].area" in bad.output
    entry.write_text(json.dumps({**body, "review_on": "soon"}))
    bad = cli.invoke(app, ["learnings", "add", str(entry)])
    assert bad.exit_code != 0 and "review_on" in bad.output
    entry.write_text(json.dumps({**body, "colour": "red"}))
    bad = cli.invoke(app, ["learnings", "add", str(entry)])
    assert bad.exit_code != 0 and "unknown field(s) colour" in bad.output
