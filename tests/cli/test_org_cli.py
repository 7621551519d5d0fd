"""``rapport init --org`` and ``rapport org ...``, invoked in-process on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli._common import console
from rapport.cli.main import app

UNITS = (
    "code,parent,name,kind\nnorth,acme,North,region\nsouth,acme,South,region\nn1,north,N1,store\n"
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RAPPORT_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 160)  # read once when first imported
    return CliRunner()


def test_first_run_then_the_tree_from_the_shell(cli: CliRunner, tmp_path: Path) -> None:
    done = cli.invoke(app, ["init", "--org", "Acme Stores"])
    assert done.exit_code == 0, done.output
    assert "Created the organisation Acme Stores (unit code acme-stores)" in done.output
    assert "rapport user create you@example.com --role admin" in done.output
    again = cli.invoke(app, ["init", "--org", "Other"])
    assert again.exit_code == 0 and "exists already" in again.output

    units = tmp_path / "units.csv"
    units.write_text(UNITS.replace("acme", "acme-stores"))
    done = cli.invoke(app, ["org", "import", str(units)])
    assert done.exit_code == 0, done.output
    assert "units.csv: 3 added, 0 renamed, 0 moved, 0 unchanged" in done.output

    assert cli.invoke(app, ["org", "move", "n1", "south", "--on", "2026-06-01"]).exit_code == 0
    assert cli.invoke(app, ["org", "rename", "n1", "Northgate"]).exit_code == 0
    assert cli.invoke(app, ["org", "add", "s2", "--name", "S2", "--kind", "store",
                            "--parent", "south"]).exit_code == 0  # fmt: skip
    assert cli.invoke(app, ["org", "archive", "s2"]).exit_code == 0
    tree = cli.invoke(app, ["org", "tree"])
    assert tree.exit_code == 0, tree.output
    lines = tree.output.splitlines()
    assert lines[0].startswith("Acme Stores  [acme-stores, company]")
    assert "    Northgate  [n1, store]" in lines
    assert any(line.startswith("    S2  [s2, store]  (archived ") for line in lines)
    assert cli.invoke(app, ["org", "reopen", "s2"]).exit_code == 0


def test_errors_name_the_row_and_column(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("code,parent,name,kind\nn1,nowhere,N1,store\n")
    done = cli.invoke(app, ["org", "import", str(bad)])
    assert done.exit_code == 1
    assert "row 2, column parent: no unit 'nowhere'" in done.output
    moved = cli.invoke(app, ["org", "move", "acme", "acme"])
    assert moved.exit_code == 1 and "the root unit has no parent" in moved.output
    assert cli.invoke(app, ["org", "add", "x", "--name", "X", "--kind", "kiosk"]).exit_code == 1


def test_people_import_from_the_shell(cli: CliRunner, tmp_path: Path) -> None:
    assert cli.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text("code,parent,name,kind\nn1,acme,N1,store\n")
    assert cli.invoke(app, ["org", "import", str(units)]).exit_code == 0
    file = tmp_path / "people.csv"
    file.write_text("external_id,kind,unit,email,segment\nc1,customer,n1,A@B.example,gold\n")
    done = cli.invoke(app, ["people", "import", str(file)])
    assert done.exit_code == 0, done.output
    assert "Imported people.csv: 1 added, 0 updated" in done.output
    again = cli.invoke(app, ["people", "import", str(file)])
    assert "0 added, 1 updated" in again.output
    file.write_text("external_id,kind,unit\nc2,customer,n9\n")
    bad = cli.invoke(app, ["people", "import", str(file)])
    assert bad.exit_code == 1 and "row 2, column unit: no unit 'n9'" in bad.output
