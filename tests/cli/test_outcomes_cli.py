"""``rapport outcomes import / list``, invoked in-process on a SQLite file."""

from __future__ import annotations

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
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--org", "Acme"]).exit_code == 0
    units = tmp_path / "units.csv"
    units.write_text("code,parent,name,kind\nn1,acme,N1,store\nn2,acme,N2,store\n")
    assert runner.invoke(app, ["org", "import", str(units)]).exit_code == 0
    return runner


def test_import_list_and_roll_up_from_the_shell(cli: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "outcomes.csv"
    good.write_text("unit,period,revenue,complaints\nn1,2026-03,1000,2\nn2,2026-03,2500,\n")
    done = cli.invoke(app, ["outcomes", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "2 rows, 3 figures added, 0 replaced (revenue, complaints)" in done.output
    again = cli.invoke(app, ["outcomes", "import", str(good)])
    assert "0 figures added, 3 replaced" in again.output
    listed = cli.invoke(app, ["outcomes", "list", "--unit", "acme", "--rollup"])
    assert listed.exit_code == 0, listed.output
    assert "3,500.00" in listed.output and "sum" in listed.output

    bad = tmp_path / "bad.csv"
    bad.write_text("unit,period,revenue\nn1,March,1000\nn9,2026-03,x\n")
    refused = cli.invoke(app, ["outcomes", "import", str(bad)])
    assert refused.exit_code == 1
    text = " ".join(refused.output.split())
    assert "row 2, column period: expected a period YYYY-MM" in text
    assert "row 3, column unit: no unit 'n9'" in text
    assert "row 3, column revenue: expected a number" in text
    missing = cli.invoke(app, ["outcomes", "import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1 and "no file" in missing.output
