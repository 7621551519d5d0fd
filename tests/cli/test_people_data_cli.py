"""``rapport people export / erase / retention``, invoked in-process on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli._common import console
from rapport.cli.main import app

PEOPLE = (
    "external_id,kind,unit,name,email,segment\n"
    "cx-4411,customer,n1,Ada Quill,ada.quill@example.org,gold\n"
    "cx-4412,customer,n1,Bo Fenn,bo.fenn@example.org,gold\n"
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.delenv("RAPPORT_RETENTION_MONTHS", raising=False)
    monkeypatch.setattr(console, "width", 160)
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text("code,parent,name,kind\nn1,acme,N1,store\n")
    assert runner.invoke(app, ["org", "import", str(units)]).exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    assert runner.invoke(app, ["people", "import", str(people)]).exit_code == 0
    return runner


def test_export_then_erase_from_the_shell(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ada.json"
    done = cli.invoke(app, ["people", "export", "customer", "cx-4411", "--out", str(out)])
    assert done.exit_code == 0, done.output
    data = json.loads(out.read_text())
    assert data["person"]["name"] == "Ada Quill" and data["responses"] == []
    erased = cli.invoke(app, ["people", "erase", "customer", "cx-4411", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "Erased customer cx-4411: 0 response(s)" in erased.output
    gone = cli.invoke(app, ["people", "export", "customer", "cx-4411"])
    assert gone.exit_code == 1 and "no customer with id 'cx-4411'" in gone.output
    refused = cli.invoke(app, ["people", "erase", "customer", "cx-4412"], input="n\n")
    assert refused.exit_code == 1  # not confirmed: nothing erased
    assert cli.invoke(app, ["people", "export", "customer", "cx-4412"]).exit_code == 0


def test_retention_is_off_by_default_and_a_dry_run_unless_applied(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = cli.invoke(app, ["people", "retention"])
    assert off.exit_code == 1 and "retention is off" in off.output
    monkeypatch.setenv("RAPPORT_RETENTION_MONTHS", "1")
    dry = cli.invoke(app, ["people", "retention"])
    assert dry.exit_code == 0, dry.output
    assert "Would erase (dry run; --apply to erase): 0 people inactive for 1 months" in dry.output
    applied = cli.invoke(app, ["people", "retention", "--apply"])
    assert applied.exit_code == 0 and "Erased: 0 people" in applied.output
